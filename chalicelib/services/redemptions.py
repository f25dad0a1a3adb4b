"""Redemptions after the debit: the patient's list with codes, and the desk finding one by its
code and handing the reward over once."""

from __future__ import annotations

import secrets

from chalicelib.domain import vouchers
from chalicelib.domain.clock import clock, iso
from chalicelib.errors import Conflict, NotFound
from chalicelib.observability import count, logger
from chalicelib.store import db
from chalicelib.store import redemptions as store

PENDING = "pending"


def new_code() -> str:
    """A code a clerk can type: the vouchers' alphabet and length (no look-alikes, 31^8 codes)."""
    return vouchers.new_code(secrets.randbelow)


def _status(stored: str) -> str:
    return store.FULFILLED if stored == store.FULFILLED else PENDING


def _row(r: store.Redemption) -> dict:
    return {"redemption_id": r.redemption_id, "reward_id": r.reward_id, "reward_name": r.reward_name, "cost": r.cost,
            "status": _status(r.status), "code": vouchers.display(r.code) if r.code else None,
            "redeemed_at": r.at, "fulfilled_at": r.fulfilled_at}


def mine(clinic_id: str, patient_id: str, limit: int, cursor: str | None) -> dict:
    """The patient's redemptions, newest first, by cursor. One made before codes existed gets its
    code here, once (a conditional write: two listings at once agree on one code)."""
    scope = f"redemptions:{clinic_id}:{patient_id}"
    after = db.decode_cursor(cursor, scope)
    items = store.of_patient(clinic_id, patient_id)
    if after is not None:
        mark = (str(after.get("at", "")), str(after.get("id", "")))
        items = [r for r in items if (r.at, r.redemption_id) < mark]
    page, more = items[:limit], len(items) > limit
    rows = []
    for r in page:
        if r.code is None:
            code = new_code()
            if store.give_code(clinic_id, patient_id, r.redemption_id, code):
                r = r._replace(code=code)
            else:  # given meanwhile by another listing: read again
                r = next((x for x in store.of_patient(clinic_id, patient_id) if x.redemption_id == r.redemption_id), r)
        rows.append(_row(r))
    last = page[-1] if more else None
    return {"items": rows,
            "next_cursor": db.encode_cursor({"at": last.at, "id": last.redemption_id} if last else None, scope)}


def _code(text: str) -> str:
    try:  # the routing decorator has decoded a percent-encoded path value
        return vouchers.normalise(text or "")
    except ValueError as exc:
        raise _not_found() from exc


def _not_found() -> NotFound:
    return NotFound("no redemption with this code", code="invalid_redemption_code", field="code")


def _desk(r: store.Redemption, patient_id: str, name_masked: str | None) -> dict:
    return {**_row(r), "code": vouchers.display(r.code or ""), "fulfilled_by": r.fulfilled_by,
            "patient_id": patient_id, "patient_name_masked": name_masked}


def lookup(clinic_id: str, code_text: str) -> dict:
    """Who redeemed what, by the code the patient shows (masked name only)."""
    entry = store.find_code(clinic_id, _code(code_text))
    if entry is None:
        raise _not_found()
    redemption, patient = store.with_patient(clinic_id, entry)
    if redemption is None or patient is None:
        raise _not_found()
    return _desk(redemption, entry.patient_id, patient.name_masked)


def fulfil(principal, code_text: str) -> dict:
    """Hand the reward over once; a second time answers 409 `redemption_fulfilled`."""
    clinic_id = principal.clinic_id
    entry = store.find_code(clinic_id, _code(code_text))
    if entry is None:
        raise _not_found()
    done = store.fulfil(clinic_id, entry, at=iso(clock.now()), by=principal.username or principal.subject)
    redemption, patient = store.with_patient(clinic_id, entry)
    if redemption is None or patient is None:
        raise _not_found()
    if done is None:
        raise Conflict(f"this reward was handed over at {redemption.fulfilled_at}", code="redemption_fulfilled",
                       field="code")
    count("RedemptionsFulfilled")
    logger.info("redemption fulfilled", extra={"patient_id": entry.patient_id, "redemption_id": entry.redemption_id})
    return _desk(redemption, entry.patient_id, patient.name_masked)
