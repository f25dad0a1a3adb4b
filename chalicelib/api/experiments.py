"""A/B experiments on reminders: admins define, start, stop and promote; staff read them and their results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Optional

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import replies
from chalicelib.api.models import Id, Strict, real
from chalicelib.api.routing import ADMIN, READERS, route
from chalicelib.domain import experiments as ab
from chalicelib.lazy import lazy

# The services each route calls, as type checkers and import analysis see them; at run time
# each module loads on first use, so a function's cold start pays only for what it runs.
if TYPE_CHECKING:
    from chalicelib.services import experiments as service
else:
    service = lazy("chalicelib.services.experiments")

bp: Blueprint = Blueprint(__name__)


# A bounded float is a float to the type checker; pydantic reads its bounds (models.real).
if TYPE_CHECKING:
    Weight = float
    Share = float
    Alpha = float
    Power = float
    Rate = float
    HoldoutShare = float
else:
    Weight = real(2, 0.01, 1000)
    Share = real(6, 0, 1)  # the domain refuses a holdout over MAX_HOLDOUT_SHARE with its own code
    Alpha = real(3, 0.001, 0.2)
    Power = real(2, 0.5, 0.99)
    Rate = real(3, ab.RATE_STEP, 1 - ab.RATE_STEP)
    HoldoutShare = real(6, 0, ab.MAX_HOLDOUT_SHARE)


HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class ArmBody(Strict):
    """One arm; fields left out keep the target rule's own."""

    arm_id: str = Id
    weight: Weight = 1.0
    template: Optional[str] = Field(default=None, min_length=1, max_length=500,
                                    description="placeholders: {nickname}, {clinic}, {incentive}")
    send_at: Optional[str] = Field(default=None, pattern=HHMM, description="clinic-local HH:MM")
    incentive_text: Optional[str] = Field(default=None, min_length=1, max_length=60)
    incentive_points: int = Field(default=0, ge=0, le=1000, description="credited on conversion")


class ExperimentBody(Strict):
    experiment_id: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=80)
    target_kind: Literal[ab.TARGET_KINDS]  # type: ignore[valid-type]
    target_id: str = Id
    arms: list[ArmBody] = Field(max_length=10)
    holdout_share: Share = Field(default=0.1, description="0 to 0.5 of the patients get no message")
    window_days: int = Field(default=14, ge=1, le=ab.MAX_TIMING_WINDOW_DAYS,
                             description="a visit within N days converts (after the send; for recall_timing after "
                                         "the anchor); at most 90, 365 for recall_timing")
    alpha: Alpha = 0.05
    sample_size_per_arm: Optional[int] = Field(default=None, ge=10, le=1_000_000)
    baseline_rate: Optional[Rate] = None
    min_uplift: Optional[Rate] = None
    power: Power = 0.8


class PromoteBody(Strict):
    arm_id: str = Id


class SampleSizeQuery(Strict):
    baseline_rate: Rate
    min_uplift: Rate
    alpha: Alpha = 0.05
    power: Power = 0.8
    arms: int = Field(default=2, ge=ab.MIN_ARMS, le=ab.MAX_ARMS)
    holdout_share: HoldoutShare = 0.1


@route(bp, "/experiments", roles=READERS,
       reply=replies.ListExperimentsReply,
       summary="The clinic's experiments, newest first")
def list_experiments(call):
    return service.list_view(call.principal.clinic_id)


@route(bp, "/experiments", methods=("POST",), roles=ADMIN, body=ExperimentBody, idempotent=True,
       reply=replies.ExperimentReply, status=201,
       errors=("content_path_not_found", "duplicate_arm", "invalid_arm_count", "invalid_holdout_share",
               "invalid_incentive", "invalid_send_at", "invalid_template", "invalid_timing_arms", "invalid_weight",
               "invalid_window", "learned_needs_condition", "learned_not_for_anchor", "recall_rule_not_found",
               "sample_size_required"),
       summary="Define an experiment on a recall rule: 2-4 arms (wording, send time, incentive), a holdout")
def create_experiment(call):
    return 201, service.create(call.principal, call.body)


@route(bp, "/experiments/sample-size", roles=READERS, query=SampleSizeQuery,
       reply=replies.SampleSizeReply, errors=("invalid_plan",),
       summary="Exposures per arm needed to detect an uplift over a baseline rate")
def sample_size(call):
    return service.sample_size(call.query)


@route(bp, "/experiments/{experiment_id}", roles=READERS,
       reply=replies.ExperimentReply,
       summary="One experiment's definition and state")
def get_experiment(call):
    return service.view(call.principal.clinic_id, call.params["experiment_id"])


@route(bp, "/experiments/{experiment_id}/results", roles=READERS,
       reply=replies.ExperimentResultsReply,
       summary="Per arm: exposures, conversions, rate, uplift against the holdout with CI and p-value")
def experiment_results(call):
    return service.results(call.principal.clinic_id, call.params["experiment_id"])


@route(bp, "/experiments/{experiment_id}/start", methods=("POST",), roles=ADMIN,
       reply=replies.ExperimentReply, errors=("invalid_state", "target_busy"),
       summary="Start a draft experiment (one running experiment per target)")
def start_experiment(call):
    return service.start(call.principal, call.params["experiment_id"])


@route(bp, "/experiments/{experiment_id}/stop", methods=("POST",), roles=ADMIN,
       reply=replies.ExperimentReply, errors=("invalid_state",),
       summary="Stop sending the arms; exposures made keep being measured")
def stop_experiment(call):
    return service.stop(call.principal, call.params["experiment_id"])


@route(bp, "/experiments/{experiment_id}/promote", methods=("POST",), roles=ADMIN, body=PromoteBody,
       reply=replies.PromoteExperimentReply, errors=("arm_not_found", "cannot_promote_holdout", "invalid_state"),
       summary="Make an arm's template and send time the rule's own; ends the experiment")
def promote_experiment(call):
    return service.promote(call.principal, call.params["experiment_id"], call.body.arm_id)

