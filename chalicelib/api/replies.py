"""The answers of the routes: one typed dict per route (`<Route>Reply`) and the shapes they share.

Each lists exactly the fields its route answers with; services build them as plain dicts, and a
type checker can hold a service's result to its reply type. They are TypedDicts, not pydantic
models: declaring one costs a few microseconds at import (a deferred pydantic model costs about
ten times that, and the app declares some 180 of them), and nothing validates answers at run
time. chalicelib.api.meta turns them into JSON Schema with pydantic's TypeAdapter for the OpenAPI
document, marking every object closed (`additionalProperties: false`, unless a reply is
declared `with_config` `extra="allow"`), so the contract tests catch a field a service adds
without its reply. Through the document they give the admin site's and the mini-program's
TypeScript types. A key that may be missing is `NotRequired`; one that is always there but may
be null is `T | None`.
"""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, with_config
from typing_extensions import NotRequired, TypedDict


class Reply(TypedDict):
    """The base of every reply (TypedDict subclasses inherit fields only, not settings)."""


class SessionTokensReply(Reply):
    access_token: str
    refresh_token: str
    expires_in: int
    patient_id: str | None
    registered: bool


class StaffLoginReply(Reply):
    id_token: str
    expires_in: int
    clinic_id: str
    roles: list[str]
    username: str
    refresh_token: str


class StaffRefreshReply(Reply):
    id_token: str
    expires_in: int
    clinic_id: str
    roles: list[str]
    username: str


class ChallengeRewardTerms(Reply):
    type: str
    voucher_kind: NotRequired[str | None]
    voucher_name: NotRequired[str | None]
    voucher_name_en: NotRequired[str | None]
    valid_days: NotRequired[int | None]
    points: NotRequired[int | None]


class ChallengeView(Reply):
    challenge_id: str
    name: str
    name_en: str | None
    checkin_type: str
    days: int
    grace: int
    reward: ChallengeRewardTerms
    start_date: str
    end_date: str
    conditions: list[str]
    active: bool
    participants: int
    open: bool
    created_at: str
    updated_at: str


class ListChallengesReply(Reply):
    items: list[ChallengeView]


class CreateChallengeReply(Reply):
    challenge: ChallengeView


class StreakRewardEarned(Reply):
    streak_start: str
    completed_on: str
    earned_on: str
    type: str
    voucher_id: NotRequired[str | None]
    code: NotRequired[str | None]
    points: NotRequired[int | None]


class StreakProgress(Reply):
    joined_on: str
    current_streak: int
    streak_start: str | None
    grace_used: int
    days_to_go: int
    last_day: str | None
    best_streak: int
    streaks_completed: int
    rewards: list[StreakRewardEarned]


class ChallengeItem(Reply):
    challenge_id: str
    name: str
    name_en: str | None
    checkin_type: str
    days: int
    grace: int
    reward: ChallengeRewardTerms
    start_date: str
    end_date: str
    joined: bool
    open: bool
    progress: StreakProgress | None


class MyChallengesReply(Reply):
    items: list[ChallengeItem]


class JoinReply(Reply):
    challenge: ChallengeItem


class VoucherItem(Reply):
    voucher_id: str
    code: str
    kind: str
    name: str
    name_en: str | None
    status: str
    issued_at: str
    valid_until: str
    expires_at: str
    redeemed_at: str | None
    source: str


class MyVouchersReply(Reply):
    items: list[VoucherItem]


class StaffVoucher(Reply):
    voucher_id: str
    code: str
    kind: str
    name: str
    name_en: str | None
    status: str
    issued_at: str
    valid_until: str
    expires_at: str
    redeemed_at: str | None
    source: str
    patient_id: str
    redeemed_by: str | None
    patient_name_masked: str


class LookupVoucherReply(Reply):
    voucher: StaffVoucher


class RedeemedVoucher(Reply):
    voucher_id: str
    code: str
    kind: str
    name: str
    name_en: str | None
    status: str
    issued_at: str
    valid_until: str
    expires_at: str
    redeemed_at: str
    source: str
    patient_id: str
    redeemed_by: str


class RedeemVoucherReply(Reply):
    voucher: RedeemedVoucher


class DeliverySettingsQuietHours(Reply):
    start: str
    end: str


class DeliverySettingsCaps(Reply):
    marketing: int
    service: int


class DeliverySettingsOpening(Reply):
    days: list[int]
    at: str


class DeliveryDefaults(Reply):
    quiet_hours: DeliverySettingsQuietHours
    caps: DeliverySettingsCaps
    daily_cap: int
    relevance_days: dict[str, int]
    opening: DeliverySettingsOpening
    wechat_templates: dict[str, str]
    capacity_days: int
    capacity_share: float


class DeliverySettingsReply(Reply):
    quiet_hours: DeliverySettingsQuietHours
    caps: DeliverySettingsCaps
    daily_cap: int
    relevance_days: dict[str, int]
    opening: DeliverySettingsOpening
    wechat_templates: dict[str, str]
    capacity_days: int
    capacity_share: float
    defaults: DeliveryDefaults
    channel_order: list[str]


class ChannelsReply(Reply):
    preferred: str | None
    order: list[str]
    wechat_linked: bool
    wechat_quota: dict[str, int]
    templates: dict[str, str]


class PlannedReminder(Reply):
    rule_id: str
    offset_days: int
    due_at: str
    created: bool
    timing: str


class RecordAnchorReply(Reply):
    anchor: str
    date: str
    planned: list[PlannedReminder]


class RecallRuleView(Reply):
    rule_id: str
    condition: str | None
    department: str | None
    anchor: str
    offsets: list[int]
    send_at: str
    template: str
    purpose: str
    stop_on: list[str]
    active: bool
    updated_at: str | None
    timing: str
    send_days: list[int]
    learned_day: int | None
    targeting: Annotated[str, Field(description="all, or uplift: a marketing reminder only to patients whose "
                                                "predicted uplift is above the threshold (everyone while no model)")]
    uplift_threshold: Annotated[float | None, Field(description="with uplift; null: the default, 0")]


class RecallRuleOptions(Reply):
    anchors: list[str]
    timings: list[str]
    conditions: list[str]
    departments: list[str]
    variables: list[str]
    stop_on: list[str]
    purposes: list[str]
    targeting: list[str]


class ListRulesReply(Reply):
    items: list[RecallRuleView]
    options: RecallRuleOptions


class RecallRuleReply(Reply):
    rule: RecallRuleView


class DeleteRuleReply(Reply):
    deleted: str


class RuleReachReply(Reply):
    now: int
    next_30_days: int
    already_in_window: int
    timing: str
    send_days: list[int]
    learned_day: int | None


