"""Sessions: patients' refresh-token families, the token version on a patient's profile, and
staff accounts as the app knows them. Every read here is strongly consistent: a revocation
counts from the request after it.
"""

from __future__ import annotations

from typing import NamedTuple

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.store import db, keys
from chalicelib.store.models import PatientItem, SessionItem, StaffAccountItem, bind


class Session(NamedTuple):
    """One WeChat login: the family of refresh tokens it hands out, of which only `jti` counts."""

    clinic_id: str
    family: str
    openid_hash: str
    jti: str
    revoked_at: str | None


class StaffAccount(NamedTuple):
    """A staff member as the app knows them: whether their tokens still count."""

    clinic_id: str
    subject: str
    username: str
    role: str
    status: str  # active | disabled
    tokens_valid_after: int  # epoch seconds: a token issued at or before it is refused
    updated_at: str | None = None
    updated_by: str | None = None
    created_at: str | None = None


def _account(clinic_id: str, subject: str, item: StaffAccountItem) -> StaffAccount:
    return StaffAccount(clinic_id, subject, item.username, item.role, item.status or "active",
                        int(item.tokens_valid_after or 0), item.updated_at, item.updated_by, item.created_at)


# --- patients and visitors --------------------------------------------------------------------

def start(clinic_id: str, family: str, openid_hash: str, jti: str, at: str, expires_at: int) -> None:
    bind()
    SessionItem(keys.session_pk(clinic_id, family), keys.SESSION_SK, openid_hash=openid_hash, jti=jti, created_at=at,
                expires_at=expires_at).save(condition=SessionItem.pk.does_not_exist())


def get(clinic_id: str, family: str) -> Session | None:
    bind()
    try:
        item = SessionItem.get(keys.session_pk(clinic_id, family), keys.SESSION_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return Session(clinic_id, family, item.openid_hash, item.jti, item.revoked_at)


def rotate(session: Session, presented: str, new_jti: str, at: str, expires_at: int) -> bool:
    """Make `new_jti` the only refresh token of the family, if `presented` still is; False if
    another exchange of the same token came first (the family is then a reused one)."""
    bind()
    try:
        SessionItem(keys.session_pk(session.clinic_id, session.family), keys.SESSION_SK).update(
            actions=[SessionItem.jti.set(new_jti), SessionItem.rotated_at.set(at),
                     SessionItem.expires_at.set(expires_at)],
            condition=(SessionItem.jti == presented) & SessionItem.revoked_at.does_not_exist())
        return True
    except UpdateError as exc:
        if db.condition_failed(exc):
            return False
        raise


def revoke(clinic_id: str, family: str, at: str, reason: str) -> None:
    bind()
    with db.unless_condition_fails():  # refused: revoked already, or expired
        SessionItem(keys.session_pk(clinic_id, family), keys.SESSION_SK).update(
            actions=[SessionItem.revoked_at.set(at), SessionItem.revoked_reason.set(reason)],
            condition=SessionItem.pk.exists() & SessionItem.revoked_at.does_not_exist())


def token_version(clinic_id: str, patient_id: str) -> int | None:
    """The version a patient's tokens must carry; None when the patient has no record (erased)."""
    bind()
    try:
        item = PatientItem.get(keys.patient_pk(clinic_id, patient_id), keys.PROFILE_SK, consistent_read=True,
                               attributes_to_get=["pk", "token_version"])
    except DoesNotExist:
        return None
    return int(item.token_version or 0)


def raise_token_version(clinic_id: str, patient_id: str) -> None:
    """End every session of the patient at once (their tokens carry the old version)."""
    bind()
    with db.unless_condition_fails():  # refused: the record is gone, and its tokens with it
        PatientItem(keys.patient_pk(clinic_id, patient_id), keys.PROFILE_SK).update(
            actions=[PatientItem.token_version.add(1)], condition=PatientItem.pk.exists())


# --- staff ------------------------------------------------------------------------------------

def staff_account(clinic_id: str, subject: str) -> StaffAccount | None:
    bind()
    try:
        item = StaffAccountItem.get(keys.staff_pk(clinic_id, subject), keys.ACCOUNT_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return _account(clinic_id, subject, item)


def put_staff_account(clinic_id: str, subject: str, *, username: str, role: str, status: str,
                      tokens_valid_after: int, at: str, by: str | None, created_at: str | None = None) -> StaffAccount:
    bind()
    item = StaffAccountItem(keys.staff_pk(clinic_id, subject), keys.ACCOUNT_SK, username=username, role=role,
                            status=status, tokens_valid_after=tokens_valid_after, updated_at=at, updated_by=by,
                            created_at=created_at or at, gsi1pk=keys.staff_list_pk(clinic_id), gsi1sk=username)
    item.save()
    return _account(clinic_id, subject, item)


def staff_accounts(clinic_id: str) -> list[StaffAccount]:
    """Every account of the clinic, by username (a clinic has tens of staff, not thousands)."""
    bind()
    return [_account(clinic_id, item.pk.rsplit("#", 1)[1], item)
            for item in StaffAccountItem.gsi1.query(keys.staff_list_pk(clinic_id))]
