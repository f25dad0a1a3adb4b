"""The patient's in-app inbox as the patient reads it.

Messages are stored with the nickname left as a placeholder (domain.delivery.NICKNAME), so the
table holds no name; a read fills it in from the patient's own name, decrypted once per request
and only when a message on the page has the placeholder.
"""

from __future__ import annotations

from chalicelib.domain.delivery import needs_nickname, personalise
from chalicelib.store import inbox as store
from chalicelib.store.inbox import InboxMessage


class _Nickname:
    """The caller's nickname (张女士), read and decrypted on first use only."""

    def __init__(self, clinic_id: str, patient_id: str):
        self.clinic_id, self.patient_id = clinic_id, patient_id
        self._value: str | None = None

    def __call__(self) -> str:
        if self._value is None:
            from chalicelib.domain.rules import nickname
            from chalicelib.services.patient_fields import decrypted
            from chalicelib.store import patients

            patient = patients.get(self.clinic_id, self.patient_id)
            self._value = nickname(decrypted(patient)["name"], patient.sex)
        return self._value


def row(item: InboxMessage, name) -> dict:
    title, body = item.title, item.body
    if needs_nickname(title, body):
        title, body = personalise(title, name()), personalise(body, name())
    return {"message_id": item.message_id, "title": title, "body": body, "purpose": item.purpose,
            "created_at": item.created_at, "read_at": item.read_at, "kind": item.kind, "media": item.media,
            "link": item.link}


def view(clinic_id: str, patient_id: str) -> dict:
    """The caller's inbox, newest first, as they read it."""
    items = store.messages(clinic_id, patient_id)
    name = _Nickname(clinic_id, patient_id)
    return {"items": [row(m, name) for m in items], "unread": sum(1 for m in items if not m.read_at)}


def mark_read(clinic_id: str, patient_id: str, message_id: str, at: str) -> dict:
    item = store.mark_read(clinic_id, patient_id, message_id, at)
    return row(item, _Nickname(clinic_id, patient_id))
