"""Streak rules: consecutive days, grace, completion once per streak, duplicates, late days, pruning."""

import random
from datetime import date, timedelta

import pytest

from chalicelib.domain.streaks import (
    ALREADY_COUNTED,
    CLOSED,
    COUNTED,
    LATE_DAYS,
    TOO_LATE,
    Progress,
    Streak,
    StreakRule,
    current,
    record,
    runs,
)

BASE = date(2026, 11, 1)


def d(n: int) -> date:
    return BASE + timedelta(days=n)


def feed(days, rule, progress=None, today=None):
    """Record days in the order given; `today` is each day itself unless fixed. Returns (progress, completed)."""
    progress = progress or Progress()
    completed = []
    for n in days:
        outcome = record(progress, d(n), rule, today or d(n))
        progress = outcome.progress
        completed.extend(outcome.completed)
    return progress, completed


SEVEN = StreakRule(7)
SEVEN_GRACE = StreakRule(7, grace=1)


# --- the rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize("length,grace", [(0, 0), (-1, 0), (7, 2), (7, -1)])
def test_bad_rules_are_refused(length, grace):
    with pytest.raises(ValueError):
        StreakRule(length, grace)


# --- walking the days -------------------------------------------------------------------------

def test_consecutive_days_make_one_run():
    done, open_runs = runs([d(1), d(2), d(3)], SEVEN)
    assert done == [] and open_runs == [Streak(d(1), d(3), 3)]


def test_without_grace_a_missed_day_breaks_the_run():
    done, open_runs = runs([d(1), d(2), d(4), d(5)], SEVEN)
    assert open_runs == [Streak(d(1), d(2), 2), Streak(d(4), d(5), 2)]


def test_grace_steps_over_one_missed_day_which_does_not_count():
    done, open_runs = runs([d(1), d(2), d(4), d(5)], SEVEN_GRACE)
    assert open_runs == [Streak(d(1), d(5), 4, (d(3),))]


def test_grace_does_not_step_over_two_missed_days_in_a_row():
    assert runs([d(1), d(4)], SEVEN_GRACE)[1] == [Streak(d(1), d(1), 1), Streak(d(4), d(4), 1)]


def test_grace_is_used_once_per_streak():
    done, open_runs = runs([d(1), d(3), d(5), d(6)], SEVEN_GRACE)
    assert open_runs == [Streak(d(1), d(3), 2, (d(2),)), Streak(d(5), d(6), 2)]


def test_a_run_completes_at_length_and_the_next_day_starts_afresh():
    done, open_runs = runs([d(i) for i in range(1, 10)], SEVEN)
    assert done == [Streak(d(1), d(7), 7)]
    assert open_runs == [Streak(d(8), d(9), 2)]


def test_a_new_streak_after_completion_has_its_grace_again():
    days = [1, 2, 3, 5, 6, 7, 8, 9, 11, 12]  # the first streak uses its grace on day 4
    done, open_runs = runs([d(i) for i in days], SEVEN_GRACE)
    assert done == [Streak(d(1), d(8), 7, (d(4),))]
    assert open_runs == [Streak(d(9), d(12), 3, (d(10),))]


def test_duplicates_in_the_walk_count_once():
    assert runs([d(1), d(1), d(2)], SEVEN)[1] == [Streak(d(1), d(2), 2)]


# --- recording days as check-ins arrive -------------------------------------------------------

def test_seven_days_in_a_row_complete_once_and_the_eighth_starts_a_new_streak():
    progress, completed = feed(range(1, 8), SEVEN)
    assert completed == [Streak(d(1), d(7), 7)]
    assert progress == Progress(days=(), closed_until=d(7), closed_gap=None, completed=1, best=7)
    outcome = record(progress, d(8), SEVEN, d(8))
    assert outcome.status == COUNTED and outcome.completed == ()
    assert current(outcome.progress, SEVEN, d(8)) == Streak(d(8), d(8), 1)


def test_every_seven_day_streak_earns_once_continuously():
    progress, completed = feed(range(1, 22), SEVEN)
    assert [s.start for s in completed] == [d(1), d(8), d(15)]
    assert progress.completed == 3


def test_the_same_day_again_is_not_counted_and_does_not_advance():
    progress, _ = feed([1, 2], SEVEN)
    outcome = record(progress, d(2), SEVEN, d(2))
    assert outcome.status == ALREADY_COUNTED and not outcome.changed
    assert outcome.progress is progress


def test_a_gap_breaks_the_streak_and_it_restarts():
    progress, completed = feed([1, 2, 3, 4, 5, 6, 8], SEVEN)
    assert completed == []
    assert current(progress, SEVEN, d(8)) == Streak(d(8), d(8), 1)
    assert progress.best == 6
    progress, completed = feed(range(9, 15), SEVEN, progress)
    assert completed == [Streak(d(8), d(14), 7)]


