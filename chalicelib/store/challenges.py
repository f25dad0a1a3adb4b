"""Challenges, enrolments and vouchers: their records, and the steps a check-in's plan takes.

- challenge: pk=<clinic> sk=CHALLENGE#<id>
- enrolment: pk=<clinic>#P#<patient> sk=PROG#CH#<id> (read by the check-in's one Query of PROG#)
- voucher: pk=<clinic>#P#<patient> sk=VOUCHER#<id>; its code: pk=<clinic>#VCODE#<code> sk=VCODE

The check-in's writes (enrolment update, voucher, code, ledger entry) are handed out as plan
steps (store/plan.py) for the check-in to add to its own plan; this module only says what they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, keys
from chalicelib.store import plan as plans
from chalicelib.store.ledger import LedgerEntry, entry_put
from chalicelib.store.models import (
    ChallengeItem,
    EnrolmentItem,
    PatientItem,
    VoucherCodeItem,
    VoucherItem,
    bind,
)
from chalicelib.store.records import Patient, patient_of


# Kept for the modules that still name the key parts (the erasure of a patient's partition).
CHALLENGE = keys.CHALLENGE_PREFIX
ENROLMENT = keys.ENROLMENT_PREFIX
VOUCHER = keys.VOUCHER_PREFIX
CODE_SK = keys.VOUCHER_CODE_SK
REWARDS_KEPT = 50


class Challenge(NamedTuple):
    """A streak challenge staff defined (terms as in domain.challenges)."""

    challenge_id: str
    terms: dict[str, Any]
    active: bool
    participants: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Enrolment:
    """A patient's enrolment: the terms they joined under and their streak state.

    `days` are the counted days not yet part of a rewarded streak (domain.streaks.Progress);
    `version` guards every update, so two evaluations of the same state cannot both write.
    """

    challenge_id: str
    terms: dict[str, Any]
    joined_at: str
    joined_on: str
    version: int = 0
    days: list[str] = field(default_factory=list)
    closed_until: str | None = None
    closed_gap: str | None = None
    completed: int = 0
    best: int = 0
    last_day: str | None = None
    streak_start: str | None = None
    streak_length: int = 0
    grace_used: int = 0
    rewards: list[dict[str, Any]] = field(default_factory=list)
    updated_at: str | None = None


class Voucher(NamedTuple):
    """A voucher issued to a patient; redeemed once at the desk."""

    voucher_id: str
    code: str
    kind: str
    name: str
    name_en: str | None
    source: str  # challenge:<challenge id>:<streak start>
    issued_at: str
    valid_until: str  # last valid clinic-local day
    expires_at: str  # UTC ISO 8601
    status: str = "issued"  # issued | redeemed
    redeemed_at: str | None = None
    redeemed_by: str | None = None


class VoucherCode(NamedTuple):
    """Whose voucher a code is, at one clinic's desk."""

    patient_id: str
    voucher_id: str


def _challenge(item: ChallengeItem) -> Challenge:
    return Challenge(challenge_id=item.challenge_id, terms=dict(item.terms), active=bool(item.active),
                     participants=int(item.participants or 0), created_at=item.created_at,
                     updated_at=item.updated_at)


def _enrolment(item: EnrolmentItem) -> Enrolment:
    return Enrolment(challenge_id=item.challenge_id, terms=dict(item.terms), joined_at=item.joined_at,
                     joined_on=item.joined_on, version=int(item.version or 0), days=list(item.days or []),
                     closed_until=item.closed_until, closed_gap=item.closed_gap, completed=int(item.completed or 0),
                     best=int(item.best or 0), last_day=item.last_day, streak_start=item.streak_start,
                     streak_length=int(item.streak_length or 0), grace_used=int(item.grace_used or 0),
                     rewards=list(item.rewards or []), updated_at=item.updated_at)


def _voucher(item: VoucherItem) -> Voucher:
    return Voucher(voucher_id=item.voucher_id, code=item.code, kind=item.kind, name=item.name, name_en=item.name_en,
                   source=item.source, issued_at=item.issued_at, valid_until=item.valid_until,
                   expires_at=item.expires_at, status=item.status, redeemed_at=item.redeemed_at,
                   redeemed_by=item.redeemed_by)


# --- challenges -------------------------------------------------------------------------------

