"""Key formats. Every partition key starts with the clinic id (the tenant)."""

from __future__ import annotations

REGISTRY_PK = "CLINICS"
# The reserved tenant of the platform's operators (chalicelib.auth): no clinic may take this id.
PLATFORM_CLINIC = "platform"


def clinic_pk(clinic_id: str) -> str:
    return clinic_id


def patient_pk(clinic_id: str, patient_id: str) -> str:
    return f"{clinic_id}#P#{patient_id}"


def staff_pk(clinic_id: str, subject: str) -> str:
    return f"{clinic_id}#STAFF#{subject}"


def staff_wecom_pk(clinic_id: str, userid: str) -> str:
    """The claim of a WeCom member on one staff account of the clinic."""
    return f"{clinic_id}#WECOM#{userid}"

def staff_list_pk(clinic_id: str) -> str:
    """The index partition that lists a clinic's staff accounts by username."""
    return f"{clinic_id}#STAFFLIST"


def session_pk(clinic_id: str, family: str) -> str:
    """A patient's or visitor's login session: the family of refresh tokens it hands out."""
    return f"{clinic_id}#SESSION#{family}"


def phone_pk(clinic_id: str, phone_hash: str) -> str:
    return f"{clinic_id}#PHONE#{phone_hash}"


def openid_pk(clinic_id: str, openid_hash: str) -> str:
    return f"{clinic_id}#WX#{openid_hash}"


def invite_pk(clinic_id: str, code: str) -> str:
    return f"{clinic_id}#INVITE#{code}"


def referred_phone_pk(clinic_id: str, phone_hash: str) -> str:
    return f"{clinic_id}#REFPHONE#{phone_hash}"


def patients_list_pk(clinic_id: str) -> str:
    return f"{clinic_id}#PATIENTS"


def condition_list_pk(clinic_id: str, condition: str) -> str:
    return f"{clinic_id}#COND#{condition}"


def due_dates_pk(clinic_id: str) -> str:
    return f"{clinic_id}#DUEDATE"


def reminder_log_pk(clinic_id: str) -> str:
    return f"{clinic_id}#REMLOG"


def board_pk(clinic_id: str, month: str, shard: int) -> str:
    return f"{clinic_id}#LB#{month}#{shard}"


def voucher_code_pk(clinic_id: str, code: str) -> str:
    return f"{clinic_id}#VCODE#{code}"


def redemption_code_pk(clinic_id: str, code: str) -> str:
    """A redemption's code, for the desk: one GetItem finds the patient and the redemption."""
    return f"{clinic_id}#RCODE#{code}"


def lot_expiry_pk(clinic_id: str) -> str:
    return f"{clinic_id}#LOTEXP"


def due_pk(clinic_id: str) -> str:
    return f"{clinic_id}#DUE"


# Sort keys of the clinic's records: patients, consents, visits, revisit dues, recall, segments,
# experiments, follow-ups, sessions, staff, packages, risk, clinic settings.

# The clinic's own partition (`clinic_pk`).
CLINIC_SK = "CLINIC"
DELIVERY_SK = "DELIVERY"  # delivery settings: quiet hours, caps, relevance, WeChat templates
KPI_CURRENT_SK = "KPI#CURRENT"
KPI_DAY = "KPI#DAY#"
RECALL_RULE = "RECALLRULE#"
SEGMENT = "SEGMENT#"
EXPERIMENT = "EXPERIMENT#"
EXPERIMENT_RUN = "EXPRUN#"
PACKAGE_TYPE = "PKGDEF#"
RISK_MODEL = "RISKMODEL#"
RISK_RUN_SK = "RISKRUN"
RISK_STATE_SK = "RISKSTATE"  # where the clinic's summary backfill and re-scoring passes stand
UPLIFT_MODEL = "UPLIFTMODEL#"
UPLIFT_RUN_SK = "UPLIFTRUN"
DROPOUT_SK = "DROPOUT"
FOLLOWUP_STAT = "FUSTAT#"


def kpi_day_sk(day: str) -> str:
    return f"{KPI_DAY}{day}"


def recall_rule_sk(rule_id: str) -> str:
    return f"{RECALL_RULE}{rule_id}"


def segment_sk(segment_id: str) -> str:
    return f"{SEGMENT}{segment_id}"


def experiment_sk(experiment_id: str) -> str:
    return f"{EXPERIMENT}{experiment_id}"


def experiment_run_sk(target_kind: str, target_id: str) -> str:
    return f"{EXPERIMENT_RUN}{target_kind}#{target_id}"