class BackfillReply(Reply):
    rule_id: str
    planned: int
    patients: int


class LearnedDayView(Reply):
    condition: str
    suggested_day: int
    learned_day: int | None


class TimingBounds(Reply):
    earliest_day: int
    latest_day: int


class RecallTimingReply(Reply):
    earliest_day: int
    latest_day: int
    defaults: TimingBounds
    computed_at: str | None
    conditions: list[LearnedDayView]


class ExperimentArm(Reply):
    arm_id: str
    weight: float
    template: str | None
    send_at: str | None
    incentive_text: str | None
    incentive_points: int


class ExperimentView(Reply):
    experiment_id: str
    name: str
    target_kind: str
    target_id: str
    arms: list[ExperimentArm]
    holdout_share: float
    window_days: int
    alpha: float
    sample_size_per_arm: int
    status: str
    created_at: str
    created_by: str
    started_at: str | None
    stopped_at: str | None
    promoted_arm: str | None


class ListExperimentsReply(Reply):
    items: list[ExperimentView]


class ExperimentReply(Reply):
    experiment: ExperimentView


class SampleSizeReply(Reply):
    sample_size_per_arm: int
    groups: int


class RuleChanges(Reply):
    template: NotRequired[str | None]
    send_at: NotRequired[str | None]
    first_step_body: NotRequired[str | None]
    timing: NotRequired[str | None]


class PromoteExperimentReply(Reply):
    experiment: ExperimentView
    rule_changes: RuleChanges


class ResultGroup(Reply):
    arm_id: str
    reference: bool
    exposures: int
    conversions: int
    rate: float | None
    holdout: bool
    pending: int
    pending_conversions: int
    uplift: NotRequired[float | None]
    ci_low: NotRequired[float | None]
    ci_high: NotRequired[float | None]
    z: NotRequired[float | None]
    p_value: NotRequired[float | None]
    p_adjusted: NotRequired[float | None]
    significant: NotRequired[bool | None]


class ExperimentResultsReply(Reply):
    experiment: ExperimentView
    reference: str
    alpha: float
    ci_level: float
    sample_size_per_arm: int
    required: dict[str, int]
    sample_size_reached: bool
    winner: str | None
    groups: list[ResultGroup]
    as_of: str


class VisibilityReply(Reply):
    visible: bool


class OwnPatientView(Reply):
    patient_id: str
    name: str
    phone: str
    birth_year: int | None
    sex: str | None
    district: str | None
    conditions: list[str]
    department: str | None
    persona_tags: list[str]
    balance: int
    earned_total: int
    created_at: str
    last_visit_date: str | None
    revisit_due_date: str | None
    nickname: Annotated[str | None, Field(description="the name the patient chose to be called in the mini-program")]
    phone_verified: Annotated[bool, Field(description="the phone number came from WeChat (getPhoneNumber)")]
    next_booking_date: Annotated[str | None, Field(description="the next booked visit day (YYYY-MM-DD)")]


class MeReply(Reply):
    patient: OwnPatientView


class EraseReply(Reply):
    erased: bool
    items_removed: int


class CheckinResult(Reply):
    checkin_id: str
    type: str
    value: float
    local_date: str
    counted: bool
    context: NotRequired[Annotated[Literal["fasting", "after_meal", "random"], Field(
        description="glucose: when the reading was taken; absent when the patient did not say")]]
    diastolic: NotRequired[Annotated[float, Field(description="blood pressure: the diastolic number (value is the systolic)")]]


class CheckInChallenge(Reply):
    challenge_id: str
    name: str
    current_streak: int
    days: int
    streaks_completed: int
    completed_now: int


class CheckInVoucher(Reply):
    voucher_id: str
    code: str
    kind: str
    name: str
    name_en: str | None
    valid_until: str
    challenge_id: str


class CheckInRewards(Reply):
    challenge_id: str
    points: int


class CheckInTask(Reply):
    task_id: str
    name: str
    progress: int
    target: int
    completed_now: bool


class CheckInBadge(Reply):
    badge_id: str
    name: str
    name_en: str
    task_id: str


class CheckInReply(Reply):
    checkin: CheckinResult
    points_awarded: int
    balance: int
    challenges: NotRequired[list[CheckInChallenge] | None]
    vouchers: NotRequired[list[CheckInVoucher] | None]
    rewards: NotRequired[list[CheckInRewards] | None]
    tasks: NotRequired[list[CheckInTask] | None]
    badges: NotRequired[list[CheckInBadge] | None]
    limit_reached: NotRequired[Annotated[str, Field(description="the period whose earning limit held back the check-in's points")]]


class ConsentState(Reply):
    granted: bool
    version: str
    at: str


class ConsentsView(Reply):
    service: ConsentState
    marketing: ConsentState | None
    analytics: ConsentState | None


class ConsentsReply(Reply):
    consents: ConsentsView


class ExportReply(Reply):
    profile: OwnPatientView
    consents: ConsentsView
    records: dict[str, list[dict[str, Any]]]


class InboxMessage(Reply):
    message_id: str
    title: str
    body: str
    purpose: str
    created_at: str
    read_at: str | None
    kind: Literal["reminder", "content"]
    media: Literal["text", "link", "audio"] | None
    link: str | None


class InboxReply(Reply):
    items: list[InboxMessage]
    unread: int


class MarkReadReply(Reply):
    message: InboxMessage


class ExpiringPoints(Reply):
    expires_on: str
    points: int


class LedgerEntry(Reply):
    entry_id: str
    at: str
    points: int
    reason: str
    note: NotRequired[str | None]
    staff: NotRequired[str | None]


class MyPointsReply(Reply):
    expiring: list[ExpiringPoints]
    balance: int
    earned_total: int
    tier: str
    redeemed_total: int
    entries: list[LedgerEntry]
    next_cursor: Annotated[str | None, Field(description="pass as ?cursor= for the next page of entries")]


class RedemptionView(Reply):
    redemption_id: str
    reward_id: str
    reward_name: str
    cost: int
    status: str
    at: str
    code: Annotated[str, Field(description="what the desk types to hand the reward over, shown as ABCD-EFGH")]


class RedeemReply(Reply):
    redemption: RedemptionView
    balance: int


class ReferralReply(Reply):
    invite_code: str
    share_path: str
    reward_points: int


class RegisterReply(Reply):
    patient: OwnPatientView
    access_token: str
    refresh_token: str
    expires_in: int
    patient_id: str
    registered: bool


class ShareReply(Reply):
    points_awarded: int
    balance: int
    limit_reached: NotRequired[str | None]


class HealthReply(Reply):
    ok: bool