def create_challenge(clinic_id: str, challenge_id: str, terms: dict[str, Any], active: bool, at: str) -> Challenge:
    bind()
    item = ChallengeItem(keys.clinic_pk(clinic_id), keys.challenge_sk(challenge_id), challenge_id=challenge_id,
                         terms=terms, active=active, participants=0, created_at=at, updated_at=at)
    try:
        item.save(condition=ChallengeItem.sk.does_not_exist())
    except PutError as exc:
        if db.condition_failed(exc):
            raise Conflict("a challenge with this id exists", code="challenge_exists", field="challenge_id") from exc
        raise
    return _challenge(item)


def edit_challenge(clinic_id: str, challenge_id: str, terms: dict[str, Any], active: bool, at: str) -> None:
    """Replace the terms; the participant count and running enrolments are left as they are."""
    bind()
    item = ChallengeItem(keys.clinic_pk(clinic_id), keys.challenge_sk(challenge_id))
    try:
        item.update(actions=[ChallengeItem.terms.set(terms), ChallengeItem.active.set(active),
                             ChallengeItem.updated_at.set(at)],
                    condition=ChallengeItem.sk.exists())
    except UpdateError as exc:
        if db.condition_failed(exc):
            raise NotFound("challenge not found", code="challenge_not_found") from exc
        raise


def get_challenge(clinic_id: str, challenge_id: str) -> Challenge:
    bind()
    try:
        return _challenge(ChallengeItem.get(keys.clinic_pk(clinic_id), keys.challenge_sk(challenge_id)))
    except DoesNotExist as exc:
        raise NotFound("challenge not found", code="challenge_not_found") from exc


def list_challenges(clinic_id: str) -> list[Challenge]:
    bind()
    return [_challenge(item) for item in
            ChallengeItem.query(keys.clinic_pk(clinic_id), ChallengeItem.sk.startswith(keys.CHALLENGE_PREFIX))]


# --- enrolments -------------------------------------------------------------------------------

def enrolment_from_raw(raw: dict[str, Any]) -> Enrolment:
    return _enrolment(EnrolmentItem.from_raw_data(raw))


def enrolments(clinic_id: str, patient_id: str) -> list[Enrolment]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.ENROLMENT_PREFIX)
    return [enrolment_from_raw(item) for item in raw]


def get_enrolment(clinic_id: str, patient_id: str, challenge_id: str) -> Enrolment | None:
    bind()
    try:
        item = EnrolmentItem.get(keys.patient_pk(clinic_id, patient_id), keys.enrolment_sk(challenge_id),
                                 consistent_read=True)
    except DoesNotExist:
        return None
    return _enrolment(item)


class AlreadyEnrolled(plans.Refused):
    """The patient joined this challenge before."""

    def __init__(self) -> None:
        super().__init__("enrolment", "the patient is enrolled already")


def new_enrolment(challenge_id: str, terms: dict[str, Any], joined_at: str, joined_on: str) -> Enrolment:
    return Enrolment(challenge_id=challenge_id, terms=terms, joined_at=joined_at, joined_on=joined_on,
                     updated_at=joined_at)


def join_steps(clinic_id: str, patient_id: str, enrolment: Enrolment) -> list[plans.Step]:
    """Enrol once (refused with `AlreadyEnrolled`), count the participant on the challenge (refused
    with `challenge_not_found` when it is gone) and note the join on the profile.

    Patients joining at the same moment conflict on the challenge item (a retryable cancellation)."""
    item = EnrolmentItem(keys.patient_pk(clinic_id, patient_id), keys.enrolment_sk(enrolment.challenge_id),
                         challenge_id=enrolment.challenge_id, terms=enrolment.terms, joined_at=enrolment.joined_at,
                         joined_on=enrolment.joined_on, version=0, days=[], completed=0, best=0, streak_length=0,
                         grace_used=0, rewards=[], updated_at=enrolment.updated_at)
    return [
        plans.put(item, "enrolment", EnrolmentItem.sk.does_not_exist(), AlreadyEnrolled()),
        plans.update(ChallengeItem(keys.clinic_pk(clinic_id), keys.challenge_sk(enrolment.challenge_id)),
                     [ChallengeItem.participants.add(1)], "challenge", ChallengeItem.sk.exists(),
                     NotFound("challenge not found", code="challenge_not_found")),
        plans.update(PatientItem(keys.patient_pk(clinic_id, patient_id), keys.PROFILE_SK),
                     [PatientItem.joined_challenges.add({enrolment.challenge_id})], "profile", PatientItem.pk.exists()),
    ]


