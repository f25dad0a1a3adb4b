"""The answers of the routes: one model per route (`<Route>Reply`) and the models they share.

Each model lists exactly the fields its route answers with (services build them as plain dicts;
`Reply` refuses other fields in the schema, so the contract tests catch a drift). They feed the
OpenAPI document and, through it, the admin site's and the mini-program's TypeScript types; they
are not used to validate answers at run time, and are built only when their schema is asked for.
"""



from typing import Any

from pydantic import ConfigDict, Field

from chalicelib.api.models import Reply


class RefreshReply(Reply):
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


class Reward(Reply):
    type: str
    voucher_kind: str | None = None
    voucher_name: str | None = None
    voucher_name_en: str | None = None
    valid_days: int | None = None
    points: int | None = None


class Challenge(Reply):
    challenge_id: str
    name: str
    name_en: str | None
    checkin_type: str
    days: int
    grace: int
    reward: Reward
    start_date: str
    end_date: str
    conditions: list[str]
    active: bool
    participants: int
    open: bool
    created_at: str
    updated_at: str


class ListChallengesReply(Reply):
    items: list[Challenge]


class CreateChallengeReply(Reply):
    challenge: Challenge


class Rewards(Reply):
    streak_start: str
    completed_on: str
    earned_on: str
    type: str
    voucher_id: str | None = None
    code: str | None = None
    points: int | None = None


class Progress(Reply):
    joined_on: str
    current_streak: int
    streak_start: str | None
    grace_used: int
    days_to_go: int
    last_day: str | None
    best_streak: int
    streaks_completed: int
    rewards: list[Rewards]


class ChallengeItem(Reply):
    challenge_id: str
    name: str
    name_en: str | None
    checkin_type: str
    days: int
    grace: int
    reward: Reward
    start_date: str
    end_date: str
    joined: bool
    open: bool
    progress: Progress | None


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


class Voucher(Reply):
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
    voucher: Voucher


class RedeemVoucherVoucher(Reply):
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
    voucher: RedeemVoucherVoucher


class DeliverySettingsQuietHours(Reply):
    start: str
    end: str


class DeliverySettingsCaps(Reply):
    marketing: int
    service: int


class DeliverySettingsOpening(Reply):
    days: list[int]
    at: str


class Defaults(Reply):
    quiet_hours: DeliverySettingsQuietHours
    caps: DeliverySettingsCaps
    daily_cap: int
    relevance_days: dict[str, int]
    opening: DeliverySettingsOpening
    wechat_templates: dict[str, str]


class DeliverySettingsReply(Reply):
    quiet_hours: DeliverySettingsQuietHours
    caps: DeliverySettingsCaps
    daily_cap: int
    relevance_days: dict[str, int]
    opening: DeliverySettingsOpening
    wechat_templates: dict[str, str]
    defaults: Defaults
    channel_order: list[str]


class Templates(Reply):
    recall: str


class MyChannelsReply(Reply):
    preferred: str | None
    order: list[str]
    wechat_linked: bool
    wechat_quota: dict[str, int]
    templates: Templates


class SetChannelReply(Reply):
    preferred: str | None
    order: list[str]
    wechat_linked: bool
    wechat_quota: dict[str, int]
    templates: Templates


class SubscribeReply(Reply):
    preferred: str | None
    order: list[str]
    wechat_linked: bool
    wechat_quota: dict[str, int]
    templates: Templates


class Planned(Reply):
    rule_id: str
    offset_days: int
    due_at: str
    created: bool


class RecordAnchorReply(Reply):
    anchor: str
    date: str
    planned: list[Planned]


class Rule(Reply):
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


class Options(Reply):
    anchors: list[str]
    conditions: list[str]
    departments: list[str]
    variables: list[str]
    stop_on: list[str]
    purposes: list[str]


class ListRulesReply(Reply):
    items: list[Rule]
    options: Options


class PutRuleReply(Reply):
    rule: Rule


class DeleteRuleReply(Reply):
    deleted: str


class SetActiveReply(Reply):
    rule: Rule


class Arms(Reply):
    arm_id: str
    weight: float
    template: str | None
    send_at: str | None
    incentive_text: str | None
    incentive_points: int


class Experiment(Reply):
    experiment_id: str
    name: str
    target_kind: str
    target_id: str
    arms: list[Arms]
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
    items: list[Experiment]


class CreateExperimentReply(Reply):
    experiment: Experiment


class SampleSizeReply(Reply):
    sample_size_per_arm: int
    groups: int


class RuleChanges(Reply):
    template: str | None = None
    send_at: str | None = None
    first_step_body: str | None = None


class PromoteExperimentReply(Reply):
    experiment: Experiment
    rule_changes: RuleChanges