def test_grace_bridges_one_missed_day():
    progress, completed = feed([1, 2, 3, 5, 6, 7, 8], SEVEN_GRACE)
    assert completed == [Streak(d(1), d(8), 7, (d(4),))]


def test_grace_does_not_bridge_a_second_gap_in_the_same_streak():
    progress, completed = feed([1, 2, 4, 5, 7, 8, 9, 10], SEVEN_GRACE)
    assert completed == []
    assert current(progress, SEVEN_GRACE, d(10)) == Streak(d(7), d(10), 4)


def test_a_day_on_or_before_a_rewarded_streak_never_counts_again():
    progress, _ = feed(range(1, 8), SEVEN)
    for n in (7, 6, 5):
        assert record(progress, d(n), SEVEN, d(8)).status == CLOSED


def test_a_reading_older_than_the_late_window_is_refused():
    outcome = record(Progress(), d(10 - LATE_DAYS - 1), SEVEN, d(10))
    assert outcome.status == TOO_LATE and not outcome.changed
    assert record(Progress(), d(10 - LATE_DAYS), SEVEN, d(10)).status == COUNTED


def test_a_day_slightly_ahead_of_today_still_counts():
    """A reading stamped a few minutes after the clinic's midnight, allowed by the clock skew."""
    progress, _ = feed([1, 2], SEVEN)
    outcome = record(progress, d(3), SEVEN, today=d(2))
    assert outcome.status == COUNTED
    assert current(outcome.progress, SEVEN, d(2)).count == 3


# --- late days ---------------------------------------------------------------------------------

def test_a_late_day_fills_the_gap_grace_stepped_over_and_gives_the_grace_back():
    progress, _ = feed([1, 2, 4, 5], SEVEN_GRACE)
    assert current(progress, SEVEN_GRACE, d(5)).missed == (d(3),)
    progress = record(progress, d(3), SEVEN_GRACE, d(5)).progress
    assert current(progress, SEVEN_GRACE, d(5)) == Streak(d(1), d(5), 5)
    # the grace is back: another missed day is stepped over, and the streak completes
    progress, completed = feed([7, 8], SEVEN_GRACE, progress)
    assert completed == [Streak(d(1), d(8), 7, (d(6),))]


def test_a_late_day_bridges_a_broken_streak_into_one():
    progress, _ = feed([1, 2, 3, 5], SEVEN)
    assert current(progress, SEVEN, d(5)) == Streak(d(5), d(5), 1)
    outcome = record(progress, d(4), SEVEN, d(5))
    assert current(outcome.progress, SEVEN, d(5)) == Streak(d(1), d(5), 5)


def test_a_late_day_that_completes_the_streak_rewards_it_once_by_its_first_day():
    progress, _ = feed([1, 2, 3, 5, 6, 7], SEVEN)
    outcome = record(progress, d(4), SEVEN, d(7))
    assert outcome.completed == (Streak(d(1), d(7), 7),)
    assert outcome.progress.closed_until == d(7) and outcome.progress.days == ()
    again = record(outcome.progress, d(4), SEVEN, d(7))
    assert again.status == CLOSED and again.completed == ()


def test_a_late_day_completing_an_earlier_streak_leaves_the_later_days_in_the_next():
    three = StreakRule(3)
    progress, completed = feed([1, 2, 4, 5], three)
    assert completed == []
    outcome = record(progress, d(3), three, d(5))
    assert outcome.completed == (Streak(d(1), d(3), 3),)
    assert current(outcome.progress, three, d(5)) == Streak(d(4), d(5), 2)
    assert record(outcome.progress, d(6), three, d(6)).completed == (Streak(d(4), d(6), 3),)


def test_a_late_day_extends_a_streak_backwards():
    progress, _ = feed([5, 6], SEVEN)
    outcome = record(progress, d(4), SEVEN, d(6))
    assert current(outcome.progress, SEVEN, d(6)) == Streak(d(4), d(6), 3)


def test_a_late_day_after_a_rewarded_streak_starts_the_next_one():
    progress, _ = feed([*range(1, 8), 9], SEVEN)
    outcome = record(progress, d(8), SEVEN, d(9))
    assert outcome.status == COUNTED
    assert current(outcome.progress, SEVEN, d(9)) == Streak(d(8), d(9), 2)


def test_a_late_day_bridges_two_runs_using_the_grace_for_the_other_missed_day():
    progress, _ = feed([1, 2, 5, 6], SEVEN_GRACE)  # 3 and 4 missed: two runs
    assert len(runs(progress.days, SEVEN_GRACE)[1]) == 2
    outcome = record(progress, d(3), SEVEN_GRACE, d(6))
    assert current(outcome.progress, SEVEN_GRACE, d(6)) == Streak(d(1), d(6), 5, (d(4),))


