"""A patient's personal fields in clear (decrypted with the clinic's data key) and consent per
purpose: what the patient services and the delivery of messages both need, kept below them."""

from __future__ import annotations

from chalicelib import crypto
from chalicelib.domain.rules import PURPOSES
from chalicelib.store import clinics
from chalicelib.store.patients import Patient


def clinic_key(clinic_id: str) -> bytes:
    clinic = clinics.get(clinic_id)
    return crypto.unwrap_key(clinic_id, clinic.wrapped_key)


def decrypted(patient: Patient) -> dict:
    key = clinic_key(patient.clinic_id)
    return {
        "name": crypto.decrypt(key, patient.clinic_id, patient.name_enc),
        "phone": crypto.decrypt(key, patient.clinic_id, patient.phone_enc),
    }


def chosen_nickname(patient: Patient) -> str | None:
    """The nickname the patient set in the mini-program, in clear (None when unset)."""
    if not patient.nickname_enc:
        return None
    return crypto.decrypt(clinic_key(patient.clinic_id), patient.clinic_id, patient.nickname_enc)


def consents_view(patient: Patient) -> dict:
    raw = patient.consents or {}
    return {purpose: raw.get(purpose) for purpose in PURPOSES}


def has_consent(patient: Patient, purpose: str) -> bool:
    state = consents_view(patient).get(purpose)
    return bool(state and state.get("granted"))
