"""Outbound jobs (recall reminders and other kinds) in the sparse due index, their delivery
writes, the reminder log and the in-app inbox.

A job is pending while it carries due_pk/due_sk. The sweep leases a due job by moving its
due_sk to the end of a lease (conditional on the due_sk it read), then queues it; the sender
delivers it and removes it from the index in the same transaction that records the delivery
(the inbox message, the weekly and daily cap counters, the patient's counter). A job whose sender died
reappears when its lease ends; the inbox message's deterministic key and the job's own
conditions keep a second delivery from writing twice. See docs/delivery.md.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.store import db, keys
from chalicelib.store.inbox import InboxMessage, stored_in
from chalicelib.store.models import (
    CapCounterItem,
    InboxItem,
    PatientItem,
    RecallJobItem,
    WechatQuotaItem,
    bind,
)
from chalicelib.store.records import Patient, RecallJob, job_of, patient_pk, profile_ref
from chalicelib.store.records import job_item as _job_item
from chalicelib.store.records import job_ref as _job_ref
from chalicelib.store.schema import DUE_INDEX
from chalicelib.store.visits import stop_job_actions

__all__ = ["RecallJob"]  # the record (chalicelib/store/records.py), as services see it
job_sk = keys.outbound_job_sk


class DueJob(NamedTuple):
    """A due outbound job as the sweep finds it in the due index and the queue carries it."""

    clinic_id: str
    patient_id: str
    job_id: str
    due_sort: str  # its place in the due index when read: the lease is conditional on it

    def message(self) -> dict[str, str]:
        """The queue message naming the job (the sender reads the job again by it)."""
        return {"clinic_id": self.clinic_id, "pk": keys.patient_pk(self.clinic_id, self.patient_id),
                "sk": self.job_id}


def job_item(clinic_id: str, patient_id: str, *, kind: str, source_id: str, anchor_date: str, offset_days: int,
             due_at: str, purpose: str, anchor: str | None = None, condition: str | None = None,
             context: dict[str, Any] | None = None, stop_on: list[str] | None = None) -> RecallJobItem:
    """A pending job's item as the planner writes it (the benchmark seeds the same shape)."""
    return RecallJobItem(
        keys.patient_pk(clinic_id, patient_id), job_sk(kind, source_id, anchor_date, offset_days),
        due_pk=keys.due_pk(clinic_id), due_sk=keys.outbound_due_sort(due_at, patient_id, f"{kind}:{source_id}"),
        patient_id=patient_id, rule_id=source_id, condition=condition, anchor_date=anchor_date, due_at=due_at,
        status="pending", kind=kind, purpose=purpose, anchor=anchor, offset_days=int(offset_days),
        context=context or None, stop_on=list(stop_on) if stop_on is not None else None,
    )


def new_job(clinic_id: str, patient_id: str, *, kind: str, source_id: str, anchor_date: str, offset_days: int,
            due_at: str, purpose: str, anchor: str | None = None, condition: str | None = None,
            context: dict[str, Any] | None = None, stop_on: list[str] | None = None) -> RecallJob:
    """A pending job, in the due index at `due_at`, before `plan` writes it."""
    return job_of(clinic_id, job_item(clinic_id, patient_id, kind=kind, source_id=source_id, anchor_date=anchor_date,
                                      offset_days=offset_days, due_at=due_at, purpose=purpose, anchor=anchor,
                                      condition=condition, context=context, stop_on=stop_on))


def plan(job: RecallJob) -> bool:
    """Create a pending job once (its key is deterministic). Returns False if it already existed."""
    bind()
    try:
        _job_item(job).save(condition=RecallJobItem.sk.does_not_exist())
        return True
    except PutError:
        return False


def jobs_of(clinic_id: str, patient_id: str) -> list[RecallJob]:
    """Every outbound job of the patient, open or processed (one consistent Query)."""
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.OUTBOUND_JOB, consistent=True)
    return [job_of(clinic_id, RecallJobItem.from_raw_data(item)) for item in raw]


