"""Learned recall timing and a rule's reach (chalicelib/domain/timing.py), and the definition of a
timing experiment (chalicelib/domain/experiments.py): pure, no AWS."""

from datetime import date, datetime, time, timedelta, timezone

import pytest

from chalicelib.domain import experiments as ab
from chalicelib.domain import timing
from chalicelib.domain.rules import RecallRule, RuleError, validate_rule

TZ = "Asia/Shanghai"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
BOUNDS = timing.Bounds(14, 180)


def test_fixed_timing_and_a_missing_curve_keep_the_rules_days():
    assert timing.schedule((30, 60), "fixed", 40, BOUNDS) == timing.Schedule((30, 60), (30, 60), "fixed")
    assert timing.schedule((60, 30), "learned", None, BOUNDS) == timing.Schedule((30, 60), (30, 60), "fixed")


def test_learned_timing_moves_the_first_day_and_keeps_the_distances():
    plan = timing.schedule((30, 60), "learned", 40, BOUNDS)
    assert plan == timing.Schedule((30, 60), (40, 70), "learned", 40)
    assert plan.pairs() == [(30, 40), (60, 70)]
    # the clinic's bounds hold the learned day
    assert timing.schedule((30,), "learned", 5, BOUNDS).days == (14,)
    assert timing.schedule((30,), "learned", 400, BOUNDS).days == (180,)
    assert timing.schedule((30,), "learned", 25, timing.Bounds(20, 22)).days == (22,)
    assert timing.learned_day(None, BOUNDS) is None


def test_bounds_and_rules_are_checked():
    assert timing.check_bounds(7, 90) == timing.Bounds(7, 90)
    assert timing.bounds_from(None) == timing.Bounds(14, 180)
    assert timing.bounds_from({"earliest_day": 21}) == timing.Bounds(21, 180)
    for earliest, latest, code in ((0, 30, "day_out_of_range"), (10, 366, "day_out_of_range"),
                                   (40, 30, "bounds_reversed"), (True, 30, "day_out_of_range")):
        with pytest.raises(timing.TimingError) as err:
            timing.check_bounds(earliest, latest)
        assert err.value.code == code
    rule = RecallRule("r", "eczema", "remission", 30, time(10), "hi", offsets=(30,), timing="learned")
    assert validate_rule(rule, ["eczema"]).timing == "learned"
    for change, code in (({"condition": None, "department": "dermatology"}, "learned_needs_condition"),
                         ({"anchor": "package_end", "offsets": (-7,)}, "learned_not_for_anchor"),
                         ({"timing": "soon"}, "unknown_timing")):
        with pytest.raises(RuleError) as err:
            validate_rule(rule._replace(**change), ["eczema"])
        assert (err.value.code, err.value.field) == (code, "timing")


def test_a_visit_since_the_anchor_stops_it_as_the_composer_does():
    day = date(2026, 11, 10)
    assert timing.stopped_by_visit("surgery", day, "2026-11-10", ("visited",))
    assert not timing.stopped_by_visit("visit", day, "2026-11-10", ("visited",))  # the visit itself
    assert timing.stopped_by_visit("visit", day, "2026-11-11", ("visited",))
    assert not timing.stopped_by_visit("surgery", day, "2026-11-09", ("visited",))
    assert not timing.stopped_by_visit("surgery", day, "2026-11-12", ("booked",))
    assert not timing.stopped_by_visit("surgery", day, None, ("visited",))


def test_reach_counts_each_patient_once_per_figure():
    plan = timing.schedule((14, 60), "fixed", None, BOUNDS)
    stale = NOW - timedelta(days=7)
    anchors = [timing.Anchor("soon", date(2026, 11, 10)),  # day 14 in four days
               timing.Anchor("now", date(2026, 11, 6)),  # day 14 is today, day 60 beyond 30 days
               timing.Anchor("late", date(2026, 10, 1)),  # day 14 past, day 60 in ten days
               timing.Anchor("late", date(2026, 10, 2)),  # the same patient again: counted once
               timing.Anchor("old", date(2026, 6, 1)),  # both past
               timing.Anchor("back", date(2026, 11, 10), "2026-11-15")]  # visited since
    sends = timing.sends_of(anchors, plan, send_at=time(10), tz=TZ, stale_before=stale, anchor="surgery",
                            stop_on=("booked", "visited"))
    assert {(s.patient_id, s.nominal) for s in sends} == {("soon", 14), ("soon", 60), ("now", 14), ("now", 60),
                                                          ("late", 60)}
    assert timing.tally(sends, now=NOW, tz=TZ) == timing.Reach(now=1, next_days=2, in_window=3)
    # a learned plan sends on its days but names its jobs by the rule's offsets
    learned = timing.schedule((14, 60), "learned", 20, BOUNDS)
    moved = timing.sends_of([timing.Anchor("soon", date(2026, 11, 10))], learned, send_at=time(10), tz=TZ,
                            stale_before=stale, anchor="surgery", stop_on=())
    assert [(s.nominal, s.day) for s in moved] == [(14, 20), (60, 66)]


def test_a_timing_experiment_has_the_arms_fixed_and_learned_and_no_holdout():
    arms = [ab.ArmTerms("learned", 1.0), ab.ArmTerms("fixed", 2.0)]
    assert [a.arm_id for a in ab.validate_timing(arms, 0)] == ["fixed", "learned"]  # the reference first
    for bad, share in (([ab.ArmTerms("fixed", 1.0), ab.ArmTerms("later", 1.0)], 0),
                       ([ab.ArmTerms("fixed", 1.0, send_at="19:00"), ab.ArmTerms("learned", 1.0)], 0),
                       ([ab.ArmTerms("fixed", 1.0), ab.ArmTerms("learned", 1.0, incentive_points=5)], 0),
                       (arms, 0.1)):
        with pytest.raises(ab.DefinitionError) as err:
            ab.validate_timing(bad, share)
        assert err.value.code in ("invalid_timing_arms", "invalid_holdout_share")
    assert "recall_timing" in ab.TARGET_KINDS
