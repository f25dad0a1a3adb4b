"""The pure rules of appointments: sessions, slots in the clinic's zone, holidays and exceptions,
date ranges, and the days from a reminder to a booking."""

from datetime import date, datetime, timedelta, timezone

from chalicelib.domain import appointments as rules

MORNING = rules.Session("09:00", "10:00", 30, 2)


def test_a_session_must_end_after_it_starts_fit_whole_slots_and_not_overlap():
    assert rules.session_problem([MORNING, rules.Session("10:00", "11:00", 20, 1)]) is None
    assert "ends before" in rules.session_problem([rules.Session("10:00", "10:00", 30, 1)])
    assert "whole number" in rules.session_problem([rules.Session("09:00", "09:45", 30, 1)])
    assert "overlap" in rules.session_problem([MORNING, rules.Session("09:30", "10:30", 30, 1)])


def test_holidays_close_every_doctor_and_exceptions_replace_the_weekday():
    weekly = {"mon": [MORNING]}
    monday = date(2026, 11, 23)
    assert rules.sessions_on(monday, weekly, {}, []) == [MORNING]
    assert rules.sessions_on(monday, weekly, {}, ["2026-11-23"]) == ()
    assert rules.sessions_on(monday, weekly, {"2026-11-23": []}, []) == []
    late = [rules.Session("13:00", "14:00", 60, 1, True)]
    assert rules.sessions_on(monday, weekly, {"2026-11-23": late}, []) == late
    assert rules.sessions_on(date(2026, 11, 24), weekly, {}, []) == ()


def test_slots_carry_local_and_utc_times_in_the_clinics_zone():
    slots = rules.slots_on("dr", date(2026, 11, 23), [MORNING], "Asia/Shanghai")
    assert [(s.start, s.end, s.starts_at) for s in slots] == [("09:00", "09:30", "2026-11-23T01:00:00Z"),
                                                               ("09:30", "10:00", "2026-11-23T01:30:00Z")]
    # the same wall-clock time in New York, in winter (UTC-5) and in summer (UTC-4)
    assert rules.slots_on("dr", date(2026, 1, 5), [MORNING], "America/New_York")[0].starts_at == "2026-01-05T14:00:00Z"
    assert rules.slots_on("dr", date(2026, 7, 6), [MORNING], "America/New_York")[0].starts_at == "2026-07-06T13:00:00Z"
    now = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
    assert [rules.bookable(s, now) for s in slots] == [False, True]  # bookable until it starts


def test_date_ranges_are_bounded_and_not_in_the_past():
    today = date(2026, 11, 20)
    assert rules.range_problem(today, date(2026, 12, 20), today) is None
    assert rules.range_problem(today, date(2026, 12, 21), today)  # 32 days
    assert rules.range_problem(date(2026, 11, 1), date(2026, 11, 19), today)
    assert rules.range_problem(date(2026, 11, 21), date(2026, 11, 20), today)
    assert rules.range_problem(date(2027, 3, 1), date(2027, 3, 2), today)  # too far ahead


def test_days_from_a_reminder_to_a_booking_count_within_thirty_days():
    booked = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)
    assert rules.days_after_reminder(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc), booked, "Asia/Shanghai") == 2
    # 23:30 UTC on the 19th is already the 20th in Shanghai
    assert rules.days_after_reminder(datetime(2026, 11, 19, 23, 30, tzinfo=timezone.utc), booked, "Asia/Shanghai") == 2
    assert rules.days_after_reminder(datetime(2026, 10, 1, tzinfo=timezone.utc), booked, "Asia/Shanghai") is None
    assert rules.days_after_reminder(None, booked, "Asia/Shanghai") is None
    assert rules.rates(3, 1) == {"arrived": 3, "no_show": 1, "decided": 4, "show_rate": 0.75, "no_show_rate": 0.25}
    assert rules.rates(0, 0)["show_rate"] is None


def test_an_expert_slot_opens_to_perk_holders_priority_days_before_everyone_else():
    today = date(2026, 11, 20)
    last_for_all = date(2027, 2, 11)  # 90 - 7 = 83 days ahead
    assert rules.opening(last_for_all, True, today, 7, holder=False) == rules.Opening(True, False, None)
    early = last_for_all + timedelta(days=1)
    assert rules.opens_to_all_on(early, 7) == date(2026, 11, 21)
    assert rules.opening(early, True, today, 7, holder=False) == rules.Opening(False, False, date(2026, 11, 21))
    assert rules.opening(early, True, today, 7, holder=True) == rules.Opening(True, True, date(2026, 11, 21))
    # the opening day itself is open to all; ordinary slots and a clinic without the perk have no window
    assert rules.opening(early, True, date(2026, 11, 21), 7, holder=False).bookable
    assert rules.opening(early, False, today, 7, holder=False) == rules.Opening(True, False, None)
    assert rules.opening(early, True, today, None, holder=False) == rules.Opening(True, False, None)
    # 30 days: everything more than 60 days ahead is the holders'
    assert not rules.opening(today + timedelta(days=61), True, today, 30, holder=False).bookable
    assert rules.opening(today + timedelta(days=60), True, today, 30, holder=False).bookable
