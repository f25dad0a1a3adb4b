"""KPI arithmetic: grouped revisit rates, silent patients, reminder conversion, weekly series."""

from datetime import date

from chalicelib.domain import kpis

TODAY = date(2026, 11, 20)  # a Friday


def test_revisit_rate_by_group_counts_each_due_in_each_of_its_groups():
    dues = [{"status": "on_time", "g": ["a"]}, {"status": "late", "g": ["a", "b"]}, {"status": "pending", "g": ["b"]},
            {"status": "pending", "g": [None]}]
    rows = kpis.revisit_rate_by(dues, lambda d: d["g"])
    assert rows == [{"group": "a", "due": 2, "met": 2, "rate": 1.0}, {"group": "b", "due": 2, "met": 1, "rate": 0.5}]
    assert kpis.revisit_rate_by([], lambda d: ["x"]) == []


def test_silent_means_no_touch_for_more_than_the_threshold():
    old = {"last_visit_date": "2026-08-22", "last_checkin_date": None, "created_at": "2025-01-01T00:00:00Z"}
    assert (TODAY - date(2026, 8, 22)).days == 90
    assert not kpis.is_silent(old, TODAY)  # exactly 90 days: not yet
    assert kpis.is_silent({**old, "last_visit_date": "2026-08-21"}, TODAY)
    # any later touch wakes the patient: a check-in, an interaction, a recent registration
    assert not kpis.is_silent({**old, "last_visit_date": "2026-01-01", "last_checkin_date": "2026-11-01"}, TODAY)
    assert not kpis.is_silent({**old, "last_visit_date": None, "last_interaction_at": "2026-11-19T03:00:00Z"}, TODAY)
    assert not kpis.is_silent({"created_at": "2026-11-01T00:00:00Z"}, TODAY)
    assert kpis.is_silent({}, TODAY)


def test_a_reminder_converts_on_a_visit_from_its_day_to_thirty_days_after():
    assert kpis.converted("2026-10-01", ["2026-10-01"])
    assert kpis.converted("2026-10-01", ["2026-09-01", "2026-10-31"])
    assert not kpis.converted("2026-10-01", ["2026-11-01"])  # day 31
    assert not kpis.converted("2026-10-01", ["2026-09-30"])
    assert kpis.converted("2026-10-01", ["2026-10-10"], days=9) and not kpis.converted("2026-10-01", ["2026-10-11"], days=9)


def test_weekly_series_buckets_by_iso_week_oldest_first():
    weeks = kpis.weeks(TODAY, 3)
    assert weeks == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    series = kpis.weekly([("2026-11-16", True), ("2026-11-20", False), ("2026-11-08", True), ("2026-11-01", True),
                          ("2026-11-21", True), (None, True)], TODAY, 3)
    assert series == [
        {"week": "2026-11-02", "count": 1, "hits": 1, "rate": 1.0},
        {"week": "2026-11-09", "count": 0, "hits": 0, "rate": None},
        {"week": "2026-11-16", "count": 2, "hits": 1, "rate": 0.5},
    ]


def test_joined_versus_not_compares_eligible_patients_only():
    patients = {"a": {"conditions": ["diabetes"], "joined_challenges": ["guard"]},
                "b": {"conditions": ["diabetes"], "joined_challenges": []},
                "c": {"conditions": ["dental"], "joined_challenges": []}}
    dues = [{"patient_id": "a", "status": "on_time"}, {"patient_id": "a", "status": "pending"},
            {"patient_id": "b", "status": "pending"}, {"patient_id": "c", "status": "on_time"},
            {"patient_id": "gone", "status": "on_time"}]
    result = kpis.joined_versus_not(dues, patients, "guard", ["diabetes"])
    assert result == {"joined": {"patients": 1, "due": 2, "met": 1, "rate": 0.5},
                      "not_joined": {"patients": 1, "due": 1, "met": 0, "rate": 0.0}}
    # a challenge open to everyone counts the dental patient among those who did not join
    assert kpis.joined_versus_not(dues, patients, "guard", [])["not_joined"]["due"] == 2
