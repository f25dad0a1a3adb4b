"""Experiments, the running marker per target, exposures and conversions: keys, conditions, writes.

- experiment: pk=<clinic> sk=EXPERIMENT#<x>
- running marker: pk=<clinic> sk=EXPRUN#<target kind>#<target id> (names the running experiment and its split)
- exposure: pk=<clinic>#P#<patient> sk=EXPO#<x>; gsi1 <clinic>#EXPO#<x> / <arm>#<patient>
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple, TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.expressions.update import Action

from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, keys
from chalicelib.store.models import (
    ExperimentItem,
    ExperimentRunItem,
    ExposureItem,
    LedgerItem,
    PatientItem,
    RecallRuleItem,
    bind,
)
from chalicelib.store.ledger import credit_actions, ledger_item
from chalicelib.store.records import Patient, patient_pk, profile_ref

if TYPE_CHECKING:  # types only
    from chalicelib.store.earning import Earning


def incentive_entry_id(experiment_id: str) -> str:
    """The ledger entry of an experiment's conversion bonus: one per experiment and patient."""
    return f"experiment:{experiment_id}"


# --- records ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Experiment:
    """An experiment's definition (arms as `domain.experiments.ArmTerms.as_dict()`), split and status."""

    clinic_id: str
    experiment_id: str
    name: str
    target_kind: str  # recall_rule | content_path
    target_id: str
    window_days: int
    alpha: float
    sample_size_per_arm: int
    created_at: str
    arms: list[dict[str, Any]] = field(default_factory=list)
    holdout_share: float = 0.0
    status: str = "draft"  # draft | running | stopped | promoted
    created_by: str | None = None
    started_at: str | None = None
    stopped_at: str | None = None
    promoted_arm: str | None = None


class RunningExperiment(NamedTuple):
    """The split of the experiment running on a target, as its marker keeps it for the planner and sender."""

    experiment_id: str
    arms: list[dict[str, Any]]
    holdout_share: float
    window_days: int


class Exposure(NamedTuple):
    """A patient sent an arm's message (or held out of it) once, with the window a visit converts in."""

    clinic_id: str
    patient_id: str
    experiment_id: str
    arm_id: str
    sent_at: str  # UTC; for the holdout, when the message would have been sent
    sent_day: str  # clinic-local day of sent_at
    window_ends: str  # last clinic-local day a visit converts
    holdout: bool = False
    message_ref: str | None = None
    incentive_points: int = 0
    converted_on: str | None = None
    converted_visit: str | None = None


_EXPERIMENT_FIELDS = tuple(f.name for f in fields(Experiment) if f.name not in ("clinic_id",))
_EXPOSURE_FIELDS = tuple(name for name in Exposure._fields if name != "clinic_id")


def _experiment_of(clinic_id: str, item: ExperimentItem) -> Experiment:
    return Experiment(
        clinic_id=clinic_id, experiment_id=item.experiment_id, name=item.name, target_kind=item.target_kind,
        target_id=item.target_id, window_days=int(item.window_days), alpha=float(item.alpha),
        sample_size_per_arm=int(item.sample_size_per_arm), created_at=item.created_at, arms=list(item.arms or []),
        holdout_share=float(item.holdout_share or 0), status=item.status, created_by=item.created_by,
        started_at=item.started_at, stopped_at=item.stopped_at, promoted_arm=item.promoted_arm)


def _experiment_ref(experiment: Experiment) -> ExperimentItem:
    return ExperimentItem(keys.clinic_pk(experiment.clinic_id), keys.experiment_sk(experiment.experiment_id))


def _exposure_of(clinic_id: str, item: ExposureItem) -> Exposure:
    return Exposure(
        clinic_id=clinic_id, patient_id=item.patient_id, experiment_id=item.experiment_id, arm_id=item.arm_id,
        sent_at=item.sent_at, sent_day=item.sent_day, window_ends=item.window_ends, holdout=bool(item.holdout),
        message_ref=item.message_ref, incentive_points=int(item.incentive_points or 0),
        converted_on=item.converted_on, converted_visit=item.converted_visit)


def _exposure_ref(exposure: Exposure) -> ExposureItem:
    return ExposureItem(keys.patient_pk(exposure.clinic_id, exposure.patient_id),
                        keys.exposure_sk(exposure.experiment_id))


# --- definitions ------------------------------------------------------------------------------