def open_jobs(clinic_id: str, patient_id: str) -> list[RecallJob]:
    return [job for job in jobs_of(clinic_id, patient_id) if is_open(job)]


def last_sent_at(clinic_id: str, patient_id: str) -> str | None:
    """When the latest message was sent to the patient (a job processed as `sent`), if any."""
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.OUTBOUND_JOB)
    sent = [item["processed_at"]["S"] for item in raw
            if item.get("status", {}).get("S") == "sent" and "processed_at" in item]
    return max(sent) if sent else None


def due_jobs(clinic_id: str, now_iso: str, start_key: dict[str, Any] | None,
             page_size: int) -> tuple[list[DueJob], dict[str, Any] | None]:
    """One page of the jobs due at or before now (the index projects keys only); the second
    value is where the next page starts (None after the last)."""
    params = {
        "IndexName": DUE_INDEX,
        "KeyConditionExpression": "due_pk = :pk AND due_sk <= :now",
        "ExpressionAttributeValues": {":pk": {"S": keys.due_pk(clinic_id)}, ":now": {"S": now_iso + "~"}},
        "Limit": page_size,
    }
    if start_key:
        params["ExclusiveStartKey"] = start_key
    page = db.query_raw(**params)
    jobs = [DueJob(clinic_id, keys.patient_of(raw["pk"]["S"]), raw["sk"]["S"], raw["due_sk"]["S"])
            for raw in page.get("Items", [])]
    return jobs, page.get("LastEvaluatedKey")


def lease(due: DueJob, lease_until: str) -> bool:
    """Move a due job's due time to the end of its lease, only if nobody moved it meanwhile."""
    current = due.due_sort
    job = RecallJobItem(keys.patient_pk(due.clinic_id, due.patient_id), due.job_id)
    try:
        job.update(
            actions=[RecallJobItem.due_sk.set(keys.moved_due_sort(current, lease_until)),
                     RecallJobItem.status.set("queued"), RecallJobItem.lease_until.set(lease_until)],
            condition=(RecallJobItem.due_sk == current),
        )
        return True
    except UpdateError:
        return False


def is_open(job: RecallJob) -> bool:
    """Whether the job still waits to be delivered (it is in the due index)."""
    return bool(job.due_sort)


def job_ref(job: RecallJob) -> str:
    """The job's name within the patient's record (an exposure keeps it as the message it stands for)."""
    return job.job_id


def queued_job(message: dict[str, Any]) -> RecallJob | None:
    """The job a queue message (DueJob.message) names, read consistently; None when it is gone."""
    item = get_job(message["pk"], message["sk"])
    return job_of(message["clinic_id"], item) if item is not None else None


def get_job(pk: str, sk: str) -> RecallJobItem | None:
    """A job's stored item by its keys (for the tools and tests that inspect jobs)."""
    bind()
    try:
        return RecallJobItem.get(pk, sk, consistent_read=True)
    except DoesNotExist:
        return None


def _extras(deliveries: list[dict[str, Any]] | None = None, error_code: str | None = None,
            stop_reason: str | None = None) -> list[Action]:
    actions: list[Action] = []
    if deliveries is not None:
        actions.append(RecallJobItem.deliveries.set(deliveries))
    if error_code:
        actions.append(RecallJobItem.error_code.set(error_code))
    if stop_reason:
        actions.append(RecallJobItem.stop_reason.set(stop_reason))
    return actions


def close_job(job: RecallJob, status: str, at: str, clinic_id: str, *, stop_reason: str | None = None,
              error_code: str | None = None, deliveries: list[dict[str, Any]] | None = None) -> bool:
    """Finish a job without a message (no consent, already visited, capped). False if already closed."""
    try:
        _job_ref(job).update(actions=stop_job_actions(status, at, clinic_id, job.patient_id)
                   + [RecallJobItem.inflight.remove()] + _extras(deliveries, error_code, stop_reason),
                   condition=RecallJobItem.due_pk.exists())
        return True
    except UpdateError:
        return False  # already closed by a twin delivery


