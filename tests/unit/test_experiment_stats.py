"""A/B assignment and statistics (domain.experiments), checked against hand-computed values."""

import math
import random

import pytest

from chalicelib.domain import experiments as ab

ARMS = [ab.ArmTerms("a", 1.0), ab.ArmTerms("b", 1.0)]


def test_assignment_is_stable_and_depends_on_the_experiment():
    first = [ab.assign("exp-1", f"p{n}", ARMS, 0.1) for n in range(500)]
    again = [ab.assign("exp-1", f"p{n}", list(ARMS), 0.1) for n in range(500)]
    assert first == again
    other = [ab.assign("exp-2", f"p{n}", ARMS, 0.1) for n in range(500)]
    assert first != other  # another experiment reshuffles the patients
    assert 0 <= ab.bucket("exp-1", "p1") < 1


def test_holdout_comes_first_and_keeps_its_patients_when_arms_change():
    held = {f"p{n}" for n in range(2000) if ab.assign("x", f"p{n}", ARMS, 0.1) == ab.HOLDOUT}
    three = ARMS + [ab.ArmTerms("c", 2.0)]
    assert held == {f"p{n}" for n in range(2000) if ab.assign("x", f"p{n}", three, 0.1) == ab.HOLDOUT}
    assert all(ab.assign("x", p, ARMS, 0.0) != ab.HOLDOUT for p in held)


def test_split_follows_holdout_share_and_weights():
    arms = [ab.ArmTerms("a", 1.0), ab.ArmTerms("b", 3.0)]
    n = 40_000
    tally = {"holdout": 0, "a": 0, "b": 0}
    for i in range(n):
        tally[ab.assign("split", f"patient-{i}", arms, 0.2)] += 1
    expected = {"holdout": 0.2, "a": 0.8 * 0.25, "b": 0.8 * 0.75}
    for group, share in expected.items():
        se = math.sqrt(share * (1 - share) / n)
        assert abs(tally[group] / n - share) < 4 * se, (group, tally)


