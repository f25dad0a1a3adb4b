"""Member package terms, renewals and the renewal rate (domain.packages)."""

from datetime import date

import pytest

from chalicelib.domain import packages as rules


def test_end_date_is_the_day_before_the_same_date_a_term_later():
    assert rules.end_date(date(2026, 1, 15), 12) == date(2027, 1, 14)
    assert rules.end_date(date(2026, 1, 31), 1) == date(2026, 2, 27)  # 28 Feb is the clamped start of month 2
    assert rules.end_date(date(2027, 11, 1), 3) == date(2028, 1, 31)
    assert rules.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    with pytest.raises(ValueError):
        rules.end_date(date(2026, 1, 1), 0)


def test_renewal_window_around_the_end():
    end = date(2026, 12, 31)
    assert rules.renews(end, date(2027, 1, 1), 30)  # the next day
    assert rules.renews(end, date(2026, 12, 2), 30)  # a month early
    assert rules.renews(end, date(2027, 1, 31), 30)
    assert not rules.renews(end, date(2027, 2, 1), 30)
    assert not rules.renews(end, date(2026, 12, 1), 30)


def test_renewal_rate_counts_only_decided_packages():
    today = date(2026, 11, 20)
    packages = [
        rules.Ended(date(2026, 6, 30), 30, date(2026, 7, 1)),  # renewed
        rules.Ended(date(2026, 7, 31), 30, None),  # lapsed
        rules.Ended(date(2026, 8, 15), 30, date(2026, 8, 1)),  # renewed early
        rules.Ended(date(2026, 11, 1), 30, None),  # window open until 1 Dec: pending
        rules.Ended(date(2025, 1, 1), 30, None),  # outside the period
    ]
    result = rules.renewal_rate(packages, date(2026, 1, 1), date(2026, 12, 31), today)
    assert (result.ended, result.renewed, result.lapsed, result.pending) == (4, 2, 1, 1)
    assert result.rate == pytest.approx(2 / 3)
    assert rules.renewal_rate([], date(2026, 1, 1), date(2026, 12, 31), today).rate is None
    # the seed's figure: 68 of 100 renewed
    seed = [rules.Ended(date(2025, 6, 1), 30, date(2025, 6, 2) if n < 68 else None) for n in range(100)]
    assert rules.renewal_rate(seed, date(2025, 1, 1), date(2025, 12, 31), today).rate == pytest.approx(0.68)