def package_type_sk(package_id: str) -> str:
    return f"{PACKAGE_TYPE}{package_id}"


def risk_model_sk(version: int) -> str:
    return f"{RISK_MODEL}{version:06d}"


def uplift_model_sk(version: int) -> str:
    return f"{UPLIFT_MODEL}{version:06d}"


def followup_stat_sk(day: str) -> str:
    return f"{FOLLOWUP_STAT}{day}"


# A patient's partition (`patient_pk`); the profile's sort key, PROFILE_SK, is with the activity's below.
CONDITION = "COND#"
CONSENT_LOG = "CONSENTLOG#"
VISIT = "VISIT#"
REVISIT_DUE = "DUE#"
OUTBOUND_JOB = "OUT#"
CAP = "CAP#"
CHANNEL = "CH#"
CHANNEL_PREF_SK = "CH#PREF"
WECHAT_QUOTA = "CH#WXQ#"
SEGMENT_MEMBER = "SEG#"
SEGMENT_FLIP_SK = "SEGFLIP"
EXPOSURE = "EXPO#"
ANCHOR = "ANCHOR#"
PACKAGE = "PKG#"
RISK_ENTRY_SK = "RISK"
RISK_SUMMARY_SK = "RISKSUM"  # the patient's risk feature summary (docs/risk.md)
FOLLOWUP_SK = "FOLLOWUP"
FOLLOWUP_OUTCOME = "FUOUT#"


def condition_sk(condition: str) -> str:
    return f"{CONDITION}{condition}"


def consent_log_sk(at: str, purpose: str, nonce: str) -> str:
    return f"{CONSENT_LOG}{at}#{purpose}#{nonce}"


def visit_sk(visit_date: str, visit_id: str) -> str:
    return f"{VISIT}{visit_date}#{visit_id}"


def revisit_due_sk(due_date: str) -> str:
    return f"{REVISIT_DUE}{due_date}"


def outbound_job_sk(kind: str, source_id: str, anchor_date: str, offset_days: int) -> str:
    return f"{OUTBOUND_JOB}{kind}#{source_id}#{anchor_date}#{int(offset_days)}"


def week_cap_sk(purpose: str, iso_week: str) -> str:
    return f"{CAP}{purpose}#{iso_week}"


def day_cap_sk(day: str) -> str:
    return f"{CAP}day#{day}"


def wechat_quota_sk(template_id: str) -> str:
    return f"{WECHAT_QUOTA}{template_id}"


def segment_member_sk(segment_id: str) -> str:
    return f"{SEGMENT_MEMBER}{segment_id}"


def exposure_sk(experiment_id: str) -> str:
    return f"{EXPOSURE}{experiment_id}"


def anchor_sk(anchor: str, day: str, scope: str) -> str:
    return f"{ANCHOR}{anchor}#{day}#{scope}"


def anchors_pk(clinic_id: str, anchor: str) -> str:
    """The index partition of a clinic's recorded anchor events of one kind, by day."""
    return f"{clinic_id}#ANCHOR#{anchor}"


def anchor_sort(day: str, patient_id: str, scope: str) -> str:
    return f"{day}#{patient_id}#{scope}"


def package_sk(start_day: str, sale_id: str) -> str:
    return f"{PACKAGE}{start_day}#{sale_id}"


def followup_outcome_sk(at: str, outcome_id: str) -> str:
    return f"{FOLLOWUP_OUTCOME}{at}#{outcome_id}"


# Other partitions: uniqueness claims (phone, openid, invite), sessions, staff accounts.
UNIQUE_SK = "UNIQUE"
REFERRED_SK = "REFERRED"  # a referred phone: it has earned its referrer a reward once
SESSION_SK = "SESSION"
ACCOUNT_SK = "ACCOUNT"


# Index sort keys (gsi1sk, due_sk) of these records.
def patients_list_sort(created_at: str, patient_id: str) -> str:
    return f"{created_at}#{patient_id}"


def due_date_sort(due_date: str, patient_id: str) -> str:
    return f"{due_date}#{patient_id}"


def reminder_log_sort(processed_at: str, patient_id: str) -> str:
    return f"{processed_at}#{patient_id}"


def outbound_due_sort(due_at: str, patient_id: str, ref: str) -> str:
    """An outbound job's place in the due index: its due time first, so a Query up to now finds it."""
    return f"{due_at}#{patient_id}#{ref}"


def moved_due_sort(due_sort: str, new_time: str) -> str:
    """The same due entry at another time (a lease or a deferral)."""
    return f"{new_time}#{due_sort.split('#', 1)[1]}"


