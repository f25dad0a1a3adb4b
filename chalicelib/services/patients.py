"""Registering (建档), reading, consent, export and erasure of patients."""

from __future__ import annotations

import uuid
from dataclasses import replace

from chalicelib import crypto
from chalicelib.domain.clock import clock, iso
from chalicelib.domain.privacy import mask_name, mask_phone, normalise_phone
from chalicelib.domain.rules import PURPOSES
from chalicelib.errors import BadRequest, UpstreamError
from chalicelib.observability import count, logger
from chalicelib.services.patient_fields import chosen_nickname, clinic_key, consents_view, decrypted
from chalicelib.store import clinics, patients
from chalicelib.store.patients import Patient
from chalicelib.store.referrals import RewardRefused


def consent_changes(requested: dict[str, bool], version: str, at: str) -> dict[str, dict]:
    unknown = set(requested) - set(PURPOSES)
    if unknown:
        raise BadRequest(f"unknown consent purpose {sorted(unknown)[0]!r}", code="unknown_purpose", field="consents")
    return {purpose: {"granted": bool(granted), "version": version, "at": at} for purpose, granted in requested.items()}


def register(clinic_id: str, data, *, openid_hash: str | None = None, patient_id: str | None = None,
             registered_by: str | None = None) -> Patient:
    """Register a patient; `registered_by` names the staff member at the desk (the consent log
    says the consent was taken there), else the patient registered themselves."""
    from chalicelib.services import catalogue

    clinic = clinics.get(clinic_id)
    offered = catalogue.of_clinic(clinic)
    catalogue.require(offered, "conditions", data.conditions, "conditions")
    if data.department is not None:
        catalogue.require(offered, "departments", [data.department], "department")
    catalogue.require(offered, "personas", data.persona_tags, "persona_tags")
    verified = getattr(data, "phone_code", None) is not None
    phone = normalise_phone(verified_phone(data.phone_code) if verified else data.phone)
    if not 6 <= len(phone) <= 15:
        raise BadRequest("phone must have 6 to 15 digits", code="invalid_phone", field="phone")
    key = clinic_key(clinic_id)
    now = iso(clock.now())
    patient_id = patient_id or uuid.uuid4().hex[:16]
    consents = consent_changes(data.consents, data.consent_version, now)
    from chalicelib.services import desk

    hospital_no_enc, hospital_no_hash = desk.hospital_no_fields(clinic_id, getattr(data, "hospital_no", None))
    consent_by = f"staff:{registered_by}" if registered_by else "patient"
    item = patients.new_patient(
        clinic_id, patient_id, created_at=now,
        name_enc=crypto.encrypt(key, clinic_id, data.name),
        phone_enc=crypto.encrypt(key, clinic_id, phone),
        phone_hash=crypto.keyed_hash("phone", clinic_id, phone),
        name_masked=mask_name(data.name),
        openid_hash=openid_hash,
        birth_year=data.birth_year, sex=data.sex, district=data.district,
        conditions=sorted(set(data.conditions)), department=data.department,
        persona_tags=sorted(set(data.persona_tags)), consents=consents,
        phone_verified=True if verified else None,
        name_hash=desk.name_hash(clinic_id, data.name),
        hospital_no_enc=hospital_no_enc, hospital_no_hash=hospital_no_hash,
    )
    referral = _referral(clinic, item, getattr(data, "invite_code", None), now)
    if referral:
        item = replace(item, referred_by=referral.referrer.patient_id)
    from chalicelib.services import segments

    item, memberships = segments.prepare_registration(clinic, item, clock.now())
    try:
        _write_registration(item, openid_hash, consents, referral, memberships, consent_by)
    except RewardRefused:
        item = replace(item, referred_by=None)  # registered, but this referral earns no reward (the phone was referred before ...)
        _write_registration(item, openid_hash, consents, None, memberships, consent_by)
    segments.registered(clinic, item, clock.now())
    count("PatientsRegistered")
    logger.info("patient registered", extra={"patient_id": patient_id})
    return item


def verified_phone(code: str) -> str:
    """The number behind a getPhoneNumber code, from WeChat (the code works once)."""
    from chalicelib.channels import wechat

    try:
        return wechat.phone_number(code)
    except wechat.PhoneCodeRefused as exc:
        raise BadRequest("WeChat refused this phone code, ask for the number again", code="invalid_phone_code",
                         field="phone_code") from exc
    except wechat.WechatUnavailable as exc:
        logger.warning("getuserphonenumber failed", extra={"errcode": str(exc)})
        raise UpstreamError("WeChat is unavailable, try again", code="wechat_unavailable") from exc


def _write_registration(item: Patient, openid_hash: str | None, consents: dict, referral, memberships: list,
                        consent_by: str | None = None) -> None:
    """The registration as one plan, one TransactWriteItems: the record and its claims, the segment
    memberships and, with an invite code, the referrer's reward. A taken WeChat account or phone
    raises its Conflict; a reward that cannot be paid raises RewardRefused."""
    from chalicelib.store import lookups
    from chalicelib.store import plan as plans
    from chalicelib.store import referrals

    plan = plans.Plan()
    plan.add(patients.registration_steps(item, openid_hash, consents, consent_by))
    plan.add(lookups.registration_steps(item))  # found at the desk by name and hospital number
    plan.add(plans.of_writes(memberships))
    if referral is not None:
        plan.add(referrals.reward_steps(item, referral), refused=RewardRefused())
    plans.execute(plan)