class PackageItem(Reply):
    sale_id: str
    package_id: str
    name: str
    name_en: str | None
    term_months: int
    start_date: str
    end_date: str
    renewal_of: str | None
    renewed_by: str | None
    renewed_on: str | None
    state: str


class MyPackagesReply(Reply):
    items: list[PackageItem]


class PackageTypeItem(Reply):
    package_id: str
    name: str
    name_en: str | None
    term_months: int
    renewal_window_days: int
    active: bool


class PackageTypesReply(Reply):
    items: list[PackageTypeItem]


class PutPackageTypeReply(Reply):
    package_type: PackageTypeItem


class RenewalFigures(Reply):
    ended: int
    renewed: int
    lapsed: int
    pending: int
    rate: float | None


class RenewalsReply(Reply):
    from_: Annotated[str, Field(alias='from')]
    to: str
    as_of: str
    ended: int
    renewed: int
    lapsed: int
    pending: int
    rate: float | None
    by_package: dict[str, RenewalFigures]


class SoldPackage(Reply):
    sale_id: str
    package_id: str
    name: str
    name_en: str | None
    term_months: int
    start_date: str
    end_date: str
    renewal_of: str | None
    renewed_by: str | None
    renewed_on: str | None


class RecordSaleReply(Reply):
    package: SoldPackage


class PatientSegment(Reply):
    segment_id: str
    name: str


class PatientSegmentsReply(Reply):
    patient_id: str
    segments: list[PatientSegment]
    last_interaction_at: str
    next_change_at: str | None


class ContentStep(Reply):
    kind: str
    title: str
    body: str
    url: NotRequired[str | None]
    health: bool
    offset_days: NotRequired[int | None]


class ContentPathView(Reply):
    cadence_days: int
    purpose: str
    send_at: str
    steps: list[ContentStep]


class SegmentBuild(Reply):
    processed: int
    members_so_far: int
    total_estimate: int | None
    started_at: str | None
    built_at: str | None
    starts_after: str | None


class SegmentView(Reply):
    segment_id: str
    name: str
    name_en: str | None
    description: str | None
    rule: dict[str, Any]
    content_path: ContentPathView | None
    status: str
    version: int
    is_default: bool
    time_relative: bool
    follows_setting: bool
    members: int | None
    build: SegmentBuild
    updated_at: str
    updated_by: str


class ListSegmentsReply(Reply):
    items: list[SegmentView]


class SegmentReply(Reply):
    segment: SegmentView


class EarningRules(Reply):
    revisit_on_time: int
    share: int
    referral_registered: int
    checkin: int


class PeriodLimitsView(Reply):
    day: NotRequired[int | None]
    week: NotRequired[int | None]
    month: NotRequired[int | None]


class ClinicReply(Reply):
    clinic_id: str
    name: str
    tz: str
    conditions: list[str]
    catalogue: "CatalogueReply"
    earning_rules: EarningRules
    earning_limits: dict[str, PeriodLimitsView]
    points_expiry_months: int
    silent_days: int
    followup_assignee: Annotated[str | None, Field(
        description="who gets the follow-up plans nobody started by hand (PUT /clinic/followup-assignee)")]
    holdout_share: Annotated[float, Field(
        description="the share of patients who receive no marketing message (PUT /clinic/holdout)")]


class EarningLimitsReply(Reply):
    earning_limits: dict[str, PeriodLimitsView]


class EarningRulesReply(Reply):
    earning_rules: EarningRules


class PointsExpiryReply(Reply):
    points_expiry_months: int


class SilentDaysReply(Reply):
    silent_days: int
    segment: SegmentView | None


class DashboardClinic(Reply):
    clinic_id: str
    name: str
    tz: str
    silent_days: int


class DashboardTotals(Reply):
    reached: int
    booked: int
    declined: int
    wrong_number: int


class RevisitRate30(Reply):
    hits: int
    decided: int
    pending: int


class DashboardKpis(Reply):
    patients: NotRequired[int | None]
    checkins_today: NotRequired[int | None]
    points_issued: NotRequired[int | None]
    points_redeemed: NotRequired[int | None]
    reminders_sent: NotRequired[int | None]
    revisit_rate_30: NotRequired[float | None]
    revisit_rate_90: NotRequired[float | None]
    postpartum_checkup_rate: NotRequired[float | None]
    annual_recheck_rate: NotRequired[float | None]
    reminder_conversion_90: NotRequired[float | None]
    silent_reactivation_rate_90: NotRequired[float | None]
    new_patients_90: NotRequired[int | None]
    referral_share_90: NotRequired[float | None]
    silent_days: NotRequired[int | None]
    silent_patients: NotRequired[int | None]
    silent_share: NotRequired[float | None]
    reminders_sent_90: NotRequired[int | None]
    package_renewal_rate_12m: NotRequired[float | None]
    packages_ended_12m: NotRequired[int | None]
    followup_calls_30: NotRequired[int | None]
    followup_outcomes_30: NotRequired[DashboardTotals | None]
    followup_reach_rate_30: NotRequired[float | None]
    followup_booked_rate_30: NotRequired[float | None]
    appointments_booked_30: NotRequired[int | None]
    appointments_cancelled_30: NotRequired[int | None]
    appointments_arrived_30: NotRequired[int | None]
    appointments_no_show_30: NotRequired[int | None]
    show_rate_30: NotRequired[Annotated[float | None, Field(description="arrived / (arrived + no-show), bookings of the last 30 days")]]
    no_show_rate_30: NotRequired[float | None]
    reminder_bookings: NotRequired[Annotated[int | None, Field(
        description="bookings of slots from 30 days ago on that followed a reminder within 30 days")]]
    reminder_to_booking_days: NotRequired[Annotated[float | None, Field(
        description="their mean days from the reminder to the booking")]]
    holdout_effect: NotRequired[Annotated["HoldoutEffect | None", Field(
        description="the engine's total effect: revisit rate of patients who receive marketing messages "
                    "against the clinic's lasting holdout")]]
    basis: NotRequired[dict[str, RevisitRate30] | None]


class SilenceBucket(Reply):
    bucket: str
    low: int
    high: int | None
    count: int
    silent: bool


class ConditionCount(Reply):
    condition: str
    count: int


class RevisitByDepartment(Reply):
    group: str
    decided: int
    hits: int
    rate: float | None
    pending: int
    pending_hits: int


class RevisitBySegment(Reply):
    group: str
    decided: int
    hits: int
    rate: float
    pending: int
    pending_hits: int
    name: str
    name_en: str


class WeeklyRevisit(Reply):
    week: str
    count: int
    decided: int
    hits: int
    rate: float | None
    pending: int
    pending_hits: int


