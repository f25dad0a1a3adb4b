"""KPI arithmetic: silence against the clinic's setting, windowed rates (decided or pending),
grouped rates, weekly series."""

from datetime import date, timedelta

import pytest

from chalicelib.domain import kpis
from chalicelib.domain.segments import facts_from_profile, matches

TODAY = date(2026, 11, 20)  # a Friday
TZ = "Asia/Shanghai"


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


# --- silence -----------------------------------------------------------------------------------


def test_silent_means_no_interaction_of_any_kind_for_more_than_the_clinics_days():
    old = {"last_visit_date": ago(120), "last_checkin_date": None, "created_at": "2025-01-01T00:00:00Z"}
    assert kpis.days_silent(old, TODAY, TZ) == 120
    assert not kpis.is_silent(120, 120)  # exactly the threshold: not yet
    assert kpis.is_silent(121, 120) and not kpis.is_silent(121, 180)
    # any later touch wakes the patient: a check-in, an interaction, a recent registration
    assert kpis.days_silent({**old, "last_checkin_date": ago(3)}, TODAY, TZ) == 3
    assert kpis.days_silent({**old, "last_interaction_at": "2026-11-19T03:00:00Z"}, TODAY, TZ) == 1
    assert kpis.days_silent({"created_at": "2026-11-01T00:00:00Z"}, TODAY, TZ) == 19
    # the interaction is counted on the clinic's day: 20:00 UTC on the 18th is the 19th in Shanghai
    assert kpis.days_silent({"last_interaction_at": "2026-11-18T20:00:00Z"}, TODAY, TZ) == 1
    assert kpis.days_silent({}, TODAY, TZ) is None and not kpis.is_silent(None, 30)


def test_the_kpi_and_the_silent_segment_rule_agree_on_every_day():
    for threshold in (30, 120, 180):
        rule = kpis.silent_rule(threshold)
        for quiet in range(0, 400, 7):
            profile = {"last_interaction_at": f"{ago(quiet)}T02:00:00Z", "created_at": "2024-01-01T00:00:00Z"}
            in_segment = matches(rule, facts_from_profile(profile, TZ), TODAY)
            assert in_segment == kpis.is_silent(kpis.days_silent(profile, TODAY, TZ), threshold), (threshold, quiet)
    assert kpis.silent_threshold(kpis.silent_rule(120)) == 120
    assert kpis.silent_threshold({"all": [kpis.silent_rule(120)]}) is None


def test_silent_days_setting_default_and_bounds():
    assert kpis.silent_days_of(None) == kpis.DEFAULT_SILENT_DAYS == 180
    assert kpis.silent_days_of(120) == 120
    assert kpis.valid_silent_days(30) and kpis.valid_silent_days(730)
    for bad in (29, 731, 0, -5, 120.5, "120", True, None):
        assert not kpis.valid_silent_days(bad), bad


def test_the_silence_chart_splits_at_the_threshold_so_its_silent_bars_are_the_silent_count():
    quiet = [0, 10, 45, 100, 120, 121, 150, 200, 400, None]
    rows = kpis.silence_histogram(quiet, 120)
    assert [(r["bucket"], r["count"], r["silent"]) for r in rows] == [
        ("0-30", 2, False), ("31-90", 1, False), ("91-120", 2, False), ("121-180", 2, True),
        ("181-365", 1, True), (">365", 1, True)]
    assert sum(r["count"] for r in rows if r["silent"]) == sum(kpis.is_silent(q, 120) for q in quiet) == 4
    # the default threshold is already an edge: no extra bucket
    assert [r["bucket"] for r in kpis.silence_histogram([], 180)] == ["0-30", "31-90", "91-180", "181-365", ">365"]


# --- windowed rates ----------------------------------------------------------------------------


def test_a_message_sent_today_is_pending_not_a_zero_percent_conversion():
    today = kpis.windowed([(ago(0), False)], TODAY, kpis.CONVERSION_DAYS)
    assert today == {"decided": 0, "hits": 0, "rate": None, "pending": 1, "pending_hits": 0}
    # one that already converted is not counted as decided either: a young cohort cannot read high
    assert kpis.windowed([(ago(2), True)], TODAY, 30)["rate"] is None
    # day 30 after the send is still inside the window; 31 days after, no visit: not converted
    assert kpis.windowed([(ago(30), False)], TODAY, 30)["pending"] == 1
    assert kpis.windowed([(ago(31), False)], TODAY, 30) == {"decided": 1, "hits": 0, "rate": 0.0, "pending": 0,
                                                            "pending_hits": 0}
    mixed = kpis.windowed([(ago(40), True), (ago(35), False), (ago(5), True), (ago(1), False)], TODAY, 30)
    assert mixed == {"decided": 2, "hits": 1, "rate": 0.5, "pending": 2, "pending_hits": 1}


def test_a_period_holds_the_items_decided_in_it_and_those_still_open():
    # decided in the last 90 days with a 30-day window: event days from 120 days ago
    assert kpis.period_start(TODAY, 90, 30) == ago(120)
    assert kpis.window_closed(ago(120), 30, TODAY)  # closed 89 days ago: inside the period
    # no window: decided at once, the period is its own days (today and the 89 before)
    assert kpis.period_start(TODAY, 90) == ago(89)


