"""PynamoDB models over the one table. Key formats live in `keys`; see docs/access-patterns.md.

Items of a patient share the partition `<clinic>#P#<patient>`, so a patient's page is one
Query and a patient can never read another's items by construction.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.store import schema

_M = TypeVar("_M", bound=Model)


def _strings(**options: Any) -> ListAttribute[str]:
    """A list of strings. PynamoDB types `ListAttribute(of=UnicodeAttribute)` as a list of the
    attribute class, not of the values it holds (pynamodb#1246), hence the cast."""
    return cast("ListAttribute[str]", ListAttribute(of=UnicodeAttribute, **options))


def _numbers(**options: Any) -> ListAttribute[float]:
    """A list of numbers (as `_strings`)."""
    return cast("ListAttribute[float]", ListAttribute(of=NumberAttribute, **options))


class Gsi1(GlobalSecondaryIndex[_M]):
    class Meta:
        index_name = schema.GSI1
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class DueIndex(GlobalSecondaryIndex[_M]):
    class Meta:
        index_name = schema.DUE_INDEX
        projection = KeysOnlyProjection()

    due_pk = UnicodeAttribute(hash_key=True)
    due_sk = UnicodeAttribute(range_key=True)


class Base(Model):
    class Meta:
        table_name = "revisit-local"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class ClinicRegistryItem(Base):
    """pk=CLINICS sk=<clinic>: the small list the schedules walk over."""

    name = UnicodeAttribute()


class ClinicItem(Base):
    """pk=<clinic> sk=CLINIC: settings and the clinic's wrapped data key."""

    name = UnicodeAttribute()
    tz = UnicodeAttribute()
    wrapped_key = UnicodeAttribute()
    earning_rules = JSONAttribute(default=dict)
    earning_limits = JSONAttribute(null=True)  # {rule: {day|week|month: max}}; None: the defaults
    points_expiry_months = NumberAttribute(null=True)  # None: the default term
    perks = JSONAttribute(null=True)  # [{perk_id, name, name_en, badges_required}]; None: the defaults
    silent_days = NumberAttribute(null=True)  # silent after this many days without interaction; None: the default
    conditions = _strings(default=list)
    created_at = UnicodeAttribute()
    catalogue = JSONAttribute(null=True)  # {section: [entries]} (domain.catalogue); a section absent: the defaults
    followup_assignee = UnicodeAttribute(null=True)  # who gets the follow-up plans nobody started by hand
    holdout_share = NumberAttribute(null=True)  # the lasting holdout's share (domain.holdout); None: the default
    recall_timing = JSONAttribute(null=True)  # {earliest_day, latest_day} of learned recalls; None: the defaults
    # {computed_at, days: {condition: suggested recall day}}: the daily training's drop-out curves,
    # kept here so planning reads them with the clinic (cached), not the curves' large item
    learned_recall_days = JSONAttribute(null=True)


class ConsentState(MapAttribute[str, Any]):
    granted = BooleanAttribute()
    version = UnicodeAttribute()
    at = UnicodeAttribute()


class PatientItem(Base):
    """pk=<clinic>#P#<patient> sk=PROFILE; in gsi1 under <clinic>#PATIENTS by creation time."""

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1: Gsi1[PatientItem] = Gsi1()
    clinic_id = UnicodeAttribute()
    patient_id = UnicodeAttribute()
    name_enc = UnicodeAttribute()
    phone_enc = UnicodeAttribute()
    phone_hash = UnicodeAttribute()
    name_masked = UnicodeAttribute()
    openid_hash = UnicodeAttribute(null=True)
    birth_year = NumberAttribute(null=True)
    sex = UnicodeAttribute(null=True)
    district = UnicodeAttribute(null=True)
    conditions = _strings(default=list)
    department = UnicodeAttribute(null=True)
    persona_tags = _strings(default=list)
    consents: MapAttribute[str, Any] = MapAttribute(default=dict)
    balance = NumberAttribute(default=0)
    earned_total = NumberAttribute(default=0)
    redeemed_total = NumberAttribute(default=0)
    visit_count = NumberAttribute(default=0)
    last_visit_date = UnicodeAttribute(null=True)
    revisit_due_date = UnicodeAttribute(null=True)
    last_checkin_date = UnicodeAttribute(null=True)
    reminders_received = NumberAttribute(default=0)
    reminders_answered = NumberAttribute(null=True)  # bookings made within 30 days of a reminder (recall ranking)
    board_hidden = BooleanAttribute(default=False)  # the patient chose not to appear on leaderboards
    exam_days = _strings(null=True)  # days of the patient's exams, for the re-check KPI
    invite_code = UnicodeAttribute(null=True)  # the patient's own code for inviting others
    referred_by = UnicodeAttribute(null=True)  # the patient whose code brought this one
    joined_challenges = UnicodeSetAttribute(null=True)  # challenge ids the patient joined, for the joined/not KPI
    # segments (docs/segments.md): facts kept for the rules, and the patient's memberships
    last_interaction_at = UnicodeAttribute(null=True)  # check-in, share, redemption, inbox read, visit, registration
    checkin_days = _strings(null=True)  # distinct clinic-local days of the last 60
    segments = UnicodeSetAttribute(null=True)  # ids of the segments the patient is in
    seg_version = NumberAttribute(null=True)  # guards membership writes made from a read of this profile
    seg_flip_at = UnicodeAttribute(null=True)  # when a time-relative segment next changes its answer
    # risk (docs/risk.md): written by the daily scoring with ProfileRiskFields, read here by segments
    risk_score = NumberAttribute(null=True)
    risk_factors = JSONAttribute(null=True)
    risk_model_version = NumberAttribute(null=True)
    risk_scored_at = UnicodeAttribute(null=True)
    followup_flag = UnicodeAttribute(null=True)
    appts_active = NumberAttribute(null=True)  # bookings still booked (store/appointments.py keeps it in their transactions)
    # tokens carry the version they were issued under; raising it ends every session at once
    token_version = NumberAttribute(null=True)
    # the mini-program: the patient's chosen nickname (encrypted, personal data), a phone number
    # WeChat vouched for (getPhoneNumber), the next booked visit day
    nickname_enc = UnicodeAttribute(null=True)
    phone_verified = BooleanAttribute(null=True)
    next_booking_date = UnicodeAttribute(null=True)
    # the front desk (docs/access-patterns.md, "Front desk"): keyed hashes of the normalised full
    # name and hospital number, for their lookup items; the number itself encrypted
    name_hash = UnicodeAttribute(null=True)
    hospital_no_enc = UnicodeAttribute(null=True)
    hospital_no_hash = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class UniqueItem(Base):
    """pk=<clinic>#PHONE#<hash> or <clinic>#WX#<hash>, sk=UNIQUE: one patient per phone/openid."""

    patient_id = UnicodeAttribute()


class ConditionItem(Base):
    """pk=<patient partition> sk=COND#<condition>; gsi1 <clinic>#COND#<condition> / <last visit>#<patient>."""

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_gsi1: Gsi1[ConditionItem] = Gsi1()
    patient_id = UnicodeAttribute()
    name_masked = UnicodeAttribute()
    last_visit_date = UnicodeAttribute(null=True)


class ConsentLogItem(Base):
    """sk=CONSENTLOG#<time>#<purpose>#<nonce>: every grant and withdrawal, with its text version."""

    purpose = UnicodeAttribute()
    granted = BooleanAttribute()
    version = UnicodeAttribute()
    at = UnicodeAttribute()
    by = UnicodeAttribute(null=True)  # "patient", or "staff:<username>" for a desk registration; absent on old entries


class VisitItem(Base):
    """sk=VISIT#<date>#<visit id>."""

    visit_id = UnicodeAttribute()
    visit_date = UnicodeAttribute()
    department = UnicodeAttribute()
    next_due_date = UnicodeAttribute(null=True)
    on_time = BooleanAttribute(default=False)
    source = UnicodeAttribute(default="staff")
    recorded_by = UnicodeAttribute(null=True)
    recorded_at = UnicodeAttribute()


class RevisitDueItem(Base):
    """sk=DUE#<due date>: a requested revisit; gsi1 <clinic>#DUEDATE / <due date>#<patient> for KPIs."""

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_gsi1: Gsi1[RevisitDueItem] = Gsi1()
    due_date = UnicodeAttribute()
    status = UnicodeAttribute(default="pending")  # pending | on_time | late
    met_on = UnicodeAttribute(null=True)
    # what the KPI counters count it by, from its patient when requested (domain.counters.due_groups)
    groups: MapAttribute[str, Any] = MapAttribute(null=True)


class CheckInItem(Base):
    """sk=CHECKIN#<local date>#<type>#<check-in id>."""

    checkin_id = UnicodeAttribute()
    type = UnicodeAttribute()
    value = NumberAttribute()
    local_date = UnicodeAttribute()
    client_time = UnicodeAttribute()
    received_at = UnicodeAttribute()
    counted = BooleanAttribute(default=False)
    context = UnicodeAttribute(null=True)  # glucose: when the reading was taken
    diastolic = NumberAttribute(null=True)  # blood pressure: the second number (value is the systolic)
    by = UnicodeAttribute(null=True)  # a carer who checked in for the patient (docs/households.md)


class DayMarkItem(Base):
    """sk=DAYMARK#<type>#<local date>: the first check-in of a type on a clinic day (the one that counts)."""

    checkin_id = UnicodeAttribute()


class LedgerItem(Base):
    """sk=LEDGER#<deterministic entry id>: the truth about points; never edited."""

    entry_id = UnicodeAttribute()
    points = NumberAttribute()
    reason = UnicodeAttribute()
    ref = UnicodeAttribute(null=True)
    at = UnicodeAttribute()
    note = UnicodeAttribute(null=True)  # staff's reason for an adjustment or reversal
    staff = UnicodeAttribute(null=True)  # who made it


class RewardItem(Base):
    """pk=<clinic> sk=REWARD#<reward id>: the rewards catalogue."""

    reward_id = UnicodeAttribute()
    name = UnicodeAttribute()
    name_en = UnicodeAttribute(null=True)
    cost = NumberAttribute()
    active = BooleanAttribute(default=True)
    stock = NumberAttribute(null=True)  # None: no stock kept (unlimited)
    per_patient_limit = NumberAttribute(null=True)  # None: no limit per patient


class RewardUseItem(Base):
    """sk=RLIMIT#<reward id>: how many of a limited reward the patient has redeemed."""

    # shadows the classmethod Model.count(), never called on this item (the dev seed sets `count`)
    count = NumberAttribute(default=0)  # type: ignore[assignment]


class PointsLotItem(Base):
    """sk=LOT#<expires on>: points earned in one clinic month, expiring together.

    While points remain it sits in gsi1 under <clinic>#LOTEXP / <expires on>#<patient>, where the
    expiry job finds what is due; spending takes from the earliest-expiring lot first.
    """

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1: Gsi1[PointsLotItem] = Gsi1()
    patient_id = UnicodeAttribute()
    expires_on = UnicodeAttribute()
    remaining = NumberAttribute(default=0)


class LimitCounterItem(Base):
    """sk=LIMIT#<rule>#<period key>: how often a rule paid out in a clinic-local day, week or month."""

    # shadows the classmethod Model.count(), never called on this item (the dev seed sets `count`)
    count = NumberAttribute(default=0)  # type: ignore[assignment]
    expires_at = NumberAttribute(null=True)


class BoardEntryItem(Base):
    """sk=LB#<yyyy-mm>: the patient's points earned in a clinic month.

    In gsi1 under <clinic>#LB#<month>#<shard> / <zero-padded score>#<patient> unless the patient
    chose not to appear; the shard spreads a busy clinic's board writes over several partitions.
    """

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1: Gsi1[BoardEntryItem] = Gsi1()
    patient_id = UnicodeAttribute()
    month = UnicodeAttribute()
    score = NumberAttribute(default=0)
    name_masked = UnicodeAttribute()


class RedemptionItem(Base):
    """sk=REDEEM#<redemption id>; its code (for the desk) has an entry of its own, RedemptionCodeItem."""

    redemption_id = UnicodeAttribute()
    reward_id = UnicodeAttribute()
    reward_name = UnicodeAttribute()
    cost = NumberAttribute()
    status = UnicodeAttribute(default="issued")  # issued (waiting at the desk) or fulfilled
    at = UnicodeAttribute()
    code = UnicodeAttribute(null=True)  # absent on redemptions made before codes; given on first listing
    fulfilled_at = UnicodeAttribute(null=True)
    fulfilled_by = UnicodeAttribute(null=True)


class RedemptionCodeItem(Base):
    """pk=<clinic>#RCODE#<code> sk=RCODE: finds a redemption by its code at the clinic's desk."""

    patient_id = UnicodeAttribute()
    redemption_id = UnicodeAttribute()


class IdempotencyItem(Base):
    """sk=IDEM#<route>#<key>: the first answer to a retried write, expiring after a day.

    While the first request runs, a claimed key has `claimed_until` (epoch seconds) and no answer.
    """

    status = NumberAttribute()
    response = JSONAttribute()
    request_hash = UnicodeAttribute()
    expires_at = NumberAttribute()
    claimed_until = NumberAttribute(null=True)


class SessionItem(Base):
    """pk=<clinic>#SESSION#<family> sk=SESSION: one WeChat login and the refresh tokens it hands out.

    Only the newest refresh token (`jti`) may be exchanged; presenting an older one revokes the
    family. The item expires with its last refresh token.
    """

    openid_hash = UnicodeAttribute()
    jti = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)
    revoked_reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    rotated_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()