def test_normal_cdf_and_quantile():
    assert ab.normal_cdf(0) == pytest.approx(0.5)
    assert ab.normal_cdf(1.959964) == pytest.approx(0.975, abs=1e-6)
    assert ab.normal_quantile(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert ab.normal_quantile(0.8) == pytest.approx(0.841621, abs=1e-6)
    with pytest.raises(ValueError):
        ab.normal_quantile(1.0)


def test_compare_against_hand_computed_values():
    # 30/100 against 20/100: diff 0.10; unpooled se = sqrt(.21/100 + .16/100) = 0.0608276;
    # pooled p = .25, se = sqrt(.1875 * .02) = 0.0612372, z = 1.632993, p = 0.102470
    c = ab.compare(30, 100, 20, 100, alpha=0.05)
    assert c.uplift == pytest.approx(0.10)
    assert c.ci_low == pytest.approx(0.10 - 1.959964 * 0.0608276, abs=1e-6)
    assert c.ci_high == pytest.approx(0.10 + 1.959964 * 0.0608276, abs=1e-6)
    assert c.z == pytest.approx(1.632993, abs=1e-6)
    assert c.p_value == pytest.approx(0.102470, abs=1e-6)
    # 60/200 against 40/200: same rates, twice the data: z = 0.1 / sqrt(.1875 * .01) = 2.309401
    c = ab.compare(60, 200, 40, 200)
    assert c.z == pytest.approx(2.309401, abs=1e-6) and c.p_value == pytest.approx(0.020921, abs=1e-5)
    assert ab.compare(0, 0, 3, 10) is None
    same = ab.compare(0, 50, 0, 50)
    assert same.p_value == 1.0 and same.uplift == 0


def test_holm_adjustment():
    adjusted = ab.holm({"a": 0.01, "b": 0.04, "c": 0.03})
    # sorted .01, .03, .04 -> 3*.01 = .03, 2*.03 = .06, max(.06, 1*.04) = .06
    assert adjusted == pytest.approx({"a": 0.03, "c": 0.06, "b": 0.06})


def test_sample_size_against_the_textbook_formula():
    # 20% -> 30%, alpha .05, power .8: uncorrected n = 293.1; Fleiss' correction gives 313
    assert ab.sample_size_per_arm(0.2, 0.1) == 313
    # two arms against one holdout share alpha: z = quantile(1 - .0125) -> 375
    assert ab.sample_size_per_arm(0.2, 0.1, comparisons=2) == 375
    # a smaller holdout (a quarter of an arm) needs more per arm
    assert ab.sample_size_per_arm(0.2, 0.1, reference_ratio=0.25) > 313
    assert ab.sample_size_per_arm(0.2, 0.05) > ab.sample_size_per_arm(0.2, 0.1)
    with pytest.raises(ValueError):
        ab.sample_size_per_arm(0.95, 0.1)


def test_sample_size_gives_the_power_it_promises():
    rng = random.Random(7)
    n = ab.sample_size_per_arm(0.2, 0.1)
    hits = 0
    for _ in range(400):
        a = sum(rng.random() < 0.3 for _ in range(n))
        h = sum(rng.random() < 0.2 for _ in range(n))
        c = ab.compare(a, n, h, n)
        hits += c.p_value < 0.05 and c.uplift > 0
    assert hits / 400 > 0.74  # 0.80 expected; 400 runs leave about +-0.02


def test_analyse_finds_the_winner_and_reports_every_group():
    counts = {"holdout": ab.GroupCounts(400, 80), "a": ab.GroupCounts(400, 120), "b": ab.GroupCounts(400, 84)}
    result = ab.analyse(counts, ["holdout", "a", "b"], "holdout", 0.05, {"holdout": 400, "a": 400, "b": 400})
    rows = {r["arm_id"]: r for r in result.rows}
    assert result.winner == "a" and result.reached
    assert rows["holdout"]["reference"] and "uplift" not in rows["holdout"]
    assert rows["a"]["significant"] and rows["a"]["uplift"] == pytest.approx(0.10)
    assert rows["a"]["p_adjusted"] == pytest.approx(2 * rows["a"]["p_value"])  # the smaller of two
    assert not rows["b"]["significant"]
    assert not ab.analyse(counts, ["holdout", "a", "b"], "holdout", 0.05, {"holdout": 401}).reached
    # a significantly worse arm is never the winner
    worse = {"holdout": ab.GroupCounts(400, 120), "a": ab.GroupCounts(400, 60), "b": ab.GroupCounts(400, 118)}
    assert ab.analyse(worse, ["holdout", "a", "b"], "holdout").winner is None
    empty = ab.analyse({}, ["holdout", "a", "b"], "holdout")
    assert empty.winner is None and all(r["rate"] is None for r in empty.rows)


def test_validate_definitions():
    ab.validate(ARMS, 0.1)
    cases = [
        ([ab.ArmTerms("a", 1)], 0.1, "invalid_arm_count"),
        ([ab.ArmTerms(str(n), 1) for n in range(5)], 0.1, "invalid_arm_count"),
        (ARMS, 0.6, "invalid_holdout_share"),
        (ARMS, -0.1, "invalid_holdout_share"),
        ([ab.ArmTerms("a", 1), ab.ArmTerms("a", 1)], 0.1, "duplicate_arm"),
        ([ab.ArmTerms("holdout", 1), ab.ArmTerms("a", 1)], 0.1, "duplicate_arm"),
        ([ab.ArmTerms("a", 0), ab.ArmTerms("b", 1)], 0.1, "invalid_weight"),
        ([ab.ArmTerms("a", 1, send_at="25:00"), ab.ArmTerms("b", 1)], 0.1, "invalid_send_at"),
        ([ab.ArmTerms("a", 1, template="{name}您好"), ab.ArmTerms("b", 1)], 0.1, "invalid_template"),
        ([ab.ArmTerms("a", 1, template="{nickname"), ab.ArmTerms("b", 1)], 0.1, "invalid_template"),
    ]
    for arms, share, code in cases:
        with pytest.raises(ab.DefinitionError) as err:
            ab.validate(arms, share)
        assert err.value.code == code, (arms, share)


def test_conversion_window_in_clinic_days():
    assert ab.converts("2026-11-01", "2026-11-15", "2026-11-01")
    assert ab.converts("2026-11-01", "2026-11-15", "2026-11-15")
    assert not ab.converts("2026-11-01", "2026-11-15", "2026-11-16")
    assert not ab.converts("2026-11-01", "2026-11-15", "2026-10-31")