class Groups(Reply):
    arm_id: str
    reference: bool
    exposures: int
    conversions: int
    rate: float | None
    holdout: bool
    pending: int
    pending_conversions: int
    uplift: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    z: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    significant: bool | None = None


class ExperimentResultsReply(Reply):
    experiment: Experiment
    reference: str
    alpha: float
    ci_level: float
    sample_size_per_arm: int
    required: dict[str, int]
    sample_size_reached: bool
    winner: str | None
    groups: list[Groups]
    as_of: str


class StartExperimentReply(Reply):
    experiment: Experiment


class StopExperimentReply(Reply):
    experiment: Experiment


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


class MeReply(Reply):
    patient: OwnPatientView


class EraseReply(Reply):
    erased: bool
    items_removed: int


class Checkin(Reply):
    checkin_id: str
    type: str
    value: float
    local_date: str
    counted: bool


class Challenges(Reply):
    challenge_id: str
    name: str
    current_streak: int
    days: int
    streaks_completed: int
    completed_now: int


class Vouchers(Reply):
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


class Tasks(Reply):
    task_id: str
    name: str
    progress: int
    target: int
    completed_now: bool


class Badges(Reply):
    badge_id: str
    name: str
    name_en: str
    task_id: str


class CheckInReply(Reply):
    checkin: Checkin
    points_awarded: int
    balance: int
    challenges: list[Challenges] | None = None
    vouchers: list[Vouchers] | None = None
    rewards: list[CheckInRewards] | None = None
    tasks: list[Tasks] | None = None
    badges: list[Badges] | None = None


class Service(Reply):
    granted: bool
    version: str
    at: str


class Consents(Reply):
    service: Service
    marketing: Service | None
    analytics: Service | None


class ConsentsReply(Reply):
    consents: Consents


class WithdrawReply(Reply):
    consents: Consents


class ExportReply(Reply):
    profile: OwnPatientView
    consents: Consents
    records: dict[str, list[dict[str, Any]]]


class InboxItemItem(Reply):
    message_id: str
    title: str
    body: str
    purpose: str
    created_at: str
    read_at: str | None


class InboxReply(Reply):
    items: list[InboxItemItem]
    unread: int


class MarkReadReply(Reply):
    message: InboxItemItem


class Expiring(Reply):
    expires_on: str
    points: int


class Entries(Reply):
    entry_id: str
    at: str
    points: int
    reason: str
    note: str | None = None
    staff: str | None = None


class MyPointsReply(Reply):
    expiring: list[Expiring]
    balance: int
    earned_total: int
    tier: str
    redeemed_total: int
    entries: list[Entries]


class Redemption(Reply):
    redemption_id: str
    reward_id: str
    reward_name: str
    cost: int
    status: str
    at: str


class RedeemReply(Reply):
    redemption: Redemption
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
    limit_reached: str | None = None


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


class MaternityPack(Reply):
    ended: int
    renewed: int
    lapsed: int
    pending: int
    rate: float | None


class RenewalsReply(Reply):
    from_: str = Field(alias='from')
    to: str
    as_of: str
    ended: int
    renewed: int
    lapsed: int
    pending: int
    rate: float | None
    by_package: dict[str, MaternityPack]


class Package(Reply):
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
    package: Package


class Segments(Reply):
    segment_id: str
    name: str


class PatientSegmentsReply(Reply):
    patient_id: str
    segments: list[Segments]
    last_interaction_at: str
    next_change_at: str | None


class ContentStep(Reply):
    kind: str
    title: str
    body: str
    url: str | None = None
    health: bool
    offset_days: int | None = None


class ContentPathView(Reply):
    cadence_days: int
    purpose: str
    send_at: str
    steps: list[ContentStep]


class Build(Reply):
    processed: int
    members_so_far: int
    total_estimate: int | None
    started_at: str | None
    built_at: str | None
    starts_after: str | None


class Segment(Reply):
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
    members: int
    build: Build
    updated_at: str
    updated_by: str


class ListSegmentsReply(Reply):
    items: list[Segment]


class CreateSegmentReply(Reply):
    segment: Segment


class EarningRules(Reply):
    revisit_on_time: int
    share: int
    referral_registered: int
    checkin: int


class Share(Reply):
    day: int | None = None
    week: int | None = None
    month: int | None = None


class ClinicReply(Reply):
    clinic_id: str
    name: str
    tz: str
    conditions: list[str]
    earning_rules: EarningRules
    earning_limits: dict[str, Share]
    points_expiry_months: int
    silent_days: int


class EarningLimitsReply(Reply):
    earning_limits: dict[str, Share]


class EarningRulesReply(Reply):
    earning_rules: EarningRules


class PointsExpiryReply(Reply):
    points_expiry_months: int


class SilentDaysReply(Reply):
    silent_days: int
    segment: Segment | None


