"""Segment rules: validation, matching and the day a time-relative rule flips (no AWS)."""

from datetime import date, timedelta

import pytest

from chalicelib.domain import segments as seg
from chalicelib.domain.segments import Facts, RuleError, matches, next_flip, validate

TODAY = date(2026, 11, 20)
SILENT_180 = {"field": "silent_days", "gt": 180}
LAPSED_180 = {"field": "days_since_visit", "gt": 180}
THREE_IN_7 = {"field": "checkins", "days": 7, "gte": 3}


def facts(**kw) -> Facts:
    return Facts(**kw)


# --- matching ----------------------------------------------------------------------------------

def test_days_since_visit_day_180_is_not_more_than_180_day_181_is():
    f = facts(last_visit=TODAY - timedelta(days=180))
    assert not matches(LAPSED_180, f, TODAY)
    assert matches(LAPSED_180, f, TODAY + timedelta(days=1))
    assert next_flip(LAPSED_180, f, TODAY) == TODAY + timedelta(days=1)


def test_gte_180_flips_on_day_180():
    rule = {"field": "days_since_visit", "gte": 180}
    f = facts(last_visit=TODAY - timedelta(days=179))
    assert not matches(rule, f, TODAY)
    assert next_flip(rule, f, TODAY) == TODAY + timedelta(days=1)
    assert matches(rule, f, TODAY + timedelta(days=1))


def test_never_visited_does_not_match_a_visit_rule_and_never_flips():
    assert not matches(LAPSED_180, facts(), TODAY)
    assert next_flip(LAPSED_180, facts(), TODAY) is None


def test_silent_flips_181_days_after_the_last_interaction():
    f = facts(last_interaction=date(2026, 6, 1))
    flip = next_flip(SILENT_180, f, TODAY - timedelta(days=100))
    assert flip == date(2026, 6, 1) + timedelta(days=181)
    assert not matches(SILENT_180, f, flip - timedelta(days=1)) and matches(SILENT_180, f, flip)
    # already silent: it stays so until a new event
    assert next_flip(SILENT_180, f, flip) is None


def test_recent_silence_leaves_a_band_rule_when_it_grows_past_the_band():
    rule = {"field": "silent_days", "gte": 30, "lt": 60}
    f = facts(last_interaction=TODAY - timedelta(days=29))
    assert next_flip(rule, f, TODAY) == TODAY + timedelta(days=1)
    inside = TODAY + timedelta(days=1)
    assert matches(rule, f, inside)
    assert next_flip(rule, f, inside) == TODAY - timedelta(days=29) + timedelta(days=60)


def test_three_checkins_in_seven_days_and_when_it_lapses():
    days = (TODAY - timedelta(days=6), TODAY - timedelta(days=2), TODAY)
    f = facts(checkin_days=days)
    assert matches(THREE_IN_7, f, TODAY)
    # the oldest day leaves the window on day 7 after it
    assert next_flip(THREE_IN_7, f, TODAY) == TODAY + timedelta(days=1)
    assert not matches(THREE_IN_7, f, TODAY + timedelta(days=1))
    two = facts(checkin_days=days[1:])
    assert not matches(THREE_IN_7, two, TODAY)
    assert next_flip(THREE_IN_7, two, TODAY) is None  # fewer check-ins only ever become fewer


def test_few_checkins_rule_flips_into_the_segment_when_days_age_out():
    rule = {"field": "checkins", "days": 30, "lt": 2}
    f = facts(checkin_days=(TODAY - timedelta(days=10), TODAY - timedelta(days=3)))
    assert not matches(rule, f, TODAY)
    assert next_flip(rule, f, TODAY) == TODAY - timedelta(days=10) + timedelta(days=30)


def test_age_band_moves_on_new_year():
    rule = {"field": "age", "gte": 20, "lt": 40}
    f = facts(birth_year=1987)  # 39 in 2026
    assert matches(rule, f, TODAY)
    assert next_flip(rule, f, TODAY) == date(2027, 1, 1)
    assert not matches(rule, f, date(2027, 1, 1))
    assert not matches(rule, facts(), TODAY)


def test_attributes_and_groups():
    rule = {"all": [{"field": "condition", "in": ["postpartum"]}, {"field": "persona", "in": ["anxious"]}]}
    mum = facts(conditions=frozenset({"postpartum"}), personas=frozenset({"anxious", "social"}))
    assert matches(rule, mum, TODAY)
    assert not matches(rule, facts(conditions=frozenset({"postpartum"})), TODAY)
    either = {"any": [{"field": "district", "in": ["朝阳"]}, {"field": "department", "in": ["dentistry"]}]}
    assert matches(either, facts(district="朝阳"), TODAY)
    assert matches(either, facts(department="dentistry"), TODAY)
    assert not matches(either, facts(), TODAY)
    assert matches({"field": "district", "not_in": ["朝阳"]}, facts(), TODAY)
    assert not matches({"field": "consent", "in": ["marketing"]}, facts(consents=frozenset({"service"})), TODAY)


