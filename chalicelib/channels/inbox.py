"""The in-app inbox channel: a message item in the patient's own partition.

The message key is derived from the recall job (rule, anchor), so a job delivered twice
writes one message; the job leaves the due index in the same transaction.
"""

from __future__ import annotations

from chalicelib.store import recall
from chalicelib.store.models import InboxItem, PatientItem, RecallJobItem

NAME = "inbox"


def message_id(job: RecallJobItem) -> str:
    return f"{job.due_at}-{job.rule_id}-{job.anchor_date}"


def deliver(clinic_id: str, job: RecallJobItem, patient: PatientItem, *, title: str, body: str, purpose: str,
            at: str) -> bool:
    mid = message_id(job)
    message = InboxItem(patient.pk, f"INBOX#{mid}", message_id=mid, title=title, body=body, purpose=purpose,
                        created_at=at)
    return recall.deliver_inbox(job, patient, message, at, clinic_id)