class Clinic(Reply):
    clinic_id: str
    name: str
    tz: str
    silent_days: int


class Totals(Reply):
    reached: int
    booked: int
    declined: int
    wrong_number: int


class RevisitRate30(Reply):
    hits: int
    decided: int
    pending: int


class Kpis(Reply):
    patients: int | None = None
    checkins_today: int | None = None
    points_issued: int | None = None
    points_redeemed: int | None = None
    reminders_sent: int | None = None
    revisit_rate_30: float | None = None
    revisit_rate_90: float | None = None
    postpartum_checkup_rate: float | None = None
    annual_recheck_rate: float | None = None
    reminder_conversion_90: float | None = None
    silent_reactivation_rate_90: float | None = None
    new_patients_90: int | None = None
    referral_share_90: float | None = None
    silent_days: int | None = None
    silent_patients: int | None = None
    silent_share: float | None = None
    reminders_sent_90: int | None = None
    package_renewal_rate_12m: float | None = None
    packages_ended_12m: int | None = None
    followup_calls_30: int | None = None
    followup_outcomes_30: Totals | None = None
    followup_reach_rate_30: float | None = None
    followup_booked_rate_30: float | None = None
    basis: dict[str, RevisitRate30] | None = None


class Silence(Reply):
    bucket: str
    low: int
    high: int | None
    count: int
    silent: bool


class Conditions(Reply):
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


class Joined(Reply):
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
    joined: Joined
    not_joined: Joined


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


class Daily(Reply):
    day: str
    patients: int
    revisit_rate_30: float | None
    silent_share: float | None
    silent_patients: int
    silent_days: int
    reminder_conversion_90: float | None
    checkins_today: int


class Charts(Reply):
    silence: list[Silence] | None = None
    conditions: list[Conditions] | None = None
    revisit_by_department: list[RevisitByDepartment] | None = None
    revisit_by_condition: list[RevisitByDepartment] | None = None
    revisit_by_segment: list[RevisitBySegment] | None = None
    revisit_by_cohort: list[RevisitByDepartment] | None = None
    weekly_revisit: list[WeeklyRevisit] | None = None
    weekly_reminders: list[WeeklyRevisit] | None = None
    weekly_new_patients: list[WeeklyRevisit] | None = None
    challenge_revisit_180: list[ChallengeRevisit180] | None = None
    conversion_by_source: list[ConversionBySource] | None = None
    daily: list[Daily] | None = None


class DashboardReply(Reply):
    clinic: Clinic
    generated_at: str | None
    kpis: Kpis
    charts: Charts


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


class CreatePatientReply(Reply):
    patient: StaffPatientView


class BookingReply(Reply):
    booking_date: str
    reminders_stopped: int


class AdjustPointsReply(Reply):
    entry: Entries
    balance: int


class RemissionReply(Reply):
    planned: list[Planned]


class VisitItem(Reply):
    visit_id: str
    visit_date: str
    department: str
    next_due_date: str | None
    on_time: bool
    source: str


class RecordVisitReply(Reply):
    visit: VisitItem
    points_awarded: int


class Deliveries(Reply):
    channel: str
    status: str
    error_code: str | None
    at: str


class ReminderItem(Reply):
    patient_id: str
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
    deliveries: list[Deliveries]


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


class Perks(Reply):
    perk_id: str
    name: str
    name_en: str | None
    badges_required: int
    unlocked: bool


class MyPerksReply(Reply):
    patient_id: str
    badges: int
    perks: list[Perks]


class Exam(Reply):
    exam_id: str
    flags: list[str]
    recorded_at: str
    recorded_by: str
    source: str
    taken_on: str
    tasks: list[str]


class Badge(Reply):
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
    badge: Badge


class MyTasksBadges(Reply):
    badge_id: str
    name: str
    name_en: str
    earned_on: str
    task_id: str


class MyTasksReply(Reply):
    exams: list[Exam]
    tasks: list[TaskView]
    badges: list[MyTasksBadges]
    perks: list[Perks]


class RecordExamReply(Reply):
    exam: Exam
    tasks: list[TaskView]


class PatientPerksReply(Reply):
    patient_id: str
    badges: int
    perks: list[Perks]


class PatientTasksReply(Reply):
    exams: list[Exam]
    tasks: list[TaskView]
    badges: list["BadgeRow"]
    perks: list[Perks]


class TaskRulesTasks(Reply):
    task_key: str
    name: str
    name_en: str | None
    kind: str
    target: int
    within_days: int
    checkin_type: str | None
    min_value: int | None
    badge: Badge


class Rules(Reply):
    flag: str
    tasks: list[TaskRulesTasks]
    updated_at: str
    updated_by: str | None


class PerkDefinition(Reply):
    perk_id: str
    name: str
    name_en: str | None
    badges_required: int


