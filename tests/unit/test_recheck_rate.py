"""The annual re-check KPI of a health-check centre (S4): decided re-checks in the rate, the
ones still inside their grace pending."""

from datetime import date, timedelta

from chalicelib.domain.kpis import recheck

TODAY = date(2026, 11, 20)


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def test_patients_whose_grace_ended_in_the_last_three_months_and_who_came_back():
    days = [
        [ago(500), ago(140)],  # due 135 days ago, came five days late: kept
        [ago(480)],  # due 115 days ago, grace over 25 days ago, never came: missed
        [ago(520), ago(70)],  # due 155 days ago, came on day 450 of the year's 455: kept
        [ago(540), ago(170), ago(10)],  # due 175 days ago, came ten days late: kept
        [ago(460), ago(1)],  # due 95 days ago, came on day 459: too late, missed
        [ago(800)],  # lapsed long ago: outside
        [ago(100)],  # first exam this year: not due
    ]
    assert recheck(days, TODAY) == {"decided": 5, "hits": 3, "rate": 0.6, "pending": 0, "pending_hits": 0}


def test_a_recheck_due_last_month_whose_grace_still_runs_is_pending_not_missed():
    # due 30 days ago, not back yet: three months of grace remain, so it is no failure
    assert recheck([[ago(395)]], TODAY) == {"decided": 0, "hits": 0, "rate": None, "pending": 1, "pending_hits": 0}
    # nor a success yet when the patient already came: the cohort is still open
    assert recheck([[ago(395), ago(20)]], TODAY)["pending_hits"] == 1
    # the grace ended yesterday without a visit: decided, missed
    assert recheck([[ago(456)]], TODAY) == {"decided": 1, "hits": 0, "rate": 0.0, "pending": 0, "pending_hits": 0}


def test_no_one_due_gives_no_rate_rather_than_zero():
    assert recheck([[ago(100)]], TODAY)["rate"] is None
    assert recheck([], TODAY) == {"decided": 0, "hits": 0, "rate": None, "pending": 0, "pending_hits": 0}