def due_sort_last(due_sort: str) -> str:
    """The last part of a due sort key (the patient, or the segment of a build)."""
    return due_sort.rsplit("#", 1)[1]


def due_sort_of(at: str, ref: str) -> str:
    """A time-ordered sort key (a segment's build, a patient's next flip): `<time>#<id>`."""
    return f"{at}#{ref}"


def followup_due_sort(day: str, patient_id: str) -> str:
    return f"{day}#{patient_id}"


def segment_join_sort(joined_at: str, patient_id: str) -> str:
    return f"{joined_at}#{patient_id}"


def exposure_sort(arm: str, patient_id: str) -> str:
    return f"{arm}#{patient_id}"


def package_end_sort(end_day: str, patient_id: str, sale_id: str) -> str:
    return f"{end_day}#{patient_id}#{sale_id}"


def patient_of(pk: str) -> str:
    """The patient id of a patient's partition key."""
    return pk.rsplit("#P#", 1)[1]


def owner_of(pk: str) -> tuple[str, str] | None:
    """(clinic, patient) of a patient's partition key, or None for any other partition."""
    clinic_id, sep, patient_id = pk.partition("#P#")
    return (clinic_id, patient_id) if sep and clinic_id and patient_id else None


NEVER_VISITED = "0000-00-00"


def last_visit_sort(last_visit_date: str | None, patient_id: str) -> str:
    # Never-visited patients sort first, so "last visit older than N days" includes them.
    return f"{last_visit_date or NEVER_VISITED}#{patient_id}"


def exposures_pk(clinic_id: str, experiment_id: str) -> str:
    return f"{clinic_id}#EXPO#{experiment_id}"


def package_end_pk(clinic_id: str) -> str:
    return f"{clinic_id}#PKGEND"


def risk_list_pk(clinic_id: str) -> str:
    return f"{clinic_id}#RISK"


def risk_sort(score: float, patient_id: str) -> str:
    # Inverted and zero-padded, so an ascending Query lists the highest risk first.
    return f"{1_000_000 - round(score * 1_000_000):07d}#{patient_id}"


def risk_due_pk(clinic_id: str) -> str:
    """The due index partition of patients whose risk score is to be computed again."""
    return f"{clinic_id}#RISKDUE"


def risk_summaries_pk(clinic_id: str) -> str:
    """The gsi1 partition of the summaries of patients with analytics consent, by sample bucket."""
    return f"{clinic_id}#RISKSUM"


def risk_summary_sort(bucket: int, patient_id: str) -> str:
    return f"{bucket:04d}#{patient_id}"


def followup_due_pk(clinic_id: str) -> str:
    return f"{clinic_id}#FOLLOWUP"


def segment_members_pk(clinic_id: str, segment_id: str) -> str:
    return f"{clinic_id}#SEG#{segment_id}"


def segment_due_pk(clinic_id: str) -> str:
    return f"{clinic_id}#SEGDUE"


def segment_build_pk(clinic_id: str) -> str:
    return f"{clinic_id}#SEGBUILD"


# Sort keys of a patient's activity: check-ins, day marks, ledger, lots, rewards, redemptions,
# limits, board entries, challenges, vouchers, tasks, exams, badges, inbox, idempotency.

PROFILE_SK = "PROFILE"  # the patient's record in their partition (read and credited by the activity writes)
CHECKIN_PREFIX = "CHECKIN#"
DAY_MARK_PREFIX = "DAYMARK#"
LEDGER_PREFIX = "LEDGER#"
LOT_PREFIX = "LOT#"
REWARD_PREFIX = "REWARD#"
REWARD_USE_PREFIX = "RLIMIT#"
REDEMPTION_PREFIX = "REDEEM#"
LIMIT_PREFIX = "LIMIT#"
BOARD_ENTRY_PREFIX = "LB#"
CHALLENGE_PREFIX = "CHALLENGE#"
PROGRESS_PREFIX = "PROG#"  # what a check-in moves forward: enrolments and tasks, read in one Query
ENROLMENT_PREFIX = PROGRESS_PREFIX + "CH#"
TASK_PREFIX = PROGRESS_PREFIX + "TASK#"
VOUCHER_PREFIX = "VOUCHER#"
VOUCHER_CODE_SK = "VCODE"
REDEMPTION_CODE_SK = "RCODE"
TASK_RULE_PREFIX = "TASKRULE#"
EXAM_PREFIX = "EXAM#"
BADGE_PREFIX = "BADGE#"
INBOX_PREFIX = "INBOX#"
IDEMPOTENCY_PREFIX = "IDEM#"


