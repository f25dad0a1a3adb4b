"""Invite codes and referral rewards (the dental chain's family card scenario, S9).

Each patient may ask for an invite code (a lookup item under the clinic maps it back). A new
patient who registers with it earns the referrer the clinic's `referral_registered` points, once,
in the registration's own transaction: the ledger entry id is derived from the new patient, and
a marker per referred phone (a keyed hash) keeps a phone from being referred twice, even after
the first record was erased.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from chalicelib.store import db, keys
from chalicelib.store import plan as plans
from chalicelib.store.models import LedgerItem, PatientItem, UniqueItem, bind
from chalicelib.store.records import Patient, patient_pk, profile_ref

if TYPE_CHECKING:  # types only
    from chalicelib.store.earning import Earning

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


@dataclass
class Referral:
    referrer: Patient
    points: int
    at: str
    earning: Earning  # the referrer's counters and board entry


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(8))


def ensure_code(patient: Patient) -> str:
    """The patient's invite code, created on first request (a lookup item claims it under the clinic)."""
    if patient.invite_code:
        return patient.invite_code
    for _ in range(5):
        code = new_code()
        try:
            with db.transaction() as txn:
                txn.save(UniqueItem(keys.invite_pk(patient.clinic_id, code), keys.UNIQUE_SK, patient_id=patient.patient_id),
                         condition=UniqueItem.pk.does_not_exist(), label="code")
                txn.update(profile_ref(patient), actions=[PatientItem.invite_code.set(code)],
                           condition=PatientItem.invite_code.does_not_exist(), label="patient")
            return code
        except db.Cancelled as exc:
            if exc.conditional("patient"):
                bind()
                return PatientItem.get(patient_pk(patient), keys.PROFILE_SK, consistent_read=True).invite_code
            if not exc.conditional("code"):
                raise
    raise RuntimeError("could not find a free invite code")


def owner_of(clinic_id: str, code: str) -> str | None:
    bind()
    try:
        return UniqueItem.get(keys.invite_pk(clinic_id, code.strip().upper()), keys.UNIQUE_SK).patient_id
    except DoesNotExist:
        return None


REFERRED_PHONE_NEW = "referred_phone"  # the phone has not earned anybody a referral reward yet
REWARD_NEW = "referral"  # the referrer's ledger entry for this new patient is not written yet
REFERRER_EXISTS = "referrer"  # the referrer's record still exists


class RewardRefused(plans.Refused):
    """The referrer's reward cannot be paid with this registration: the phone was referred before,
    the reward was paid, the referrer is gone, or their counters or board entry moved."""

    def __init__(self) -> None:
        super().__init__(REWARD_NEW, "the referral earns no reward")


def reward_steps(new_patient: Patient, referral: Referral) -> list[plans.Step]:
    """The referrer's reward as plan steps: the referred-phone marker, the ledger entry, the
    referrer's balance and the payout's counters, lot and board entry. A registration plan maps
    every refusal among them to RewardRefused (the service then registers without the reward)."""
    from chalicelib.store import earning as payouts
    from chalicelib.store.ledger import credit_actions, ledger_item

    referrer = referral.referrer
    marker = UniqueItem(keys.referred_phone_pk(new_patient.clinic_id, new_patient.phone_hash), keys.REFERRED_SK,
                        patient_id=referrer.patient_id)
    entry = ledger_item(patient_pk(referrer), f"referral:{new_patient.patient_id}", referral.points, "referral_registered",
                        referral.at, new_patient.patient_id)
    return [plans.put(marker, REFERRED_PHONE_NEW, UniqueItem.pk.does_not_exist()),
            plans.put(entry, REWARD_NEW, LedgerItem.sk.does_not_exist()),
            plans.update(profile_ref(referrer), credit_actions(referral.points), REFERRER_EXISTS, PatientItem.pk.exists()),
            *payouts.steps(referrer, referral.earning)]