class TaskRulesReply(Reply):
    flags: list[str]
    rules: list[Rules]
    perks: list[PerkDefinition]


class PutTaskRuleReply(Reply):
    flag: str
    tasks: list[TaskRulesTasks]
    updated_at: str
    updated_by: str


class OpenapiReply(Reply):
    """This document."""

    model_config = ConfigDict(extra="allow")

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


class CheckinsReply(Reply):
    items: list[CheckinRow]


class VisitRow(Reply):
    visit_id: str
    visit_date: str
    department: str
    next_due_date: str | None
    on_time: bool
    source: str


class MyVisitsReply(Reply):
    items: list[VisitRow]


class BoardRow(Reply):
    rank: int
    name_masked: str
    score: int
    me: bool | None = Field(None, description="only on the caller's own row")


class BoardMe(Reply):
    score: int
    visible: bool
    rank: int | None


class LeaderboardReply(Reply):
    month: str
    items: list[BoardRow]
    me: BoardMe | None = Field(None, description="for a patient: their own score, visibility and rank")


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
    paused_reason: str | None
    ended_on: str | None


class FollowUpOutcomeRow(Reply):
    outcome_id: str
    outcome: str
    day: str
    at: str
    staff: str | None
    has_note: bool
    booking_date: str | None


class StartFollowupReply(Reply):
    plan: FollowUpPlan | None


class EndFollowupReply(Reply):
    plan: FollowUpPlan | None


class FollowupDetailReply(Reply):
    plan: FollowUpPlan | None
    outcomes: list[FollowUpOutcomeRow]


class RecordOutcomeReply(Reply):
    outcome: FollowUpOutcomeRow
    next_due: str | None
    plan_status: str
    booking: BookingReply | None = Field(
        description="with booked: the booking recorded (as POST /patients/{id}/bookings answers)")


class WorklistRow(Reply):
    patient_id: str
    name_masked: str | None
    conditions: list[str]
    last_visit_date: str | None
    risk_score: float | None
    risk_factors: list[dict[str, Any]]
    followup_flag: str | None = Field(description="wrong_number: staff should check the phone")
    next_due: str | None
    days_overdue: int
    cadence_days: int
    source: str | None
    last_outcome: str | None
    last_outcome_on: str | None
    calls: int


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
    from_: str = Field(alias="from")
    to: str
    totals: OutcomeTotals
    calls: int
    reach_rate: float | None
    booking_rate: float | None
    days: list[OutcomeDay]


class RiskModelReply(Reply):
    """The model card, or (`model` null) why there is none yet."""

    model: dict[str, Any] | None
    versions: list[dict[str, Any]] | None = Field(None, description="with a model: the versions trained")
    last_run: dict[str, Any] | None
    message: str | None = Field(None, description="without a model: why")


class AtRiskRow(Reply):
    patient_id: str
    name_masked: str | None
    conditions: list[str]
    risk_score: float
    risk_factors: list[dict[str, Any]]
    risk_model_version: int
    scored_at: str | None


class AtRiskReply(Reply):
    items: list[AtRiskRow]
    next_cursor: str | None


class PatientRiskReply(Reply):
    patient_id: str
    risk_score: float | None
    risk_status: str
    risk_factors: list[dict[str, Any]]
    risk_model_version: int | None
    scored_at: str | None
    followup_flag: str | None = Field(description="wrong_number: staff should check the phone")


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
    persona_tags: list[str] | None = None
    district: str | None = None
    department: str | None = None


class LapsedRow(Reply):
    patient_id: str
    name_masked: str | None
    last_visit_date: str | None
    days_since: int | None


class LapsedReply(Reply):
    items: list[LapsedRow]
    next_cursor: str | None
    cutoff: str


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


class ImportExamsReply(Reply):
    exams: int
    duplicates: int
    tasks_assigned: int
    errors: list[RowProblem]


class BadgeRow(Reply):
    badge_id: str
    name: str
    name_en: str | None
    earned_on: str | None
    task_id: str | None


class ConsentLogRow(Reply):
    purpose: str
    granted: bool
    version: str
    at: str


class Referral(Reply):
    invite_code: str | None
    referred_by: str | None
    referred: int


class PatientDetailReply(Reply):
    patient: StaffPatientView
    consents: Consents
    consent_log: list[ConsentLogRow]
    visits: list[VisitRow]
    checkins: list[CheckinRow]
    ledger: list[Entries]
    referral: Referral


class SegmentDetailReply(Reply):
    segment: Segment


class EditSegmentReply(Reply):
    segment: Segment


class PutPerksReply(Reply):
    perks: list[PerkDefinition]


class ConfirmedTask(TaskView):
    badge_awarded: bool


class ConfirmTaskReply(Reply):
    task: ConfirmedTask
