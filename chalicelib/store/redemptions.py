"""Redemptions as the patient and the desk see them: listing, codes, handing over.

- redemption: pk=<clinic>#P#<patient> sk=REDEEM#<id> (written by the redemption's plan, store/points.py)
- its code: pk=<clinic>#RCODE#<code> sk=RCODE -> (patient, redemption): the desk's one read
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.errors import Conflict
from chalicelib.store import db, keys
from chalicelib.store import plan as plans
from chalicelib.store.models import PatientItem, RedemptionCodeItem, RedemptionItem, bind
from chalicelib.store.records import Patient, patient_of

ISSUED, FULFILLED = "issued", "fulfilled"
CODE_TAKEN = "rcode"  # the code's entry did not exist yet (a collision is one in 10^11)


class Redemption(NamedTuple):
    redemption_id: str
    reward_id: str
    reward_name: str
    cost: int
    status: str
    at: str
    code: str | None
    fulfilled_at: str | None
    fulfilled_by: str | None


class CodeEntry(NamedTuple):
    patient_id: str
    redemption_id: str


def _of(item: RedemptionItem) -> Redemption:
    return Redemption(item.redemption_id, item.reward_id, item.reward_name, int(item.cost), item.status or ISSUED,
                      item.at, item.code, item.fulfilled_at, item.fulfilled_by)


def code_step(clinic_id: str, patient_id: str, redemption_id: str, code: str) -> plans.Step:
    entry = RedemptionCodeItem(keys.redemption_code_pk(clinic_id, code), keys.REDEMPTION_CODE_SK,
                               patient_id=patient_id, redemption_id=redemption_id)
    return plans.put(entry, CODE_TAKEN, RedemptionCodeItem.pk.does_not_exist(),
                     Conflict("the redemption code was taken, try again", code="try_again"))


def of_patient(clinic_id: str, patient_id: str) -> list[Redemption]:
    """The patient's redemptions, newest first (one Query over their REDEEM# range; ids are not
    ordered by time, so they are sorted here: a patient has tens, not thousands)."""
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.REDEMPTION_PREFIX)
    items = [_of(RedemptionItem.from_raw_data(item)) for item in raw]
    return sorted(items, key=lambda r: (r.at, r.redemption_id), reverse=True)


def give_code(clinic_id: str, patient_id: str, redemption_id: str, code: str) -> bool:
    """Give a redemption made before codes existed its code (and the code's entry), once: False
    when it has one already (a concurrent listing gave it) or the code was taken."""
    target = RedemptionItem(keys.patient_pk(clinic_id, patient_id), keys.redemption_sk(redemption_id))
    plan = plans.Plan()
    plan.add(plans.update(target, [RedemptionItem.code.set(code)], "redemption-code",
                          RedemptionItem.sk.exists() & RedemptionItem.code.does_not_exist()))
    plan.add(code_step(clinic_id, patient_id, redemption_id, code))
    try:
        plans.execute(plan)
    except (plans.Cancelled, Conflict):
        return False
    return True


def find_code(clinic_id: str, code: str) -> CodeEntry | None:
    """The clinic's entry for a code; another clinic's code is not under this clinic's keys."""
    bind()
    try:
        item = RedemptionCodeItem.get(keys.redemption_code_pk(clinic_id, code), keys.REDEMPTION_CODE_SK)
    except DoesNotExist:
        return None
    return CodeEntry(item.patient_id, item.redemption_id)


def with_patient(clinic_id: str, entry: CodeEntry) -> tuple[Redemption | None, Patient | None]:
    """The redemption and its patient's profile (for the masked name), in one TransactGetItems."""
    from pynamodb.transactions import TransactGet

    bind()
    pk = keys.patient_pk(clinic_id, entry.patient_id)
    with TransactGet(connection=db.connection()) as txn:
        redemption_future = txn.get(RedemptionItem, pk, keys.redemption_sk(entry.redemption_id))
        patient_future = txn.get(PatientItem, pk, keys.PROFILE_SK)
    redemption, patient = db.resolved(redemption_future), db.resolved(patient_future)
    return (_of(redemption) if redemption is not None else None), (patient_of(patient) if patient else None)



def fulfil(clinic_id: str, entry: CodeEntry, *, at: str, by: str | None) -> Redemption | None:
    """Mark the redemption handed over if it still waits; None when that condition fails (of
    two desks at once, DynamoDB lets exactly one through)."""
    bind()
    item = RedemptionItem(keys.patient_pk(clinic_id, entry.patient_id), keys.redemption_sk(entry.redemption_id))
    try:
        item.update(actions=[RedemptionItem.status.set(FULFILLED), RedemptionItem.fulfilled_at.set(at),
                             *([RedemptionItem.fulfilled_by.set(by)] if by else [])],
                    condition=RedemptionItem.sk.exists() & (RedemptionItem.status != FULFILLED))
    except UpdateError as exc:
        if db.condition_failed(exc):
            return None
        raise
    return _of(item)


def code_entries_of(clinic_id: str, raw_items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(pk, sk) of the code entries of a partition's redemptions (for erasure)."""
    return [(keys.redemption_code_pk(clinic_id, item["code"]["S"]), keys.REDEMPTION_CODE_SK) for item in raw_items
            if item["sk"]["S"].startswith(keys.REDEMPTION_PREFIX) and "code" in item]