def checkin_sk(local_date: str, checkin_type: str, checkin_id: str) -> str:
    return f"{CHECKIN_PREFIX}{local_date}#{checkin_type}#{checkin_id}"


def day_mark_sk(checkin_type: str, local_date: str) -> str:
    """The first check-in of a type on a clinic day (the one that counts)."""
    return f"{DAY_MARK_PREFIX}{checkin_type}#{local_date}"


def ledger_sk(entry_id: str) -> str:
    return LEDGER_PREFIX + entry_id


def lot_sk(expires_on: str) -> str:
    return LOT_PREFIX + expires_on


def lot_expiry_sort(expires_on: str, patient_id: str) -> str:
    return f"{expires_on}#{patient_id}"


def reward_sk(reward_id: str) -> str:
    return REWARD_PREFIX + reward_id


def reward_use_sk(reward_id: str) -> str:
    return REWARD_USE_PREFIX + reward_id


def redemption_sk(redemption_id: str) -> str:
    return REDEMPTION_PREFIX + redemption_id


def limit_sk(rule: str, period_key: str) -> str:
    return f"{LIMIT_PREFIX}{rule}#{period_key}"


def board_entry_sk(month: str) -> str:
    return BOARD_ENTRY_PREFIX + month


def challenge_sk(challenge_id: str) -> str:
    return CHALLENGE_PREFIX + challenge_id


def enrolment_sk(challenge_id: str) -> str:
    return ENROLMENT_PREFIX + challenge_id


def voucher_sk(voucher_id: str) -> str:
    return VOUCHER_PREFIX + voucher_id


def task_rule_sk(flag: str) -> str:
    return TASK_RULE_PREFIX + flag


def exam_sk(exam_id: str) -> str:
    return EXAM_PREFIX + exam_id


def task_sk(task_id: str) -> str:
    return TASK_PREFIX + task_id


def badge_sk(task_id: str) -> str:
    return BADGE_PREFIX + task_id


def inbox_sk(message_id: str) -> str:
    return INBOX_PREFIX + message_id


def job_runs_pk(clinic_id: str) -> str:
    """The partition of a clinic's scheduled-job run records (chalicelib/store/job_runs.py)."""
    return f"{clinic_id}#JOBRUN"


def idempotency_sk(scope: str, key: str) -> str:
    return f"{IDEMPOTENCY_PREFIX}{scope}#{key}"


# The mini-program's home page (store/home.py) reads a patient's partition in three Queries:
# 1. HOME_RANGE, consistent: LOT# < OUT# < PKG# < PROFILE < PROG#... are neighbours in sort
#    order, so one Query from the lots to the end of the progress items returns the lots, the
#    profile, the enrolments and the tasks; the outbound jobs and packages between them
#    (HOME_SKIPPED) are dropped by a filter.
# 2. the day's check-ins: `checkins_of_day` (CHECKIN#<day>#...).
# 3. the unread inbox messages counted (INBOX#..., Select=COUNT).
HOME_RANGE = (LOT_PREFIX, PROGRESS_PREFIX + "\uffff")
HOME_SKIPPED = (OUTBOUND_JOB, PACKAGE)


def checkins_of_day(local_date: str) -> str:
    return f"{CHECKIN_PREFIX}{local_date}#"


# The audit trail (store/audit.py): one partition per clinic and clinic-local day, and a patient's
# events in gsi1; neither is in a patient's partition, so erasing a patient keeps the trail.
def audit_day_pk(clinic_id: str, day: str) -> str:
    return f"{clinic_id}#AUDIT#{day}"


def audit_patient_pk(clinic_id: str, patient_id: str) -> str:
    return f"{clinic_id}#AUDITP#{patient_id}"


def audit_sk(at: str, event_id: str) -> str:
    return f"{at}#{event_id}"


# Follow-up plans assigned to a staff member (store/followups.py): gsi1 while the plan is active.
def followup_assignee_pk(clinic_id: str, username: str) -> str:
    return f"{clinic_id}#FUASSIGN#{username}"
# The front desk (chalicelib/store/lookups.py): patients by name and hospital number, bind codes.
BIND_SK = "BIND"


def name_lookup_pk(clinic_id: str, name_hash: str) -> str:
    return f"{clinic_id}#NAME#{name_hash}"


def hospital_no_pk(clinic_id: str, number_hash: str) -> str:
    return f"{clinic_id}#HNO#{number_hash}"


