"""Delivery rules without AWS: quiet hours at their edges and in other zones, weeks and caps,
channel order, the suggested slot, recall rule validation and matching."""

from datetime import date, datetime, time, timedelta

import pytest

from chalicelib.domain import delivery
from chalicelib.domain.clock import UTC, local_moment
from chalicelib.domain.rules import (
    DEFAULT_RECALL_RULES,
    RecallRule,
    RuleError,
    rule_matches,
    template_variables,
    validate_rule,
)

SH = "Asia/Shanghai"
QUIET = (time(21, 0), time(8, 0))


def at(day, hh, mm, tz=SH):
    return local_moment(day, time(hh, mm), tz)


@pytest.mark.parametrize("tz", [SH, "America/New_York", "Europe/Berlin"])
def test_quiet_hours_edges(tz):
    day = date(2026, 11, 20)
    assert not delivery.in_quiet_hours(at(day, 20, 59, tz), tz, *QUIET)
    assert delivery.in_quiet_hours(at(day, 21, 0, tz), tz, *QUIET)
    assert delivery.in_quiet_hours(at(day, 7, 59, tz), tz, *QUIET)
    assert not delivery.in_quiet_hours(at(day, 8, 0, tz), tz, *QUIET)
    # deferred to the window's end in the clinic's zone: the next morning from the evening, the same from the night
    assert delivery.next_allowed(at(day, 21, 0, tz), tz, *QUIET) == at(day + timedelta(days=1), 8, 0, tz)
    assert delivery.next_allowed(at(day, 7, 59, tz), tz, *QUIET) == at(day, 8, 0, tz)
    assert delivery.next_allowed(at(day, 20, 59, tz), tz, *QUIET) == at(day, 20, 59, tz)


@pytest.mark.parametrize("tz", [SH, "America/New_York"])
def test_the_last_minute_before_the_quiet_hours(tz):
    day = date(2026, 11, 20)
    # outside the window: the moment itself; in its evening or morning part: 20:59 of the evening it began
    assert delivery.last_allowed(at(day, 20, 59, tz), tz, *QUIET) == at(day, 20, 59, tz)
    assert delivery.last_allowed(at(day, 21, 0, tz), tz, *QUIET) == at(day, 20, 59, tz)
    assert delivery.last_allowed(at(day, 23, 30, tz), tz, *QUIET) == at(day, 20, 59, tz)
    assert delivery.last_allowed(at(day, 3, 16, tz), tz, *QUIET) == at(day - timedelta(days=1), 20, 59, tz)
    assert delivery.last_allowed(at(day, 8, 0, tz), tz, *QUIET) == at(day, 8, 0, tz)
    # a same-day window and none
    assert delivery.last_allowed(at(day, 13, 0, tz), tz, time(12), time(14)) == at(day, 11, 59, tz)
    assert delivery.last_allowed(at(day, 3, 0, tz), tz, time(8), time(8)) == at(day, 3, 0, tz)


def test_quiet_hours_are_the_clinics_not_utc():
    moment = datetime(2026, 11, 20, 13, 30, tzinfo=UTC)  # 21:30 in Shanghai, 08:30 in New York
    assert delivery.in_quiet_hours(moment, SH, *QUIET)
    assert not delivery.in_quiet_hours(moment, "America/New_York", *QUIET)
    # a same-day window (a lunch break) and an empty one
    assert delivery.in_quiet_hours(at(date(2026, 11, 20), 12, 0), SH, time(12), time(14))
    assert not delivery.in_quiet_hours(at(date(2026, 11, 20), 14, 0), SH, time(12), time(14))
    assert not delivery.in_quiet_hours(at(date(2026, 11, 20), 23, 0), SH, time(8), time(8))


def test_quiet_night_across_a_dst_change():
    # New York falls back on 2026-11-01: 21:00 on Oct 31 is deferred to 08:00 local on Nov 1 (UTC-5 by then)
    tz = "America/New_York"
    until = delivery.next_allowed(at(date(2026, 10, 31), 22, 0, tz), tz, *QUIET)
    assert until == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_weeks_and_cap_deferral():
    sunday_night = at(date(2026, 11, 22), 23, 30)  # Sunday in Shanghai, still Sunday 15:30 UTC
    assert delivery.week_key(sunday_night, SH) == "2026-W47"
    assert delivery.week_key(at(date(2026, 11, 23), 0, 0), SH) == "2026-W48"
    assert delivery.next_week_start(sunday_night, SH) == at(date(2026, 11, 23), 0, 0)
    settings = delivery.DeliverySettings()
    planned = at(date(2026, 11, 20), 10, 0)  # a Friday
    deadline = delivery.relevance_deadline(planned, "recall", settings).until
    # next week, at the end of the quiet night
    assert delivery.cap_deferral(planned, deadline, SH, settings) == at(date(2026, 11, 23), 8, 0)
    # the daily cap: tomorrow, at the end of the quiet night
    assert delivery.cap_deferral(planned, deadline, SH, settings, daily=True) == at(date(2026, 11, 21), 8, 0)
    assert delivery.day_key(at(date(2026, 11, 20), 23, 59), SH) == "2026-11-20"
    assert delivery.next_day_start(at(date(2026, 11, 20), 23, 59), SH) == at(date(2026, 11, 21), 0, 0)
    # not past the message's deadline: dropped instead
    assert delivery.cap_deferral(planned, at(date(2026, 11, 23), 7, 59), SH, settings) is None
    assert delivery.cap_deferral(planned, at(date(2026, 11, 21), 8, 0), SH, settings, daily=True) is not None
    assert settings.cap("marketing") == 2 and settings.cap("service") == 5 and settings.daily_cap == 2


