"""Recall jobs in the sparse due index, the reminder log and the in-app inbox.

A job is pending while it carries due_pk/due_sk. The sweep leases a due job by moving its
due_sk to the end of a lease (conditional on the due_sk it read), then queues it; the sender
delivers it and removes it from the index in the same transaction as the inbox message. A job
whose sender died reappears when its lease ends, and the inbox message's deterministic key
keeps a second delivery from writing twice.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.store import db, keys
from chalicelib.store.schema import DUE_INDEX
from chalicelib.store.models import InboxItem, PatientItem, RecallJobItem, bind
from chalicelib.store.visits import stop_job_actions


def job_sk(rule_id: str, anchor_date: str) -> str:
    return f"RECALL#{rule_id}#{anchor_date}"


def due_sort(due_at: str, patient_id: str, rule_id: str) -> str:
    return f"{due_at}#{patient_id}#{rule_id}"


def plan(clinic_id: str, patient_id: str, rule_id: str, condition: str, anchor_date: str, due_at: str) -> bool:
    """Create a pending job once per (patient, rule, anchor). Returns False if it already existed."""
    bind()
    job = RecallJobItem(
        keys.patient_pk(clinic_id, patient_id), job_sk(rule_id, anchor_date),
        due_pk=keys.due_pk(clinic_id), due_sk=due_sort(due_at, patient_id, rule_id),
        patient_id=patient_id, rule_id=rule_id, condition=condition, anchor_date=anchor_date,
        due_at=due_at, status="pending",
    )
    try:
        job.save(condition=RecallJobItem.sk.does_not_exist())
        return True
    except PutError:
        return False


def open_jobs(clinic_id: str, patient_id: str) -> list[RecallJobItem]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), "RECALL#", consistent=True)
    jobs = [RecallJobItem.from_raw_data(item) for item in raw]
    return [job for job in jobs if job.due_pk]


def due_page(clinic_id: str, now_iso: str, start_key: dict | None, page_size: int) -> tuple[list[dict], dict | None]:
    """One page of keys of jobs due at or before now (the index projects keys only)."""
    params = {
        "IndexName": DUE_INDEX,
        "KeyConditionExpression": "due_pk = :pk AND due_sk <= :now",
        "ExpressionAttributeValues": {":pk": {"S": keys.due_pk(clinic_id)}, ":now": {"S": now_iso + "~"}},
        "Limit": page_size,
    }
    if start_key:
        params["ExclusiveStartKey"] = start_key
    page = db.query_raw(**params)
    return page.get("Items", []), page.get("LastEvaluatedKey")


def lease(raw_key: dict, lease_until: str) -> bool:
    """Move a due job's due time to the end of its lease, only if nobody moved it meanwhile."""
    pk, sk, current = raw_key["pk"]["S"], raw_key["sk"]["S"], raw_key["due_sk"]["S"]
    patient_id, rule_id = current.split("#")[1:3]
    job = RecallJobItem(pk, sk)
    try:
        job.update(
            actions=[RecallJobItem.due_sk.set(due_sort(lease_until, patient_id, rule_id)),
                     RecallJobItem.status.set("queued"), RecallJobItem.lease_until.set(lease_until)],
            condition=(RecallJobItem.due_sk == current),
        )
        return True
    except UpdateError:
        return False


def get_job(pk: str, sk: str) -> RecallJobItem | None:
    bind()
    try:
        return RecallJobItem.get(pk, sk, consistent_read=True)
    except DoesNotExist:
        return None


def close_job(job: RecallJobItem, status: str, at: str, clinic_id: str) -> None:
    """Finish a job without a message (no consent, already visited)."""
    try:
        job.update(actions=stop_job_actions(status, at, clinic_id, job.patient_id),
                   condition=RecallJobItem.due_pk.exists())
    except UpdateError:
        pass  # already closed by a twin delivery


def deliver_inbox(job: RecallJobItem, patient: PatientItem, message: InboxItem, at: str, clinic_id: str) -> bool:
    """Write the inbox message and close the job in one transaction. False if already delivered."""
    try:
        with db.transaction() as txn:
            txn.save(message, condition=InboxItem.sk.does_not_exist(), label="message")
            txn.update(job, actions=stop_job_actions("sent", at, clinic_id, job.patient_id, "inbox"),
                       condition=RecallJobItem.due_pk.exists(), label="job")
            txn.update(patient, actions=[PatientItem.reminders_received.add(1)], condition=PatientItem.pk.exists())
        return True
    except db.Cancelled as exc:
        if exc.conditional("message") or exc.conditional("job"):
            return False
        raise


def inbox(clinic_id: str, patient_id: str) -> list[InboxItem]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), "INBOX#", descending=True, limit=200)
    return [InboxItem.from_raw_data(item) for item in raw]


def mark_read(clinic_id: str, patient_id: str, message_id: str, at: str) -> InboxItem:
    bind()
    try:
        item = InboxItem.get(keys.patient_pk(clinic_id, patient_id), f"INBOX#{message_id}")
    except DoesNotExist:
        from chalicelib.errors import NotFound

        raise NotFound("message not found", code="message_not_found")
    if not item.read_at:
        item.update(actions=[InboxItem.read_at.set(at)])
    return item


def reminder_log(clinic_id: str, limit: int, cursor: str | None) -> tuple[list[RecallJobItem], str | None]:
    bind()
    scope = f"remlog:{clinic_id}"
    result = RecallJobItem.by_gsi1.query(keys.reminder_log_pk(clinic_id), scan_index_forward=False, limit=limit,
                                         page_size=limit, last_evaluated_key=db.decode_cursor(cursor, scope))
    items = list(result)
    return items, db.encode_cursor(result.last_evaluated_key if len(items) == limit else None, scope)


def stop_jobs(clinic_id: str, jobs: list[RecallJobItem], at: str) -> int:
    for job in jobs:
        close_job(job, "stopped", at, clinic_id)
    return len(jobs)