class JoinedFigures(Reply):
    patients: int
    decided: int
    hits: int
    rate: float | None
    pending: int
    pending_hits: int


class ChallengeRevisit180(Reply):
    challenge_id: str
    name: str
    name_en: str
    joined: JoinedFigures
    not_joined: JoinedFigures


class ConversionBySource(Reply):
    source: str
    kind: str
    source_id: str
    name: str | None
    name_en: str | None
    decided: int
    hits: int
    rate: float | None
    pending: int
    pending_hits: int


class DailyFigures(Reply):
    day: str
    patients: int
    revisit_rate_30: float | None
    silent_share: float | None
    silent_patients: int
    silent_days: int
    reminder_conversion_90: float | None
    checkins_today: int


class DashboardCharts(Reply):
    silence: NotRequired[list[SilenceBucket] | None]
    conditions: NotRequired[list[ConditionCount] | None]
    revisit_by_department: NotRequired[list[RevisitByDepartment] | None]
    revisit_by_condition: NotRequired[list[RevisitByDepartment] | None]
    revisit_by_segment: NotRequired[list[RevisitBySegment] | None]
    revisit_by_cohort: NotRequired[list[RevisitByDepartment] | None]
    weekly_revisit: NotRequired[list[WeeklyRevisit] | None]
    weekly_reminders: NotRequired[list[WeeklyRevisit] | None]
    weekly_new_patients: NotRequired[list[WeeklyRevisit] | None]
    challenge_revisit_180: NotRequired[list[ChallengeRevisit180] | None]
    conversion_by_source: NotRequired[list[ConversionBySource] | None]
    daily: NotRequired[list[DailyFigures] | None]


class DashboardReply(Reply):
    clinic: DashboardClinic
    generated_at: str | None
    kpis: DashboardKpis
    charts: DashboardCharts


class PatientItem(Reply):
    patient_id: str
    name_masked: str
    conditions: list[str]
    department: str | None
    last_visit_date: str | None
    balance: int
    created_at: str


class ListPatientsReply(Reply):
    items: list[PatientItem]
    next_cursor: str | None


class StaffPatientView(Reply):
    patient_id: str
    name: str
    phone_masked: str
    birth_year: int | None
    sex: str | None
    district: str | None
    conditions: list[str]
    department: str | None
    persona_tags: list[str]
    balance: int
    earned_total: int
    created_at: str
    last_visit_date: str | None
    revisit_due_date: str | None
    nickname: Annotated[str | None, Field(description="the name the patient chose to be called in the mini-program")]
    phone_verified: Annotated[bool, Field(description="the phone number came from WeChat (getPhoneNumber)")]
    next_booking_date: Annotated[str | None, Field(description="the next booked visit day (YYYY-MM-DD)")]
    hospital_no: Annotated[str | None, Field(description="the hospital's patient number (住院号 / 门诊号)")]
    wechat_linked: Annotated[bool, Field(description="the patient's WeChat account is linked to this record")]


class CreatePatientReply(Reply):
    patient: StaffPatientView


class BookingReply(Reply):
    booking_date: str
    reminders_stopped: int


class AdjustPointsReply(Reply):
    entry: LedgerEntry
    balance: int


class RemissionReply(Reply):
    planned: list[PlannedReminder]


class VisitRow(Reply):
    visit_id: str
    visit_date: str
    department: str
    next_due_date: str | None
    on_time: bool
    source: str


class RecordVisitReply(Reply):
    visit: VisitRow
    points_awarded: int


class Delivery(Reply):
    channel: str
    status: str
    error_code: str | None
    at: str
    provider_id: NotRequired[Annotated[str, Field(description="the SMS provider's serial number of the message")]]
    receipt: NotRequired[Annotated[Literal["delivered", "undelivered"],
                                   Field(description="what the SMS provider's delivery receipt said")]]
    receipt_code: NotRequired[str | None]
    receipt_at: NotRequired[str | None]


class ReminderItem(Reply):
    patient_id: str
    name_masked: str | None  # None: the patient's record is gone (erased)
    rule_id: str
    condition: str | None
    anchor_date: str
    due_at: str
    status: str
    processed_at: str
    channel: str | None
    kind: str
    purpose: str
    offset_days: int
    error_code: str | None
    stop_reason: str | None
    deliveries: list[Delivery]


class ReminderLogReply(Reply):
    items: list[ReminderItem]
    next_cursor: str | None


class RewardItem(Reply):
    reward_id: str
    name: str
    name_en: str | None
    cost: int
    active: bool
    stock: int | None
    per_patient_limit: int | None


class RewardsReply(Reply):
    items: list[RewardItem]


class PerkView(Reply):
    perk_id: str
    name: str
    name_en: str | None
    badges_required: int
    priority_days: Annotated[int | None, Field(
        description="priority-booking only: days before everyone else its holders may book expert slots")]
    unlocked: bool


class MyPerksReply(Reply):
    patient_id: str
    badges: int
    perks: list[PerkView]


class ExamView(Reply):
    exam_id: str
    flags: list[str]
    recorded_at: str
    recorded_by: str
    source: str
    taken_on: str
    tasks: list[str]


class BadgeDefinition(Reply):
    badge_id: str
    name: str
    name_en: str | None


class TaskView(Reply):
    task_id: str
    task_key: str
    flag: str
    exam_id: str
    name: str
    name_en: str | None
    kind: str
    checkin_type: str | None
    min_value: float | None
    target: int
    progress: int
    marks: list[str]
    assigned_on: str
    due_on: str
    days_left: int
    status: str
    completed_on: str | None
    badge: BadgeDefinition


class EarnedBadge(Reply):
    badge_id: str
    name: str
    name_en: str
    earned_on: str
    task_id: str


class MyTasksReply(Reply):
    exams: list[ExamView]
    tasks: list[TaskView]
    badges: list[EarnedBadge]
    perks: list[PerkView]


class RecordExamReply(Reply):
    exam: ExamView
    tasks: list[TaskView]


class TaskTerms(Reply):
    task_key: str
    name: str
    name_en: str | None
    kind: str
    target: int
    within_days: int
    checkin_type: str | None
    min_value: int | None
    badge: BadgeDefinition


class TaskRule(Reply):
    flag: str
    tasks: list[TaskTerms]
    updated_at: str
    updated_by: str | None


class PerkDefinition(Reply):
    perk_id: str
    name: str
    name_en: str | None
    badges_required: int
    priority_days: Annotated[int | None, Field(
        description="priority-booking only: days before everyone else its holders may book expert slots")]


