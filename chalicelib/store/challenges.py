"""Challenges, enrolments and vouchers: keys, conditions and the writes they need.

- challenge: pk=<clinic> sk=CHALLENGE#<id>
- enrolment: pk=<clinic>#P#<patient> sk=PROG#CH#<id> (read by the check-in's one Query of PROG#)
- voucher: pk=<clinic>#P#<patient> sk=VOUCHER#<id>; its code: pk=<clinic>#VCODE#<code> sk=VCODE

The check-in's writes (enrolment update, voucher, code, ledger entry) are returned as `Write`s
for the check-in to add to its own transaction; this module only says what they are.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any, TypeVar

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.models import Model

from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, keys
from chalicelib.store.db import Write
from chalicelib.store.models import (
    ChallengeItem,
    EnrolmentItem,
    LedgerItem,
    PatientItem,
    VoucherCodeItem,
    VoucherItem,
    bind,
)

if TYPE_CHECKING:  # types only
    from pynamodb.models import _ModelFuture

_M = TypeVar("_M", bound=Model)

CHALLENGE = "CHALLENGE#"
ENROLMENT = "PROG#CH#"
VOUCHER = "VOUCHER#"
CODE_SK = "VCODE"
JOIN_ATTEMPTS = 5
REWARDS_KEPT = 50


# --- challenges -------------------------------------------------------------------------------

def create_challenge(clinic_id: str, challenge_id: str, terms: dict[str, Any], active: bool, at: str) -> ChallengeItem:
    bind()
    item = ChallengeItem(keys.clinic_pk(clinic_id), CHALLENGE + challenge_id, challenge_id=challenge_id, terms=terms,
                         active=active, participants=0, created_at=at, updated_at=at)
    try:
        item.save(condition=ChallengeItem.sk.does_not_exist())
    except PutError as exc:
        if db.condition_failed(exc):
            raise Conflict("a challenge with this id exists", code="challenge_exists", field="challenge_id") from exc
        raise
    return item


def edit_challenge(clinic_id: str, challenge_id: str, terms: dict[str, Any], active: bool, at: str) -> ChallengeItem:
    """Replace the terms; the participant count and running enrolments are left as they are."""
    bind()
    item = ChallengeItem(keys.clinic_pk(clinic_id), CHALLENGE + challenge_id)
    try:
        item.update(actions=[ChallengeItem.terms.set(terms), ChallengeItem.active.set(active),
                             ChallengeItem.updated_at.set(at)],
                    condition=ChallengeItem.sk.exists())
    except UpdateError as exc:
        if db.condition_failed(exc):
            raise NotFound("challenge not found", code="challenge_not_found") from exc
        raise
    return item


def get_challenge(clinic_id: str, challenge_id: str) -> ChallengeItem:
    bind()
    try:
        return ChallengeItem.get(keys.clinic_pk(clinic_id), CHALLENGE + challenge_id)
    except DoesNotExist as exc:
        raise NotFound("challenge not found", code="challenge_not_found") from exc


def list_challenges(clinic_id: str) -> list[ChallengeItem]:
    bind()
    return list(ChallengeItem.query(keys.clinic_pk(clinic_id), ChallengeItem.sk.startswith(CHALLENGE)))


# --- enrolments -------------------------------------------------------------------------------

def is_enrolment(raw: dict[str, Any]) -> bool:
    sk: str = raw.get("sk", {}).get("S", "")
    return sk.startswith(ENROLMENT)


def enrolment_from_raw(raw: dict[str, Any]) -> EnrolmentItem:
    return EnrolmentItem.from_raw_data(raw)


def enrolments(clinic_id: str, patient_id: str) -> list[EnrolmentItem]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), ENROLMENT)
    return [enrolment_from_raw(item) for item in raw]


def get_enrolment(clinic_id: str, patient_id: str, challenge_id: str) -> EnrolmentItem | None:
    bind()
    try:
        return EnrolmentItem.get(keys.patient_pk(clinic_id, patient_id), ENROLMENT + challenge_id,
                                 consistent_read=True)
    except DoesNotExist:
        return None


def join(clinic_id: str, patient_id: str, challenge_id: str, terms: dict[str, Any], joined_at: str,
         joined_on: str) -> tuple[EnrolmentItem, bool]:
    """Enrol once: (enrolment, True) when this call enrolled, (the existing one, False) when already enrolled.

    The enrolment and the challenge's participant count change in one transaction. Patients
    joining at the same moment conflict on the challenge item; those are tried again.
    """
    enrolment = EnrolmentItem(keys.patient_pk(clinic_id, patient_id), ENROLMENT + challenge_id,
                              challenge_id=challenge_id, terms=terms, joined_at=joined_at, joined_on=joined_on,
                              version=0, days=[], completed=0, best=0, streak_length=0, grace_used=0, rewards=[],
                              updated_at=joined_at)
    challenge = ChallengeItem(keys.clinic_pk(clinic_id), CHALLENGE + challenge_id)
    profile = PatientItem(keys.patient_pk(clinic_id, patient_id), "PROFILE")
    for attempt in range(JOIN_ATTEMPTS):
        try:
            with db.transaction() as txn:
                txn.save(enrolment, condition=EnrolmentItem.sk.does_not_exist(), label="enrolment")
                txn.update(challenge, actions=[ChallengeItem.participants.add(1)],
                           condition=ChallengeItem.sk.exists(), label="challenge")
                txn.update(profile, actions=[PatientItem.joined_challenges.add({challenge_id})],
                           condition=PatientItem.pk.exists(), label="profile")
            return enrolment, True
        except db.Cancelled as exc:
            if exc.conditional("enrolment"):
                existing = get_enrolment(clinic_id, patient_id, challenge_id)
                if existing is not None:
                    return existing, False
            if exc.conditional("challenge"):
                raise NotFound("challenge not found", code="challenge_not_found") from exc
            if "TransactionConflict" not in exc.failed.values():
                raise
            time.sleep(random.uniform(0.01, 0.05) * (2 ** attempt))
    raise Conflict("many patients are joining, try again", code="try_again")


def progress_write(enrolment: EnrolmentItem, *, days: list[str], closed_until: str | None, closed_gap: str | None,
                   completed: int,
                   best: int, last_day: str | None, streak_start: str | None, streak_length: int, grace_used: int,
                   new_rewards: list[dict[str, Any]], at: str) -> Write:
    """The enrolment's new streak state, written only if nobody changed it since it was read."""
    read_version = int(enrolment.version or 0)
    rewards = (list(enrolment.rewards or []) + new_rewards)[-REWARDS_KEPT:]
    actions = [
        EnrolmentItem.version.set(read_version + 1),
        EnrolmentItem.days.set(days),
        EnrolmentItem.completed.set(completed),
        EnrolmentItem.best.set(best),
        EnrolmentItem.streak_length.set(streak_length),
        EnrolmentItem.grace_used.set(grace_used),
        EnrolmentItem.rewards.set(rewards),
        EnrolmentItem.updated_at.set(at),
    ]
    for attribute, value in ((EnrolmentItem.closed_until, closed_until), (EnrolmentItem.closed_gap, closed_gap),
                             (EnrolmentItem.last_day, last_day), (EnrolmentItem.streak_start, streak_start)):
        actions.append(attribute.set(value) if value is not None else attribute.remove())
    target = EnrolmentItem(enrolment.pk, enrolment.sk)
    return Write(target, f"progress:{enrolment.challenge_id}", actions, EnrolmentItem.version == read_version)


