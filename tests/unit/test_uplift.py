"""Uplift targeting: the Qini curve counted by hand, and the two-model learner finding the planted
effects of a synthetic clinic better than ranking by lapse risk."""

import pytest

from chalicelib.domain.uplift import (MIN_PER_ARM, UpliftError, expand, fit_two_model, incremental_at, qini_coefficient,
                                      qini_curve)
from devstack.seed.uplift_world import FEATURES, clinic


def test_the_qini_curve_counts_extra_revisits_among_the_top_k():
    # by score: t1 (revisit), c1 (none), t2 (none), c2 (revisit), t3 (revisit), c3 (none)
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    reminded = [True, False, True, False, True, False]
    revisited = [1, 0, 0, 1, 1, 0]
    curve = qini_curve(scores, reminded, revisited)
    # k=1: one reminded revisit, no held-out yet; k=2: 1 - 0*1/1; k=3: 1 - 0*2/1; k=4: 1 - 1*2/2;
    # k=5: 2 - 1*3/2; k=6: 2 - 1*3/3
    assert curve == [0.0, 1.0, 1.0, 1.0, 0.0, 0.5, 1.0]
    # the area above random targeting's line (0, 1/6, ..., 1), per patient, per patient listed
    line = [k / 6 for k in range(7)]
    assert qini_coefficient(scores, reminded, revisited) == pytest.approx(sum(q - r for q, r in zip(curve, line)) / 36)
    assert incremental_at(scores, reminded, revisited, 0.5) == pytest.approx(1.0 / 6)


def test_ranking_by_the_true_effect_beats_chance_and_backwards_loses():
    patients = clinic(4000, seed=5)
    reminded, revisited = [p.reminded for p in patients], [p.revisited for p in patients]
    truth = [p.true_uplift for p in patients]
    assert qini_coefficient(truth, reminded, revisited) > 0.004
    assert qini_coefficient([-u for u in truth], reminded, revisited) < -0.004


def test_the_two_model_learner_finds_the_planted_effects_better_than_lapse_risk():
    patients = clinic(16000, seed=13)
    train, test = patients[::2], patients[1::2]
    model = fit_two_model([p.x for p in train], [p.reminded for p in train], [p.revisited for p in train], FEATURES)
    reminded, revisited = [p.reminded for p in test], [p.revisited for p in test]
    predicted = [model.uplift(p.x) for p in test]
    by_model = qini_coefficient(predicted, reminded, revisited)
    by_risk = qini_coefficient([p.risk for p in test], reminded, revisited)
    assert by_model > 0.005 and by_model > by_risk + 0.01
    # the patients it ranks first are those the planted reminder moves most
    top = sorted(range(len(test)), key=lambda i: -predicted[i])[:len(test) // 10]
    mean_true = sum(p.true_uplift for p in test) / len(test)
    assert sum(test[i].true_uplift for i in top) / len(top) > 2.5 * mean_true
    assert all(-1.0 <= u <= 1.0 for u in predicted)


def test_too_few_examples_or_one_outcome_give_no_model():
    patients = clinic(3000, seed=2)
    rows, reminded, revisited = [p.x for p in patients], [p.reminded for p in patients], [p.revisited for p in patients]
    few = [i for i, r in enumerate(reminded) if r][:MIN_PER_ARM - 1] + [i for i, r in enumerate(reminded) if not r]
    with pytest.raises(UpliftError, match="reminded"):
        fit_two_model([rows[i] for i in few], [reminded[i] for i in few], [revisited[i] for i in few], FEATURES)
    with pytest.raises(UpliftError, match="same outcome"):
        fit_two_model(rows, reminded, [0] * len(rows), FEATURES)
    with pytest.raises(UpliftError, match="length"):
        fit_two_model(rows, reminded[:-1], revisited, FEATURES)
    assert expand([2.0, 3.0]) == [2.0, 3.0, 4.0, 9.0]