def progress_step(clinic_id: str, patient_id: str, enrolment: Enrolment, *, days: list[str],
                  closed_until: str | None, closed_gap: str | None, completed: int, best: int, last_day: str | None,
                  streak_start: str | None, streak_length: int, grace_used: int,
                  new_rewards: list[dict[str, Any]], at: str) -> plans.Step:
    """The enrolment's new streak state, written only if nobody changed it since it was read
    (label `progress:<challenge>`)."""
    read_version = enrolment.version
    rewards = (list(enrolment.rewards) + new_rewards)[-REWARDS_KEPT:]
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
    target = EnrolmentItem(keys.patient_pk(clinic_id, patient_id), keys.enrolment_sk(enrolment.challenge_id))
    return plans.update(target, actions, f"progress:{enrolment.challenge_id}", EnrolmentItem.version == read_version)


# --- vouchers ---------------------------------------------------------------------------------

def voucher_steps(clinic_id: str, patient_id: str, voucher: Voucher, label: str) -> list[plans.Step]:
    """A new voucher and its code entry; each written only if absent (one voucher per streak)."""
    item = VoucherItem(keys.patient_pk(clinic_id, patient_id), keys.voucher_sk(voucher.voucher_id),
                       voucher_id=voucher.voucher_id, code=voucher.code, kind=voucher.kind, name=voucher.name,
                       name_en=voucher.name_en, source=voucher.source, issued_at=voucher.issued_at,
                       valid_until=voucher.valid_until, expires_at=voucher.expires_at, status=voucher.status)
    code = VoucherCodeItem(keys.voucher_code_pk(clinic_id, voucher.code), keys.VOUCHER_CODE_SK, patient_id=patient_id,
                           voucher_id=voucher.voucher_id)
    return [plans.put(item, f"voucher:{label}", VoucherItem.sk.does_not_exist()),
            plans.put(code, f"vcode:{label}", VoucherCodeItem.pk.does_not_exist())]


def reward_entry_step(clinic_id: str, patient_id: str, entry_id: str, points: int, at: str,
                      label: str) -> plans.Step:
    """A streak's points reward as a ledger entry, paid once (label `ledger:<challenge>`)."""
    return entry_put(clinic_id, patient_id, LedgerEntry(entry_id, points, "challenge", at, entry_id), f"ledger:{label}")


def vouchers(clinic_id: str, patient_id: str) -> list[Voucher]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.VOUCHER_PREFIX)
    return [_voucher(VoucherItem.from_raw_data(item)) for item in raw]


def find_code(clinic_id: str, code: str) -> VoucherCode | None:
    """The clinic's entry for a code; another clinic's code is not in this clinic's keys at all."""
    bind()
    try:
        item = VoucherCodeItem.get(keys.voucher_code_pk(clinic_id, code), keys.VOUCHER_CODE_SK)
    except DoesNotExist:
        return None
    return VoucherCode(item.patient_id, item.voucher_id)


def voucher_and_patient(clinic_id: str, patient_id: str, voucher_id: str, *, consistent: bool = False
                        ) -> tuple[Voucher | None, Patient | None]:
    """The voucher and its patient's profile (for the masked name), in one TransactGetItems."""
    from pynamodb.transactions import TransactGet

    bind()
    pk = keys.patient_pk(clinic_id, patient_id)
    with TransactGet(connection=db.connection()) as txn:
        voucher_future = txn.get(VoucherItem, pk, keys.voucher_sk(voucher_id))
        patient_future = txn.get(PatientItem, pk, keys.PROFILE_SK)
    voucher, patient = db.resolved(voucher_future), db.resolved(patient_future)
    return (_voucher(voucher) if voucher is not None else None), (patient_of(patient) if patient is not None else None)


def get_voucher(clinic_id: str, patient_id: str, voucher_id: str) -> Voucher | None:
    bind()
    try:
        item = VoucherItem.get(keys.patient_pk(clinic_id, patient_id), keys.voucher_sk(voucher_id),
                               consistent_read=True)
    except DoesNotExist:
        return None
    return _voucher(item)


def redeem(clinic_id: str, patient_id: str, voucher_id: str, *, now: str, by: str | None) -> Voucher | None:
    """Mark the voucher redeemed if it is still issued and not expired; None when that condition fails.

    The condition is the whole guard: of two desks redeeming the same code at once, DynamoDB
    lets exactly one update through.
    """
    bind()
    item = VoucherItem(keys.patient_pk(clinic_id, patient_id), keys.voucher_sk(voucher_id))
    try:
        item.update(actions=[VoucherItem.status.set("redeemed"), VoucherItem.redeemed_at.set(now),
                             *([VoucherItem.redeemed_by.set(by)] if by else [])],
                    condition=(VoucherItem.status == "issued") & (VoucherItem.expires_at > now))
    except UpdateError as exc:
        if db.condition_failed(exc):
            return None
        raise
    return _voucher(item)

