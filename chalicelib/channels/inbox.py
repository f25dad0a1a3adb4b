"""The in-app inbox channel: a message item in the patient's own partition.

The message key is derived from the job (kind, source, anchor, offset and planned time), so a
job delivered twice writes one message; the job leaves the due index in the same transaction.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.delivery import Message, Outcome
from chalicelib.store import inbox as store

NAME = name = "inbox"
external = False


def message_id(job: Any) -> str:
    """The message's id from the outbound job (store.recall) it delivers."""
    kind = job.kind or "recall"
    offset = int(job.offset_days) if job.offset_days is not None else 0
    return f"{job.due_at}-{kind}-{job.rule_id}-{job.anchor_date}-{offset}"


def reachable(target, message: Message) -> bool:
    return True  # every registered patient has the mini-program's inbox


def send(target, message: Message) -> Outcome:  # the sender writes the item in its closing transaction
    raise NotImplementedError("the inbox is written by store.recall.finish")


def inbox_message(job: Any, message: Message, purpose: str, at: str) -> store.InboxMessage:
    """The inbox message that delivers `message` for this job: a content path's step (its media,
    and for an article or audio step its address) or a reminder."""
    content = message.media is not None
    return store.InboxMessage(message_id=message_id(job), title=message.title, body=message.body, purpose=purpose,
                              created_at=at, kind="content" if content else "reminder",
                              media=message.media if content else None,
                              link=message.link if message.media in ("link", "audio") or _books(message) else None)


def _books(message: Message) -> bool:
    """A recall that offers a slot keeps the booking page it opens (services.capacity)."""
    return message.media is None and message.link.startswith("packages/booking/")

