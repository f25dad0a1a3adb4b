"""The two records every store module takes: a patient's profile and a clinic's settings, as
services see them, with the converters from and to their items. The attribute names are the
items' own; what is left out are the keys and index attributes, which stay in store/."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from pynamodb.attributes import MapAttribute

from chalicelib.store import keys
from chalicelib.store.models import ClinicItem, PatientItem, RecallJobItem


def optional_int(value: float | None) -> int | None:
    """A stored number as an int, or None when the attribute is absent."""
    return None if value is None else int(value)


@dataclass(frozen=True)
class Patient:
    """A patient's profile: encrypted and masked personal fields, conditions, consent per purpose,
    points totals, visit dates, segment memberships, the risk score and the token version."""

    clinic_id: str
    patient_id: str
    name_enc: str
    phone_enc: str
    phone_hash: str
    name_masked: str
    created_at: str
    openid_hash: str | None = None
    birth_year: int | None = None
    sex: str | None = None
    district: str | None = None
    conditions: list[str] = field(default_factory=list)
    department: str | None = None
    persona_tags: list[str] = field(default_factory=list)
    consents: dict[str, dict[str, Any]] = field(default_factory=dict)  # purpose -> {granted, version, at}
    balance: int = 0
    earned_total: int = 0
    redeemed_total: int = 0
    visit_count: int = 0
    last_visit_date: str | None = None
    revisit_due_date: str | None = None
    last_checkin_date: str | None = None
    reminders_received: int = 0
    reminders_answered: int | None = None  # bookings within 30 days of a reminder (store/appointments.py)
    board_hidden: bool = False
    exam_days: list[str] | None = None
    invite_code: str | None = None
    referred_by: str | None = None
    joined_challenges: set[str] | None = None
    last_interaction_at: str | None = None
    checkin_days: list[str] | None = None
    segments: set[str] | None = None
    seg_version: int | None = None
    seg_flip_at: str | None = None
    risk_score: float | None = None
    risk_factors: Any = None
    risk_model_version: int | None = None
    risk_scored_at: str | None = None
    followup_flag: str | None = None
    appts_active: int | None = None  # bookings still booked (store/appointments.py)
    token_version: int | None = None
    nickname_enc: str | None = None
    phone_verified: bool | None = None
    next_booking_date: str | None = None
    name_hash: str | None = None
    hospital_no_enc: str | None = None
    hospital_no_hash: str | None = None


_INTS = ("birth_year", "balance", "earned_total", "redeemed_total", "visit_count", "reminders_received",
         "seg_version", "risk_model_version", "token_version", "appts_active", "reminders_answered")
PATIENT_FIELDS = tuple(f.name for f in fields(Patient))


def patient_of(item: PatientItem) -> Patient:
    """The record of a profile item read by a GetItem, a Query or a transaction (no further read)."""
    values: dict[str, Any] = {}
    for name in PATIENT_FIELDS:
        value = getattr(item, name, None)
        if name == "consents":
            raw = value.as_dict() if isinstance(value, MapAttribute) else dict(value or {})
            value = {purpose: dict(state) for purpose, state in raw.items()}
        elif name in _INTS:
            value = optional_int(value)
        elif name in ("conditions", "persona_tags"):
            value = list(value or [])
        elif isinstance(value, list):
            value = list(value)
        elif isinstance(value, set):
            value = set(value)
        if value is None and name in ("balance", "earned_total", "redeemed_total", "visit_count",
                                      "reminders_received"):
            value = 0
        if value is None and name == "board_hidden":
            value = False
        values[name] = value
    return Patient(**values)


def patient_pk(patient: Patient) -> str:
    return keys.patient_pk(patient.clinic_id, patient.patient_id)


def profile_ref(patient: Patient) -> PatientItem:
    """The profile's item with its keys only: the target of an update or a condition."""
    return PatientItem(patient_pk(patient), keys.PROFILE_SK)


def patient_item(patient: Patient) -> PatientItem:
    """The whole profile item of a record (a registration's put), with its list index entry."""
    values = {name: getattr(patient, name) for name in PATIENT_FIELDS}
    values["segments"] = values["segments"] or None
    values["joined_challenges"] = values["joined_challenges"] or None
    return PatientItem(
        patient_pk(patient), keys.PROFILE_SK,
        gsi1pk=keys.patients_list_pk(patient.clinic_id),
        gsi1sk=keys.patients_list_sort(patient.created_at, patient.patient_id), **values,
    )