class StaffAccountItem(Base):
    """pk=<clinic>#STAFF#<sub> sk=ACCOUNT: a staff account as the app knows it.

    The identity provider signs the tokens; this record says whether they still count: a
    disabled account or a token issued before `tokens_valid_after` (a role change, a sign-out
    everywhere) is refused, and the token's role must be the account's role.
    """

    gsi1 = Gsi1["StaffAccountItem"]()
    gsi1pk = UnicodeAttribute(null=True)  # <clinic>#STAFFLIST: the clinic's accounts by username
    gsi1sk = UnicodeAttribute(null=True)
    username = UnicodeAttribute()
    role = UnicodeAttribute()
    status = UnicodeAttribute(default="active")  # active | disabled
    tokens_valid_after = NumberAttribute(default=0)  # epoch seconds
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    wecom_userid = UnicodeAttribute(null=True)  # the member's WeCom UserID, when they sign in through WeCom
    created_at = UnicodeAttribute(null=True)


class InboxItem(Base):
    """sk=INBOX#<sortable message id>: the patient's in-app inbox."""

    message_id = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    purpose = UnicodeAttribute()
    created_at = UnicodeAttribute()
    read_at = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)  # reminder | content; absent on messages stored before kinds
    media = UnicodeAttribute(null=True)  # a content step's text | link | audio
    link = UnicodeAttribute(null=True)  # an article's or audio's address