def defer(job: RecallJob, until: str, at: str, reason: str) -> bool:
    """Move an open job's due time on (quiet hours, a full cap): it stays in the due index."""
    if job.due_sort is None:
        return False
    try:
        _job_ref(job).update(actions=[RecallJobItem.due_sk.set(keys.moved_due_sort(job.due_sort, until)),
                            RecallJobItem.status.set("deferred"), RecallJobItem.deferred_until.set(until),
                            RecallJobItem.stop_reason.set(reason), RecallJobItem.lease_until.remove()],
                   condition=RecallJobItem.due_pk.exists())
        return True
    except UpdateError:
        return False


class Cap(NamedTuple):
    """One frequency cap counter a message takes: at most `limit` per period."""

    sk: str
    limit: int
    expires_at: int
    label: str  # which cap refused, when one does: WEEK_CAP or DAY_CAP


WEEK_CAP, DAY_CAP = "cap", "day_cap"


class Caps(NamedTuple):
    """The counters a message takes in the transaction that sends it: its purpose's weekly cap
    (`CAP#<purpose>#<ISO week>`) and the daily cap over every purpose (`CAP#day#<date>`)."""

    pk: str
    week: str  # recorded on the job as `counted_week`: it took its place in the counts
    counters: tuple[Cap, ...]


def caps_for(clinic_id: str, patient_id: str, *, purpose: str, week: str, week_limit: int, week_expires: int,
             day: str, day_limit: int, day_expires: int) -> Caps:
    return Caps(keys.patient_pk(clinic_id, patient_id), week, (
        Cap(keys.week_cap_sk(purpose, week), week_limit, week_expires, WEEK_CAP),
        Cap(keys.day_cap_sk(day), day_limit, day_expires, DAY_CAP)))


def _take_caps(txn: db.Transaction, caps: Caps) -> None:
    for cap in caps.counters:
        counter = CapCounterItem(caps.pk, cap.sk)
        txn.update(counter, actions=[CapCounterItem.count.add(1), CapCounterItem.expires_at.set(cap.expires_at)],
                   condition=CapCounterItem.count.does_not_exist() | (CapCounterItem.count < cap.limit),
                   label=cap.label)


def _refused_by(exc: db.Cancelled) -> str | None:
    """"capped" (a weekly cap: wait for next week) before "day_capped" (the daily cap: tomorrow)."""
    if exc.conditional(WEEK_CAP):
        return "capped"
    if exc.conditional(DAY_CAP):
        return "day_capped"
    return None


def _job_guard(job: RecallJob, caps: Caps | None) -> Condition:
    condition = RecallJobItem.due_pk.exists()
    if caps is not None:
        condition &= RecallJobItem.counted_week.does_not_exist()
    return condition


def quota_key(clinic_id: str, patient_id: str, template_id: str) -> tuple[str, str]:
    return keys.patient_pk(clinic_id, patient_id), keys.wechat_quota_sk(template_id)


def begin_external(job: RecallJob, channel: str, caps: Caps | None, quota: tuple[str, str] | None) -> str:
    """Before calling WeChat or SMS: take the caps (if not yet taken), spend a WeChat quota
    (count > 0) and mark the job in flight, in one transaction.

    Returns "ok", "capped" (weekly), "day_capped", "no_quota" or "gone" (closed or taken by a twin).
    """
    actions = [RecallJobItem.inflight.set(channel)]
    if caps is not None:
        actions.append(RecallJobItem.counted_week.set(caps.week))
    try:
        with db.transaction() as txn:
            txn.update(_job_ref(job), actions=actions,
                       condition=_job_guard(job, caps) & RecallJobItem.inflight.does_not_exist(),
                       label="job")
            if caps is not None:
                _take_caps(txn, caps)
            if quota is not None:
                txn.update(WechatQuotaItem(*quota), actions=[WechatQuotaItem.count.add(-1)],
                           condition=WechatQuotaItem.count > 0, label="quota")
    except db.Cancelled as exc:
        if exc.conditional("job"):
            return "gone"
        refused = _refused_by(exc)
        if refused:
            return refused
        if exc.conditional("quota"):
            return "no_quota"
        raise
    job.inflight = channel
    if caps is not None:
        job.counted_week = caps.week
    return "ok"


