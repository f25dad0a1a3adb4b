"""Experiments, the running marker per target, exposures and conversions: keys, conditions, writes.

- experiment: pk=<clinic> sk=EXPERIMENT#<x>
- running marker: pk=<clinic> sk=EXPRUN#<target kind>#<target id> (names the running experiment and its split)
- exposure: pk=<clinic>#P#<patient> sk=EXPO#<x>; gsi1 <clinic>#EXPO#<x> / <arm>#<patient>
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # types only
    from chalicelib.store.earning import Earning



def incentive_entry_id(experiment_id: str) -> str:
    """The ledger entry of an experiment's conversion bonus: one per experiment and patient."""
    return f"experiment:{experiment_id}"


# --- definitions ------------------------------------------------------------------------------

def create(item: ExperimentItem) -> ExperimentItem:
    bind()
    try:
        item.save(condition=ExperimentItem.sk.does_not_exist())
    except PutError as exc:
        raise Conflict("an experiment with this id exists", code="experiment_exists", field="experiment_id") from exc
    return item


def new_item(clinic_id: str, experiment_id: str, **fields: Any) -> ExperimentItem:
    return ExperimentItem(keys.clinic_pk(clinic_id), keys.experiment_sk(experiment_id), experiment_id=experiment_id,
                          **fields)


def get(clinic_id: str, experiment_id: str, consistent: bool = False) -> ExperimentItem:
    bind()
    try:
        return ExperimentItem.get(keys.clinic_pk(clinic_id), keys.experiment_sk(experiment_id), consistent_read=consistent)
    except DoesNotExist as exc:
        raise NotFound("experiment not found", code="experiment_not_found") from exc


def list_all(clinic_id: str) -> list[ExperimentItem]:
    bind()
    return list(ExperimentItem.query(keys.clinic_pk(clinic_id), ExperimentItem.sk.startswith(keys.EXPERIMENT)))


def running_on(clinic_id: str, target_kind: str, target_id: str) -> ExperimentRunItem | None:
    """The marker of the experiment running on a target, or None (one GetItem)."""
    bind()
    try:
        marker = ExperimentRunItem.get(keys.clinic_pk(clinic_id), keys.experiment_run_sk(target_kind, target_id))
    except DoesNotExist:
        return None
    return marker if marker.experiment_id else None


def start(item: ExperimentItem, at: str) -> None:
    """Mark the experiment running and claim its target, in one transaction."""
    marker = ExperimentRunItem(item.pk, keys.experiment_run_sk(item.target_kind, item.target_id), experiment_id=item.experiment_id,
                               arms=item.arms, holdout_share=item.holdout_share, window_days=item.window_days)
    try:
        with db.transaction() as txn:
            txn.save(marker, condition=ExperimentRunItem.experiment_id.does_not_exist(), label="target")
            txn.update(item, actions=[ExperimentItem.status.set("running"), ExperimentItem.started_at.set(at)],
                       condition=ExperimentItem.status == "draft", label="experiment")
    except db.Cancelled as exc:
        if exc.conditional("target"):
            raise Conflict("another experiment is running on this target", code="target_busy",
                           field="target_id") from exc
        if exc.conditional("experiment"):
            raise Conflict("only a draft experiment can start", code="invalid_state") from exc
        raise