def test_points_and_risk_rules():
    assert matches({"field": "points_balance", "gte": 100}, facts(balance=100), TODAY)
    assert not matches({"field": "points_balance", "gte": 100}, facts(balance=99), TODAY)
    assert matches({"field": "points_earned", "gt": 300}, facts(earned=301), TODAY)
    risky = {"field": "risk_score", "gte": 0.7}
    assert matches(risky, facts(risk_score=0.7), TODAY)
    assert not matches(risky, facts(risk_score=0.69), TODAY)
    # no score yet: unknown, so neither a high nor a low risk rule matches
    assert not matches(risky, facts(), TODAY)
    assert not matches({"field": "risk_score", "lt": 0.3}, facts(), TODAY)
    assert next_flip(risky, facts(risk_score=0.1), TODAY) is None


def test_next_flip_of_a_combination_skips_leaf_changes_that_do_not_change_the_answer():
    # lapsed AND silent: the visit side becomes true first, but the answer changes only when both hold
    rule = {"all": [LAPSED_180, SILENT_180]}
    f = facts(last_visit=TODAY - timedelta(days=170), last_interaction=TODAY - timedelta(days=100))
    assert next_flip(rule, f, TODAY) == TODAY - timedelta(days=100) + timedelta(days=181)
    either = {"any": [LAPSED_180, SILENT_180]}
    assert next_flip(either, f, TODAY) == TODAY - timedelta(days=170) + timedelta(days=181)


def test_fractional_bounds():
    rule = {"field": "silent_days", "gt": 29.5}
    f = facts(last_interaction=TODAY)
    assert next_flip(rule, f, TODAY) == TODAY + timedelta(days=30)


def test_facts_use_the_clinic_day_of_the_last_interaction():
    # 17:30 UTC on 1 June is 01:30 on 2 June in Shanghai
    profile = {"last_interaction_at": "2026-06-01T17:30:00Z", "created_at": "2026-01-01T00:00:00Z",
               "checkin_days": ["2026-11-19", "bad"], "consents": {"marketing": {"granted": True}},
               "birth_year": 1990, "balance": 5, "earned_total": 9, "conditions": ["eczema"]}
    shanghai = seg.facts_from_profile(profile, "Asia/Shanghai")
    london = seg.facts_from_profile(profile, "Europe/London")
    assert shanghai.last_interaction == date(2026, 6, 2)
    assert london.last_interaction == date(2026, 6, 1)
    assert shanghai.checkin_days == (date(2026, 11, 19),)
    assert shanghai.consents == {"marketing"} and shanghai.risk_score is None
    assert next_flip(SILENT_180, shanghai, TODAY - timedelta(days=100)) == date(2026, 6, 2) + timedelta(days=181)


def test_facts_of_an_old_profile_fall_back_to_its_latest_known_touch():
    profile = {"created_at": "2025-01-01T02:00:00Z", "last_visit_date": "2026-03-01",
               "last_checkin_date": "2026-02-01"}
    assert seg.facts_from_profile(profile, "Asia/Shanghai").last_interaction == date(2026, 3, 1)


def test_recent_checkin_days_keep_60_days():
    kept = seg.recent_checkin_days(["2026-09-20", "2026-09-21", "2026-11-19"], "2026-11-20", TODAY)
    assert kept == ["2026-09-21", "2026-11-19", "2026-11-20"]
    assert seg.recent_checkin_days(["2026-11-20"], "2026-11-20", TODAY) == ["2026-11-20"]


# --- validation --------------------------------------------------------------------------------

def test_validate_normalises():
    rule = validate({"all": [{"field": "condition", "in": ["eczema", "eczema", "dental"]}, THREE_IN_7]},
                    conditions=["eczema", "dental"])
    assert rule == {"all": [{"field": "condition", "in": ["dental", "eczema"]}, THREE_IN_7]}