def end_external(job: RecallJob, deliveries: list[dict[str, Any]], refused_quota: tuple[str, str] | None,
                 at: str) -> None:
    """An external channel failed or refused: record it and clear the in-flight mark (and, when
    WeChat said the user refused, the quota, so it is not tried again)."""
    with db.transaction() as txn:
        txn.update(_job_ref(job), actions=[RecallJobItem.inflight.remove(), RecallJobItem.deliveries.set(deliveries)],
                   condition=RecallJobItem.due_pk.exists(), label="job")
        if refused_quota is not None:
            txn.update(WechatQuotaItem(*refused_quota), actions=[WechatQuotaItem.count.set(0),
                                                                 WechatQuotaItem.refused_at.set(at)])
    job.inflight = None
    job.deliveries = deliveries


def _visit_on_send_day(patient: Patient, at: str, clinic_id: str) -> str | None:
    """The patient's visit earlier the day of the send, which converts the message at once."""
    if not patient.last_visit_date:
        return None
    from chalicelib.domain.kpis import conversion_day, sent_day
    from chalicelib.store import clinics

    return conversion_day(sent_day(at, clinics.get(clinic_id).tz), [patient.last_visit_date])


def finish(job: RecallJob, patient: Patient, *, channel: str, deliveries: list[dict[str, Any]], at: str,
           clinic_id: str,
           message: InboxMessage | None = None, caps: Caps | None = None, error_code: str | None = None,
           inbox_of: Patient | None = None) -> str:
    """Record a delivered message and close the job in one transaction: the inbox message (for the
    inbox channel), the cap counters (if not taken before), the patient's counter.

    Returns "ok", "capped" (weekly), "day_capped" or "gone" (a twin delivery finished it first).
    """
    actions = stop_job_actions("sent", at, clinic_id, job.patient_id, channel) + [RecallJobItem.inflight.remove()]
    actions += _extras(deliveries, error_code)
    if caps is not None:
        actions.append(RecallJobItem.counted_week.set(caps.week))
    visited = _visit_on_send_day(patient, at, clinic_id)
    if visited:  # the patient came in earlier the same day: the message counts as converted (domain.kpis)
        actions.append(RecallJobItem.converted_on.set(visited))
    try:
        with db.transaction() as txn:
            if message is not None:
                # `inbox_of`: a carer who receives the patient's messages (docs/households.md)
                txn.save(stored_in(patient_pk(inbox_of or patient), message), condition=InboxItem.sk.does_not_exist(),
                         label="message")
            txn.update(_job_ref(job), actions=actions, condition=_job_guard(job, caps), label="job")
            if caps is not None:
                _take_caps(txn, caps)
            txn.update(profile_ref(patient), actions=[PatientItem.reminders_received.add(1)], condition=PatientItem.pk.exists())
        return "ok"
    except db.Cancelled as exc:
        if exc.conditional("message") or exc.conditional("job"):
            return "gone"
        refused = _refused_by(exc)
        if refused:
            return refused
        raise


def reminder_log(clinic_id: str, limit: int, cursor: str | None) -> tuple[list[RecallJob], str | None]:
    bind()
    scope = f"remlog:{clinic_id}"
    result = RecallJobItem.by_gsi1.query(keys.reminder_log_pk(clinic_id), scan_index_forward=False, limit=limit,
                                         page_size=limit, last_evaluated_key=db.decode_cursor(cursor, scope))
    items = [job_of(clinic_id, item) for item in result]
    return items, db.encode_cursor(result.last_evaluated_key if len(items) == limit else None, scope)


def stop_jobs(clinic_id: str, jobs: list[RecallJob], at: str, reason: str | None = None) -> int:
    return sum(1 for job in jobs if close_job(job, "stopped", at, clinic_id, stop_reason=reason))


# -- capacity-aware recall (docs/delivery.md "Capacity") -------------------------------------------