def new_experiment(clinic_id: str, experiment_id: str, **values: Any) -> Experiment:
    """A draft experiment's record, before `create` writes it."""
    return Experiment(clinic_id=clinic_id, experiment_id=experiment_id, **values)


def create(experiment: Experiment) -> Experiment:
    bind()
    item = ExperimentItem(keys.clinic_pk(experiment.clinic_id), keys.experiment_sk(experiment.experiment_id),
                          **{name: getattr(experiment, name) for name in _EXPERIMENT_FIELDS})
    try:
        item.save(condition=ExperimentItem.sk.does_not_exist())
    except PutError as exc:
        raise Conflict("an experiment with this id exists", code="experiment_exists", field="experiment_id") from exc
    return experiment


def get(clinic_id: str, experiment_id: str, consistent: bool = False) -> Experiment:
    bind()
    try:
        item = ExperimentItem.get(keys.clinic_pk(clinic_id), keys.experiment_sk(experiment_id),
                                  consistent_read=consistent)
    except DoesNotExist as exc:
        raise NotFound("experiment not found", code="experiment_not_found") from exc
    return _experiment_of(clinic_id, item)


def list_all(clinic_id: str) -> list[Experiment]:
    bind()
    return [_experiment_of(clinic_id, item) for item in
            ExperimentItem.query(keys.clinic_pk(clinic_id), ExperimentItem.sk.startswith(keys.EXPERIMENT))]


def running_on(clinic_id: str, target_kind: str, target_id: str) -> RunningExperiment | None:
    """The split of the experiment running on a target, or None (one GetItem of its marker)."""
    bind()
    try:
        marker = ExperimentRunItem.get(keys.clinic_pk(clinic_id), keys.experiment_run_sk(target_kind, target_id))
    except DoesNotExist:
        return None
    if not marker.experiment_id:
        return None
    return RunningExperiment(marker.experiment_id, list(marker.arms or []), float(marker.holdout_share or 0),
                             int(marker.window_days or 0))


def start(experiment: Experiment, at: str) -> None:
    """Mark the experiment running and claim its target, in one transaction."""
    pk = keys.clinic_pk(experiment.clinic_id)
    marker = ExperimentRunItem(pk, keys.experiment_run_sk(experiment.target_kind, experiment.target_id),
                               experiment_id=experiment.experiment_id, arms=experiment.arms,
                               holdout_share=experiment.holdout_share, window_days=experiment.window_days)
    try:
        with db.transaction() as txn:
            txn.save(marker, condition=ExperimentRunItem.experiment_id.does_not_exist(), label="target")
            txn.update(_experiment_ref(experiment),
                       actions=[ExperimentItem.status.set("running"), ExperimentItem.started_at.set(at)],
                       condition=ExperimentItem.status == "draft", label="experiment")
    except db.Cancelled as exc:
        if exc.conditional("target"):
            raise Conflict("another experiment is running on this target", code="target_busy",
                           field="target_id") from exc
        if exc.conditional("experiment"):
            raise Conflict("only a draft experiment can start", code="invalid_state") from exc
        raise


def finish(experiment: Experiment, status: str, at: str, promoted_arm: str | None = None,
           target_changes: dict[str, Any] | None = None) -> None:
    """Stop or promote: the experiment changes status, its target is released (if it still holds
    it) and, on promotion, the target (a recall rule or a segment's content path) takes the arm's
    terms, all in one transaction. `target_changes` are the target's new attribute values
    (`template`, `send_at` of a rule; `content_path` of a segment)."""
    pk = keys.clinic_pk(experiment.clinic_id)
    actions = [ExperimentItem.status.set(status), ExperimentItem.stopped_at.set(experiment.stopped_at or at)]
    if promoted_arm:
        actions.append(ExperimentItem.promoted_arm.set(promoted_arm))
    allowed = ("running",) if status == "stopped" else ("running", "stopped")
    try:
        with db.transaction() as txn:
            txn.update(_experiment_ref(experiment), actions=actions, condition=ExperimentItem.status.is_in(*allowed),
                       label="experiment")
            if experiment.status == "running":
                marker = ExperimentRunItem(pk, keys.experiment_run_sk(experiment.target_kind, experiment.target_id))
                txn.update(marker, actions=[ExperimentRunItem.experiment_id.remove(), ExperimentRunItem.arms.remove(),
                                            ExperimentRunItem.holdout_share.remove(),
                                            ExperimentRunItem.window_days.remove()],
                           condition=ExperimentRunItem.experiment_id == experiment.experiment_id, label="target")
            if target_changes and experiment.target_kind == "content_path":
                from chalicelib.store.models import SegmentItem

                segment = SegmentItem(pk, keys.segment_sk(experiment.target_id))
                txn.update(segment, actions=[SegmentItem.content_path.set(target_changes["content_path"])],
                           condition=SegmentItem.sk.exists(), label="rule")
            elif target_changes:
                rule = RecallRuleItem(pk, keys.recall_rule_sk(experiment.target_id))
                rule_actions = [getattr(RecallRuleItem, name).set(value) for name, value in target_changes.items()
                                if name in ("template", "send_at", "timing")]
                txn.update(rule, actions=rule_actions, condition=RecallRuleItem.sk.exists(), label="rule")
    except db.Cancelled as exc:
        if exc.conditional("experiment") or exc.conditional("target"):
            raise Conflict("the experiment's state changed meanwhile", code="invalid_state") from exc
        if exc.conditional("rule"):
            raise NotFound("the experiment's target is gone", code="target_not_found") from exc
        raise


