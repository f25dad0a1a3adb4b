"""Visits, bookings, requested revisit dates and what a visit changes, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, TYPE_CHECKING

from pynamodb.expressions.update import Action

from chalicelib.errors import Conflict
from chalicelib.store import db, idempotency, keys
from chalicelib.store.models import (
    ConditionItem,
    LedgerItem,
    PatientItem,
    RecallJobItem,
    RevisitDueItem,
    VisitItem,
)
from chalicelib.store.ledger import credit_actions, ledger_item
from chalicelib.store.records import Patient, RecallJob, job_ref, patient_pk, profile_ref

if TYPE_CHECKING:  # types only
    from chalicelib.auth import Principal
    from chalicelib.store.earning import Earning


class Visit(NamedTuple):
    """A recorded visit (by staff or from a hospital export) and the revisit date it asked for."""

    clinic_id: str
    patient_id: str
    visit_id: str
    visit_date: str
    department: str
    next_due_date: str | None
    on_time: bool
    source: str
    recorded_by: str | None
    recorded_at: str


class RevisitDue(NamedTuple):
    """A requested revisit date: pending until a visit meets it (on time or late)."""

    clinic_id: str
    patient_id: str
    due_date: str
    status: str  # pending | on_time | late


def new_visit(clinic_id: str, patient_id: str, *, visit_id: str, visit_date: str, department: str,
              next_due_date: str | None, on_time: bool, source: str, recorded_by: str | None,
              recorded_at: str) -> Visit:
    """A visit as the visit service records it (written by write_visit)."""
    return Visit(clinic_id, patient_id, visit_id, visit_date, department, next_due_date, on_time, source,
                 recorded_by, recorded_at)


def visit_of(clinic_id: str, patient_id: str, item: VisitItem) -> Visit:
    """The record of a stored visit (store-internal: history reads visits with it)."""
    return Visit(clinic_id, patient_id, item.visit_id, item.visit_date, item.department, item.next_due_date,
                 bool(item.on_time), item.source, item.recorded_by, item.recorded_at)


def _visit_item(visit: Visit) -> VisitItem:
    return VisitItem(keys.patient_pk(visit.clinic_id, visit.patient_id), keys.visit_sk(visit.visit_date, visit.visit_id),
                     visit_id=visit.visit_id, visit_date=visit.visit_date, department=visit.department,
                     next_due_date=visit.next_due_date, on_time=visit.on_time, source=visit.source,
                     recorded_by=visit.recorded_by, recorded_at=visit.recorded_at)


@dataclass
class VisitWrite:
    """Everything a recorded visit changes; built by the visit service, written here at once."""

    patient: Patient
    visit: Visit
    new_last_visit: str | None
    new_revisit_due: str | None
    met_due: RevisitDue | None = None
    met_status: str | None = None
    on_time_points: int = 0
    stop_jobs: list[RecallJob] = field(default_factory=list)
    convert_jobs: list[RecallJob] = field(default_factory=list)  # sent messages this visit converts (KPIs)
    now_iso: str = ""
    earning: Earning | None = None  # the on-time points' counters and board entry, if any
    due_groups: dict[str, list[str]] | None = None  # what the KPI counters count the next revisit by


def existing_visits(clinic_id: str, visits: list[tuple[str, str, str]]) -> set[tuple[str, str]]:
    """Which of these (patient id, visit day, visit id) are recorded, as (patient id, visit id), read in batches."""
    wanted = {(keys.patient_pk(clinic_id, pid), keys.visit_sk(day, vid)): (pid, vid) for pid, day, vid in visits}
    return {wanted[key] for key in db.batch_get(wanted, attributes=("visit_id",))}


def pending_dues(clinic_id: str, patient_id: str) -> list[RevisitDue]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.REVISIT_DUE, consistent=True)
    items = [RevisitDueItem.from_raw_data(item) for item in raw]
    return [RevisitDue(clinic_id, patient_id, item.due_date, item.status) for item in items if item.status == "pending"]


def due_item(clinic_id: str, patient_id: str, due_date: str, groups: dict[str, list[str]] | None = None) -> RevisitDueItem:
    return RevisitDueItem(keys.patient_pk(clinic_id, patient_id), keys.revisit_due_sk(due_date),
                          gsi1pk=keys.due_dates_pk(clinic_id), gsi1sk=keys.due_date_sort(due_date, patient_id),
                          due_date=due_date, status="pending", groups=groups)


GROUP_ATTRIBUTES = ("patient_id", "department", "conditions", "segments", "created_at", "joined_challenges")


def profiles_for_groups(clinic_id: str, patient_pks: list[str]) -> dict[str, dict[str, Any]]:
    """The attributes a requested revisit's groups come from, of these patients (BatchGetItem)."""
    found = db.batch_get([(pk, keys.PROFILE_SK) for pk in patient_pks], attributes=GROUP_ATTRIBUTES)
    return {pk: db.plain_item(item) for (pk, _), item in found.items()}


