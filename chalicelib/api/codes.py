"""The error codes the API answers with, each with its HTTP status, and the ones every route of a
kind can answer (routing adds them to the codes a route declares for itself).

The OpenAPI document lists each route's codes per status; tests/unit/test_error_codes.py fails
when code raises an error code this table does not know, or knows under another status.
"""

from __future__ import annotations

STATUS: dict[str, int] = {}


def _codes(status: int, *codes: str) -> tuple[str, ...]:
    for code in codes:
        STATUS[code] = status
    return codes


# -- what routing itself answers ----------------------------------------------------------------
BODY = _codes(400, "invalid_input", "unknown_field", "invalid_json", "body_too_deep") + _codes(413, "body_too_large") \
    + _codes(415, "unsupported_media_type")
QUERY = ("invalid_input", "unknown_field")
FILE = _codes(400, "invalid_encoding") + ("body_too_large", "unsupported_media_type")
TOKEN = _codes(401, "missing_token", "invalid_token", "token_expired", "session_revoked", "account_disabled",
               "role_changed", "account_unknown")
ROLE = _codes(403, "wrong_role")
IDEMPOTENT = _codes(400, "invalid_idempotency_key") + _codes(409, "request_in_progress", "idempotency_key_reused")
# a write whose transaction lost to a concurrent one on the same items
WRITE = _codes(409, "try_again")
PAGE = _codes(400, "invalid_cursor")

# -- the 404 of an id in the path -----------------------------------------------------------------
NOT_FOUND = {
    "patient_id": _codes(404, "patient_not_found")[0],
    "challenge_id": _codes(404, "challenge_not_found")[0],
    "segment_id": _codes(404, "segment_not_found")[0],
    "experiment_id": _codes(404, "experiment_not_found")[0],
    "task_id": _codes(404, "task_not_found")[0],
    "message_id": _codes(404, "message_not_found")[0],
    "code": _codes(404, "voucher_not_found")[0],
    "rule_id": _codes(404, "recall_rule_not_found")[0],
    "package_id": _codes(404, "package_type_not_found")[0],
    "redemption_code": _codes(404, "invalid_redemption_code")[0],
    "username": _codes(404, "account_not_found")[0],
    "job_id": _codes(404, "import_not_found")[0],
    "version": _codes(404, "consent_version_not_found")[0],
    "appointment_id": _codes(404, "appointment_not_found")[0],
}

# -- codes services and domain rules raise ------------------------------------------------------------
_codes(400, "invalid_phone_code", "invalid_werun_data", "invalid_client_time", "invalid_csv", "invalid_plan", "invalid_voucher_code", "rule_follows_setting",
       "invalid_date", "invalid_month", "invalid_period", "period_too_long", "invalid_phone", "invalid_role",
       "invalid_rule_id", "invalid_silent_days", "invalid_template_id", "invalid_tz", "invalid_clinic_id",
       "invalid_challenge", "invalid_content_path", "booking_date_required", "cannot_promote_holdout",
       "challenge_required", "duplicate_perk", "duplicate_task_key", "limits_out_of_order", "missing_url",
       "no_user_pool", "not_reversible", "reserved_id", "sample_size_required", "self_referral",
       "session_outside_window", "unexpected_field", "unknown_anchor", "unknown_condition", "unknown_department",
       "unknown_flag", "unknown_invite_code", "unknown_kind", "unknown_outcome", "unknown_purpose", "unknown_step",
       "unknown_target_kind", "unknown_template", "use_visit_route", "invalid_username", "weak_password",
       "unknown_assignee")
_codes(400, "invalid_hospital_no")
_codes(413, "file_too_large", "too_many_rows")
_codes(401, "invalid_credentials", "refresh_token_reused", "invalid_wechat_code", "wechat_code_used")
_codes(403, "not_eligible", "wechat_account_mismatch", "wechat_user_blocked")
_codes(403, "bind_code_other_clinic")
_codes(404, "account_not_found", "arm_not_found", "clinic_not_found", "content_path_not_found", "entry_not_found",
       "no_followup_plan", "no_recall_rule", "reward_not_found", "rule_not_found", "target_not_found")