def test_a_late_day_filling_the_gap_of_a_rewarded_streak_hands_its_last_day_to_the_next_one():
    progress, completed = feed([1, 2, 3, 4, 5, 6, 8], SEVEN_GRACE)  # day 7 stepped over
    assert completed == [Streak(d(1), d(8), 7, (d(7),))]
    progress, _ = feed([9, 10], SEVEN_GRACE, progress)
    outcome = record(progress, d(7), SEVEN_GRACE, d(10))
    assert outcome.status == COUNTED and outcome.completed == ()  # the streak of day 1 is not paid again
    assert outcome.progress.closed_until == d(7) and outcome.progress.completed == 1
    assert current(outcome.progress, SEVEN_GRACE, d(10)) == Streak(d(8), d(10), 3)
    assert record(outcome.progress, d(7), SEVEN_GRACE, d(10)).status == CLOSED


def test_a_late_gap_day_can_complete_the_next_streak_with_the_handed_over_day():
    three = StreakRule(3, grace=1)
    progress, completed = feed([1, 3, 4], three)  # 1, (2), 3, 4 completes
    assert completed == [Streak(d(1), d(4), 3, (d(2),))]
    progress, _ = feed([5], three, progress)
    outcome = record(progress, d(2), three, d(5))
    # on time, 1-3 would have completed and 4, 5 started the next; now 4, 5 await their third day
    assert outcome.completed == ()
    assert current(outcome.progress, three, d(5)) == Streak(d(4), d(5), 2)
    assert record(outcome.progress, d(6), three, d(6)).completed == (Streak(d(4), d(6), 3),)


def test_the_same_late_day_twice_counts_once():
    progress, _ = feed([1, 2, 4], SEVEN)
    once = record(progress, d(3), SEVEN, d(4)).progress
    assert record(once, d(3), SEVEN, d(4)).status == ALREADY_COUNTED


# --- what a patient sees ----------------------------------------------------------------------

def test_current_streak_lives_through_today_and_dies_after_a_missed_day():
    progress, _ = feed([1, 2, 3], SEVEN)
    assert current(progress, SEVEN, d(3)).count == 3  # checked in today
    assert current(progress, SEVEN, d(4)).count == 3  # today not yet: still alive
    assert current(progress, SEVEN, d(5)) is None  # day 4 missed


def test_with_grace_left_the_streak_survives_one_missed_day():
    progress, _ = feed([1, 2, 3], SEVEN_GRACE)
    assert current(progress, SEVEN_GRACE, d(5)).count == 3
    assert current(progress, SEVEN_GRACE, d(6)) is None
    progress, _ = feed([1, 3], SEVEN_GRACE)  # grace already used
    assert current(progress, SEVEN_GRACE, d(5)) is None


def test_no_current_streak_right_after_a_completion():
    progress, _ = feed(range(1, 8), SEVEN)
    assert current(progress, SEVEN, d(7)) is None


def test_best_remembers_the_longest_streak():
    progress, _ = feed([1, 2, 3, 4, 6, 7], SEVEN)
    assert progress.best == 4


# --- pruning keeps the state short -------------------------------------------------------------

def test_runs_that_no_late_day_can_reach_are_forgotten():
    progress, _ = feed([1, 2, 3, 10], SEVEN)
    assert progress.days == (d(10),)
    progress, _ = feed([1, 2, 3, 8], SEVEN)  # the earliest late day now is 5: day 4 is out of reach
    assert progress.days == (d(8),)
    progress, _ = feed([1, 2, 3, 7], SEVEN)  # day 4 may still arrive
    assert progress.days == (d(1), d(2), d(3), d(7))


def test_a_year_of_irregular_check_ins_keeps_the_state_short():
    rng = random.Random(7)
    rule = StreakRule(30, grace=1)
    progress = Progress()
    n = 0
    for _ in range(365):
        n += 1 if rng.random() < 0.9 else rng.randint(2, 4)
        progress = record(progress, d(n), rule, d(n)).progress
        assert len(progress.days) <= rule.length + LATE_DAYS + 2


# --- late arrival gives what on-time arrival gives --------------------------------------------

@pytest.mark.parametrize("rule", [StreakRule(5), StreakRule(7), StreakRule(7, grace=1), StreakRule(10, grace=1)])
def test_readings_arriving_up_to_three_days_late_earn_what_on_time_readings_earn(rule):
    """Whenever a streak is at least five days long (no streak completes inside the late window),
    any arrival order allowed by the late window gives the same rewards as on-time arrival."""
    rng = random.Random(rule.length * 10 + rule.grace)
    for trial in range(200):
        days = [n for n in range(1, 60) if rng.random() < 0.85]
        expected = [s.start for s in runs([d(n) for n in days], rule)[0]]
        # each reading reaches the server between its own day and three days later
        arrivals = sorted(((n + rng.choice((0, 0, 0, 1, 2, 3)), n) for n in days))
        progress, starts = Progress(), []
        for arrived, n in arrivals:
            outcome = record(progress, d(n), rule, d(arrived))
            assert outcome.status in (COUNTED,), (trial, n, arrived, outcome.status)
            progress = outcome.progress
            starts.extend(s.start for s in outcome.completed)
        assert starts == expected, trial
        assert len(starts) == len(set(starts))