def set_due_groups(pk: str, sk: str, groups: dict[str, list[str]]) -> None:
    """Give a requested revisit written before revisits carried groups its groups (if it still exists)."""
    with db.unless_condition_fails():
        RevisitDueItem(pk, sk).update(actions=[RevisitDueItem.groups.set(groups)],
                                      condition=RevisitDueItem.pk.exists() & RevisitDueItem.groups.does_not_exist())


def write_visit(change: VisitWrite, *, principal: Principal | None = None,
                idem: idempotency.IdempotencyKey | None = None,
                reply: dict[str, Any] | None = None) -> None:
    patient, visit = change.patient, change.visit
    clinic_id, patient_id = patient.clinic_id, patient.patient_id
    actions: list[Action] = [PatientItem.visit_count.add(1)]
    if change.new_last_visit:
        actions.append(PatientItem.last_visit_date.set(change.new_last_visit))
    if change.new_revisit_due:
        actions.append(PatientItem.revisit_due_date.set(change.new_revisit_due))
    try:
        with db.transaction() as txn:
            txn.save(_visit_item(visit), condition=VisitItem.sk.does_not_exist(), label="visit")
            if change.on_time_points:
                actions = credit_actions(change.on_time_points, actions)
                txn.save(ledger_item(patient_pk(patient), f"revisit:{visit.visit_id}", change.on_time_points,
                                     "revisit_on_time", change.now_iso, visit.visit_id),
                         condition=LedgerItem.sk.does_not_exist())
            txn.update(profile_ref(patient), actions=actions, condition=PatientItem.pk.exists())
            if change.new_last_visit:
                for condition in patient.conditions:
                    probe = ConditionItem(patient_pk(patient), keys.condition_sk(condition))
                    txn.update(probe, actions=[
                        ConditionItem.last_visit_date.set(change.new_last_visit),
                        ConditionItem.gsi1sk.set(keys.last_visit_sort(change.new_last_visit, patient_id)),
                    ])
            if change.met_due is not None and change.met_status is not None:  # set together
                met = RevisitDueItem(patient_pk(patient), keys.revisit_due_sk(change.met_due.due_date))
                txn.update(met, actions=[RevisitDueItem.status.set(change.met_status),
                                         RevisitDueItem.met_on.set(visit.visit_date)],
                           condition=RevisitDueItem.status == "pending", label="due")
            if visit.next_due_date:
                txn.save(due_item(clinic_id, patient_id, visit.next_due_date, change.due_groups))
            for job in change.stop_jobs:
                txn.update(job_ref(job), actions=stop_job_actions("stopped", change.now_iso, clinic_id, patient_id))
            for job in change.convert_jobs:
                txn.update(job_ref(job), actions=[RecallJobItem.converted_on.set(visit.visit_date)])
            if change.earning is not None:
                from chalicelib.store import earning as payouts

                payouts.add(txn, patient, change.earning)
            if idem is not None:
                idempotency.transact_put(txn, principal, idem, 201, reply)
    except db.Cancelled as exc:
        if exc.conditional("board") or any(label.startswith("limit:") for label in exc.failed):
            raise Conflict("the patient's points changed meanwhile, try again", code="try_again") from exc
        if exc.conditional("visit"):
            raise Conflict("this visit is already recorded", code="visit_exists") from exc
        if exc.conditional("due"):
            raise Conflict("the patient's revisit request changed meanwhile, try again", code="concurrent_change") from exc
        raise


def stop_job_actions(status: str, at: str, clinic_id: str, patient_id: str,
                     channel: str | None = None) -> list[Action]:
    """Take a recall job out of the due index and into the reminder log."""
    actions: list[Action] = [
        RecallJobItem.due_pk.remove(),
        RecallJobItem.due_sk.remove(),
        RecallJobItem.lease_until.remove(),
        RecallJobItem.status.set(status),
        RecallJobItem.processed_at.set(at),
        RecallJobItem.gsi1pk.set(keys.reminder_log_pk(clinic_id)),
        RecallJobItem.gsi1sk.set(keys.reminder_log_sort(at, patient_id)),
    ]
    if channel:
        actions.append(RecallJobItem.channel.set(channel))
    return actions
