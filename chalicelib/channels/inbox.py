"""The in-app inbox channel: a message item in the patient's own partition.

The message key is derived from the job (kind, source, anchor, offset and planned time), so a
job delivered twice writes one message; the job leaves the due index in the same transaction.
"""

from __future__ import annotations

from chalicelib.domain.delivery import Message, Outcome
from chalicelib.store.models import InboxItem, RecallJobItem

NAME = name = "inbox"
external = False


def message_id(job: RecallJobItem) -> str:
    kind = job.kind or "recall"
    offset = int(job.offset_days) if job.offset_days is not None else 0
    return f"{job.due_at}-{kind}-{job.rule_id}-{job.anchor_date}-{offset}"


def reachable(target, message: Message) -> bool:
    return True  # every registered patient has the mini-program's inbox


def send(target, message: Message) -> Outcome:  # the sender writes the item in its closing transaction
    raise NotImplementedError("the inbox is written by store.recall.finish")


def item(patient_pk: str, job: RecallJobItem, message: Message, purpose: str, at: str) -> InboxItem:
    mid = message_id(job)
    return InboxItem(patient_pk, f"INBOX#{mid}", message_id=mid, title=message.title, body=message.body,
                     purpose=purpose, created_at=at)
