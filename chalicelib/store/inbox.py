"""The patient's in-app inbox: messages in their own partition (`INBOX#<sortable message id>`).

A message's id comes from the outbound job it delivers (channels.inbox), so a job delivered
twice writes one message. Messages keep the nickname as a placeholder; the read fills it in.
"""

from __future__ import annotations

from typing import NamedTuple

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.errors import NotFound
from chalicelib.store import db, keys
from chalicelib.store.models import InboxItem, bind

PAGE = 200  # the newest messages a patient sees


class InboxMessage(NamedTuple):
    message_id: str
    title: str
    body: str
    purpose: str
    created_at: str
    read_at: str | None = None
    kind: str = "reminder"  # reminder (recall rules) or content (a content path's step)
    media: str | None = None  # a content step's: text, link (an article) or audio
    link: str | None = None  # the article's or the audio's address


def _message(item: InboxItem) -> InboxMessage:
    return InboxMessage(message_id=item.message_id, title=item.title, body=item.body, purpose=item.purpose,
                        created_at=item.created_at, read_at=item.read_at, kind=item.kind or "reminder",
                        media=item.media, link=item.link)


def stored_in(patient_pk: str, message: InboxMessage) -> InboxItem:
    """The stored form of a new message in the patient's partition, for the delivery's closing
    transaction (store.recall.finish)."""
    return InboxItem(patient_pk, keys.inbox_sk(message.message_id),
                     message_id=message.message_id, title=message.title, body=message.body, purpose=message.purpose,
                     created_at=message.created_at, kind=message.kind, media=message.media, link=message.link)


def messages(clinic_id: str, patient_id: str) -> list[InboxMessage]:
    """The patient's newest messages, newest first."""
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.INBOX_PREFIX, descending=True, limit=PAGE)
    return [_message(InboxItem.from_raw_data(item)) for item in raw]


def mark_read(clinic_id: str, patient_id: str, message_id: str, at: str) -> InboxMessage:
    """The message, marked read now unless it was read before."""
    bind()
    try:
        item = InboxItem.get(keys.patient_pk(clinic_id, patient_id), keys.inbox_sk(message_id))
    except DoesNotExist as exc:
        raise NotFound("message not found", code="message_not_found") from exc
    if not item.read_at:
        try:  # only while the message exists: never recreate one the patient's erasure removed
            item.update(actions=[InboxItem.read_at.set(at)], condition=InboxItem.sk.exists())
        except UpdateError as exc:
            if not db.condition_failed(exc):
                raise
            raise NotFound("message not found", code="message_not_found") from exc
    return _message(item)