class TaskRulesReply(Reply):
    flags: list[str]
    rules: list[TaskRule]
    perks: list[PerkDefinition]


@with_config(ConfigDict(extra="allow"))
class OpenapiReply(Reply):
    """This document."""


    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


class CheckinRow(Reply):
    checkin_id: str
    type: str
    value: float
    local_date: str
    client_time: str
    counted: bool
    context: NotRequired[Annotated[Literal["fasting", "after_meal", "random"], Field(
        description="glucose: when the reading was taken; absent when the patient did not say")]]
    diastolic: NotRequired[Annotated[float, Field(description="blood pressure: the diastolic number (value is the systolic)")]]


class CheckinsReply(Reply):
    items: list[CheckinRow]


class MyVisitsReply(Reply):
    items: list[VisitRow]


class BoardRow(Reply):
    rank: int
    name_masked: str
    score: int
    me: NotRequired[Annotated[bool | None, Field(description="only on the caller's own row")]]


class BoardMe(Reply):
    score: int
    visible: bool
    rank: int | None


class LeaderboardReply(Reply):
    month: str
    items: list[BoardRow]
    me: NotRequired[Annotated[BoardMe | None, Field(description="for a patient: their own score, visibility and rank")]]


class FollowUpPlan(Reply):
    patient_id: str
    status: str
    cadence_days: int
    next_due: str | None
    source: str | None
    started_on: str | None
    started_by: str | None
    calls: int
    last_outcome: str | None
    last_outcome_on: str | None
    paused_reason: Annotated[str | None, Field(description="wrong_number, or staff: paused by hand")]
    ended_on: str | None
    assignee: Annotated[str | None, Field(description="the staff username who makes the calls")]


class FollowUpOutcomeRow(Reply):
    outcome_id: str
    outcome: str
    day: str
    at: str
    staff: str | None
    has_note: bool
    note: NotRequired[Annotated[str | None, Field(
        description="the call's note in clear, in a plan's detail only (reading it is audited)")]]
    booking_date: str | None


class FollowupPlanReply(Reply):
    plan: FollowUpPlan | None


class FollowupDetailReply(Reply):
    plan: FollowUpPlan | None
    outcomes: list[FollowUpOutcomeRow]


class RecordOutcomeReply(Reply):
    outcome: FollowUpOutcomeRow
    next_due: str | None
    plan_status: str
    booking: Annotated[BookingReply | None, Field(
        description="with booked: the booking recorded (as POST /patients/{id}/bookings answers)")]


class WorklistRow(Reply):
    patient_id: str
    name_masked: str | None
    conditions: list[str]
    last_visit_date: str | None
    risk_score: float | None
    risk_factors: list[dict[str, Any]]
    followup_flag: Annotated[str | None, Field(description="wrong_number: staff should check the phone")]
    next_due: str | None
    days_overdue: int
    cadence_days: int
    source: str | None
    last_outcome: str | None
    last_outcome_on: str | None
    calls: int
    phone_masked: Annotated[str, Field(description="masked; POST /patients/{id}/phone/reveal shows it whole")]
    assignee: str | None


class WorklistReply(Reply):
    day: str
    items: list[WorklistRow]
    next_cursor: str | None


class OutcomeDay(Reply):
    day: str
    reached: int
    booked: int
    declined: int
    wrong_number: int


class OutcomeTotals(Reply):
    reached: int
    booked: int
    declined: int
    wrong_number: int


class OutcomeTotalsReply(Reply):
    from_: Annotated[str, Field(alias="from")]
    to: str
    totals: OutcomeTotals
    calls: int
    reach_rate: float | None
    booking_rate: float | None
    days: list[OutcomeDay]


class RiskModelReply(Reply):
    """The model card, or (`model` null) why there is none yet."""

    model: dict[str, Any] | None
    versions: NotRequired[Annotated[list[dict[str, Any]] | None, Field(description="with a model: the versions trained")]]
    last_run: dict[str, Any] | None
    message: NotRequired[Annotated[str | None, Field(description="without a model: why")]]


class UpliftModelReply(Reply):
    """The uplift model card, or (`model` null) why there is none; which rules target by uplift."""

    model: dict[str, Any] | None
    message: NotRequired[Annotated[str | None, Field(description="without a model: why")]]
    last_run: dict[str, Any] | None
    targeting_rules: Annotated[list[str], Field(description="active recall rules that target by uplift")]
    targeting_active: Annotated[bool, Field(description="false: no model, so those rules reach everyone")]
    default_threshold: float
    window_days: int


class AtRiskRow(Reply):
    patient_id: str
    name_masked: str | None
    conditions: list[str]
    risk_score: float
    risk_factors: list[dict[str, Any]]
    risk_model_version: int
    scored_at: str | None
    phone_masked: Annotated[str, Field(description="masked; POST /patients/{id}/phone/reveal shows it whole")]


class AtRiskReply(Reply):
    items: list[AtRiskRow]
    next_cursor: str | None


class PatientRiskReply(Reply):
    patient_id: str
    risk_score: float | None
    risk_status: Annotated[str, Field(description="scored; not_due (not expected back within the horizon); "
                                                  "not_scored (no model yet); no_consent (no analytics consent: "
                                                  "no score is computed or kept)")]
    risk_factors: list[dict[str, Any]]
    risk_model_version: int | None
    scored_at: str | None
    followup_flag: Annotated[str | None, Field(description="wrong_number: staff should check the phone")]


class DropoutRule(Reply):
    dropout_share: float
    recall_fraction: float
    curve_days: int
    text: str


class DropoutReply(Reply):
    computed_at: str | None
    conditions: dict[str, dict[str, Any]]
    rule: DropoutRule


class DeleteSegmentReply(Reply):
    segment_id: str
    deleted: bool


class MemberRow(Reply):
    patient_id: str
    name_masked: str | None
    joined_on: str | None


class SegmentMembersReply(Reply):
    items: list[MemberRow]
    next_cursor: str | None


class PatientAttributesReply(Reply):
    patient_id: str
    segments: list[str]
    persona_tags: NotRequired[list[str] | None]
    district: NotRequired[str | None]
    department: NotRequired[str | None]


class LapsedRow(Reply):
    patient_id: str
    name_masked: str | None
    last_visit_date: str | None
    days_since: int | None


class LapsedReply(Reply):
    items: list[LapsedRow]
    next_cursor: str | None
    cutoff: str


class ImportPreviewRow(Reply):
    line: int
    patient_id: str
    name_masked: str | None
    date: Annotated[str, Field(description="the visit day, or the exam day")]
    department: NotRequired[str]
    next_due_date: NotRequired[str | None]
    flags: NotRequired[list[str]]
    external_id: NotRequired[str | None]


