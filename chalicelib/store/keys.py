"""Key formats. Every partition key starts with the clinic id (the tenant)."""

from __future__ import annotations

REGISTRY_PK = "CLINICS"


def clinic_pk(clinic_id: str) -> str:
    return clinic_id


def patient_pk(clinic_id: str, patient_id: str) -> str:
    return f"{clinic_id}#P#{patient_id}"


def staff_pk(clinic_id: str, subject: str) -> str:
    return f"{clinic_id}#STAFF#{subject}"


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


def lot_expiry_pk(clinic_id: str) -> str:
    return f"{clinic_id}#LOTEXP"


def due_pk(clinic_id: str) -> str:
    return f"{clinic_id}#DUE"


# Sort keys of the clinic's records: patients, consents, visits, revisit dues, recall, segments,
# experiments, follow-ups, sessions, staff, packages, risk, clinic settings.


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


def idempotency_sk(scope: str, key: str) -> str:
    return f"{IDEMPOTENCY_PREFIX}{scope}#{key}"
