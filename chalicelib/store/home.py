"""What the mini-program's home page shows of a patient's partition, in three Queries (see
keys.HOME_RANGE): the profile, lots, enrolments and tasks; the day's check-ins; the unread
inbox count."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.store import db, keys
from chalicelib.store.challenges import Enrolment, enrolment_from_raw
from chalicelib.store.lots import PointsLot
from chalicelib.store.models import CheckInItem, PatientItem
from chalicelib.store.records import Patient, patient_of
from chalicelib.store.tasks import Task, task_from_raw


@dataclass(frozen=True)
class CheckIn:
    checkin_id: str
    type: str
    value: float
    local_date: str
    client_time: str
    counted: bool
    diastolic: float | None = None  # a blood pressure's second number


@dataclass
class HomeState:
    patient: Patient | None  # None: the record is gone (an erased patient's token)
    lots: list[PointsLot] = field(default_factory=list)  # with points left, earliest expiry first
    enrolments: list[Enrolment] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    checkins: list[CheckIn] = field(default_factory=list)  # the day's, oldest first
    unread: int = 0


def read(clinic_id: str, patient_id: str, day: str) -> HomeState:
    pk = {":pk": {"S": keys.patient_pk(clinic_id, patient_id)}}
    start, end = keys.HOME_RANGE
    skipped = {f":skip{i}": {"S": prefix} for i, prefix in enumerate(keys.HOME_SKIPPED)}
    raw = [item for page in db.query_pages(
        KeyConditionExpression="pk = :pk AND sk BETWEEN :start AND :end",
        FilterExpression=" AND ".join(f"NOT begins_with(sk, {name})" for name in skipped),
        ExpressionAttributeValues={**pk, ":start": {"S": start}, ":end": {"S": end}, **skipped},
        ConsistentRead=True,
    ) for item in page.get("Items", [])]
    state = HomeState(patient=None)
    for item in raw:
        sk = item["sk"]["S"]
        if sk == keys.PROFILE_SK:
            state.patient = patient_of(PatientItem.from_raw_data(item))
        elif sk.startswith(keys.LOT_PREFIX):
            lot = PointsLot(item["expires_on"]["S"], int(item.get("remaining", {}).get("N", "0")))
            if lot.remaining > 0:
                state.lots.append(lot)
        elif sk.startswith(keys.ENROLMENT_PREFIX):
            state.enrolments.append(enrolment_from_raw(item))
        elif sk.startswith(keys.TASK_PREFIX):
            state.tasks.append(task_from_raw(item))
    if state.patient is None:
        return state
    for item in db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.checkins_of_day(day), consistent=True):
        c = CheckInItem.from_raw_data(item)
        state.checkins.append(CheckIn(c.checkin_id, c.type, float(c.value), c.local_date, c.client_time,
                                      bool(c.counted), float(c.diastolic) if c.diastolic is not None else None))
    state.checkins.sort(key=lambda c: c.client_time)
    state.unread = sum(int(page.get("Count", 0)) for page in db.query_pages(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :inbox)",
        FilterExpression="attribute_not_exists(read_at)",
        ExpressionAttributeValues={**pk, ":inbox": {"S": keys.INBOX_PREFIX}},
        Select="COUNT",
    ))
    return state