class RowProblem(Reply):
    """A CSV row that was not imported: its line, the error code and the field at fault."""

    line: int
    code: str
    message: str
    field: str | None


class ImportVisitsReply(Reply):
    imported: int
    duplicates: int
    errors: list[RowProblem]
    dry_run: NotRequired[bool]
    preview: NotRequired[Annotated[list[ImportPreviewRow], Field(
        description="dry run only: the rows that would be recorded (a row already recorded counts as a duplicate)")]]


class ImportExamsReply(Reply):
    exams: int
    duplicates: int
    tasks_assigned: int
    errors: list[RowProblem]
    dry_run: NotRequired[bool]
    preview: NotRequired[Annotated[list[ImportPreviewRow], Field(
        description="dry run only: the rows that would be recorded")]]


class ConsentLogRow(Reply):
    purpose: str
    granted: bool
    version: str
    at: str
    by: NotRequired[Annotated[str | None, Field(
        description='who made the change: "patient", or "staff:<username>" for a registration at the desk; '
                    'null on entries older than this field')]]


class Referral(Reply):
    invite_code: str | None
    referred_by: str | None
    referred_by_name: Annotated[str | None, Field(description="the referrer's masked name")]
    referred: int


class PatientDetailReply(Reply):
    patient: StaffPatientView
    consents: ConsentsView
    consent_log: list[ConsentLogRow]
    visits: list[VisitRow]
    checkins: list[CheckinRow]
    ledger: list[LedgerEntry]
    referral: Referral


class PutPerksReply(Reply):
    perks: list[PerkDefinition]


class ConfirmedTask(TaskView):
    badge_awarded: bool


class ConfirmTaskReply(Reply):
    task: ConfirmedTask


class SetupClinic(Reply):
    clinic_id: str
    name: str


class SetupCondition(Reply):
    condition: str
    label: Annotated[str, Field(description="the condition's Chinese name")]


class ConsentPurposeText(Reply):
    purpose: str
    title: str
    text: Annotated[str, Field(description="what consenting to this purpose covers, in plain Chinese")]
    required: Annotated[bool, Field(description="registration needs this consent granted")]


class ConsentPolicy(Reply):
    version: Annotated[str, Field(description="send it back as consent_version when registering or changing consent")]
    purposes: list[ConsentPurposeText]


class ConsentTextsReply(Reply):
    version: str
    purposes: list[ConsentPurposeText]


class PrivacyPolicy(Reply):
    version: str
    text: str


class SubscribeTemplate(Reply):
    kind: str
    template_id: Annotated[str, Field(description="pass it to wx.requestSubscribeMessage and POST /me/subscriptions")]
    purpose: str
    title: str


class SetupReply(Reply):
    clinic: SetupClinic
    conditions: list[SetupCondition]
    checkin_types: Annotated[list["SetupCheckinType"], Field(description="the clinic's check-in types, ranges in their unit")]
    consent: ConsentPolicy
    privacy_policy: PrivacyPolicy
    subscribe_templates: list[SubscribeTemplate]


class MyRedemption(Reply):
    redemption_id: str
    reward_id: str
    reward_name: str
    cost: int
    status: Annotated[str, Field(description="pending (to collect at the desk) or fulfilled")]
    code: Annotated[str | None, Field(description="shown as ABCD-EFGH; the desk types it")]
    redeemed_at: str
    fulfilled_at: str | None


class MyRedemptionsReply(Reply):
    items: list[MyRedemption]
    next_cursor: str | None


class DeskRedemption(Reply):
    redemption_id: str
    reward_id: str
    reward_name: str
    cost: int
    status: Annotated[str, Field(description="pending or fulfilled")]
    code: str
    redeemed_at: str
    fulfilled_at: str | None
    fulfilled_by: str | None
    patient_id: str
    patient_name_masked: str | None


class DeskRedemptionReply(Reply):
    redemption: DeskRedemption


class WerunDay(Reply):
    local_date: str
    steps: int
    recorded: Annotated[bool, Field(description="false when the day already has this many steps or more")]
    counted: Annotated[bool, Field(description="the day's first steps check-in (the one that earns points)")]
    points_awarded: int


class WerunReply(Reply):
    days: list[WerunDay]
    points_awarded: int
    balance: int


class HomeMe(Reply):
    name_masked: str
    nickname: str | None


class HomeCheckin(Reply):
    checkin_id: str
    type: str
    value: float
    counted: Annotated[bool, Field(description="the day's first of its type (the one that earned points)")]
    client_time: str
    diastolic: NotRequired[Annotated[float, Field(description="a blood pressure's second number (mmHg)")]]


class HomeTask(Reply):
    task_id: str
    title: str
    progress: int
    target: int
    checkin_type: str | None
    min_value: float | None
    due_on: str
    days_left: int
    counted_today: bool


class HomeStreak(Reply):
    challenge_id: str
    name: str
    checkin_type: str
    current_streak: int
    days: Annotated[int, Field(description="days in a row the challenge needs")]
    days_to_go: int
    grace: Annotated[int, Field(description="missed days a streak may have")]
    grace_used: int
    last_day: str | None


class HomeExpiring(Reply):
    points: int
    expires_on: str


class HomePoints(Reply):
    balance: int
    tier: str
    next_expiring: HomeExpiring | None


class HomeRevisit(Reply):
    revisit_due_date: str | None
    next_booking_date: str | None


class HomeReply(Reply):
    today: Annotated[str, Field(description="today in the clinic's time zone (YYYY-MM-DD)")]
    me: HomeMe
    checkins: Annotated[list[HomeCheckin], Field(description="today's check-ins, oldest first")]
    tasks: Annotated[list[HomeTask], Field(description="open tasks, soonest due first")]
    streaks: list[HomeStreak]
    points: HomePoints
    revisit: HomeRevisit
    inbox_unread: int


# --- staff accounts and clinics -----------------------------------------------------------------

class StaffAccountRow(TypedDict):
    username: str
    role: str
    status: Literal["active", "disabled"]
    created_at: str | None
    updated_at: str | None
    updated_by: str | None


class StaffListReply(Reply):
    items: list[StaffAccountRow]


class StaffAccountReply(Reply):
    username: str
    clinic_id: str
    role: str
    status: Literal["active", "disabled"]
    temporary_password: NotRequired[str]  # answered once, when an account is invited


class ClinicRow(TypedDict):
    clinic_id: str
    name: str


class ClinicListReply(Reply):
    items: list[ClinicRow]


class CreateClinicReply(Reply):
    clinic: ClinicRow
    admin: StaffAccountReply
# --- a clinic's catalogue and message templates ----------------------------------------------------

