"""The front desk: finding a patient by phone, hospital number or full name (keyed-hash lookups, the
values themselves never stored or logged in clear), sending a voucher or redemption code to its
desk, a patient's hospital number, and linking a WeChat account to a desk-registered patient by a
one-time bind code (扫码绑定)."""

from __future__ import annotations

import secrets

from chalicelib import crypto
from chalicelib.domain import desk, vouchers
from chalicelib.domain.clock import clock, iso
from chalicelib.domain.privacy import mask_phone
from chalicelib.errors import AppError, BadRequest, Conflict, Forbidden, NotFound
from chalicelib.observability import count, logger
from chalicelib.services.patient_fields import clinic_key, decrypted
from chalicelib.store import lookups, patients
from chalicelib.store import plan as plans
from chalicelib.store.patients import Patient

# A name shared by more patients than this answers the first ones and says there are more.
SEARCH_LIMIT = 20


def name_hash(clinic_id: str, name: str) -> str:
    return crypto.keyed_hash("name", clinic_id, desk.normalise_name(name))


def hospital_no_fields(clinic_id: str, text: str | None) -> tuple[str | None, str | None]:
    """(encrypted number, keyed hash) of a hospital number as typed; (None, None) for none."""
    if text is None or not text.strip():
        return None, None
    try:
        number = desk.normalise_hospital_no(text)
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_hospital_no", field="hospital_no") from exc
    return (crypto.encrypt(clinic_key(clinic_id), clinic_id, number),
            crypto.keyed_hash("hospital_no", clinic_id, number))


def hospital_no(patient: Patient) -> str | None:
    """The patient's hospital number in clear, for staff."""
    if not patient.hospital_no_enc:
        return None
    return crypto.decrypt(clinic_key(patient.clinic_id), patient.clinic_id, patient.hospital_no_enc)


def _row(patient: Patient, matched_by: str) -> dict:
    clear = decrypted(patient)
    return {
        "patient_id": patient.patient_id,
        "name_masked": patient.name_masked,
        "phone_masked": mask_phone(clear["phone"]),
        "hospital_no_masked": desk.mask_hospital_no(hospital_no(patient)),
        "birth_year": int(patient.birth_year) if patient.birth_year is not None else None,
        "sex": patient.sex,
        "conditions": list(patient.conditions or []),
        "last_visit_date": patient.last_visit_date,
        "wechat_linked": bool(patient.openid_hash),
        "matched_by": matched_by,
    }


def _code_hit(clinic_id: str, code: str) -> dict | None:
    """A voucher's or a redemption's code of this clinic: where the desk handles it."""
    from chalicelib.store import challenges, redemptions

    if challenges.find_code(clinic_id, code) is not None:
        return {"kind": "voucher", "code": vouchers.display(code), "items": [], "more": False}
    if redemptions.find_code(clinic_id, code) is not None:
        return {"kind": "redemption", "code": vouchers.display(code), "items": [], "more": False}
    return None


def search(clinic_id: str, text: str) -> dict:
    """What the search box's text finds: an 11-digit mobile finds its patient; otherwise a voucher
    or redemption code sends the clerk to its desk, else the patients with that hospital number or
    that full name (exact, normalised), as masked rows."""
    query = desk.read_query(text)
    found: list[tuple[str, str]] = []  # (patient id, matched by)
    more = False
    if query.kind == "phone" and query.phone:
        pid = patients.by_phone(clinic_id, crypto.keyed_hash("phone", clinic_id, query.phone))
        if pid:
            found.append((pid, "phone"))
        elif query.hospital_no:
            pid = lookups.by_hospital_no(clinic_id, crypto.keyed_hash("hospital_no", clinic_id, query.hospital_no))
            if pid:
                found.append((pid, "hospital_no"))
    else:
        if query.code:
            hit = _code_hit(clinic_id, query.code)
            if hit is not None:
                count("DeskSearches")
                return hit
        if query.hospital_no:
            pid = lookups.by_hospital_no(clinic_id, crypto.keyed_hash("hospital_no", clinic_id, query.hospital_no))
            if pid:
                found.append((pid, "hospital_no"))
        if query.name:
            ids = lookups.by_name(clinic_id, crypto.keyed_hash("name", clinic_id, query.name), SEARCH_LIMIT + 1)
            more = len(ids) > SEARCH_LIMIT
            found += [(pid, "name") for pid in ids[:SEARCH_LIMIT]]
    matched: dict[str, str] = {}
    for pid, how in found:
        matched.setdefault(pid, how)
    rows = [_row(p, matched[p.patient_id]) for p in lookups.profiles(clinic_id, list(matched))]
    count("DeskSearches")
    logger.info("desk search", extra={"kind": query.kind, "found": len(rows)})  # never the text itself
    return {"kind": "patients", "code": None, "items": rows, "more": more}