def _referral(clinic, new_patient: Patient, code: str | None, now: str):
    """The referrer's reward for a registration with an invite code (None without a code)."""
    if not code:
        return None
    from chalicelib.domain.clock import local_date
    from chalicelib.domain.rules import points_for
    from chalicelib.store import earning as payouts
    from chalicelib.store import referrals
    from chalicelib.store.points import read_board

    referrer_id = referrals.owner_of(new_patient.clinic_id, code)
    if referrer_id is None:
        raise BadRequest("unknown invite code", code="unknown_invite_code", field="invite_code")
    referrer = patients.get(new_patient.clinic_id, referrer_id, consistent=True)
    if referrer.phone_hash == new_patient.phone_hash or (
            new_patient.openid_hash and referrer.openid_hash == new_patient.openid_hash):
        raise BadRequest("a patient cannot refer themselves", code="self_referral", field="invite_code")
    amount = points_for(clinic.earning_rules, "referral_registered")
    today = local_date(clock.now(), clinic.tz)
    board = read_board(*payouts.board_key(new_patient.clinic_id, referrer_id, today))
    earning = payouts.plan(clinic, referrer, "referral_registered", amount, today, board)
    return referrals.Referral(referrer=referrer, points=amount, at=now, earning=earning)


def own_patient(clinic_id: str, patient_id: str) -> Patient:
    return patients.get(clinic_id, patient_id)


def profile_view(patient: Patient, *, full_phone: bool) -> dict:
    clear = decrypted(patient)
    return {
        "patient_id": patient.patient_id,
        "name": clear["name"],
        "phone" if full_phone else "phone_masked": clear["phone"] if full_phone else mask_phone(clear["phone"]),
        "birth_year": int(patient.birth_year) if patient.birth_year is not None else None,
        "sex": patient.sex,
        "district": patient.district,
        "conditions": list(patient.conditions or []),
        "department": patient.department,
        "persona_tags": list(patient.persona_tags or []),
        "balance": int(patient.balance or 0),
        "earned_total": int(patient.earned_total or 0),
        "created_at": patient.created_at,
        "last_visit_date": patient.last_visit_date,
        "revisit_due_date": patient.revisit_due_date,
        "nickname": chosen_nickname(patient),
        "phone_verified": bool(patient.phone_verified),
        "next_booking_date": patient.next_booking_date,
        **({} if full_phone else _desk_fields(patient)),
    }


def _desk_fields(patient: Patient) -> dict:
    """What staff see beyond the patient's own view: the hospital number, whether WeChat is linked."""
    from chalicelib.services import desk

    return {"hospital_no": desk.hospital_no(patient), "wechat_linked": bool(patient.openid_hash)}


def update_own(patient: Patient, changes: dict) -> Patient:
    """The patient's own edits from the mini-program (nickname, birth year, district): a field
    sent as null is cleared. The nickname is personal data: stored encrypted, never logged."""
    stored: dict = {}
    for name, value in changes.items():
        if name == "nickname":
            stored["nickname_enc"] = (crypto.encrypt(clinic_key(patient.clinic_id), patient.clinic_id, value)
                                      if value else None)
        else:
            stored[name] = value
    unknown = set(stored) - set(patients.SELF_EDITABLE)
    if unknown:  # the request model allows only these; a mistake here must not write other fields
        raise BadRequest(f"{sorted(unknown)[0]} cannot be changed here", code="unexpected_field")
    updated = patients.update_profile(patient, stored)
    logger.info("patient updated own profile", extra={"patient_id": patient.patient_id, "fields": sorted(changes)})
    return updated


def list_row(patient: Patient) -> dict:
    return {
        "patient_id": patient.patient_id,
        "name_masked": patient.name_masked,
        "conditions": list(patient.conditions or []),
        "department": patient.department,
        "last_visit_date": patient.last_visit_date,
        "balance": int(patient.balance or 0),
        "created_at": patient.created_at,
    }


def update_consents(patient: Patient, requested: dict[str, bool], version: str) -> dict:
    now = iso(clock.now())
    changes = consent_changes(requested, version, now)
    if changes:
        patients.set_consents(patient, changes)
        from chalicelib.services import segments

        segments.reevaluate(patient.clinic_id, patient.patient_id)  # a consent rule may change its answer
    withdrawn = [purpose for purpose, state in changes.items() if not state["granted"]]
    if withdrawn:  # a withdrawal stops the journeys in progress, not only the next send
        from chalicelib.services.outbound import stop_for_purpose

        stop_for_purpose(patient.clinic_id, patient.patient_id, withdrawn, now)
    if "analytics" in withdrawn:  # no analytics consent: no risk score is kept (services.risk)
        from chalicelib.services import risk

        risk.forget(patient.clinic_id, patient.patient_id, patient.risk_score)
    merged = consents_view(patient)
    merged.update(changes)
    return merged