class CatalogueEntry(Reply):
    code: str
    label: Annotated[str, Field(description="the Chinese label staff and patients see")]
    label_en: str
    active: Annotated[bool, Field(description="false: kept for old records, no longer offered")]


class CheckinTypeEntry(CatalogueEntry):
    unit: str
    low: float
    high: float
    places: Annotated[int, Field(description="decimals a reading keeps (0: whole numbers)")]
    input: Literal["number", "blood_pressure"]
    low2: NotRequired[Annotated[float, Field(description="blood pressure: the diastolic number's lowest")]]
    high2: NotRequired[Annotated[float, Field(description="blood pressure: the diastolic number's highest")]]


class CatalogueReply(Reply):
    conditions: list[CatalogueEntry]
    departments: list[CatalogueEntry]
    checkin_types: list[CheckinTypeEntry]
    exam_flags: list[CatalogueEntry]
    personas: list[CatalogueEntry]


class WechatFieldView(Reply):
    key: str
    source: NotRequired[str]
    value: NotRequired[str]


class WechatTemplateView(Reply):
    template_id: str
    fields: list[WechatFieldView]


class SmsParamView(Reply):
    name: str
    source: NotRequired[str]
    value: NotRequired[str]


class SmsTemplateView(Reply):
    template_id: str
    params: list[SmsParamView]


class MessageTemplatesKind(Reply):
    kind: str
    name: Annotated[str, Field(description="the kind's Chinese name")]
    wechat: WechatTemplateView | None
    sms: SmsTemplateView | None


class MessageTemplatesReply(Reply):
    kinds: list[MessageTemplatesKind]
    sources: Annotated[list[str], Field(description="our fields a template may use")]
    wechat_types: list[str]
    fits: Annotated[dict[str, list[str]], Field(description="per field, the WeChat types it may fill")]


class SetupCheckinType(Reply):
    code: str
    label: str
    unit: str
    input: Literal["number", "blood_pressure"]
    low: float
    high: float
    places: int
    low2: NotRequired[Annotated[float, Field(description="blood pressure: the diastolic number's lowest")]]
    high2: NotRequired[Annotated[float, Field(description="blood pressure: the diastolic number's highest")]]


# --- mainland deployment: WeCom sign-in ----------------------------------------------------------

class WecomLoginParameters(Reply):
    login_url: Annotated[str, Field(description="WeCom's web login page (add redirect_uri and state)")]
    login_type: str
    appid: Annotated[str, Field(description="the corp's CorpID")]
    agentid: Annotated[str, Field(description="the AgentID of the sign-in app")]


class StaffProvidersReply(Reply):
    staff_identity: Annotated[Literal["cognito", "wecom"], Field(description="how staff of this stage sign in")]
    wecom: NotRequired[WecomLoginParameters]


# -- the audit trail and phone reveals (docs/audit.md) ---------------------------------------------


class AuditEventRow(Reply):
    event_id: str
    at: Annotated[str, Field(description="UTC")]
    day: Annotated[str, Field(description="the clinic-local day")]
    action: Annotated[str, Field(description="view_patient, reveal_phone, export, audit_export, erase, "
                                             "consent_change, role_change, staff_disable, staff_enable, "
                                             "staff_invite, clinic_create, sign_in, family_change")]
    actor: Annotated[str, Field(description="a staff username, or the patient's id for their own actions")]
    actor_role: str
    patient_id: str | None
    patient_name_masked: Annotated[str | None, Field(
        description="the patient's masked name (null: no patient, or the record was erased)")]
    reason: str | None
    detail: dict[str, Any]
    source_ip: str | None
    user_agent: str | None


class AuditPageReply(Reply):
    from_: Annotated[str, Field(alias="from")]
    to: str
    items: list[AuditEventRow]
    next_cursor: Annotated[str | None, Field(description="more events (a page may be short and still have more)")]


class PhoneRevealReply(Reply):
    patient_id: str
    phone: str
    event_id: Annotated[str, Field(description="the audit event recording this reveal")]
# -- the front desk (chalicelib/api/desk.py) -----------------------------------------------------------
class DeskPatientRow(Reply):
    patient_id: str
    name_masked: str
    phone_masked: str
    hospital_no_masked: Annotated[str | None, Field(description="the last four characters of the hospital number")]
    birth_year: int | None
    sex: str | None
    conditions: list[str]
    last_visit_date: str | None
    wechat_linked: bool
    matched_by: Annotated[Literal["phone", "hospital_no", "name"], Field(description="what the text matched")]


class DeskSearchReply(Reply):
    kind: Annotated[Literal["patients", "voucher", "redemption"], Field(
        description="patients: the rows found; voucher or redemption: the text is that kind of code, handled at its desk")]
    code: Annotated[str | None, Field(description="the voucher or redemption code, as shown (ABCD-EFGH)")]
    items: list[DeskPatientRow]
    more: Annotated[bool, Field(description="more patients share this name than are listed")]


class HospitalNoReply(Reply):
    patient: StaffPatientView


class BindCodeReply(Reply):
    code: Annotated[str, Field(description="the one-time code; works once, for ten minutes")]
    path: Annotated[str, Field(description="the mini-program page and code the QR code holds")]
    expires_at: str


class DeskFormReply(Reply):
    conditions: list[SetupCondition]
    departments: list[str]
    consent: ConsentPolicy
# --- the front desk: a patient's paged lists, import previews ---------------------------------

class PatientVisitsPage(Reply):
    items: list[VisitRow]
    next_cursor: Annotated[str | None, Field(description="pass as ?cursor= for the next page")]


class PatientCheckinsPage(Reply):
    items: list[CheckinRow]
    next_cursor: Annotated[str | None, Field(description="pass as ?cursor= for the next page")]



# --- asynchronous CSV imports (chalicelib/api/imports.py) ----------------------------------------

class ImportJobReply(Reply):
    job_id: str
    kind: Literal["visits", "exams"]
    status: Annotated[Literal["running", "done"], Field(description="done: every row has been imported or refused")]
    rows: Annotated[int, Field(description="the file's data rows")]
    rows_done: int
    recorded: int
    duplicates: Annotated[int, Field(description="rows already recorded (a file imported again)")]
    error_count: Annotated[int, Field(description="rows refused, all of them")]
    chunks: int
    chunks_done: int
    created_at: str
    created_by: str
    finished_at: str | None
    chunks_queued: Annotated[int, Field(description="chunks handed to the import queue; fewer than chunks while "
                                                    "some wait for the requeue sweep (every 5 minutes)")]
    stalled: Annotated[bool, Field(description="running with no chunk finished for 45 minutes: a chunk failed and "
                                               "waits for a retry (the sweep sends it again; a chunk in the "
                                               "dead-letter queue waits for its redrive)")]


