"""domain/capacity.py: the recall budget of a department, who goes first, which slot an offer holds."""

from datetime import datetime, timedelta, timezone

from chalicelib.domain import capacity

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def slot(start_hours, capacity_=2, taken=0, held=0, doctor="dr-a"):
    starts = NOW + timedelta(hours=start_hours)
    return capacity.SlotPlaces(doctor, starts.date().isoformat(), starts.strftime("%H:%M"),
                               starts.strftime("%Y-%m-%dT%H:%M:%SZ"), capacity_, taken, held)


def test_the_budget_is_a_share_of_the_unbooked_places_rounded_down():
    # 2 + (2 - 1 booked: of 2 taken, 1 is a hold) + (2 - 2 booked) + 4 = 7 places nobody booked
    slots = [slot(30), slot(40, taken=2, held=1), slot(50, taken=2), slot(60, capacity_=4)]
    budget = capacity.budget(slots, 0.5, held=1)
    assert (budget.free, budget.allowed, budget.held, budget.left) == (7, 3, 1, 2)
    assert capacity.budget(slots, 1.0, held=7).left == 0  # never negative
    assert capacity.budget([], 0.5, held=0).allowed == 0


def test_the_offer_takes_the_earliest_open_place_far_enough_ahead():
    too_soon, full, held_full, later, first = slot(5), slot(25, taken=2), slot(26, taken=2, held=2), slot(48), slot(30)
    assert capacity.offer_slot([too_soon, full, held_full, later, first], NOW) == [first, later]


def test_a_hold_ends_after_three_days_or_when_its_slot_starts():
    assert capacity.hold_expiry(NOW, NOW + timedelta(days=10)) == NOW + timedelta(days=3)
    assert capacity.hold_expiry(NOW, NOW + timedelta(days=1)) == NOW + timedelta(days=1)


def test_response_has_a_prior_and_priority_is_risk_times_response():
    assert capacity.response_rate(0, 0) == 0.25
    assert capacity.response_rate(2, 2) == 0.5
    assert round(capacity.response_rate(12, 0), 4) == 0.0625
    assert capacity.response_rate(1, 5) == capacity.response_rate(1, 1)  # answers beyond reminders do not count
    assert capacity.priority(None, 0, 0) == 0.5 * 0.25  # an unscored patient counts as even odds
    assert capacity.priority(0.9, 2, 2) > capacity.priority(0.95, 12, 0)


def test_ranking_puts_priority_first_then_the_longest_waiting():
    ranked = capacity.rank([capacity.Candidate("b", 0.2, "2026-11-19T02:00:00Z"),
                            capacity.Candidate("a", 0.2, "2026-11-18T02:00:00Z"),
                            capacity.Candidate("c", 0.4, "2026-11-20T02:00:00Z")])
    assert [c.key for c in ranked] == ["c", "a", "b"]


def test_the_share_is_bounded():
    assert capacity.share_problem(0.05) is None and capacity.share_problem(1) is None
    assert capacity.share_problem(0.04) and capacity.share_problem(1.01)