@pytest.mark.parametrize("rule,code,path", [
    ([], "rule_not_object", ""),
    ({"all": []}, "empty_group", "all"),
    ({"all": [{"any": [{"all": [{"any": [SILENT_180]}]}]}]}, "rule_too_deep", "all.0.any.0.all.0"),
    ({"any": [SILENT_180] * 11}, "rule_too_large", "any"),
    ({"all": [{"any": [SILENT_180] * 10}, {"any": [SILENT_180] * 10}, SILENT_180]}, "rule_too_large", "all.2"),
    ({"field": "shoe_size", "gt": 1}, "unknown_rule_field", "field"),
    ({"field": "silent_days"}, "invalid_bounds", ""),
    ({"field": "silent_days", "gt": 1, "gte": 2}, "invalid_bounds", ""),
    ({"field": "silent_days", "gt": 30, "lt": 10}, "invalid_range", ""),
    ({"field": "silent_days", "gt": 30, "lt": 30}, "invalid_range", ""),
    ({"field": "risk_score", "gte": 1.5}, "invalid_bounds", "gte"),
    ({"field": "silent_days", "gte": True}, "invalid_bounds", "gte"),
    ({"field": "checkins", "gte": 3}, "checkin_window", "days"),
    ({"field": "checkins", "days": 61, "gte": 3}, "checkin_window", "days"),
    ({"field": "silent_days", "days": 3, "gte": 3}, "invalid_bounds", "days"),
    ({"field": "persona", "in": ["grumpy"]}, "unknown_value", "in"),
    ({"field": "condition", "in": ["gout"]}, "unknown_value", "in"),
    ({"field": "district", "in": []}, "invalid_bounds", "in"),
    ({"field": "district", "in": ["a"], "not_in": ["b"]}, "invalid_bounds", ""),
    ({"all": [SILENT_180], "any": [SILENT_180]}, "rule_not_object", ""),
])
def test_validate_refuses_with_a_code_and_a_path(rule, code, path):
    with pytest.raises(RuleError) as info:
        validate(rule, conditions=["eczema"])
    assert info.value.code == code
    assert info.value.path == path


def test_three_levels_of_groups_are_allowed():
    validate({"all": [{"any": [{"all": [SILENT_180]}]}]})


def test_is_time_relative():
    assert seg.is_time_relative({"any": [{"field": "persona", "in": ["social"]}, SILENT_180]})
    assert not seg.is_time_relative({"field": "points_balance", "gte": 1})


# --- content paths -----------------------------------------------------------------------------

def test_due_step_every_seven_days_from_joining():
    steps = [{"title": str(i)} for i in range(3)]
    joined = date(2026, 11, 1)
    assert seg.due_step(joined, 7, steps, joined) == (0, date(2026, 11, 8))
    assert seg.due_step(joined, 7, steps, date(2026, 11, 7)) == (0, date(2026, 11, 8))
    assert seg.due_step(joined, 7, steps, date(2026, 11, 8)) == (1, date(2026, 11, 15))
    assert seg.due_step(joined, 7, steps, date(2026, 12, 30)) == (2, None)
    assert seg.due_step(joined, 7, [], joined) == (None, None)


def test_due_step_with_own_offsets_and_before_the_first():
    steps = [{"offset_days": 2}, {"offset_days": 2}, {}]
    joined = date(2026, 11, 1)
    assert seg.due_step(joined, 7, steps, joined) == (None, date(2026, 11, 3))
    assert seg.due_step(joined, 7, steps, date(2026, 11, 3)) == (1, date(2026, 11, 15))
    assert seg.step_schedule(joined, 7, steps) == [(0, date(2026, 11, 3)), (1, date(2026, 11, 3)),
                                                   (2, date(2026, 11, 15))]
    with pytest.raises(ValueError):
        seg.step_offsets([{"offset_days": 5}, {"offset_days": 1}], 7)


def test_health_notice_is_added_once():
    assert seg.with_notice("多喝水", True).endswith(seg.HEALTH_NOTICE)
    assert seg.with_notice(seg.with_notice("多喝水", True), True).count(seg.HEALTH_NOTICE) == 1
    assert seg.with_notice("周六亲子活动", False) == "周六亲子活动"
    assert seg.with_notice("", True) == seg.HEALTH_NOTICE


def test_risk_answer_changes_only_when_a_risk_bound_answers_differently():
    rule = {"all": [{"field": "condition", "in": ["eczema"]}, {"field": "risk_score", "gte": 0.7}]}
    assert seg.risk_answer_changes(rule, 0.5, 0.8) and seg.risk_answer_changes(rule, 0.8, 0.5)
    assert not seg.risk_answer_changes(rule, 0.5, 0.69) and not seg.risk_answer_changes(rule, 0.71, 0.99)
    assert seg.risk_answer_changes(rule, None, 0.7)  # a first score inside the bound
    assert not seg.risk_answer_changes(rule, None, 0.2) and not seg.risk_answer_changes(rule, 0.3, None)
    assert seg.risk_answer_changes(rule, 0.9, None)  # leaving the horizon drops the score
    band = {"any": [{"field": "silent_days", "gt": 30}, {"field": "risk_score", "gt": 0.4, "lte": 0.6}]}
    assert seg.risk_answer_changes(band, 0.5, 0.61) and seg.risk_answer_changes(band, 0.4, 0.41)
    assert not seg.risk_answer_changes(band, 0.1, 0.4) and not seg.risk_answer_changes(band, 0.61, 0.95)
    assert not seg.risk_answer_changes({"field": "points_balance", "gte": 100}, 0.1, 0.9)  # no risk leaf