class DueFacts(NamedTuple):
    """What the sweep ranks a due job by: its kind and source, its planned time, and its patient's
    department, risk score and reminder history (from the profile)."""

    due: DueJob
    kind: str
    rule_id: str
    anchor: str | None
    due_at: str
    department: str | None
    risk_score: float | None
    received: int
    answered: int


def due_facts(dues: list[DueJob]) -> list[DueFacts]:
    """The facts of these due jobs: two BatchGetItems (the jobs, their patients' profiles), 100 keys each."""
    if not dues:
        return []
    clinic_id = dues[0].clinic_id
    jobs = db.batch_get(((keys.patient_pk(d.clinic_id, d.patient_id), d.job_id) for d in dues),
                        attributes=("kind", "rule_id", "anchor", "due_at"))
    profiles = db.batch_get(((keys.patient_pk(clinic_id, d.patient_id), keys.PROFILE_SK) for d in dues),
                            attributes=("department", "risk_score", "reminders_received", "reminders_answered"))
    out = []
    for d in dues:
        job = jobs.get((keys.patient_pk(d.clinic_id, d.patient_id), d.job_id))
        if job is None:
            continue
        profile = profiles.get((keys.patient_pk(clinic_id, d.patient_id), keys.PROFILE_SK), {})

        def number(name: str) -> float | None:
            raw = profile.get(name, {}).get("N")
            return float(raw) if raw is not None else None

        out.append(DueFacts(d, job.get("kind", {}).get("S", "recall"), job.get("rule_id", {}).get("S", ""),
                            job.get("anchor", {}).get("S"), job.get("due_at", {}).get("S", ""), profile.get("department", {}).get("S"),
                            number("risk_score"), int(number("reminders_received") or 0),
                            int(number("reminders_answered") or 0)))
    return out


def defer_due(due: DueJob, until: str, at: str, reason: str) -> bool:
    """The sweep holds a due job back (no free place for its recall offer): it moves to `until`, only if
    nobody moved it meanwhile; the first such deferral is kept (`capacity_since`), the latest's end too."""
    job = RecallJobItem(keys.patient_pk(due.clinic_id, due.patient_id), due.job_id)
    try:
        job.update(actions=[RecallJobItem.due_sk.set(keys.moved_due_sort(due.due_sort, until)),
                            RecallJobItem.status.set("deferred"), RecallJobItem.deferred_until.set(until),
                            RecallJobItem.stop_reason.set(reason),
                            RecallJobItem.capacity_since.set(RecallJobItem.capacity_since | at),
                            RecallJobItem.capacity_retry_at.set(until), *_waiting_in_log(due.clinic_id,
                                                                                          due.patient_id, at)],
                   condition=(RecallJobItem.due_sk == due.due_sort))
        return True
    except UpdateError:
        return False


def defer_for_capacity(job: RecallJob, until: str, at: str, reason: str) -> bool:
    """The sender found the department's offers at their budget: as `defer`, keeping the capacity marks."""
    if job.due_sort is None:
        return False
    try:
        _job_ref(job).update(actions=[RecallJobItem.due_sk.set(keys.moved_due_sort(job.due_sort, until)),
                                      RecallJobItem.status.set("deferred"), RecallJobItem.deferred_until.set(until),
                                      RecallJobItem.stop_reason.set(reason), RecallJobItem.lease_until.remove(),
                                      RecallJobItem.capacity_since.set(RecallJobItem.capacity_since | at),
                                      RecallJobItem.capacity_retry_at.set(until),
                                      *_waiting_in_log(job.clinic_id, job.patient_id, at)],
                             condition=RecallJobItem.due_pk.exists())
        return True
    except UpdateError:
        return False


def _waiting_in_log(clinic_id: str, patient_id: str, at: str) -> list[Action]:
    """A recall waiting for capacity shows in the reminder log (deferred, no_capacity) from its first
    deferral; when it is finally handled, closing it moves its entry to that moment."""
    return [RecallJobItem.gsi1pk.set(keys.reminder_log_pk(clinic_id)),
            RecallJobItem.gsi1sk.set(RecallJobItem.gsi1sk | keys.reminder_log_sort(at, patient_id))]