class ImportJobStatusReply(ImportJobReply):
    errors: Annotated[list[RowProblem], Field(description="the refused rows by line of the file, at most 500")]


class ImportJobsReply(Reply):
    items: list[ImportJobReply]


# --- follow-up plans: the clinic's default assignee (chalicelib/api/risk.py) ------------------------

class FollowupAssigneeReply(Reply):
    followup_assignee: Annotated[str | None, Field(
        description="the staff username given the plans nobody starts by hand (a glucose challenge's); "
                    "null: they wait among the unassigned plans")]


# -- appointments (docs/appointments.md) ------------------------------------------------------------

class ScheduleSession(Reply):
    start: str
    end: str
    slot_minutes: int
    capacity: int
    expert: bool


class ScheduleException(Reply):
    date: str
    sessions: list[ScheduleSession]


class DoctorRow(Reply):
    doctor_id: str
    name: str
    department: str
    active: bool
    weekly: dict[str, list[ScheduleSession]]
    exceptions: list[ScheduleException]
    updated_at: str


class Holiday(Reply):
    date: str
    name: str


class DoctorsReply(Reply):
    items: list[DoctorRow]
    holidays: list[Holiday]


class PutDoctorReply(Reply):
    doctor: DoctorRow


class HolidaysReply(Reply):
    days: list[Holiday]


class OpenSlot(Reply):
    doctor_id: str
    doctor_name: str
    department: str
    date: Annotated[str, Field(description="clinic-local day")]
    start: Annotated[str, Field(description="clinic-local HH:MM")]
    end: str
    starts_at: Annotated[str, Field(description="UTC")]
    ends_at: str
    capacity: int
    left: int
    expert: bool
    bookable: Annotated[bool, Field(
        description="the caller may book it now; false: an expert slot not yet open to a patient without the "
                    "priority-booking perk (a full slot is still bookable with left 0)")]
    priority: Annotated[bool, Field(
        description="open to this patient only through the priority-booking perk (not yet open to everyone)")]
    opens_on: Annotated[str | None, Field(
        description="clinic-local day an expert slot inside the priority window opens to everyone; null once open")]


class SlotsReply(Reply):
    tz: Annotated[str, Field(description="the clinic's time zone")]
    first_day: str
    last_day: str
    items: list[OpenSlot]


class AppointmentRow(Reply):
    appointment_id: str
    patient_id: str
    doctor_id: str
    doctor_name: str | None
    department: str
    date: str
    start: str
    end: str
    starts_at: str
    ends_at: str
    expert: bool
    status: Literal["booked", "arrived", "cancelled", "no_show"]
    booked_at: str
    booked_by: Annotated[str, Field(description="patient, or staff:<username>")]
    changed_at: str | None
    rescheduled_to: str | None
    visit_id: str | None
    after_reminder_days: Annotated[int | None, Field(
        description="days from the latest reminder to this booking, when it followed one within 30 days")]


class AppointmentReply(Reply):
    appointment: AppointmentRow


class AppointmentsReply(Reply):
    items: list[AppointmentRow]


class RescheduleReply(Reply):
    appointment: AppointmentRow
    previous: AppointmentRow


class DayAppointment(AppointmentRow):
    patient_name: Annotated[str | None, Field(description="masked")]


class DayAppointmentsReply(Reply):
    date: str
    items: list[DayAppointment]


class ArriveReply(Reply):
    appointment: AppointmentRow
    points_awarded: int


# --- the clinic's lasting holdout -------------------------------------------------------------

class HoldoutReply(Reply):
    holdout_share: float


class HoldoutGroup(Reply):
    decided: Annotated[int, Field(description="requested revisit dates decided in the period")]
    hits: Annotated[int, Field(description="of them, kept")]
    rate: float | None
    pending: int
    pending_hits: int


class HoldoutEffect(Reply):
    share: float
    period_days: int
    reached: Annotated[HoldoutGroup, Field(description="patients who receive marketing messages")]
    held_out: Annotated[HoldoutGroup, Field(description="the holdout")]
    difference: Annotated[float | None, Field(description="reached rate - held-out rate (a fraction)")]
    ci_low: Annotated[float | None, Field(description="95% interval of the difference")]
    ci_high: float | None
    p_value: float | None


class SlotOffer(Reply):
    department: str
    doctor_id: str
    doctor_name: str | None
    date: Annotated[str, Field(description="clinic-local day")]
    start: Annotated[str, Field(description="clinic-local HH:MM")]
    starts_at: str
    held_until: Annotated[str, Field(description="the place is held for the patient until then (UTC)")]


class SlotOffersReply(Reply):
    items: list[SlotOffer]
# -- households (docs/households.md) ------------------------------------------------------------------


class FamilyMember(Reply):
    member_id: Annotated[str, Field(description="the member's patient id (opaque)")]
    name: Annotated[str, Field(description="masked, e.g. 王*")]
    relation: Literal["self", "spouse", "child", "parent", "grandparent", "other"]
    minor: bool
    me: NotRequired[bool]
    i_care_for: bool
    cares_for_me: bool
    may_checkin: Annotated[bool, Field(description="the caller (or the patient of a staff view) may check in for them")]
    gets_reminders: Annotated[bool, Field(description="the caller (or the patient of a staff view) receives their reminders")]
    checks_in_for_me: Annotated[bool, Field(description="they may check in for the caller (or the patient of a staff view)")]
    gets_my_reminders: Annotated[bool, Field(description="they receive the caller's (or the patient's of a staff view) reminders")]


class FamilyCardUse(Reply):
    date: Annotated[str, Field(description="clinic-local YYYY-MM-DD")]
    name: Annotated[str, Field(description="the masked name of the member who used it (— once erased)")]


class FamilyCard(Reply):
    uses_total: int
    uses_left: int
    valid_until: str | None
    used: list[FamilyCardUse]


class FamilyReply(Reply):
    family_id: str | None
    members: list[FamilyMember]
    card: FamilyCard | None


class FamilyJoinReply(Reply):
    family_id: str | None
    members: list[FamilyMember]


class FamilyMembersReply(Reply):
    members: list[FamilyMember]


class FamilyInviteReply(Reply):
    code: str
    expires_at: str
    path: Annotated[str, Field(description="the mini-program page that joins with the code")]


class FamilyReminder(Reply):
    title: str
    due_date: str
    kind: Annotated[str, Field(description="checkup (an infant's check-up), recall, content ...")]


class FamilyRemindersReply(Reply):
    items: list[FamilyReminder]
