"""Patients: records, uniqueness of phone and WeChat openid, consent, listing, export and erasure."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Iterable

from pynamodb.exceptions import DoesNotExist

from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, keys
from chalicelib.store import plan as plans
from chalicelib.store.models import (
    ConditionItem,
    ConsentLogItem,
    PatientItem,
    UniqueItem,
    bind,
)
from chalicelib.store.records import Patient, patient_item, patient_of, patient_pk, profile_ref

__all__ = ["Patient"]  # the record (chalicelib/store/records.py), as services see it

# What the conditions of a registration's steps mean.
PROFILE_NEW = "profile"  # no record with this patient id yet
OPENID_FREE = "openid"  # the WeChat account has no record yet
PHONE_FREE = "phone"  # no patient of the clinic has this phone yet


def new_patient(clinic_id: str, patient_id: str, *, created_at: str, **fields: Any) -> Patient:
    """A new patient's record, before it is registered (`registration_steps`)."""
    return Patient(clinic_id=clinic_id, patient_id=patient_id, created_at=created_at, **fields)


def new_patient_item(clinic_id: str, patient_id: str, *, created_at: str, **fields: Any) -> PatientItem:
    """A new profile item as registration writes it (for the tools that write items in bulk)."""
    return PatientItem(
        keys.patient_pk(clinic_id, patient_id), keys.PROFILE_SK,
        gsi1pk=keys.patients_list_pk(clinic_id), gsi1sk=keys.patients_list_sort(created_at, patient_id),
        clinic_id=clinic_id, patient_id=patient_id, created_at=created_at, **fields,
    )


def condition_items(patient: PatientItem) -> list[ConditionItem]:
    return [
        ConditionItem(
            patient.pk, keys.condition_sk(condition),
            gsi1pk=keys.condition_list_pk(patient.clinic_id, condition),
            gsi1sk=keys.last_visit_sort(patient.last_visit_date, patient.patient_id),
            patient_id=patient.patient_id, name_masked=patient.name_masked,
            last_visit_date=patient.last_visit_date,
        )
        for condition in patient.conditions
    ]


def consent_log_items(patient_pk: str, changes: dict[str, dict[str, Any]], by: str | None = None) -> list[ConsentLogItem]:
    """The log entries of these consent changes; `by` says who made them ("patient" or "staff:<username>")."""
    return [
        ConsentLogItem(patient_pk, keys.consent_log_sk(state["at"], purpose, uuid.uuid4().hex[:8]), purpose=purpose,
                       granted=state["granted"], version=state["version"], at=state["at"], by=by)
        for purpose, state in changes.items()
    ]


def registration_steps(patient: Patient, openid_hash: str | None,
                       consents: dict[str, dict[str, Any]], consent_by: str | None = None) -> list[plans.Step]:
    """A new patient's items as plan steps: the record, its uniqueness claims (WeChat account
    first, then phone: a refusal of either has one meaning, attached to the step), the condition
    index entries and the consent log. The referrer's reward (chalicelib.store.referrals) and the
    segment memberships (chalicelib.store.segments) join the same plan."""
    clinic_id = patient.clinic_id
    item = patient_item(patient)
    steps = [plans.put(item, PROFILE_NEW, PatientItem.pk.does_not_exist())]
    if openid_hash:
        steps.append(plans.put(
            UniqueItem(keys.openid_pk(clinic_id, openid_hash), keys.UNIQUE_SK, patient_id=patient.patient_id),
            OPENID_FREE, UniqueItem.pk.does_not_exist(),
            Conflict("this WeChat account already has a record", code="already_registered")))
    steps.append(plans.put(
        UniqueItem(keys.phone_pk(clinic_id, patient.phone_hash), keys.UNIQUE_SK, patient_id=patient.patient_id),
        PHONE_FREE, UniqueItem.pk.does_not_exist(),
        Conflict("a patient with this phone is already registered", code="phone_registered", field="phone")))
    steps += [plans.put(entry, f"condition:{entry.sk}") for entry in condition_items(item)]
    steps += [plans.put(entry, f"consent:{entry.purpose}") for entry in consent_log_items(item.pk, consents, consent_by)]
    return steps


def get(clinic_id: str, patient_id: str, *, consistent: bool = False) -> Patient:
    bind()
    try:
        return patient_of(PatientItem.get(keys.patient_pk(clinic_id, patient_id), keys.PROFILE_SK,
                                          consistent_read=consistent))
    except DoesNotExist as exc:
        raise NotFound("patient not found", code="patient_not_found") from exc


def patient_by_unique(pk: str) -> str | None:
    bind()
    try:
        return UniqueItem.get(pk, keys.UNIQUE_SK).patient_id
    except DoesNotExist:
        return None


def by_openid(clinic_id: str, openid_hash: str) -> str | None:
    return patient_by_unique(keys.openid_pk(clinic_id, openid_hash))


def by_phone(clinic_id: str, phone_hash: str) -> str | None:
    return patient_by_unique(keys.phone_pk(clinic_id, phone_hash))


def list_page(clinic_id: str, limit: int, cursor: str | None) -> tuple[list[Patient], str | None]:
    bind()
    scope = f"patients:{clinic_id}"
    result = PatientItem.by_gsi1.query(
        keys.patients_list_pk(clinic_id), scan_index_forward=False, limit=limit, page_size=limit,
        last_evaluated_key=db.decode_cursor(cursor, scope),
    )
    items = [patient_of(item) for item in result]
    return items, db.encode_cursor(result.last_evaluated_key if len(items) == limit else None, scope)