class RecallRuleItem(Base):
    """pk=<clinic> sk=RECALLRULE#<rule id>: a condition's or a department's recall rule."""

    rule_id = UnicodeAttribute()
    condition = UnicodeAttribute(null=True)
    department = UnicodeAttribute(null=True)
    anchor = UnicodeAttribute()
    offset_days = NumberAttribute()  # the first of `offsets`
    offsets = _numbers(null=True)  # None: [offset_days]
    send_at = UnicodeAttribute()
    template = UnicodeAttribute()
    purpose = UnicodeAttribute()
    stop_on = _strings(null=True)  # None: booked and visited
    active = BooleanAttribute(default=True)
    updated_at = UnicodeAttribute(null=True)
    timing = UnicodeAttribute(null=True)  # fixed | learned (domain.timing); None: fixed
    targeting = UnicodeAttribute(null=True)  # None: all; "uplift": marketing sent only where predicted to help
    uplift_threshold = NumberAttribute(null=True)  # with uplift; None: the default (0)


class RecallJobItem(Base):
    """sk=OUT#<kind>#<source>#<anchor date>#<offset>: one planned outbound message (a recall reminder, ...).

    While pending it sits in the sparse due index (due_pk=<clinic>#DUE, due_sk=<due time>#<patient>#<kind>:<source>);
    once processed it leaves that index and enters the reminder log (gsi1 <clinic>#REMLOG).
    `due_at` is the planned time and never moves; quiet hours and caps move `due_sk` only.
    """

    due_pk = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    by_due: DueIndex[RecallJobItem] = DueIndex()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1: Gsi1[RecallJobItem] = Gsi1()
    patient_id = UnicodeAttribute()
    rule_id = UnicodeAttribute()  # the source (a recall rule's id for recall jobs)
    condition = UnicodeAttribute(null=True)
    anchor_date = UnicodeAttribute()
    due_at = UnicodeAttribute()
    # pending | queued | deferred | sent | skipped_no_consent | stopped | stale | capped | held_out | failed
    status = UnicodeAttribute(default="pending")
    lease_until = UnicodeAttribute(null=True)
    processed_at = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(default="recall")
    purpose = UnicodeAttribute(default="service")
    anchor = UnicodeAttribute(null=True)
    offset_days = NumberAttribute(null=True)
    context = JSONAttribute(null=True)  # what the composer needs besides the source (doctor, package ...)
    stop_on = _strings(null=True)  # events that stop the job: booked, visited
    deferred_until = UnicodeAttribute(null=True)  # the last time quiet hours or a cap moved it
    counted_week = UnicodeAttribute(null=True)  # the ISO week whose cap counters (weekly and daily) this message took
    inflight = UnicodeAttribute(null=True)  # an external channel called and not yet answered
    deliveries = JSONAttribute(null=True)  # [{channel, status, error_code, at}] in the order tried
    error_code = UnicodeAttribute(null=True)
    stop_reason = UnicodeAttribute(null=True)
    capacity_since = UnicodeAttribute(null=True)  # first deferred for want of a free slot place (no_capacity)
    capacity_retry_at = UnicodeAttribute(null=True)
    converted_on = UnicodeAttribute(null=True)  # sent: the first visit within 30 days of it (domain.counters)  # the end of the latest such deferral


class KpiItem(Base):
    """pk=<clinic> sk=KPI#CURRENT: the dashboard's precomputed figures."""

    generated_at = UnicodeAttribute()
    kpis = JSONAttribute()
    charts = JSONAttribute()


