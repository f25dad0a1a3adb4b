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


# -- training as the daily run does it (domain.uplift.train) ---------------------------------------

from datetime import time as wall  # noqa: E402

from chalicelib.domain import uplift  # noqa: E402
from chalicelib.domain.rules import RecallRule, RuleError, validate_rule  # noqa: E402


def _examples(patients, with_risk=True):
    return [uplift.Example(f"p{i}", p.x, p.reminded, p.revisited, p.risk if with_risk else None)
            for i, p in enumerate(patients)]


def test_training_splits_by_patient_and_recovers_who_responds():
    patients = clinic(12000, seed=21)
    result = uplift.train(_examples(patients), FEATURES)
    assert result.reason is None and result.model is not None
    counts = result.counts
    assert counts["fit"] + counts["evaluate"] == counts["examples"] == 12000
    assert 0.25 < counts["evaluate"] / counts["examples"] < 0.35  # the evaluation share, by patient hash
    assert counts["reminded"] + counts["held_out"] == 12000
    ev = result.evaluation
    assert ev["examples"] == counts["evaluate"]
    # judged on patients it never saw: better than a random order and than ranking by lapse risk
    assert ev["qini"] > 0.004 and ev["qini"] > ev["qini_risk"] + 0.005 and ev["qini"] > ev["qini_random"] + 0.004
    assert ev["top_extra"] > ev["top_extra_risk"] and ev["top_share"] == uplift.TOP_SHARE
    # the patients it ranks first are those the planted reminder moves most; those it ranks last
    # (the long lapsed, the frequent visitors) it moves least
    ranked = sorted(patients, key=lambda p: -result.model.uplift(p.x))
    tenth = len(ranked) // 10
    mean = sum(p.true_uplift for p in patients) / len(patients)
    assert sum(p.true_uplift for p in ranked[:tenth]) / tenth > 2.5 * mean
    assert sum(p.true_uplift for p in ranked[-tenth:]) / tenth < 0.5 * mean
    # the stored form gives the same predictions
    again = uplift.UpliftModel.from_dict(result.model.as_dict())
    assert all(again.uplift(p.x) == pytest.approx(result.model.uplift(p.x)) for p in patients[:50])


def test_training_without_risk_scores_has_no_risk_comparison():
    result = uplift.train(_examples(clinic(3000, seed=4), with_risk=False), FEATURES)
    assert result.model is not None and result.evaluation["qini_risk"] is None
    assert result.evaluation["qini"] is not None


def test_too_little_data_gives_no_model_with_the_reason():
    patients = clinic(3000, seed=8)
    assert uplift.train(_examples(patients[:120]), FEATURES).reason == "too_few_examples"
    assert uplift.train([], FEATURES).reason == "too_few_examples"
    flat = [e._replace(revisited=0) for e in _examples(patients)]
    assert uplift.train(flat, FEATURES).reason == "one_outcome"
    # enough to fit, but the held-out part has too few of the held-out group to judge by
    examples = _examples(patients)
    fitting = [e for e in examples if not uplift.in_evaluation(e.patient_id)]
    judged = [e for e in examples if uplift.in_evaluation(e.patient_id)]
    few = fitting + [e for e in judged if e.reminded] + [e for e in judged if not e.reminded][:uplift.MIN_EVALUATE_PER_ARM - 1]
    result = uplift.train(few, FEATURES)
    assert result.model is None and result.reason == "too_few_to_evaluate" and result.counts["evaluate"] > 0


def test_the_threshold_leaves_out_at_or_below_it_and_no_score_falls_back_to_sending():
    assert uplift.withheld(0.0) and uplift.withheld(-0.03)
    assert not uplift.withheld(0.0001)
    assert uplift.withheld(0.04, 0.05) and uplift.withheld(0.05, 0.05) and not uplift.withheld(0.06, 0.05)
    assert not uplift.withheld(-0.2, -0.3)
    assert not uplift.withheld(None) and not uplift.withheld(None, 0.5)  # no model or no consent: sent


def _rule(**changes):
    rule = RecallRule("promo", "eczema", "remission", 30, wall(10, 0), "{nickname}您好", purpose="marketing",
                      offsets=(30,))
    return rule._replace(**changes)


def test_only_a_marketing_rule_targets_by_uplift_and_the_threshold_is_a_probability_change():
    assert validate_rule(_rule(targeting="uplift"), ["eczema"]).targeting == "uplift"
    assert validate_rule(_rule(), ["eczema"]).targeting == "all"
    for changes, code in (({"targeting": "uplift", "purpose": "service"}, "uplift_needs_marketing"),
                          ({"targeting": "risk"}, "unknown_targeting"),
                          ({"targeting": "uplift", "uplift_threshold": 1.5}, "invalid_uplift_threshold"),
                          ({"targeting": "uplift", "uplift_threshold": -1.01}, "invalid_uplift_threshold")):
        with pytest.raises(RuleError) as err:
            validate_rule(_rule(**changes), ["eczema"])
        assert err.value.code == code
    assert validate_rule(_rule(targeting="uplift", uplift_threshold=0.02), ["eczema"]).uplift_threshold == 0.02