def set_hospital_no(clinic_id: str, patient_id: str, text: str | None) -> Patient:
    patient = patients.get(clinic_id, patient_id, consistent=True)
    enc, digest = hospital_no_fields(clinic_id, text)
    if digest == patient.hospital_no_hash:
        return patient
    updated = lookups.set_hospital_no(patient, enc, digest)
    logger.info("hospital number changed", extra={"patient_id": patient_id, "set": digest is not None})
    return updated


# -- 扫码绑定 ---------------------------------------------------------------------------------------

def new_bind_code(clinic_id: str, patient_id: str, created_by: str | None) -> dict:
    """A one-time code for the patient's QR code: random, stored only as its keyed hash, valid
    ten minutes, for a patient whose record has no WeChat account yet."""
    patient = patients.get(clinic_id, patient_id, consistent=True)
    if patient.openid_hash:
        raise lookups.ALREADY_LINKED
    code = f"{clinic_id}.{secrets.token_urlsafe(18)}"
    now = clock.now()
    expires = int(now.timestamp()) + desk.BIND_TTL_SECONDS
    lookups.put_bind_code(clinic_id, crypto.keyed_hash("bind", clinic_id, code), patient_id, expires_at=expires,
                          created_at=iso(now), created_by=created_by)
    count("BindCodesMade")
    logger.info("bind code made", extra={"patient_id": patient_id})
    from datetime import datetime, timezone

    return {"code": code, "path": desk.bind_path(code),
            "expires_at": iso(datetime.fromtimestamp(expires, tz=timezone.utc))}


def _code_refusal(entry: lookups.BindCode | None, now_epoch: int) -> AppError:
    if entry is None:
        return NotFound("this bind code is not known; ask the desk for a new one", code="bind_code_unknown",
                        field="code")
    if entry.used_at:
        return Conflict("this bind code was already used; ask the desk for a new one", code="bind_code_used",
                        field="code")
    if entry.expires_at <= now_epoch:
        return AppError("this bind code has expired; ask the desk for a new one", code="bind_code_expired",
                        field="code", status=410)
    return Conflict("this bind code changed meanwhile, try again", code="try_again")


def bind(principal, code: str) -> str:
    """Link the calling visitor's WeChat account to the patient the code was made for; the id of
    that patient. The code works once, within its ten minutes, at its own clinic."""
    try:
        code_clinic, _ = desk.split_bind_code(code)
    except ValueError as exc:
        raise NotFound("this bind code is not known; ask the desk for a new one", code="bind_code_unknown",
                       field="code") from exc
    clinic_id = principal.clinic_id
    if code_clinic != clinic_id:
        raise Forbidden("this bind code belongs to another clinic", code="bind_code_other_clinic", field="code")
    digest = crypto.keyed_hash("bind", clinic_id, code)
    now = clock.now()
    now_epoch = int(now.timestamp())
    entry = lookups.get_bind_code(clinic_id, digest)
    if entry is None or entry.used_at or entry.expires_at <= now_epoch:
        raise _code_refusal(entry, now_epoch)
    if patients.by_openid(clinic_id, principal.openid_hash):
        raise Conflict("this WeChat account already has a record", code="already_registered")
    try:
        patients.get(clinic_id, entry.patient_id)
    except NotFound as exc:  # the record was erased after the code was made: the code leads nowhere
        raise _code_refusal(None, now_epoch) from exc
    try:
        lookups.link(clinic_id, digest, entry.patient_id, principal.openid_hash, now_epoch=now_epoch, at=iso(now))
    except plans.Cancelled as exc:
        if exc.conditional(lookups.CODE_LIVE):
            raise _code_refusal(lookups.get_bind_code(clinic_id, digest), now_epoch) from exc
        raise
    count("PatientsBound")
    logger.info("wechat account bound", extra={"patient_id": entry.patient_id})
    return entry.patient_id


# -- the backfill of name lookups ------------------------------------------------------------------

def backfill_page(clinic_id: str, cursor: str | None, limit: int = 100) -> tuple[int, str | None]:
    """One page of the clinic's patients (newest first): those made before name lookups existed get
    their name hash and lookup entry. (how many were given one, the cursor of the next page or None).
    Each write is conditional on the record having no hash yet, so a page done twice writes nothing
    twice and a record registered meanwhile keeps the one its registration gave it."""
    page, next_cursor = patients.list_page(clinic_id, limit, cursor)
    given = 0
    for patient in page:
        if patient.name_hash:
            continue
        if lookups.add_name_hash(patient, name_hash(clinic_id, decrypted(patient)["name"])):
            given += 1
    return given, next_cursor
