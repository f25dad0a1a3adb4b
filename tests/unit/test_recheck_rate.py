"""The annual re-check KPI of a health-check centre (S4)."""

from datetime import date

from chalicelib.jobs.kpis import recheck_rate

TODAY = date(2026, 11, 20)


def test_patients_due_in_the_last_three_months_and_who_came_back():
    days = [
        ["2025-09-01", "2026-09-03"],  # due on 2026-09-01, came two days later: kept
        ["2025-10-10"],  # due on 2026-10-10, not back yet: missed
        ["2025-08-25", "2026-11-19"],  # due on 2026-08-25, came at the end of the grace: kept
        ["2024-10-01", "2025-10-05"],  # came back last year, but not this year: missed
        ["2024-10-01"],  # lapsed long ago: outside the cohort
        ["2026-03-01"],  # first exam this year: not due
        ["2025-06-01"],  # due in June, grace over before the window: outside
    ]
    assert recheck_rate(days, TODAY) == 0.5


def test_no_one_due_gives_no_rate_rather_than_zero():
    assert recheck_rate([["2026-05-01"]], TODAY) is None
    assert recheck_rate([], TODAY) is None
