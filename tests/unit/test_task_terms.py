"""Task terms and task progress (domain.tasks): validation, windows, one mark per day."""

from datetime import date

import pytest

from chalicelib.domain import tasks
from chalicelib.domain.tasks import Badge, TaskState, TaskTerms, TermsError

BADGE = Badge("b", "徽章")


def terms(**overrides):
    base = dict(task_key="walk", name="走路", kind="checkin", checkin_type="steps", min_value=8000, target=3,
                within_days=5, badge=BADGE)
    return TaskTerms(**{**base, **overrides})


@pytest.mark.parametrize("overrides, code", [
    ({"checkin_type": "glucose", "min_value": 7.0}, "clinical_threshold"),
    ({"checkin_type": "task", "min_value": 1}, "clinical_threshold"),
    ({"target": 6}, "task_impossible"),
    ({"kind": "quiz"}, "invalid_task"),
    ({"checkin_type": None, "min_value": None}, "invalid_task"),
    ({"kind": "staff"}, "invalid_task"),  # a staff task with a check-in type
    ({"target": 0}, "invalid_task"),
])
def test_terms_that_cannot_work_or_would_reward_clinical_values_are_refused(overrides, code):
    with pytest.raises(TermsError) as refused:
        terms(**overrides)
    assert refused.value.code == code


def test_only_a_matching_type_at_or_over_the_threshold_qualifies():
    walk = terms()
    assert walk.qualifies("steps", 8000) and not walk.qualifies("steps", 7999.5)
    assert not walk.qualifies("glucose", 9000)
    assert terms(checkin_type="glucose", min_value=None).qualifies("glucose", 0.1)
    staff = terms(kind="staff", checkin_type=None, min_value=None)
    assert not staff.qualifies("steps", 20000)


def test_a_task_counts_each_day_once_inside_its_window_and_completes_at_the_target():
    state = TaskState(terms(), assigned_on=date(2026, 11, 20))
    assert state.due_on == date(2026, 11, 24)
    assert not state.mark(date(2026, 11, 19))  # before assignment
    assert not state.mark(date(2026, 11, 20)) and not state.mark(date(2026, 11, 20))
    assert state.marks == ["2026-11-20"]
    assert not state.mark(date(2026, 11, 25))  # after the due day
    assert not state.mark(date(2026, 11, 22))
    assert state.mark(date(2026, 11, 21))  # a late day fills in: the third mark completes it
    assert state.completed_on == date(2026, 11, 21) and state.status(date(2026, 12, 30)) == tasks.COMPLETED
    assert not state.accepts(date(2026, 11, 23))


def test_status_turns_expired_after_the_due_day_only_when_incomplete():
    state = TaskState(terms(), assigned_on=date(2026, 11, 20), marks=["2026-11-20"])
    assert state.status(date(2026, 11, 24)) == tasks.ACTIVE
    assert state.status(date(2026, 11, 25)) == tasks.EXPIRED


def test_terms_survive_the_round_trip_through_storage():
    for rule in tasks.DEFAULT_RULES.values():
        for task in rule:
            assert TaskTerms.from_dict(task.as_dict()) == task


def test_perks_unlock_at_their_badge_count():
    perks = list(tasks.DEFAULT_PERKS)
    assert [p["unlocked"] for p in tasks.unlocked(perks, 2)] == [False]
    assert [p["unlocked"] for p in tasks.unlocked(perks, 3)] == [True]
    with pytest.raises(TermsError):
        tasks.Perk("p", "x", 0)


def test_the_priority_booking_perk_carries_its_window_and_no_other_perk_does():
    perk = tasks.Perk.from_dict({"perk_id": "priority-booking", "name": "专家号优先预约", "badges_required": 3})
    assert perk.priority_days == 7 and tasks.priority_perk([perk]) == perk
    assert tasks.Perk.from_dict({**perk.as_dict(), "priority_days": 30}).priority_days == 30
    for days in (0, 31):
        with pytest.raises(TermsError) as refused:
            tasks.Perk("priority-booking", "x", 3, priority_days=days)
        assert refused.value.code == "invalid_perk"
    with pytest.raises(TermsError):
        tasks.Perk("free-recheck", "x", 3, priority_days=7)
    assert tasks.Perk("free-recheck", "x", 3).as_dict()["priority_days"] is None
    assert tasks.priority_perk([tasks.Perk("free-recheck", "x", 3)]) is None


def test_old_exams_assign_no_tasks():
    assert tasks.assign_on(date(2026, 8, 22), date(2026, 11, 20)) == date(2026, 11, 20)
    assert tasks.assign_on(date(2026, 8, 21), date(2026, 11, 20)) is None