class ChallengeItem(Base):
    """pk=<clinic> sk=CHALLENGE#<challenge id>: a streak challenge staff defined (terms as in domain.challenges)."""

    challenge_id = UnicodeAttribute()
    terms = JSONAttribute()
    active = BooleanAttribute(default=True)
    participants = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class EnrolmentItem(Base):
    """sk=PROG#CH#<challenge id>: a patient's enrolment, with the terms they joined under and the streak state.

    `days` are the counted days not yet part of a rewarded streak (domain.streaks.Progress);
    `version` guards every update, so two evaluations of the same state cannot both write.
    """

    challenge_id = UnicodeAttribute()
    terms = JSONAttribute()
    joined_at = UnicodeAttribute()
    joined_on = UnicodeAttribute()
    version = NumberAttribute(default=0)
    days = _strings(default=list)
    closed_until = UnicodeAttribute(null=True)
    closed_gap = UnicodeAttribute(null=True)
    completed = NumberAttribute(default=0)
    best = NumberAttribute(default=0)
    last_day = UnicodeAttribute(null=True)  # the latest counted day
    streak_start = UnicodeAttribute(null=True)  # of the latest open run
    streak_length = NumberAttribute(default=0)
    grace_used = NumberAttribute(default=0)
    rewards = JSONAttribute(default=list)  # one entry per completed streak, newest last (at most 50 kept)
    updated_at = UnicodeAttribute(null=True)


class VoucherItem(Base):
    """sk=VOUCHER#<voucher id>: a voucher issued to the patient; redeemed once at the desk."""

    voucher_id = UnicodeAttribute()
    code = UnicodeAttribute()
    kind = UnicodeAttribute()
    name = UnicodeAttribute()
    name_en = UnicodeAttribute(null=True)
    source = UnicodeAttribute()  # challenge:<challenge id>:<streak start>
    issued_at = UnicodeAttribute()
    valid_until = UnicodeAttribute()  # last valid clinic-local day
    expires_at = UnicodeAttribute()  # UTC ISO 8601; compared as text in the redemption condition
    status = UnicodeAttribute(default="issued")  # issued | redeemed
    redeemed_at = UnicodeAttribute(null=True)
    redeemed_by = UnicodeAttribute(null=True)


class VoucherCodeItem(Base):
    """pk=<clinic>#VCODE#<code> sk=VCODE: finds a voucher by its code at the clinic's desk."""

    patient_id = UnicodeAttribute()
    voucher_id = UnicodeAttribute()


class TaskRuleItem(Base):
    """pk=<clinic> sk=TASKRULE#<flag>: the tasks an exam with this abnormal flag assigns."""

    flag = UnicodeAttribute()
    tasks = JSONAttribute(default=list)  # [domain.tasks.TaskTerms.as_dict()]
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)


class ExamItem(Base):
    """sk=EXAM#<exam id>: an exam result as its abnormal flags only (the values stay in the clinic's system)."""

    exam_id = UnicodeAttribute()
    taken_on = UnicodeAttribute()
    flags = _strings(default=list)
    recorded_at = UnicodeAttribute()
    recorded_by = UnicodeAttribute(null=True)
    source = UnicodeAttribute(default="staff")  # staff | import
    tasks = _strings(default=list)  # ids of the tasks it assigned


class TaskItem(Base):
    """sk=PROG#TASK#<task id>: a task assigned from an exam, with the terms copied and its marks.

    Read by the check-in's one Query of PROG#; `version` guards every update.
    """

    task_id = UnicodeAttribute()
    task_key = UnicodeAttribute()
    flag = UnicodeAttribute()
    exam_id = UnicodeAttribute()
    terms = JSONAttribute()
    assigned_on = UnicodeAttribute()
    due_on = UnicodeAttribute()
    marks = _strings(default=list)  # counted clinic-local days / session days
    completed_on = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)
    confirmed_by = _strings(default=list)  # staff, one per session, in order


class BadgeItem(Base):
    """sk=BADGE#<task id>: an e-badge a completed task awarded (written once)."""

    badge_id = UnicodeAttribute()
    name = UnicodeAttribute()
    name_en = UnicodeAttribute(null=True)
    task_id = UnicodeAttribute()
    task_key = UnicodeAttribute()
    earned_on = UnicodeAttribute()


class ExperimentItem(Base):
    """pk=<clinic> sk=EXPERIMENT#<experiment id>: an A/B experiment on a target's messages (domain.experiments)."""

    experiment_id = UnicodeAttribute()
    name = UnicodeAttribute()
    target_kind = UnicodeAttribute()  # recall_rule (later: a segment's content path)
    target_id = UnicodeAttribute()
    arms = JSONAttribute(default=list)  # [ArmTerms.as_dict()]
    holdout_share = NumberAttribute(default=0)
    window_days = NumberAttribute()
    alpha = NumberAttribute()
    sample_size_per_arm = NumberAttribute()
    status = UnicodeAttribute(default="draft")  # draft | running | stopped | promoted
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    stopped_at = UnicodeAttribute(null=True)
    promoted_arm = UnicodeAttribute(null=True)


class ExperimentRunItem(Base):
    """pk=<clinic> sk=EXPRUN#<target kind>#<target id>: the one running experiment on a target.

    Carries a copy of the split (arms, holdout share), so the sender finds the arm of a patient
    with one GetItem. An experiment starts only while the marker names none, and ending it clears the name.
    """

    experiment_id = UnicodeAttribute(null=True)  # None: no experiment runs on the target
    arms = JSONAttribute(null=True)
    holdout_share = NumberAttribute(null=True)
    window_days = NumberAttribute(null=True)


class ExposureItem(Base):
    """sk=EXPO#<experiment id>: a patient sent (or held out from) an experiment's message, once.

    In gsi1 under <clinic>#EXPO#<experiment> / <arm>#<patient>, where the results are counted.
    """

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_gsi1: Gsi1[ExposureItem] = Gsi1()
    experiment_id = UnicodeAttribute()
    arm_id = UnicodeAttribute()
    holdout = BooleanAttribute(default=False)
    patient_id = UnicodeAttribute()
    sent_at = UnicodeAttribute()  # UTC; for the holdout, when the message would have been sent
    sent_day = UnicodeAttribute()  # clinic-local day of sent_at
    window_ends = UnicodeAttribute()  # last clinic-local day a visit converts
    message_ref = UnicodeAttribute(null=True)
    incentive_points = NumberAttribute(default=0)
    converted_on = UnicodeAttribute(null=True)  # the converting visit's day
    converted_visit = UnicodeAttribute(null=True)