def withdraw(patient: Patient, purposes: list[str] | None, version: str) -> dict:
    targets = purposes or list(PURPOSES)
    return update_consents(patient, {p: False for p in targets}, version)


def export(patient: Patient) -> dict:
    """Everything stored about the patient, sensitive fields decrypted, internal keys dropped."""
    groups = patients.export_records(patient.clinic_id, patient.patient_id)
    return {"profile": profile_view(patient, full_phone=True), "consents": consents_view(patient), "records": groups}


def erase(patient: Patient) -> int:
    from chalicelib.services import households

    households.forget(patient)  # out of their household and its carer links first; the link goes with the rest
    removed = patients.erase(patient)
    count("PatientsErased")
    logger.info("patient erased", extra={"patient_id": patient.patient_id, "items": removed})
    return removed


def list_page(clinic_id: str, limit: int, cursor: str | None) -> dict:
    """The clinic's patients, newest first, one page by cursor."""
    items, next_cursor = patients.list_page(clinic_id, limit, cursor)
    return {"items": [list_row(p) for p in items], "next_cursor": next_cursor}


DETAIL_ROWS = 20  # rows of each history a patient's detail carries; the paged routes give the rest


def staff_detail(clinic_id: str, patient_id: str) -> dict:
    """One patient for the desk: profile (phone masked), consent and its log, the first page
    (DETAIL_ROWS, newest first) of visits, check-ins and the ledger (the paged routes give the
    rest), who referred them (by masked name) and how many they referred."""
    from chalicelib.store import history

    item = patients.get(clinic_id, patient_id)
    ledger = history.ledger(clinic_id, patient_id)
    referrer = item.referred_by
    referrer_name = patients.masked_names(clinic_id, [referrer]).get(referrer) if referrer else None
    return {
        "patient": profile_view(item, full_phone=False),
        "consents": consents_view(item),
        "consent_log": history.consent_log(clinic_id, patient_id),
        "visits": history.visits(clinic_id, patient_id, limit=DETAIL_ROWS),
        "checkins": history.checkins(clinic_id, patient_id, limit=DETAIL_ROWS),
        "ledger": ledger[:DETAIL_ROWS],
        "referral": {"invite_code": item.invite_code, "referred_by": referrer, "referred_by_name": referrer_name,
                     "referred": sum(1 for e in ledger if e["reason"] == "referral_registered")},
    }


def checkins(clinic_id: str, patient_id: str) -> list[dict]:
    from chalicelib.store import history

    return history.checkins(clinic_id, patient_id)


def visits(clinic_id: str, patient_id: str) -> list[dict]:
    from chalicelib.store import history

    return history.visits(clinic_id, patient_id)


def visits_page(clinic_id: str, patient_id: str, limit: int, cursor: str | None) -> dict:
    """One page of a patient's visits for the desk, newest first (the patient must be the clinic's)."""
    from chalicelib.store import history

    patients.get(clinic_id, patient_id)
    items, next_cursor = history.visits_page(clinic_id, patient_id, limit, cursor)
    return {"items": items, "next_cursor": next_cursor}


def checkins_page(clinic_id: str, patient_id: str, limit: int, cursor: str | None) -> dict:
    """One page of a patient's check-ins for the desk, newest first."""
    from chalicelib.store import history

    patients.get(clinic_id, patient_id)
    items, next_cursor = history.checkins_page(clinic_id, patient_id, limit, cursor)
    return {"items": items, "next_cursor": next_cursor}


def referral(patient: Patient) -> dict:
    """The patient's invite code (made on first ask), the mini-program share path and what a
    registered friend earns them."""
    from chalicelib.domain.rules import points_for
    from chalicelib.store import referrals

    code = referrals.ensure_code(patient)
    path = f"pages/launch/index?invite={code}"  # the mini-program is the clinic's own: no clinic in the path
    reward = points_for(clinics.get(patient.clinic_id).earning_rules, "referral_registered")
    return {"invite_code": code, "share_path": path, "reward_points": reward}


def lapsed(clinic_id: str, condition: str, days: int, limit: int, cursor: str | None) -> dict:
    """Patients of a condition whose last visit is older than `days` clinic days (index query)."""
    from datetime import date, timedelta

    from chalicelib.domain.clock import local_date
    from chalicelib.store import reports

    clinic = clinics.get(clinic_id)
    if condition not in clinic.conditions:
        raise BadRequest(f"unknown condition {condition!r}", code="unknown_condition", field="condition")
    today = local_date(clock.now(), clinic.tz)
    cutoff = (today - timedelta(days=days)).isoformat()
    items, next_cursor = reports.lapsed_page(clinic_id, condition, cutoff, limit, cursor)
    rows = []
    for item in items:
        last = item.last_visit_date
        rows.append({"patient_id": item.patient_id, "name_masked": item.name_masked, "last_visit_date": last,
                     "days_since": (today - date.fromisoformat(last)).days if last else None})
    return {"items": rows, "next_cursor": next_cursor, "cutoff": cutoff}