def set_consents(patient: Patient, changes: dict[str, dict[str, Any]], by: str = "patient") -> Patient:
    """Update the current consent map and append to the consent log, atomically. Returns the
    record with the new consents."""
    with db.transaction() as txn:
        actions = [PatientItem.consents[purpose].set(state) for purpose, state in changes.items()]
        txn.update(profile_ref(patient), actions=actions, condition=PatientItem.pk.exists())
        for item in consent_log_items(patient_pk(patient), changes, by):
            txn.save(item)
    return replace(patient, consents={**patient.consents, **{p: dict(state) for p, state in changes.items()}})


def partition_items(clinic_id: str, patient_id: str) -> list[dict[str, Any]]:
    return db.query_partition(keys.patient_pk(clinic_id, patient_id), consistent=True)


_INDEX_ATTRIBUTES = ("pk", "sk", "gsi1pk", "gsi1sk", "due_pk", "due_sk")
_NOT_EXPORTED = (keys.PROFILE_SK.lower(), "idem")  # the profile is exported on its own; replays are not data


def export_records(clinic_id: str, patient_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every item of the patient's partition but the profile, as plain values grouped by what it
    is (`visit`, `checkin`, `ledger`, `consentlog` ...), keys and index attributes dropped."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for raw in partition_items(clinic_id, patient_id):
        kind = raw["sk"]["S"].split("#", 1)[0].lower()
        if kind in _NOT_EXPORTED:
            continue
        record = {k: db.plain_value(v) for k, v in raw.items() if k not in _INDEX_ATTRIBUTES and k != "name_masked"}
        groups.setdefault(kind, []).append(record)
    return groups


def erase(patient: Patient) -> int:
    """Delete every item of the patient and the uniqueness claims pointing at it. Returns items deleted."""
    raw = partition_items(patient.clinic_id, patient.patient_id)
    conn = db.connection()
    from chalicelib.config import settings

    table = settings().table_name
    # The record goes first, on its own: from then on every token of the patient is refused and
    # every write that requires the record fails, while the rest is being deleted.
    conn.client.delete_item(TableName=table, Key={"pk": {"S": patient_pk(patient)}, "sk": {"S": keys.PROFILE_SK}})
    from chalicelib.store.holds import release_raw

    release_raw(patient.clinic_id, raw)  # slot places a recall offer held for the patient go back
    targets = [(item["pk"]["S"], item["sk"]["S"]) for item in raw if item["sk"]["S"] != keys.PROFILE_SK]
    # a voucher's code entry lives under the clinic, outside the patient's partition
    from chalicelib.store.challenges import CODE_SK, VOUCHER

    targets += [(keys.voucher_code_pk(patient.clinic_id, item["code"]["S"]), CODE_SK) for item in raw
                if item["sk"]["S"].startswith(VOUCHER) and "code" in item]
    from chalicelib.store.redemptions import code_entries_of

    targets += code_entries_of(patient.clinic_id, raw)
    targets.append((keys.phone_pk(patient.clinic_id, patient.phone_hash), keys.UNIQUE_SK))
    from chalicelib.store.lookups import lookup_entries_of

    targets += lookup_entries_of(patient)  # found by name and hospital number at the desk
    if patient.openid_hash:
        targets.append((keys.openid_pk(patient.clinic_id, patient.openid_hash), keys.UNIQUE_SK))
    for start in range(0, len(targets), 25):
        chunk = targets[start:start + 25]
        pending: dict[str, Any] | None = {
            table: [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}} for pk, sk in chunk]}
        while pending:
            reply = conn.client.batch_write_item(RequestItems=pending)
            pending = reply.get("UnprocessedItems") or None
    from chalicelib.store.appointments import release_places

    release_places(patient.clinic_id, raw)  # the erased patient's bookings give their places back
    return len(targets) + 1


# What a patient may change on their own record from the mini-program (PUT /me), and what
# registration and bookings set later on it.
SELF_EDITABLE = ("nickname_enc", "birth_year", "district")


def update_profile(patient: Patient, changes: dict[str, Any]) -> Patient:
    """Set (a value) or remove (None) these profile attributes in one conditional update: a
    patient erased meanwhile is not written back."""
    if not changes:
        return patient
    bind()
    actions = []
    for name, value in changes.items():
        attribute = getattr(PatientItem, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    try:
        profile_ref(patient).update(actions=actions, condition=PatientItem.pk.exists())
    except Exception as exc:  # noqa: BLE001 (PynamoDB's UpdateError: only a failed condition is ours)
        if db.condition_failed(exc):
            raise NotFound("patient not found", code="patient_not_found") from exc
        raise
    return replace(patient, **changes)


def ids_by_phone(clinic_id: str, phone_hashes: Iterable[str]) -> dict[str, str]:
    """The patient id of each phone hash that has a patient, read in batches (the import's lookup)."""
    wanted = {keys.phone_pk(clinic_id, h): h for h in phone_hashes}
    found = db.batch_get(((pk, keys.UNIQUE_SK) for pk in wanted), attributes=("patient_id",))
    return {wanted[pk]: item["patient_id"]["S"] for (pk, _), item in found.items() if "patient_id" in item}


def existing_ids(clinic_id: str, patient_ids: Iterable[str]) -> set[str]:
    """Which of these patient ids have a record in the clinic (read in batches)."""
    return set(masked_names(clinic_id, patient_ids))


def masked_names(clinic_id: str, patient_ids: Iterable[str]) -> dict[str, str | None]:
    """The masked name of each of these patients that has a record in the clinic (read in batches)."""
    wanted = {keys.patient_pk(clinic_id, pid): pid for pid in patient_ids}
    found = db.batch_get(((pk, keys.PROFILE_SK) for pk in wanted), attributes=("name_masked",))
    return {wanted[pk]: item.get("name_masked", {}).get("S") for (pk, _), item in found.items()}