class AnchorItem(Base):
    """sk=ANCHOR#<anchor>#<date>#<scope>: an anchor event of a patient (a visit, remission, surgery,
    delivery, package end), kept so a recall rule saved later can count and plan the patients it
    reaches. In gsi1 under <clinic>#ANCHOR#<anchor> / <date>#<patient>#<scope>; gone with the
    table's TTL after `expires_at`, when no rule's offset can reach it any more."""

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_gsi1: Gsi1[AnchorItem] = Gsi1()
    patient_id = UnicodeAttribute()
    anchor = UnicodeAttribute()
    anchor_date = UnicodeAttribute()
    condition = UnicodeAttribute(null=True)  # named by the event
    department = UnicodeAttribute(null=True)  # named by the event
    conditions = _strings(null=True)  # the patient's, when the event was recorded
    patient_department = UnicodeAttribute(null=True)
    context = JSONAttribute(null=True)  # doctor, package ... as given with the event
    expires_at = NumberAttribute(null=True)  # epoch seconds (the table's TTL attribute)


class PackageTypeItem(Base):
    """pk=<clinic> sk=PKGDEF#<package id>: a member package the clinic sells (its catalogue)."""

    package_id = UnicodeAttribute()
    name = UnicodeAttribute()
    name_en = UnicodeAttribute(null=True)
    term_months = NumberAttribute()
    renewal_window_days = NumberAttribute()
    active = BooleanAttribute(default=True)
    updated_at = UnicodeAttribute()


class PackageItem(Base):
    """sk=PKG#<start day>#<sale id>: a package sold to the patient, with its term copied.

    In gsi1 under <clinic>#PKGEND / <end day>#<patient>#<sale>, where the renewal rate (and a KPI
    job) finds the packages that ended in a period.
    """

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_gsi1: Gsi1[PackageItem] = Gsi1()
    sale_id = UnicodeAttribute()
    patient_id = UnicodeAttribute()
    package_id = UnicodeAttribute()
    name = UnicodeAttribute()
    name_en = UnicodeAttribute(null=True)
    term_months = NumberAttribute()
    renewal_window_days = NumberAttribute()
    start_date = UnicodeAttribute()
    end_date = UnicodeAttribute()  # last day covered
    sold_at = UnicodeAttribute()
    sold_by = UnicodeAttribute(null=True)
    renewal_of = UnicodeAttribute(null=True)  # sale id of the package this one renews
    renewed_by = UnicodeAttribute(null=True)  # sale id of the package that renewed this one
    renewed_on = UnicodeAttribute(null=True)  # start day of that renewal


class ProfileRiskFields(Base):
    """The risk and follow-up attributes of a patient profile (sk=PROFILE), for reading and updating them alone.

    Only ever read with `attributes_to_get` or updated; never saved, which would replace the profile.
    """

    risk_score = NumberAttribute(null=True)  # 0..1, probability of no visit in the next six months; absent
    #                                           while the revisit date lies beyond them (see risk_model_version)
    risk_factors = JSONAttribute(null=True)  # top three features with direction, in staff's words
    risk_model_version = NumberAttribute(null=True)
    risk_scored_at = UnicodeAttribute(null=True)
    followup_flag = UnicodeAttribute(null=True)  # wrong_number: staff should check the phone
    consents: MapAttribute[str, Any] = MapAttribute(null=True)  # read only: analytics consent gates a score


class RiskEntryItem(Base):
    """sk=RISK: a scored patient in gsi1 under <clinic>#RISK / <inverted zero-padded score>#<patient>."""

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_gsi1: Gsi1[RiskEntryItem] = Gsi1()
    patient_id = UnicodeAttribute()
    name_masked = UnicodeAttribute(null=True)
    conditions = _strings(default=list)
    risk_score = NumberAttribute()
    risk_factors = JSONAttribute(default=list)
    risk_model_version = NumberAttribute()
    scored_at = UnicodeAttribute()


class RiskSummaryItem(Base):
    """sk=RISKSUM: the patient's risk feature summary (chalicelib.domain.risk_summary), kept by the
    table's stream. While the patient is to be scored again it sits in the due index under
    <clinic>#RISKDUE / <time>#<patient>; with analytics consent, in gsi1 under <clinic>#RISKSUM /
    <sample bucket>#<patient> (the training sample and a new model's re-scoring page through it)."""

    due_pk = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    by_due: DueIndex[RiskSummaryItem] = DueIndex()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1: Gsi1[RiskSummaryItem] = Gsi1()
    patient_id = UnicodeAttribute()
    facts = JSONAttribute(null=True)
    rev = NumberAttribute(default=0)  # raised by every change of the facts: guards the writes made from a read
    applied = _strings(default=list)  # event ids of the last changes applied
    erased = BooleanAttribute(null=True)  # the patient was erased: later changes are ignored
    expires_at = NumberAttribute(null=True)  # epoch seconds (the table's TTL): the erased marker goes after a while
    rebuild = BooleanAttribute(null=True)  # analytics consent granted: facts to be built from the partition
    updated_at = UnicodeAttribute(null=True)
    # the score last written from it (by the scoring, not by the stream)
    score = NumberAttribute(null=True)
    score_version = NumberAttribute(null=True)
    score_factors = JSONAttribute(null=True)


class RiskStateItem(Base):
    """pk=<clinic> sk=RISKSTATE: whether the clinic's summaries are built, and where an unfinished
    backfill or re-scoring pass stands (its cursor)."""

    summaries_ready = BooleanAttribute(default=False)
    phase = UnicodeAttribute(null=True)  # backfill | rescore
    cursor = JSONAttribute(null=True)
    rescore_version = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class RiskModelItem(Base):
    """pk=<clinic> sk=RISKMODEL#<zero-padded version>: one trained lapse model (the last few are kept)."""

    version = NumberAttribute()
    trained_at = UnicodeAttribute()
    model = JSONAttribute()  # domain.risk.Model.as_dict()
    auc = NumberAttribute(null=True)  # on the hold-out patients
    baseline_auc = NumberAttribute(null=True)  # days since the last visit alone, same hold-out
    counts = JSONAttribute()  # examples, lapsed, fit, calibrate, evaluate
    cutoffs = _strings(default=list)
    horizon_days = NumberAttribute()
    evaluation = JSONAttribute(null=True)  # domain.risk.Evaluation.as_dict(): Brier, base rate, deciles


