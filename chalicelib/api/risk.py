"""Staff routes for the lapse-risk model and the follow-up worklist: the model card, the at-risk
list, a patient's score, drop-out curves per condition, follow-up plans, the day's calls and
their outcomes."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal, Optional

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import replies
from chalicelib.api.models import Page, Strict
from chalicelib.api.routing import IN_TRANSACTION, MANAGER, READERS, route
from chalicelib.lazy import lazy

# The services each route calls, as type checkers and import analysis see them; at run time
# each module loads on first use, so a function's cold start pays only for what it runs.
if TYPE_CHECKING:
    from chalicelib.services import risk
    from chalicelib.services import followups
else:
    risk = lazy("chalicelib.services.risk")
    followups = lazy("chalicelib.services.followups")

bp: Blueprint = Blueprint(__name__)


class RiskPage(Page):
    pass


class WorklistPage(Strict):
    # 50 plans = 100 keys: the page's profiles and plans come in one BatchGetItem
    limit: int = Field(default=50, ge=1, le=50)
    cursor: Optional[str] = Field(default=None, max_length=2000)


class OutcomePeriod(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Optional[date] = Field(default=None, alias="from")
    to: Optional[date] = None


class FollowUpStart(Strict):
    cadence_days: Optional[int] = Field(default=None, ge=1, le=90, description="days between calls; default 7")
    first_due: Optional[date] = Field(default=None, description="the first call's day; default today")


class FollowUpOutcome(Strict):
    outcome: Literal["reached", "booked", "declined", "wrong_number"]
    note: Optional[str] = Field(default=None, max_length=500, description="stored encrypted")
    booking_date: Optional[date] = Field(default=None, description="with booked: the day booked")


@route(bp, "/risk/model", roles=READERS,
       reply=replies.RiskModelReply,
       summary="The clinic's current lapse-risk model: version, horizon, base rate, AUC against recency alone, "
               "Brier score, calibration by decile, each factor's effect in words; or why there is none")
def risk_model(call):
    return risk.model_view(call.principal.clinic_id)


@route(bp, "/risk/patients", roles=MANAGER, query=RiskPage,
       reply=replies.AtRiskReply, summary="Patients by lapse risk, highest first, with their top factors, by cursor")
def at_risk(call):
    return risk.at_risk(call.principal.clinic_id, call.query.limit, call.query.cursor)


@route(bp, "/patients/{patient_id}/risk", roles=MANAGER,
       reply=replies.PatientRiskReply,
       summary="A patient's lapse-risk score and its top three factors, or why there is no score")
def patient_risk(call):
    return risk.patient_risk(call.principal.clinic_id, call.params["patient_id"])


@route(bp, "/risk/dropout", roles=READERS,
       reply=replies.DropoutReply,
       summary="Per condition: share of patients back by day d after a visit, drop-out day, suggested recall day")
def dropout(call):
    return risk.dropout_view(call.principal.clinic_id)


@route(bp, "/patients/{patient_id}/followup", methods=("POST",), roles=MANAGER, body=FollowUpStart,
       idempotent=True,
       reply=replies.FollowupPlanReply, status=(201, 200), errors=("invalid_date",),
       summary="Put a patient on a follow-up plan (weekly by default), or restart a paused one")
def start_followup(call):
    created, plan = followups.start(call.principal, call.params["patient_id"], call.body.cadence_days,
                                    call.body.first_due)
    return (201 if created else 200), {"plan": plan}


@route(bp, "/patients/{patient_id}/followup", roles=MANAGER,
       reply=replies.FollowupDetailReply,
       errors=("no_followup_plan",), summary="A patient's follow-up plan and latest outcomes")
def followup_detail(call):
    return followups.detail(call.principal.clinic_id, call.params["patient_id"])


@route(bp, "/patients/{patient_id}/followup/outcomes", methods=("POST",), roles=MANAGER,
       body=FollowUpOutcome, idempotent=IN_TRANSACTION,
       reply=replies.RecordOutcomeReply, status=201,
       errors=("booking_date_required", "invalid_date", "no_followup_plan", "plan_not_active",
               "unexpected_field"),
       summary="Record a follow-up call: reached, booked (records the booking), declined, wrong_number (pauses)")
def record_outcome(call):
    b = call.body
    return 201, followups.record(call.principal, call.params["patient_id"], b.outcome, b.note, b.booking_date,
                                 call.idem)


@route(bp, "/patients/{patient_id}/followup/end", methods=("POST",), roles=MANAGER,
       reply=replies.FollowupPlanReply, errors=("no_followup_plan",), summary="End a patient's follow-up plan")
def end_followup(call):
    return followups.end(call.principal, call.params["patient_id"])


@route(bp, "/followups/due", roles=MANAGER, query=WorklistPage,
       reply=replies.WorklistReply,
       summary="Today's follow-up calls: due or overdue plans, highest risk first within a page")
def worklist(call):
    return followups.worklist(call.principal.clinic_id, call.query.limit, call.query.cursor)


@route(bp, "/followups/outcomes", roles=READERS, query=OutcomePeriod,
       reply=replies.OutcomeTotalsReply, errors=("invalid_period", "period_too_long"),
       summary="Follow-up outcome totals over a period of clinic-local days (default: the last 30)")
def outcome_totals(call):
    return followups.totals(call.principal.clinic_id, call.query.from_, call.query.to)