@dataclass(frozen=True)
class Clinic:
    """A clinic's settings: name, zone, wrapped data key, conditions, earning rules and limits,
    points term, perks, silent days and who gets the follow-up plans nobody started by hand."""

    clinic_id: str
    name: str
    tz: str
    wrapped_key: str
    created_at: str
    conditions: list[str] = field(default_factory=list)
    earning_rules: dict[str, int] = field(default_factory=dict)
    earning_limits: dict[str, dict[str, int]] | None = None  # {rule: {day|week|month: max}}; None: the defaults
    points_expiry_months: int | None = None  # None: the default term
    perks: list[dict[str, Any]] | None = None  # None: the default perks
    silent_days: int | None = None  # None: the default
    catalogue: dict[str, Any] | None = None  # the stored sections (domain.catalogue); None: the defaults
    followup_assignee: str | None = None  # the staff username given follow-up plans nobody started by hand
    holdout_share: float | None = None  # the lasting holdout's share; None: the default (domain.holdout)
    recall_timing: dict[str, Any] | None = None  # bounds of learned recall days; None: the defaults (domain.timing)
    learned_recall_days: dict[str, Any] | None = None  # {computed_at, days: {condition: day}} from the training


def clinic_of(clinic_id: str, item: ClinicItem) -> Clinic:
    return Clinic(
        clinic_id=clinic_id, name=item.name, tz=item.tz, wrapped_key=item.wrapped_key, created_at=item.created_at,
        conditions=list(item.conditions or []), earning_rules=dict(item.earning_rules or {}),
        earning_limits=item.earning_limits, points_expiry_months=optional_int(item.points_expiry_months),
        perks=item.perks, silent_days=optional_int(item.silent_days), catalogue=item.catalogue,
        followup_assignee=item.followup_assignee,
        holdout_share=float(item.holdout_share) if item.holdout_share is not None else None,
        recall_timing=item.recall_timing, learned_recall_days=item.learned_recall_days,
    )


@dataclass
class RecallJob:
    """An outbound job (a recall reminder or another kind: content, package, follow-up ...) for one
    patient: what to send, when, and what happened to it. Open while it has a `due_sort` (its place
    in the due index). `store.recall.begin_external` and `end_external` update the record as they
    write the job (in flight, cap counted, deliveries), so the sender's next step sees it."""

    clinic_id: str
    patient_id: str
    job_id: str  # its name within the patient's record (the message it stands for)
    rule_id: str  # the source: a recall rule's id for recall jobs
    anchor_date: str
    due_at: str
    due_sort: str | None = None
    condition: str | None = None
    status: str = "pending"
    lease_until: str | None = None
    processed_at: str | None = None
    channel: str | None = None
    kind: str = "recall"
    purpose: str = "service"
    anchor: str | None = None
    offset_days: int | None = None
    context: dict[str, Any] | None = None
    stop_on: list[str] | None = None
    deferred_until: str | None = None
    counted_week: str | None = None
    inflight: str | None = None
    deliveries: list[dict[str, Any]] | None = None
    error_code: str | None = None
    stop_reason: str | None = None
    capacity_since: str | None = None  # first deferred for want of a free slot place (capacity-aware recall)
    capacity_retry_at: str | None = None  # the last such deferral's end: relevance counts from here
    converted_on: str | None = None  # a sent message: the day of the first visit within 30 days of it (KPIs)


_JOB_FIELDS = tuple(f.name for f in fields(RecallJob) if f.name not in ("clinic_id", "job_id", "due_sort"))


def job_of(clinic_id: str, item: RecallJobItem) -> RecallJob:
    values = {name: getattr(item, name) for name in _JOB_FIELDS}
    values["offset_days"] = optional_int(item.offset_days)
    values["kind"], values["purpose"] = item.kind or "recall", item.purpose or "service"
    values["stop_on"] = list(item.stop_on) if item.stop_on is not None else None
    return RecallJob(clinic_id=clinic_id, job_id=item.sk, due_sort=item.due_sk if item.due_pk else None, **values)


def job_ref(job: RecallJob) -> RecallJobItem:
    """The job's item with its keys only: the target of an update."""
    return RecallJobItem(keys.patient_pk(job.clinic_id, job.patient_id), job.job_id)


def job_item(job: RecallJob) -> RecallJobItem:
    """The whole item of an open job, in the due index."""
    return RecallJobItem(keys.patient_pk(job.clinic_id, job.patient_id), job.job_id,
                         due_pk=keys.due_pk(job.clinic_id) if job.due_sort else None, due_sk=job.due_sort,
                         **{name: getattr(job, name) for name in _JOB_FIELDS})