class RiskRunItem(Base):
    """pk=<clinic> sk=RISKRUN: the last training run: trained, or why no model, and what it scored."""

    at = UnicodeAttribute()
    status = UnicodeAttribute()  # trained | no_model
    reason = UnicodeAttribute(null=True)  # too_few_examples | one_class
    counts = JSONAttribute(default=dict)
    model_version = NumberAttribute(null=True)
    scored = NumberAttribute(default=0)


class UpliftModelItem(Base):
    """pk=<clinic> sk=UPLIFTMODEL#<zero-padded version>: one trained uplift model (the last few are kept)."""

    version = NumberAttribute()
    trained_at = UnicodeAttribute()
    model = JSONAttribute()  # domain.uplift.UpliftModel.as_dict() and the feature space
    counts = JSONAttribute()  # examples per group and part, by source
    evaluation = JSONAttribute()  # Qini of the model, of risk ranking and of a random order, on held-out patients
    window_days = NumberAttribute()


class UpliftRunItem(Base):
    """pk=<clinic> sk=UPLIFTRUN: the last uplift training run: trained, or why no model."""

    at = UnicodeAttribute()
    status = UnicodeAttribute()  # trained | no_model
    reason = UnicodeAttribute(null=True)  # too_few_examples | one_outcome | too_few_to_evaluate
    counts = JSONAttribute(default=dict)
    model_version = NumberAttribute(null=True)


class DropoutItem(Base):
    """pk=<clinic> sk=DROPOUT: return curves per condition from the visit history, with drop-out days."""

    computed_at = UnicodeAttribute()
    conditions = JSONAttribute()


class FollowUpPlanItem(Base):
    """sk=FOLLOWUP: a patient's staff follow-up plan; while active it sits in the sparse due index
    (due_pk=<clinic>#FOLLOWUP, due_sk=<next due day>#<patient>) and, when assigned, in gsi1 under
    its assignee (<clinic>#FUASSIGN#<username> / <next due day>#<patient>)."""

    due_pk = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    by_due: DueIndex[FollowUpPlanItem] = DueIndex()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1: Gsi1[FollowUpPlanItem] = Gsi1()
    assignee = UnicodeAttribute(null=True)  # the staff username who makes the calls
    patient_id = UnicodeAttribute()
    status = UnicodeAttribute(default="active")  # active | paused | ended
    cadence_days = NumberAttribute(default=7)
    next_due = UnicodeAttribute(null=True)  # clinic-local day
    source = UnicodeAttribute()  # staff | challenge:<challenge id>
    started_on = UnicodeAttribute()
    started_by = UnicodeAttribute(null=True)
    calls = NumberAttribute(default=0)
    last_outcome = UnicodeAttribute(null=True)
    last_outcome_on = UnicodeAttribute(null=True)
    paused_reason = UnicodeAttribute(null=True)
    ended_on = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()


class FollowUpOutcomeItem(Base):
    """sk=FUOUT#<time>#<outcome id>: one follow-up call's outcome, who made it and when."""

    outcome_id = UnicodeAttribute()
    outcome = UnicodeAttribute()  # reached | booked | declined | wrong_number
    day = UnicodeAttribute()  # clinic-local
    at = UnicodeAttribute()
    staff = UnicodeAttribute(null=True)
    note_enc = UnicodeAttribute(null=True)  # encrypted with the clinic's data key
    booking_date = UnicodeAttribute(null=True)


class FollowUpStatItem(Base):
    """pk=<clinic> sk=FUSTAT#<clinic-local day>: follow-up outcomes of the day, added to as they are recorded."""

    reached = NumberAttribute(default=0)
    booked = NumberAttribute(default=0)
    declined = NumberAttribute(default=0)
    wrong_number = NumberAttribute(default=0)
class DeliverySettingsItem(Base):
    """pk=<clinic> sk=DELIVERY: quiet hours, caps, opening times, WeChat templates (domain.delivery)."""

    settings = JSONAttribute(default=dict)
    updated_at = UnicodeAttribute(null=True)


class ChannelPrefItem(Base):
    """sk=CH#PREF: the patient's preferred channel and their WeChat openid (encrypted), once known."""

    preferred = UnicodeAttribute(null=True)
    openid_enc = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class WechatQuotaItem(Base):
    """sk=CH#WXQ#<template>: one-time subscribe messages the patient accepted and we have not sent yet."""

    template_id = UnicodeAttribute()
    # shadows the classmethod Model.count(), never called on this item (the dev seed sets `count`)
    count = NumberAttribute(default=0)  # type: ignore[assignment]
    refused_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class CapCounterItem(Base):
    """sk=CAP#<purpose>#<ISO week>: messages of a purpose the patient got in a clinic-local week."""

    # shadows the classmethod Model.count(), never called on this item (the dev seed sets `count`)
    count = NumberAttribute(default=0)  # type: ignore[assignment]
    expires_at = NumberAttribute(null=True)
class SegmentItem(Base):
    """pk=<clinic> sk=SEGMENT#<segment>: a segment's rule, content path and first-build progress.

    While its first build (or a rebuild after an edit, or the clean-up after a delete) is open it
    sits in the due index under <clinic>#SEGBUILD / <build after>#<segment>.
    """

    due_pk = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    by_due: DueIndex[SegmentItem] = DueIndex()
    segment_id = UnicodeAttribute()
    name = UnicodeAttribute()
    name_en = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    rule = JSONAttribute()
    content_path = JSONAttribute(null=True)  # {cadence_days, steps: [...]}
    status = UnicodeAttribute(default="ready")  # building | ready | deleting
    version = NumberAttribute(default=1)  # the rule's version; a build belongs to one
    build_cursor = JSONAttribute(null=True)  # the patient list's LastEvaluatedKey after the last page done
    processed = NumberAttribute(default=0)
    build_members = NumberAttribute(default=0)  # members among the patients processed
    total_estimate = NumberAttribute(null=True)
    build_after = UnicodeAttribute(null=True)
    build_started_at = UnicodeAttribute(null=True)
    built_at = UnicodeAttribute(null=True)
    is_default = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)