# --- vouchers ---------------------------------------------------------------------------------

def voucher_writes(clinic_id: str, patient_id: str, voucher: dict[str, Any], label: str) -> list[Write]:
    """A new voucher and its code entry; each written only if absent (one voucher per streak)."""
    item = VoucherItem(keys.patient_pk(clinic_id, patient_id), VOUCHER + voucher["voucher_id"], status="issued",
                       **voucher)
    code = VoucherCodeItem(keys.voucher_code_pk(clinic_id, voucher["code"]), CODE_SK, patient_id=patient_id,
                           voucher_id=voucher["voucher_id"])
    return [Write(item, f"voucher:{label}", condition=VoucherItem.sk.does_not_exist()),
            Write(code, f"vcode:{label}", condition=VoucherCodeItem.pk.does_not_exist())]


def ledger_write(clinic_id: str, patient_id: str, entry_id: str, points: int, at: str, label: str) -> Write:
    item = LedgerItem(keys.patient_pk(clinic_id, patient_id), f"LEDGER#{entry_id}", entry_id=entry_id, points=points,
                      reason="challenge", at=at, ref=entry_id)
    return Write(item, f"ledger:{label}", condition=LedgerItem.sk.does_not_exist())


def vouchers(clinic_id: str, patient_id: str) -> list[VoucherItem]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), VOUCHER)
    return [VoucherItem.from_raw_data(item) for item in raw]


def find_code(clinic_id: str, code: str) -> VoucherCodeItem | None:
    """The clinic's entry for a code; another clinic's code is not in this clinic's keys at all."""
    bind()
    try:
        return VoucherCodeItem.get(keys.voucher_code_pk(clinic_id, code), CODE_SK)
    except DoesNotExist:
        return None


def voucher_and_patient(clinic_id: str, patient_id: str, voucher_id: str, *, consistent: bool = False
                        ) -> tuple[VoucherItem | None, PatientItem | None]:
    """The voucher and its patient's profile (for the masked name), in one TransactGetItems."""
    from pynamodb.transactions import TransactGet

    bind()
    pk = keys.patient_pk(clinic_id, patient_id)
    with TransactGet(connection=db.connection()) as txn:
        voucher_future = txn.get(VoucherItem, pk, VOUCHER + voucher_id)
        patient_future = txn.get(PatientItem, pk, "PROFILE")
    return _resolved(voucher_future), _resolved(patient_future)


def get_voucher(clinic_id: str, patient_id: str, voucher_id: str) -> VoucherItem | None:
    bind()
    try:
        return VoucherItem.get(keys.patient_pk(clinic_id, patient_id), VOUCHER + voucher_id, consistent_read=True)
    except DoesNotExist:
        return None


def redeem(clinic_id: str, patient_id: str, voucher_id: str, *, now: str, by: str | None) -> VoucherItem | None:
    """Mark the voucher redeemed if it is still issued and not expired; None when that condition fails.

    The condition is the whole guard: of two desks redeeming the same code at once, DynamoDB
    lets exactly one update through.
    """
    bind()
    item = VoucherItem(keys.patient_pk(clinic_id, patient_id), VOUCHER + voucher_id)
    try:
        item.update(actions=[VoucherItem.status.set("redeemed"), VoucherItem.redeemed_at.set(now),
                             *([VoucherItem.redeemed_by.set(by)] if by else [])],
                    condition=(VoucherItem.status == "issued") & (VoucherItem.expires_at > now))
    except UpdateError as exc:
        if db.condition_failed(exc):
            return None
        raise
    return item


def _resolved(future: _ModelFuture[_M]) -> _M | None:
    try:
        return future.get()
    except Exception:  # a missing item
        return None