def test_relevance_deadlines():
    settings = delivery.DeliverySettings()
    planned = at(date(2026, 11, 20), 10, 0)
    content = delivery.relevance_deadline(planned, "content", settings)
    assert (content.until, content.reason) == (planned + timedelta(days=3), "too_late")
    assert delivery.relevance_deadline(planned, "recall", settings).until == planned + timedelta(days=30)
    assert delivery.relevance_deadline(planned, "survey", settings).until == planned + timedelta(days=3)
    longer = delivery.settings_from({"relevance_days": {"content": 10}})
    assert delivery.relevance_deadline(planned, "content", longer).until == planned + timedelta(days=10)
    # a recall's anchor window: the next offset replaces it; a reminder before the day ends with the day
    window = delivery.recall_window(planned, 30, (30, 60), date(2026, 10, 21), SH)
    assert (window.until, window.reason) == (at(date(2026, 12, 20), 10, 0), "superseded")
    assert delivery.recall_window(planned, 60, (30, 60), date(2026, 9, 21), SH) is None
    assert delivery.relevance_deadline(planned, "recall", settings, window).until == planned + timedelta(days=30)
    close = delivery.recall_window(planned, 10, (10, 20), date(2026, 11, 10), SH)
    assert delivery.relevance_deadline(planned, "recall", settings, close) == close
    before = delivery.recall_window(planned, -7, (-30, -7), date(2026, 11, 27), SH)
    assert (before.until, before.reason) == (at(date(2026, 11, 28), 0, 0), "anchor_passed")
    earlier = delivery.recall_window(planned, -30, (-30, -7), date(2026, 12, 20), SH)
    assert (earlier.until, earlier.reason) == (at(date(2026, 12, 13), 10, 0), "superseded")


def test_settings_round_trip_and_defaults():
    settings = delivery.settings_from({"quiet_hours": {"start": "22:30", "end": "07:00"}, "caps": {"marketing": 1},
                                       "daily_cap": 3, "relevance_days": {"content": 5}})
    assert (settings.quiet_start, settings.quiet_end) == (time(22, 30), time(7))
    assert settings.cap("marketing") == 1 and settings.cap("service") == 5 and settings.daily_cap == 3
    assert settings.relevance_days == {"recall": 30, "content": 5}
    assert delivery.settings_from(settings.as_dict()) == settings
    assert delivery.settings_from(None) == delivery.DeliverySettings()


def test_channel_order():
    assert delivery.channel_order(None) == ["wechat", "inbox"]
    assert delivery.channel_order("sms") == ["sms", "wechat", "inbox"]
    assert delivery.channel_order("inbox") == ["inbox", "wechat"]
    assert delivery.channel_order("carrier-pigeon") == ["wechat", "inbox"]


def test_suggested_slot_is_an_opening_two_days_on():
    friday = at(date(2026, 11, 20), 10, 0)
    slot = delivery.suggested_slot(friday, SH)  # Sunday is closed: Monday 09:00
    assert slot == at(date(2026, 11, 23), 9, 0)
    assert delivery.slot_text(slot, SH) == "11月23日（周一）09:00"
    monday = at(date(2026, 11, 23), 10, 0)
    assert delivery.suggested_slot(monday, SH) == at(date(2026, 11, 25), 9, 0)
    assert delivery.suggested_slot(friday, SH, open_days=(6,), open_at=time(14)) == at(date(2026, 11, 22), 14, 0)


def base_rule(**changes) -> RecallRule:
    rule = RecallRule("r1", "eczema", "surgery", 30, time(10), "{nickname}，{clinic}{doctor}{slot}", offsets=(60, 30))
    return rule._replace(**changes)


def test_rule_validation_codes():
    kept = validate_rule(base_rule(), ["eczema"])
    assert kept.offsets == (30, 60) and kept.offset_days == 30
    cases = {
        "condition_or_department": base_rule(department="dermatology"),
        "unknown_condition": base_rule(condition="flu"),
        "unknown_department": base_rule(condition=None, department="astrology"),
        "unknown_anchor": base_rule(anchor="birthday"),
        "empty_offsets": base_rule(offsets=()),
        "offset_out_of_range": base_rule(offsets=(0,)),
        "duplicate_offset": base_rule(offsets=(30, 30)),
        "unknown_template_variable": base_rule(template="{nickname} {price}"),
        "invalid_template": base_rule(template="{nickname"),
        "unknown_stop_condition": base_rule(stop_on=("rain",)),
        "unknown_purpose": base_rule(purpose="analytics"),
    }
    for code, rule in cases.items():
        with pytest.raises(RuleError) as err:
            validate_rule(rule, ["eczema"])
        assert err.value.code == code, (code, err.value.code)
    with pytest.raises(RuleError) as err:
        validate_rule(base_rule(offsets=(731,)), ["eczema"])
    assert err.value.field == "offsets"
    assert template_variables(DEFAULT_RECALL_RULES[0].template) == ["nickname", "clinic"]


def test_rule_matching():
    rule = base_rule()
    assert rule_matches(rule, "surgery", condition="eczema", department=None)
    assert not rule_matches(rule, "surgery", condition="diabetes", department=None)
    assert rule_matches(rule, "surgery", condition=None, department=None, patient_conditions=["eczema"])
    assert not rule_matches(rule, "visit", condition="eczema", department=None)
    assert not rule_matches(rule._replace(active=False), "surgery", condition="eczema", department=None)
    by_department = base_rule(condition=None, department="dermatology", anchor="visit")
    assert rule_matches(by_department, "visit", condition=None, department="dermatology")
    assert not rule_matches(by_department, "visit", condition=None, department="dentistry")
    assert rule_matches(by_department, "visit", condition=None, department=None, patient_department="dermatology")
