"""The front desk's lookups: patients by keyed hash of their full name (several may share one) and
of their hospital number (one patient each), the profiles behind them in one batch read, and the
one-time bind codes that link a WeChat account to a patient registered at the desk."""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from pynamodb.exceptions import DoesNotExist

from chalicelib.errors import Conflict
from chalicelib.store import db, keys
from chalicelib.store import plan as plans
from chalicelib.store.models import BindCodeItem, NameLookupItem, PatientItem, UniqueItem, bind
from chalicelib.store.records import Patient, patient_of, profile_ref

# What the conditions of these steps mean.
HOSPITAL_NO_FREE = "hospital-no"  # no other patient of the clinic has this hospital number
PROFILE_UNLINKED = "profile-unlinked"  # the record exists and has no WeChat account yet
OPENID_FREE = "bind-openid"  # the WeChat account has no record yet
CODE_LIVE = "bind-code"  # the bind code exists, is unused and has not expired
NAME_UNSET = "name-hash"  # the record exists and has no name hash yet (the backfill)

HOSPITAL_NO_TAKEN = Conflict("another patient of the clinic has this hospital number", code="hospital_no_taken",
                             field="hospital_no")
ALREADY_LINKED = Conflict("this patient's record is already linked to a WeChat account", code="patient_already_linked")


class BindCode(NamedTuple):
    patient_id: str
    expires_at: int  # epoch seconds
    used_at: str | None


def _name_entry(clinic_id: str, name_hash: str, patient_id: str) -> NameLookupItem:
    return NameLookupItem(keys.name_lookup_pk(clinic_id, name_hash), patient_id, patient_id=patient_id)


def _number_claim(clinic_id: str, number_hash: str, patient_id: str) -> UniqueItem:
    return UniqueItem(keys.hospital_no_pk(clinic_id, number_hash), keys.UNIQUE_SK, patient_id=patient_id)


def registration_steps(patient: Patient) -> list[plans.Step]:
    """A new record's lookup entries, to join its registration: its name's entry, and the claim of
    its hospital number (refused when another patient holds it)."""
    steps = []
    if patient.name_hash:
        steps.append(plans.put(_name_entry(patient.clinic_id, patient.name_hash, patient.patient_id), "name-entry"))
    if patient.hospital_no_hash:
        steps.append(plans.put(_number_claim(patient.clinic_id, patient.hospital_no_hash, patient.patient_id),
                               HOSPITAL_NO_FREE, UniqueItem.pk.does_not_exist(), HOSPITAL_NO_TAKEN))
    return steps


def by_name(clinic_id: str, name_hash: str, limit: int) -> list[str]:
    """Ids of the patients with this name, by patient id (one Query)."""
    bind()
    return [item.patient_id for item in NameLookupItem.query(keys.name_lookup_pk(clinic_id, name_hash), limit=limit)]


def by_hospital_no(clinic_id: str, number_hash: str) -> str | None:
    bind()
    try:
        return UniqueItem.get(keys.hospital_no_pk(clinic_id, number_hash), keys.UNIQUE_SK).patient_id
    except DoesNotExist:
        return None


def profiles(clinic_id: str, patient_ids: list[str]) -> list[Patient]:
    """The records of these patients (one BatchGetItem per 100), in the order asked; ids whose record
    is gone (erased meanwhile) are left out."""
    bind()
    wanted = list(dict.fromkeys(patient_ids))
    found: dict[str, Patient] = {}
    for start in range(0, len(wanted), 100):
        chunk = [(keys.patient_pk(clinic_id, pid), keys.PROFILE_SK) for pid in wanted[start:start + 100]]
        for item in PatientItem.batch_get(chunk):
            found[item.patient_id] = patient_of(item)
    return [found[pid] for pid in wanted if pid in found]


def set_hospital_no(patient: Patient, number_enc: str | None, number_hash: str | None) -> Patient:
    """Give the record this hospital number (None removes it): the new number's claim, the old
    one's release and the profile in one transaction. Refused with `hospital_no_taken` when another
    patient holds the number, `concurrent_change` when the number changed since it was read or the
    record is gone."""
    old = patient.hospital_no_hash
    if old == number_hash:
        return patient
    plan = plans.Plan()
    if number_hash:
        plan.add(plans.put(_number_claim(patient.clinic_id, number_hash, patient.patient_id), HOSPITAL_NO_FREE,
                           UniqueItem.pk.does_not_exist(), HOSPITAL_NO_TAKEN))
    if old:
        plan.add(plans.delete(_number_claim(patient.clinic_id, old, patient.patient_id), "hospital-no-old"))
    unchanged = PatientItem.hospital_no_hash == old if old else PatientItem.hospital_no_hash.does_not_exist()
    actions = ([PatientItem.hospital_no_enc.set(number_enc), PatientItem.hospital_no_hash.set(number_hash)]
               if number_hash and number_enc else
               [PatientItem.hospital_no_enc.remove(), PatientItem.hospital_no_hash.remove()])
    plan.add(plans.update(profile_ref(patient), actions, "hospital-no-profile", PatientItem.pk.exists() & unchanged,
                          Conflict("the record changed meanwhile, read it again", code="concurrent_change")))
    plans.execute(plan)
    return replace(patient, hospital_no_enc=number_enc, hospital_no_hash=number_hash)


