"""Domain rules without AWS: clinic days, late check-ins, on-time windows, recall timing, templates."""

from datetime import date, datetime, time, timedelta, timezone

import pytest

from chalicelib.domain import rules
from chalicelib.domain.clock import Clock, local_date, local_moment, parse_iso

UTC = timezone.utc


def test_local_date_follows_the_clinic_zone():
    moment = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    assert local_date(moment, "Asia/Shanghai") == date(2026, 3, 2)
    assert local_date(moment, "Asia/Urumqi") == date(2026, 3, 1)  # UTC+6: 22:30
    assert local_date(moment, "America/New_York") == date(2026, 3, 1)


def test_checkin_day_uses_reading_time_within_limits():
    server = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    reading = datetime(2026, 3, 1, 15, 59, tzinfo=UTC)  # 23:59 Shanghai, the day before
    assert rules.checkin_day(reading, server, "Asia/Shanghai") == date(2026, 3, 1)
    with pytest.raises(ValueError):
        rules.checkin_day(server - rules.CHECKIN_MAX_LATE - timedelta(seconds=1), server, "Asia/Shanghai")
    with pytest.raises(ValueError):
        rules.checkin_day(server + timedelta(minutes=11), server, "Asia/Shanghai")
    assert rules.checkin_day(server + timedelta(minutes=9), server, "Asia/Shanghai") == date(2026, 3, 2)


@pytest.mark.parametrize("visit,due,expected", [
    ("2026-06-01", "2026-06-01", True), ("2026-06-08", "2026-06-01", True), ("2026-06-09", "2026-06-01", False),
    ("2026-05-25", "2026-06-01", True), ("2026-05-24", "2026-06-01", False),
])
def test_on_time_window(visit, due, expected):
    assert rules.is_on_time(date.fromisoformat(visit), date.fromisoformat(due)) is expected


def test_points_defaults_follow_the_dental_scenario_and_clinic_overrides():
    assert rules.points_for({}, "revisit_on_time") == 10
    assert rules.points_for({}, "share") == 5
    assert rules.points_for({}, "referral_registered") == 15
    assert rules.points_for({"share": 7}, "share") == 7
    assert rules.points_for({}, "unknown") == 0


def test_eczema_recall_is_day_30_at_ten_local():
    rule = rules.DEFAULT_RECALL_RULES[0]
    assert (rule.condition, rule.anchor, rule.offset_days) == ("eczema", "remission", 30)
    due = rule.due_at(date(2026, 3, 1), "Asia/Shanghai")
    assert due == datetime(2026, 3, 31, 2, 0, tzinfo=UTC)
    assert rule.due_at(date(2026, 3, 1), "Asia/Urumqi") == datetime(2026, 3, 31, 4, 0, tzinfo=UTC)


def test_local_moment_across_a_dst_change():
    # New York springs forward on 2026-03-08; 10:00 local is 14:00 UTC after, 15:00 before.
    assert local_moment(date(2026, 3, 7), time(10), "America/New_York").hour == 15
    assert local_moment(date(2026, 3, 9), time(10), "America/New_York").hour == 14


def test_template_and_nickname():
    assert rules.nickname("张小红", "F") == "张女士"
    assert rules.nickname("李雷", "M") == "李先生"
    assert rules.nickname("王五", None) == "王五"
    text = rules.render_template("{nickname}好，{clinic}见 {missing}", nickname="张女士", clinic="齿护")
    assert text == "张女士好，齿护见 "


def test_clock_is_injectable_and_rejects_naive_times():
    clock = Clock()
    fixed = datetime(2026, 1, 1, tzinfo=UTC)
    clock.set(fixed)
    assert clock.now() == fixed
    clock.advance(days=1)
    assert clock.now() == fixed + timedelta(days=1)
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        parse_iso("2026-01-01T00:00:00")
    assert parse_iso("2026-01-01T08:00:00+08:00") == fixed


@pytest.mark.parametrize("mg_dl, mmol", [(17.1, 1.0), (17.5, 1.0), (99, 5.5), (126, 7.0), (900.9, 50.0)])
def test_mg_dl_is_converted_and_rounded_before_the_range_check(mg_dl, mmol):
    from chalicelib.domain.rules import reading_in_range

    assert reading_in_range("glucose", mg_dl, "mg/dL") == mmol


@pytest.mark.parametrize("mg_dl", [17.0, 16.0, 901.0, 2000])
def test_mg_dl_outside_the_range_once_rounded_is_refused_in_mg_dl(mg_dl):
    from chalicelib.domain.rules import reading_in_range

    with pytest.raises(ValueError, match=r"17\.1 to 900\.9 mg/dL"):
        reading_in_range("glucose", mg_dl, "mg/dL")