def test_a_requested_revisit_is_kept_by_a_visit_up_to_thirty_days_after_it():
    due = {"due_date": ago(100), "status": "late"}
    assert kpis.kept({**due, "met_on": ago(70)}) and not kpis.kept({**due, "met_on": ago(69)})
    assert kpis.kept({**due, "status": "on_time", "met_on": ago(104)})
    assert not kpis.kept({**due, "status": "pending", "met_on": None})
    dues = [{"due_date": ago(50), "status": "on_time", "met_on": ago(50)},  # decided, kept
            {"due_date": ago(45), "status": "pending", "met_on": None},  # decided, missed
            {"due_date": ago(10), "status": "pending", "met_on": None},  # window open: pending
            {"due_date": ago(3), "status": "on_time", "met_on": ago(3)},  # kept, but the cohort is still open
            {"due_date": ago(61), "status": "on_time", "met_on": ago(61)}]  # decided before the last 30 days
    assert kpis.revisits(dues, TODAY, 30) == {"decided": 2, "hits": 1, "rate": 0.5, "pending": 2, "pending_hits": 1}
    assert kpis.revisits(dues, TODAY, 90)["decided"] == 3


def test_a_reminder_converts_on_a_visit_from_its_day_to_thirty_days_after():
    assert kpis.converted("2026-10-01", ["2026-10-01"])
    assert kpis.converted("2026-10-01", ["2026-09-01", "2026-10-31"])
    assert not kpis.converted("2026-10-01", ["2026-11-01"])  # day 31
    assert not kpis.converted("2026-10-01", ["2026-09-30"])
    assert kpis.converted("2026-10-01", ["2026-10-10"], days=9) and not kpis.converted("2026-10-01", ["2026-10-11"], days=9)
    # the visit that converts it is the first in the window, in whatever order the visits come
    assert kpis.conversion_day("2026-10-01", ["2026-10-20", "2026-09-30", "2026-10-05", "2026-11-02"]) == "2026-10-05"
    assert kpis.conversion_day("2026-10-01", ["2026-09-30", "2026-11-01"]) is None
    # the send day is the clinic's local day: 23:30 UTC is the next morning in Shanghai
    assert kpis.sent_day("2026-10-01T23:30:00Z", "Asia/Shanghai") == "2026-10-02"
    assert kpis.sent_day("2026-10-01T23:30:00Z", "UTC") == "2026-10-01"


def test_rate_by_group_counts_decided_and_pending_items_in_each_of_their_groups():
    items = [{"day": ago(40), "hit": True, "g": ["a"]}, {"day": ago(40), "hit": False, "g": ["a", "b"]},
             {"day": ago(2), "hit": False, "g": ["b"]}, {"day": ago(40), "hit": True, "g": [None]}]
    rows = kpis.rate_by(items, lambda i: i["g"], day_of=lambda i: i["day"], hit=lambda i: i["hit"], today=TODAY,
                        window=30)
    assert rows == [{"group": "a", "decided": 2, "hits": 1, "rate": 0.5, "pending": 0, "pending_hits": 0},
                    {"group": "b", "decided": 1, "hits": 0, "rate": 0.0, "pending": 1, "pending_hits": 0}]
    assert kpis.rate_by([], lambda i: ["x"], day_of=str, hit=bool, today=TODAY, window=30) == []


def test_weekly_series_buckets_by_iso_week_and_leaves_open_weeks_pending():
    weeks = kpis.weeks(TODAY, 3)
    assert weeks == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    series = kpis.weekly([("2026-11-16", True), ("2026-11-20", False), ("2026-11-08", True), ("2026-11-01", True),
                          ("2026-11-21", True), (None, True)], TODAY, 3)
    assert series == [
        {"week": "2026-11-02", "count": 1, "decided": 1, "hits": 1, "rate": 1.0, "pending": 0, "pending_hits": 0},
        {"week": "2026-11-09", "count": 0, "decided": 0, "hits": 0, "rate": None, "pending": 0, "pending_hits": 0},
        {"week": "2026-11-16", "count": 2, "decided": 2, "hits": 1, "rate": 0.5, "pending": 0, "pending_hits": 0},
    ]
    # with a 10-day window, the last weeks are (partly) still open: no failures there, a pending count
    windowed = kpis.weekly([("2026-11-02", False), ("2026-11-09", False), ("2026-11-12", False),
                            ("2026-11-16", False)], TODAY, 3, window=10)
    assert [(w["decided"], w["rate"], w["pending"]) for w in windowed] == [(1, 0.0, 0), (1, 0.0, 1), (0, None, 1)]


def test_joined_versus_not_compares_eligible_patients_only():
    patients = {"a": {"conditions": ["diabetes"], "joined_challenges": ["guard"]},
                "b": {"conditions": ["diabetes"], "joined_challenges": []},
                "c": {"conditions": ["dental"], "joined_challenges": []}}
    dues = [{"patient_id": "a", "due_date": ago(60), "status": "on_time", "met_on": ago(60)},
            {"patient_id": "a", "due_date": ago(60), "status": "pending"},
            {"patient_id": "a", "due_date": ago(5), "status": "pending"},  # still open: pending, not missed
            {"patient_id": "b", "due_date": ago(60), "status": "pending"},
            {"patient_id": "c", "due_date": ago(60), "status": "on_time", "met_on": ago(60)},
            {"patient_id": "gone", "due_date": ago(60), "status": "on_time"}]
    result = kpis.joined_versus_not(dues, patients, "guard", ["diabetes"], TODAY)
    assert result == {
        "joined": {"patients": 1, "decided": 2, "hits": 1, "rate": 0.5, "pending": 1, "pending_hits": 0},
        "not_joined": {"patients": 1, "decided": 1, "hits": 0, "rate": 0.0, "pending": 0, "pending_hits": 0}}
    # a challenge open to everyone counts the dental patient among those who did not join
    assert kpis.joined_versus_not(dues, patients, "guard", [], TODAY)["not_joined"]["decided"] == 2


@pytest.mark.parametrize("threshold", [30, 120, 730])
def test_silent_rule_is_a_valid_segment_rule(threshold):
    from chalicelib.domain.segments import validate

    assert validate(kpis.silent_rule(threshold)) == kpis.silent_rule(threshold)