class SegmentMemberItem(Base):
    """sk=SEG#<segment>: the patient is in the segment; gsi1 <clinic>#SEG#<segment> / <joined at>#<patient>."""

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_gsi1: Gsi1[SegmentMemberItem] = Gsi1()
    patient_id = UnicodeAttribute()
    segment_id = UnicodeAttribute()
    name_masked = UnicodeAttribute()
    joined_at = UnicodeAttribute()
    joined_on = UnicodeAttribute()  # clinic-local day, the anchor of the segment's content path


class SegmentFlipItem(Base):
    """sk=SEGFLIP: when one of the patient's time-relative segments changes its answer next.

    In the due index under <clinic>#SEGDUE / <flip time>#<patient>; the segment job re-evaluates
    only patients found there.
    """

    due_pk = UnicodeAttribute()
    due_sk = UnicodeAttribute()
    by_due: DueIndex[SegmentFlipItem] = DueIndex()
    patient_id = UnicodeAttribute()
    flip_at = UnicodeAttribute()


# -- the front desk (chalicelib/store/lookups.py) ---------------------------------------------------
class NameLookupItem(Base):
    """pk=<clinic>#NAME#<keyed hash of the normalised full name> sk=<patient>: patients by name
    (several may share one). The hospital number's claim is a UniqueItem under <clinic>#HNO#<hash>."""

    patient_id = UnicodeAttribute()


class BindCodeItem(Base):
    """pk=<clinic>#BIND#<keyed hash of the code> sk=BIND: a one-time code that links a WeChat
    account to a patient registered at the desk; gone with the table's TTL after `expires_at`."""

    patient_id = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds (the table's TTL attribute)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    used_at = UnicodeAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (
    ClinicRegistryItem, ClinicItem, PatientItem, UniqueItem, ConditionItem, ConsentLogItem,
    VisitItem, RevisitDueItem, CheckInItem, DayMarkItem, LedgerItem, RewardItem, RewardUseItem, RedemptionItem,
    RedemptionCodeItem, LimitCounterItem, BoardEntryItem, PointsLotItem,
    IdempotencyItem, InboxItem, RecallRuleItem, RecallJobItem, KpiItem,
    ChallengeItem, EnrolmentItem, VoucherItem, VoucherCodeItem,
    TaskRuleItem, ExamItem, TaskItem, BadgeItem,
    ExperimentItem, ExperimentRunItem, ExposureItem, AnchorItem,
    PackageTypeItem, PackageItem,
    ProfileRiskFields, RiskEntryItem, RiskSummaryItem, RiskStateItem, RiskModelItem, RiskRunItem, DropoutItem, FollowUpPlanItem, FollowUpOutcomeItem, FollowUpStatItem,
    DeliverySettingsItem, ChannelPrefItem, WechatQuotaItem, CapCounterItem,
    SegmentItem, SegmentMemberItem, SegmentFlipItem,
    NameLookupItem, BindCodeItem,
)

_bound: tuple[str, str, str | None] | None = None


def bind() -> None:
    """Point every model at the configured table, region and endpoint (once per settings)."""
    global _bound
    conf = settings()
    target = (conf.table_name, conf.region, conf.aws_endpoint)
    if _bound == target:
        return
    for model in ALL_MODELS + (Base,):
        model.Meta.table_name = conf.table_name
        model.Meta.region = conf.region
        model.Meta.host = conf.aws_endpoint
        model._connection = None
    _bound = target


# --- mainland deployment: WeCom sign-in ----------------------------------------------------------

class StaffWecomItem(Base):
    """pk=<clinic>#WECOM#<userid> sk=ACCOUNT: which staff account of the clinic a WeCom member
    signs in as (one account per member and clinic)."""

    subject = UnicodeAttribute()


ALL_MODELS = ALL_MODELS + (StaffWecomItem,)

# -- the audit trail (docs/audit.md) ---------------------------------------------------------------


class AuditItem(Base):
    """pk=<clinic>#AUDIT#<clinic-local day> sk=<UTC time>#<event id>: one audited action, written
    once (a put that refuses an existing key) and never updated; it expires by TTL after the
    configured retention. An event about a patient is also in gsi1 under <clinic>#AUDITP#<patient> /
    <UTC time>#<event id>."""

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1: Gsi1[AuditItem] = Gsi1()
    event_id = UnicodeAttribute()
    at = UnicodeAttribute()
    day = UnicodeAttribute()  # clinic-local
    action = UnicodeAttribute()
    actor = UnicodeAttribute()  # staff username (or the patient's id for the patient's own actions)
    actor_role = UnicodeAttribute()
    patient_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    detail = JSONAttribute(null=True)  # ids and counts only, never a name, phone or clinical value
    source_ip = UnicodeAttribute(null=True)
    user_agent = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()


ALL_MODELS = ALL_MODELS + (AuditItem,)

# -- appointments (docs/appointments.md) -----------------------------------------------------------


class DoctorItem(Base):
    """pk=<clinic> sk=DOCTOR#<doctor>: a doctor, their department, weekly sessions and date exceptions."""

    doctor_id = UnicodeAttribute()
    name = UnicodeAttribute()
    department = UnicodeAttribute()
    active = BooleanAttribute(default=True)
    weekly = JSONAttribute(default=dict)  # {"mon": [{start, end, slot_minutes, capacity, expert}], ...}
    exceptions = JSONAttribute(default=dict)  # {"<date>": [sessions]}; an empty list: closed that day
    updated_at = UnicodeAttribute()


class HolidaysItem(Base):
    """pk=<clinic> sk=HOLIDAYS: the days the whole clinic is closed."""

    days = JSONAttribute(default=list)  # [{"date": "<ISO date>", "name": "..."}]
    updated_at = UnicodeAttribute()