_codes(409, "redemption_fulfilled", "already_redeemed", "already_registered", "arm_mismatch", "challenge_closed", "challenge_exists",
       "clinic_exists", "concurrent_change", "entry_exists", "experiment_exists", "insufficient_points",
       "invalid_state", "no_wechat_account", "out_of_stock", "package_exists", "package_type_inactive",
       "phone_registered", "plan_changed", "plan_not_active", "reward_inactive", "reward_limit_reached",
       "segment_exists", "share_already_rewarded", "target_busy", "task_closed", "task_not_confirmable",
       "visit_exists", "voucher_expired", "voucher_redeemed", "username_taken", "last_admin", "own_account",
       "new_password_required", "audit_event_exists")
_codes(409, "plan_assigned")
_codes(404, "bind_code_unknown")
_codes(409, "hospital_no_taken", "patient_already_linked", "bind_code_used")
_codes(410, "bind_code_expired")
_codes(502, "wechat_error", "wechat_unavailable", "upstream_error")
_codes(400, "wrong_identity_provider")
_codes(401, "invalid_wecom_code")
_codes(403, "wecom_not_member")
_codes(409, "wecom_userid_taken")
_codes(502, "wecom_error")
_codes(502, "wecom_unavailable")

# Codes of the domain's own checks, which the services answer with 400 and the field at fault.
RECALL_RULE = _codes(400, "condition_or_department", "duplicate_offset", "empty_offsets", "empty_template",
                     "invalid_template", "invalid_time", "offset_out_of_range", "too_many_offsets",
                     "unknown_anchor", "unknown_condition", "unknown_department", "unknown_purpose",
                     "unknown_stop_condition", "unknown_template_variable", "uplift_needs_marketing",
                     "invalid_uplift_threshold", "unknown_targeting")
SEGMENT_RULE = _codes(400, "checkin_window", "empty_group", "invalid_bounds", "invalid_range", "rule_not_object",
                      "rule_too_deep", "rule_too_large", "unknown_rule_field", "unknown_value")
EXPERIMENT = _codes(400, "duplicate_arm", "invalid_arm_count", "invalid_holdout_share", "invalid_incentive",
                    "invalid_send_at", "invalid_template", "invalid_weight")
# learned recall timing (domain/timing.py) and timing experiments
TIMING = _codes(400, "learned_needs_condition", "learned_not_for_anchor", "day_out_of_range", "bounds_reversed",
                "invalid_timing_arms", "invalid_window", "unknown_timing") + _codes(409, "rule_inactive")
TASK_TERMS = _codes(400, "clinical_threshold", "invalid_perk", "invalid_task", "task_impossible")
# a clinic's catalogue and message templates (domain/catalogue.py, domain/templates.py)
CATALOGUE = _codes(400,
                   "catalogue_built_in",
                   "catalogue_entry_removed",
                   "duplicate_code",
                   "duplicate_label",
                   "invalid_catalogue",
                   "invalid_code",
                   "invalid_label",
                   "invalid_reading",
                   "invalid_template_field",
                   "template_value_refused",
                   "unknown_checkin_type",
                   "unknown_persona",
                   "unknown_section",
                   "unknown_template_field")


def by_status(codes: tuple[str, ...] | list[str]) -> dict[int, list[str]]:
    """The codes grouped by their status, each group sorted; an unknown code is a mistake."""
    grouped: dict[int, set[str]] = {}
    for code in codes:
        if code not in STATUS:
            raise KeyError(f"error code {code!r} is not in chalicelib/api/codes.py")
        grouped.setdefault(STATUS[code], set()).add(code)
    return {status: sorted(found) for status, found in sorted(grouped.items())}
# appointments (docs/appointments.md)
_codes(400, "invalid_schedule", "same_slot")
_codes(404, "doctor_not_found", "slot_not_found")
_codes(409, "slot_full", "slot_started", "already_booked", "too_many_appointments", "appointment_not_booked",
       "not_appointment_day", "slot_not_open_yet")

# capacity-aware recall settings (PUT /clinic/delivery)
CAPACITY = _codes(400, "invalid_capacity_days", "invalid_capacity_share")
# households (docs/households.md)
_codes(400, "consent_required", "invalid_code", "own_code", "not_a_minor", "invalid_birth_date")
_codes(403, "not_an_adult", "not_your_dependant")
_codes(404, "not_a_member", "no_family_card")
_codes(409, "already_in_family", "has_dependants", "card_used_up", "card_expired")
_codes(410, "code_expired")