# --- exposures and conversions ------------------------------------------------------------------

def new_exposure(clinic_id: str, patient_id: str, experiment_id: str, arm_id: str, **values: Any) -> Exposure:
    return Exposure(clinic_id=clinic_id, patient_id=patient_id, experiment_id=experiment_id, arm_id=arm_id, **values)


def put_exposure(exposure: Exposure) -> bool:
    """Write an exposure once per (experiment, patient); False when it was recorded before."""
    bind()
    item = ExposureItem(
        keys.patient_pk(exposure.clinic_id, exposure.patient_id), keys.exposure_sk(exposure.experiment_id),
        gsi1pk=keys.exposures_pk(exposure.clinic_id, exposure.experiment_id),
        gsi1sk=keys.exposure_sort(exposure.arm_id, exposure.patient_id),
        **{name: getattr(exposure, name) for name in _EXPOSURE_FIELDS})
    try:
        item.save(condition=ExposureItem.sk.does_not_exist())
        return True
    except PutError as exc:
        if "ConditionalCheckFailed" in str(exc):
            return False
        raise


def open_exposures(clinic_id: str, patient_id: str) -> list[Exposure]:
    """The patient's exposures not yet converted (consistent: an exposure just written counts)."""
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.EXPOSURE, consistent=True)
    items = [_exposure_of(clinic_id, ExposureItem.from_raw_data(item)) for item in raw]
    return [item for item in items if not item.converted_on]


def exposures(clinic_id: str, experiment_id: str) -> list[Exposure]:
    """Every exposure of an experiment (gsi1, page by page)."""
    bind()
    return [_exposure_of(clinic_id, item) for item in
            ExposureItem.by_gsi1.query(keys.exposures_pk(clinic_id, experiment_id), page_size=500)]


def convert(exposure: Exposure, patient: Patient, visit_day: str, visit_id: str, at: str,
            earning: Earning | None = None) -> bool:
    """Mark an exposure converted by a visit and pay its arm's bonus (if any), in one transaction.

    The exposure's `converted_on` must be absent and the ledger entry id is fixed per experiment
    and patient, so a second visit or a retry neither converts nor credits twice.
    """
    points = exposure.incentive_points
    try:
        with db.transaction() as txn:
            txn.update(_exposure_ref(exposure), actions=[ExposureItem.converted_on.set(visit_day),
                                          ExposureItem.converted_visit.set(visit_id)],
                       condition=ExposureItem.converted_on.does_not_exist() & ExposureItem.sk.exists(),
                       label="exposure")
            if points > 0:
                txn.save(ledger_item(patient_pk(patient), incentive_entry_id(exposure.experiment_id), points,
                                     "experiment_incentive", at, exposure.experiment_id),
                         condition=LedgerItem.sk.does_not_exist(), label="ledger")
                txn.update(profile_ref(patient), actions=credit_actions(points),
                           condition=PatientItem.pk.exists(), label="patient")
                if earning is not None:
                    from chalicelib.store import earning as payouts

                    payouts.add(txn, patient, earning)
        return True
    except db.Cancelled as exc:
        if exc.conditional("exposure") or exc.conditional("ledger"):
            return False
        raise