def bind_code_pk(clinic_id: str, code_hash: str) -> str:
    return f"{clinic_id}#BIND#{code_hash}"


# CSV import jobs (store/imports.py): a clinic's jobs in one partition, each job's chunks in its own.
def import_job_pk(clinic_id: str) -> str:
    return f"{clinic_id}#IMPORTS"


def import_job_sk(job_id: str) -> str:
    return f"JOB#{job_id}"


def import_chunk_pk(clinic_id: str, job_id: str) -> str:
    return f"{clinic_id}#IMPORT#{job_id}"


def import_chunk_sk(index: int) -> str:
    return f"CHUNK#{index:05d}"


def import_chunk_index(sk: str) -> int:
    """The chunk number of a chunk's sort key (import_chunk_sk read back)."""
    return int(sk.split("#", 1)[1])


# A running import job in gsi1 (sparse: the attributes go when the job is done), so the requeue
# sweep finds a clinic's unfinished jobs with one Query.
def import_running_pk(clinic_id: str) -> str:
    return f"{clinic_id}#IMPORTS#RUNNING"


# Appointments (store/appointments.py, docs/appointments.md): doctors, holidays and the day counters
# in the clinic's partition; a slot's counter in its department's partition; a booking in the
# patient's partition, listed per clinic-local day in gsi1 and, while booked, in the sparse due
# index by the end of its slot (the no-show sweep).
DOCTOR = "DOCTOR#"
HOLIDAYS_SK = "HOLIDAYS"
APPOINTMENT_STAT = "APPTSTAT#"
APPOINTMENT = "APPT#"


def doctor_sk(doctor_id: str) -> str:
    return f"{DOCTOR}{doctor_id}"


def appointment_stat_sk(day: str) -> str:
    return f"{APPOINTMENT_STAT}{day}"


def slot_pk(clinic_id: str, department: str) -> str:
    return f"{clinic_id}#SLOTS#{department}"


def slot_sk(day: str, start: str, doctor_id: str) -> str:
    return f"{day}#{start.replace(':', '')}#{doctor_id}"


def appointment_sk(day: str, start: str, doctor_id: str) -> str:
    return f"{APPOINTMENT}{day}#{start.replace(':', '')}#{doctor_id}"


def appointment_day_pk(clinic_id: str, day: str) -> str:
    return f"{clinic_id}#APPTDAY#{day}"


def appointment_day_sort(department: str, start: str, doctor_id: str, patient_id: str) -> str:
    return f"{department}#{start.replace(':', '')}#{doctor_id}#{patient_id}"


def appointment_due_pk(clinic_id: str) -> str:
    return f"{clinic_id}#APPTDUE"


def appointment_due_sort(ends_at: str, patient_id: str, day: str, start: str, doctor_id: str) -> str:
    return f"{ends_at}#{patient_id}#{day}#{start.replace(':', '')}#{doctor_id}"


# Recall offers (store/holds.py, docs/delivery.md "Capacity"): a held slot place in the patient's
# partition, in the sparse due index by its expiry; the department's count of holds in the clinic's.
HOLD = "HOLD#"
RECALL_HOLDS = "RECALLHOLDS#"


def hold_sk(job_sk: str) -> str:
    return f"{HOLD}{job_sk}"


def hold_due_pk(clinic_id: str) -> str:
    return f"{clinic_id}#HOLDDUE"


def hold_due_sort(expires_at: str, patient_id: str, job_sk: str) -> str:
    return f"{expires_at}#{patient_id}#{job_sk}"


def recall_holds_sk(department: str) -> str:
    return f"{RECALL_HOLDS}{department}"
# Households (store/households.py, docs/households.md): one partition per household, a link item
# in each member's own partition, and one item per pending invite code.
FAMILY_SK = "FAMILY"  # in a household's partition: the household and its family card; in a patient's: the link
FAMILY_MEMBER = "MEMBER#"
FAMILY_CARD_USE = "CARDUSE#"
FAMILY_INVITE_SK = "INVITE"


def household_pk(clinic_id: str, family_id: str) -> str:
    return f"{clinic_id}#FAM#{family_id}"


def family_member_sk(patient_id: str) -> str:
    return FAMILY_MEMBER + patient_id


def family_card_use_sk(at: str, use_id: str) -> str:
    return f"{FAMILY_CARD_USE}{at}#{use_id}"


def family_invite_pk(clinic_id: str, code_hash: str) -> str:
    """A one-time household invite, by a keyed hash of its code (the code itself is not stored)."""
    return f"{clinic_id}#FAMINV#{code_hash}"