def add_name_hash(patient: Patient, name_hash: str) -> bool:
    """Give a record made before name lookups its name hash and lookup entry (the backfill); False
    when it has one already or is gone. A rerun writes nothing twice."""
    plan = plans.Plan()
    plan.add(plans.put(_name_entry(patient.clinic_id, name_hash, patient.patient_id), "name-entry"))
    plan.add(plans.update(profile_ref(patient), [PatientItem.name_hash.set(name_hash)], NAME_UNSET,
                          PatientItem.pk.exists() & PatientItem.name_hash.does_not_exist()))
    try:
        plans.execute(plan)
    except plans.Cancelled:
        return False
    return True


def lookup_entries_of(patient: Patient) -> list[tuple[str, str]]:
    """The keys of the record's lookup entries outside its partition (for erasure)."""
    found = []
    if patient.name_hash:
        found.append((keys.name_lookup_pk(patient.clinic_id, patient.name_hash), patient.patient_id))
    if patient.hospital_no_hash:
        found.append((keys.hospital_no_pk(patient.clinic_id, patient.hospital_no_hash), keys.UNIQUE_SK))
    return found


# -- bind codes ------------------------------------------------------------------------------------

def put_bind_code(clinic_id: str, code_hash: str, patient_id: str, *, expires_at: int, created_at: str,
                  created_by: str | None) -> None:
    """Store a new bind code for a patient who has no WeChat account yet (`patient_already_linked`
    otherwise; `patient_not_found` when there is no such record)."""
    plan = plans.Plan()
    plan.add(plans.check(PatientItem(keys.patient_pk(clinic_id, patient_id), keys.PROFILE_SK),
                         PatientItem.pk.exists(), db.PROFILE_LABEL))
    plan.add(plans.put(BindCodeItem(keys.bind_code_pk(clinic_id, code_hash), keys.BIND_SK, patient_id=patient_id,
                                    expires_at=expires_at, created_at=created_at, created_by=created_by),
                       "bind-code-new", BindCodeItem.pk.does_not_exist()))
    plans.execute(plan)


def get_bind_code(clinic_id: str, code_hash: str) -> BindCode | None:
    bind()
    try:
        item = BindCodeItem.get(keys.bind_code_pk(clinic_id, code_hash), keys.BIND_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return BindCode(item.patient_id, int(item.expires_at), item.used_at)


def link(clinic_id: str, code_hash: str, patient_id: str, openid_hash: str, *, now_epoch: int, at: str) -> None:
    """Use the bind code once and link the WeChat account to its patient, in one transaction: the
    code still live (`CODE_LIVE`), the account without a record (`already_registered`), the record
    without an account (`patient_already_linked`)."""
    code_ref = BindCodeItem(keys.bind_code_pk(clinic_id, code_hash), keys.BIND_SK)
    plan = plans.Plan()
    plan.add(plans.update(code_ref, [BindCodeItem.used_at.set(at)], CODE_LIVE,
                          BindCodeItem.pk.exists() & BindCodeItem.used_at.does_not_exist()
                          & (BindCodeItem.expires_at > now_epoch) & (BindCodeItem.patient_id == patient_id)))
    plan.add(plans.put(UniqueItem(keys.openid_pk(clinic_id, openid_hash), keys.UNIQUE_SK, patient_id=patient_id),
                       OPENID_FREE, UniqueItem.pk.does_not_exist(),
                       Conflict("this WeChat account already has a record", code="already_registered")))
    plan.add(plans.update(PatientItem(keys.patient_pk(clinic_id, patient_id), keys.PROFILE_SK),
                          [PatientItem.openid_hash.set(openid_hash)], PROFILE_UNLINKED,
                          PatientItem.pk.exists() & PatientItem.openid_hash.does_not_exist(), ALREADY_LINKED))
    plans.execute(plan)
