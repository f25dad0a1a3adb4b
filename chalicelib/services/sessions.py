"""Sessions: opening and refreshing a patient's sign-in, and whether a token still counts.

Patients and visitors: a WeChat login opens a session, a family of refresh tokens of which
only the newest may be exchanged (rotation). Presenting an older one means a copy is in other
hands: the family is revoked and the patient's token version raised, which ends every access
token at once (OAuth 2.0 Security Best Current Practice, refresh token rotation).

Every patient request checks that the patient's record still exists and that the token carries
the record's token version; erasure deletes the record, so an erased patient's tokens stop at
once. Staff requests check the account's record: disabled, signed out everywhere or given
another role means the token no longer counts. See docs/architecture.md, "Sessions".
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, TypeVar

from chalicelib import auth
from chalicelib.config import settings
from chalicelib.domain.clock import clock, iso
from chalicelib.errors import Unauthorized
from chalicelib.observability import logger
from chalicelib.store import patients
from chalicelib.store import sessions as store

if TYPE_CHECKING:  # types only
    from chalicelib.store.patients import Patient


def _revoked(message: str = "this sign-in has ended; log in again") -> Unauthorized:
    return Unauthorized(message, code="session_revoked")


def open_session(clinic_id: str, openid_hash: str, patient_id: str | None) -> dict:
    """Tokens for a new WeChat login: a new family whose first refresh token is the only one."""
    version = store.token_version(clinic_id, patient_id) if patient_id else None
    if version is None:
        patient_id = None  # no record (never made, or erased meanwhile): a visitor
    family, jti = uuid.uuid4().hex, uuid.uuid4().hex
    now = clock.now()
    store.start(clinic_id, family, openid_hash, jti, iso(now), int(now.timestamp()) + settings().refresh_token_ttl)
    return auth.issue_patient_tokens(clinic_id, openid_hash, patient_id, family=family, jti=jti,
                                     token_version=version or 0)


def refresh(refresh_token: str) -> dict:
    """Exchange the family's newest refresh token for new tokens; an older one revokes the family."""
    claims = auth.decode_refresh(refresh_token)
    clinic_id, family, jti = claims["tid"], claims.get("fam"), claims.get("jti")
    if not family or not jti:
        raise _revoked("this refresh token predates sessions; log in again")
    session = store.get(clinic_id, family)
    if session is None or session.revoked_at:
        raise _revoked()
    if session.openid_hash != claims.get("wx"):
        raise Unauthorized("invalid token", code="invalid_token")
    now = clock.now()
    new_jti = uuid.uuid4().hex
    expires_at = int(now.timestamp()) + settings().refresh_token_ttl
    if session.jti != jti or not store.rotate(session, jti, new_jti, iso(now), expires_at):
        end_family(clinic_id, family, claims.get("wx"), reason="refresh_token_reused")
        logger.warning("refresh token reused: session revoked", extra={"family": family})
        raise Unauthorized("this refresh token was used before; the sign-in it belongs to has ended",
                           code="refresh_token_reused")
    # a visitor who registered since gets a patient token, an erased patient loses it
    patient_id = patients.by_openid(clinic_id, claims["wx"]) if claims.get("wx") else None
    version = store.token_version(clinic_id, patient_id) if patient_id else None
    return auth.issue_patient_tokens(clinic_id, claims["wx"], patient_id if version is not None else None,
                                     family=family, jti=new_jti, token_version=version or 0)


def end_family(clinic_id: str, family: str, openid_hash: str | None, reason: str) -> None:
    """Revoke one session; when it belongs to a patient, end the patient's access tokens too
    (they carry no family, only the token version), so a stolen one stops with the family.
    Other devices keep their refresh tokens and get tokens of the new version."""
    store.revoke(clinic_id, family, iso(clock.now()), reason)
    patient_id = patients.by_openid(clinic_id, openid_hash) if openid_hash else None
    if patient_id:
        store.raise_token_version(clinic_id, patient_id)


def after_registration(principal, patient_id: str) -> dict:
    """A visitor registered: the visitor's session ends and the patient's begins."""
    if principal.family:
        store.revoke(principal.clinic_id, principal.family, iso(clock.now()), "registered")
    return open_session(principal.clinic_id, principal.openid_hash, patient_id)


def require_live(principal) -> None:
    """Refuse a token whose session has ended: one strongly consistent read."""
    if principal.role == "patient":
        check_profile(principal, store.token_version(principal.clinic_id, principal.patient_id))
    elif principal.is_staff:
        check_staff(principal, store.staff_account(principal.clinic_id, principal.subject))


_Profile = TypeVar("_Profile", "Patient", int)


def check_profile(principal: auth.Principal, version_or_profile: _Profile | None) -> _Profile:
    """For routes that read the patient's profile anyway (a check-in): the same check on that
    read. Takes the profile item or its token version; None means the record is gone. Returns
    what it was given, known to be there."""
    if version_or_profile is None:
        raise _revoked("this patient record no longer exists")
    version = version_or_profile if isinstance(version_or_profile, int) else int(
        version_or_profile.token_version or 0)
    if principal.token_version != version:
        raise _revoked()
    return version_or_profile


def check_staff(principal, account) -> None:
    if account is None:
        raise Unauthorized("this staff account is not set up for the clinic", code="account_unknown")
    if account.status != "active":
        raise Unauthorized("this staff account is disabled", code="account_disabled")
    if principal.issued_at <= int(account.tokens_valid_after or 0):
        raise _revoked("this account was signed out; sign in again")
    if account.role != principal.role:
        raise Unauthorized("this account's role has changed; sign in again", code="role_changed")