def finish(item: ExperimentItem, status: str, at: str, promoted_arm: str | None = None,
           target_changes: dict[str, Any] | None = None) -> None:
    """Stop or promote: the experiment changes status, its target is released (if it still holds
    it) and, on promotion, the target (a recall rule or a segment's content path) takes the arm's
    terms, all in one transaction. `target_changes` are the target's new attribute values
    (`template`, `send_at` of a rule; `content_path` of a segment)."""
    actions = [ExperimentItem.status.set(status), ExperimentItem.stopped_at.set(item.stopped_at or at)]
    if promoted_arm:
        actions.append(ExperimentItem.promoted_arm.set(promoted_arm))
    allowed = ("running",) if status == "stopped" else ("running", "stopped")
    try:
        with db.transaction() as txn:
            txn.update(item, actions=actions, condition=ExperimentItem.status.is_in(*allowed), label="experiment")
            if item.status == "running":
                marker = ExperimentRunItem(item.pk, keys.experiment_run_sk(item.target_kind, item.target_id))
                txn.update(marker, actions=[ExperimentRunItem.experiment_id.remove(), ExperimentRunItem.arms.remove(),
                                            ExperimentRunItem.holdout_share.remove(),
                                            ExperimentRunItem.window_days.remove()],
                           condition=ExperimentRunItem.experiment_id == item.experiment_id, label="target")
            if target_changes and item.target_kind == "content_path":
                from chalicelib.store.models import SegmentItem

                segment = SegmentItem(item.pk, keys.segment_sk(item.target_id))
                txn.update(segment, actions=[SegmentItem.content_path.set(target_changes["content_path"])],
                           condition=SegmentItem.sk.exists(), label="rule")
            elif target_changes:
                rule = RecallRuleItem(item.pk, keys.recall_rule_sk(item.target_id))
                rule_actions = [getattr(RecallRuleItem, name).set(value) for name, value in target_changes.items()
                                if name in ("template", "send_at")]
                txn.update(rule, actions=rule_actions, condition=RecallRuleItem.sk.exists(), label="rule")
    except db.Cancelled as exc:
        if exc.conditional("experiment") or exc.conditional("target"):
            raise Conflict("the experiment's state changed meanwhile", code="invalid_state") from exc
        if exc.conditional("rule"):
            raise NotFound("the experiment's target is gone", code="target_not_found") from exc
        raise


# --- exposures and conversions ------------------------------------------------------------------

def put_exposure(exposure: ExposureItem) -> bool:
    """Write an exposure once per (experiment, patient); False when it was recorded before."""
    bind()
    try:
        exposure.save(condition=ExposureItem.sk.does_not_exist())
        return True
    except PutError as exc:
        if "ConditionalCheckFailed" in str(exc):
            return False
        raise


def exposure_item(clinic_id: str, patient_id: str, experiment_id: str, arm_id: str, **fields: Any) -> ExposureItem:
    return ExposureItem(keys.patient_pk(clinic_id, patient_id), keys.exposure_sk(experiment_id),
                        gsi1pk=keys.exposures_pk(clinic_id, experiment_id), gsi1sk=keys.exposure_sort(arm_id, patient_id),
                        experiment_id=experiment_id, arm_id=arm_id, patient_id=patient_id, **fields)


def open_exposures(clinic_id: str, patient_id: str) -> list[ExposureItem]:
    """The patient's exposures not yet converted (consistent: an exposure just written counts)."""
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.EXPOSURE, consistent=True)
    items = [ExposureItem.from_raw_data(item) for item in raw]
    return [item for item in items if not item.converted_on]


def exposures(clinic_id: str, experiment_id: str) -> list[ExposureItem]:
    """Every exposure of an experiment (gsi1, page by page)."""
    bind()
    return list(ExposureItem.by_gsi1.query(keys.exposures_pk(clinic_id, experiment_id), page_size=500))


def convert(exposure: ExposureItem, patient: PatientItem, visit_day: str, visit_id: str, at: str,
            earning: Earning | None = None) -> bool:
    """Mark an exposure converted by a visit and pay its arm's bonus (if any), in one transaction.

    The exposure's `converted_on` must be absent and the ledger entry id is fixed per experiment
    and patient, so a second visit or a retry neither converts nor credits twice.
    """
    points = int(exposure.incentive_points or 0)
    try:
        with db.transaction() as txn:
            txn.update(exposure, actions=[ExposureItem.converted_on.set(visit_day),
                                          ExposureItem.converted_visit.set(visit_id)],
                       condition=ExposureItem.converted_on.does_not_exist() & ExposureItem.sk.exists(),
                       label="exposure")
            if points > 0:
                txn.save(ledger_item(patient.pk, incentive_entry_id(exposure.experiment_id), points,
                                     "experiment_incentive", at, exposure.experiment_id),
                         condition=LedgerItem.sk.does_not_exist(), label="ledger")
                txn.update(PatientItem(patient.pk, keys.PROFILE_SK), actions=credit_actions(points),
                           condition=PatientItem.pk.exists(), label="patient")
                if earning is not None:
                    from chalicelib.store import earning as payouts

                    payouts.add(txn, patient, earning)
        return True
    except db.Cancelled as exc:
        if exc.conditional("exposure") or exc.conditional("ledger"):
            return False
        raise