class SlotItem(Base):
    """pk=<clinic>#SLOTS#<department> sk=<day>#<HHMM>#<doctor>: how many places of one slot are taken;
    the booking's transaction adds one only while `booked < capacity` (the capacity of the schedule
    at booking time), a cancellation gives it back."""

    booked = NumberAttribute(default=0)
    # of `booked`, the places held for recall offers (store/holds.py): they count as taken, so a walk-in
    # cannot take a held place, and the holder's booking turns one into a booking without adding to `booked`
    held = NumberAttribute(null=True)


class AppointmentItem(Base):
    """sk=APPT#<day>#<HHMM>#<doctor> in the patient's partition: one booking (the patient id only, no
    name or phone). In gsi1 under <clinic>#APPTDAY#<day> / <department>#<HHMM>#<doctor>#<patient>;
    while booked, in the sparse due index under <clinic>#APPTDUE / <slot end UTC>#<patient>#..."""

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_gsi1: Gsi1[AppointmentItem] = Gsi1()
    due_pk = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    by_due: DueIndex[AppointmentItem] = DueIndex()
    patient_id = UnicodeAttribute()
    doctor_id = UnicodeAttribute()
    department = UnicodeAttribute()
    day = UnicodeAttribute()  # clinic-local
    start = UnicodeAttribute()  # "HH:MM" clinic-local
    end = UnicodeAttribute()
    starts_at = UnicodeAttribute()  # UTC
    ends_at = UnicodeAttribute()
    expert = BooleanAttribute(default=False)
    status = UnicodeAttribute()  # booked | arrived | cancelled | no_show
    booked_at = UnicodeAttribute()
    booked_by = UnicodeAttribute()  # "patient" or "staff:<username>"
    changed_at = UnicodeAttribute(null=True)
    changed_by = UnicodeAttribute(null=True)
    rescheduled_to = UnicodeAttribute(null=True)  # the appointment id a reschedule moved it to
    visit_id = UnicodeAttribute(null=True)
    after_reminder_days = NumberAttribute(null=True)  # days since the latest reminder when it was booked


class AppointmentStatItem(Base):
    """pk=<clinic> sk=APPTSTAT#<clinic-local day of the slot>: the day's bookings by outcome, added to
    in the transaction of each change (the KPI job reads these, never the bookings)."""

    booked = NumberAttribute(default=0)
    cancelled = NumberAttribute(default=0)
    arrived = NumberAttribute(default=0)
    no_show = NumberAttribute(default=0)
    reminded = NumberAttribute(default=0)  # bookings made within 30 days of a reminder
    reminder_days = NumberAttribute(default=0)  # their days from the reminder to the booking, added up


ALL_MODELS = ALL_MODELS + (DoctorItem, HolidaysItem, SlotItem, AppointmentItem, AppointmentStatItem)


class SlotHoldItem(Base):
    """pk=<clinic>#P#<patient> sk=HOLD#<job sk>: a slot place held for one recall offer (store/holds.py).
    In the sparse due index under <clinic>#HOLDDUE / <expires UTC>#<patient>#<job sk> until released or
    consumed, so the sweep finds the expired ones with one Query."""

    due_pk = UnicodeAttribute(null=True)
    due_sk = UnicodeAttribute(null=True)
    by_due: DueIndex[SlotHoldItem] = DueIndex()
    patient_id = UnicodeAttribute()
    department = UnicodeAttribute()
    doctor_id = UnicodeAttribute()
    day = UnicodeAttribute()
    start = UnicodeAttribute()
    starts_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    job_sk = UnicodeAttribute()
    held_at = UnicodeAttribute()


class RecallHoldsItem(Base):
    """pk=<clinic> sk=RECALLHOLDS#<department>: the department's recall offers outstanding (holds), raised
    only while below the budget the sender computed, so two senders cannot both take the last one."""

    held = NumberAttribute(default=0)


ALL_MODELS = ALL_MODELS + (SlotHoldItem, RecallHoldsItem)
# -- households (docs/households.md) -----------------------------------------------------------------


class HouseholdItem(Base):
    """pk=<clinic>#FAM#<family> sk=FAMILY: the household and its shared family cleaning card
    (uses left, taken by one conditional update per use)."""

    family_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    card_uses_total = NumberAttribute(null=True)
    card_uses_left = NumberAttribute(null=True)
    card_valid_until = UnicodeAttribute(null=True)
    card_granted_at = UnicodeAttribute(null=True)
    card_granted_by = UnicodeAttribute(null=True)


class HouseholdMemberItem(Base):
    """pk=<clinic>#FAM#<family> sk=MEMBER#<patient>: a member, how they relate to the member who
    brought them in, and who cares for them ({carer: {checkins, reminders, guardian, at}})."""

    patient_id = UnicodeAttribute()
    relation = UnicodeAttribute()
    related_to = UnicodeAttribute(null=True)
    birth_date = UnicodeAttribute(null=True)  # a dependant registered by a carer
    joined_at = UnicodeAttribute()
    carers = JSONAttribute(default=dict)


class FamilyLinkItem(Base):
    """pk=<clinic>#P#<patient> sk=FAMILY: the household the patient belongs to (erased with the patient)."""

    family_id = UnicodeAttribute()
    joined_at = UnicodeAttribute()


class FamilyInviteItem(Base):
    """pk=<clinic>#FAMINV#<keyed hash of the code> sk=INVITE: a one-time invite into a household,
    deleted by the join that uses it; expires by TTL."""

    family_id = UnicodeAttribute()
    inviter = UnicodeAttribute()
    relation = UnicodeAttribute()
    expires = UnicodeAttribute()  # ISO time after which the code is refused
    expires_at = NumberAttribute(null=True)  # epoch seconds: the table's TTL removes it a day later


class FamilyCardUseItem(Base):
    """pk=<clinic>#FAM#<family> sk=CARDUSE#<UTC time>#<use id>: one use of the family card, by a
    member (the member's id is removed when they are erased; the use stays counted)."""

    use_id = UnicodeAttribute()
    at = UnicodeAttribute()
    local_date = UnicodeAttribute()
    patient_id = UnicodeAttribute(null=True)
    by = UnicodeAttribute(null=True)  # the staff member at the desk


ALL_MODELS = ALL_MODELS + (HouseholdItem, HouseholdMemberItem, FamilyLinkItem, FamilyInviteItem, FamilyCardUseItem)
