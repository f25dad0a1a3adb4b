"""The lapse-risk domain: features as of a cut-off, the label, Newton logistic regression, Platt
calibration, AUC, Brier score and calibration by decile, top factors and the model card's words,
and drop-out curves with the suggested recall day (no AWS)."""

import math
import random
from datetime import date, timedelta

import pytest

from chalicelib.domain import risk

TODAY = date(2026, 11, 20)


def test_features_use_only_events_before_the_cut_off():
    h = risk.History("p1", registered=date(2025, 1, 1), conditions=("dental",), district="静安区",
                     visits=[(date(2025, 3, 1), date(2025, 9, 1)), (date(2026, 1, 10), date(2026, 3, 1)),
                             (date(2026, 6, 1), None)],
                     checkins=[date(2026, 4, 1), date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 10),
                               date(2026, 5, 2)],
                     shares=[date(2026, 4, 5)], inbox_reads=[date(2025, 12, 1), date(2026, 4, 20)],
                     calls=[(date(2026, 4, 1), "reached"), (date(2026, 4, 8), "wrong_number"),
                            (date(2026, 5, 5), "booked")])
    f = risk.base_features(h, date(2026, 5, 1))
    assert f["visits_365"] == 1  # the 2025-03-01 visit is older than a year, the June one is after
    assert risk.days_since_visit(h, date(2026, 5, 1)) == (date(2026, 5, 1) - date(2026, 1, 10)).days
    assert f["days_overdue"] == (date(2026, 5, 1) - date(2026, 3, 1)).days and f["days_to_due"] == 0
    assert f["checkin_days_90"] == 4
    assert f["shares_90"] == 1 and f["inbox_reads_90"] == 1
    assert f["calls_reached_180"] == 1 and f["calls_declined_180"] == 1
    # before the revisit date: days still to go, not overdue
    early = risk.base_features(h, date(2026, 2, 1))
    assert early["days_to_due"] == (date(2026, 3, 1) - date(2026, 2, 1)).days and early["days_overdue"] == 0
    # no revisit date asked for: due at the visit itself
    assert risk.base_features(h, date(2026, 6, 11))["days_overdue"] == 10
    # never visited: days since registration, nothing to go
    fresh = risk.History("p2", registered=date(2026, 4, 1))
    assert risk.days_since_visit(fresh, date(2026, 5, 1)) == 30
    assert risk.base_features(fresh, date(2026, 5, 1))["days_overdue"] == 30
    assert risk.base_features(fresh, date(2026, 5, 1))["days_to_due"] == 0


def test_label_and_eligibility():
    h = risk.History("p", registered=date(2025, 1, 1), visits=[(date(2025, 2, 1), None), (date(2025, 9, 1), None)])
    cutoff = date(2025, 3, 6)
    assert risk.eligible(h, cutoff)
    assert not risk.lapsed(h, cutoff)  # came back on day 179
    assert risk.lapsed(h, date(2025, 3, 5))  # 2025-09-01 is day 180: outside the horizon
    assert not risk.eligible(h, date(2025, 2, 1))  # no visit before it
    assert risk.cutoffs(TODAY) == [TODAY - timedelta(days=180), TODAY - timedelta(days=240),
                                   TODAY - timedelta(days=300)]
    # asked back in a year: not expected within the horizon, so neither an example nor scored
    yearly = risk.History("y", registered=date(2025, 1, 1), visits=[(date(2025, 2, 1), date(2026, 2, 1))])
    assert not risk.due_within(yearly, date(2025, 3, 1)) and not risk.eligible(yearly, date(2025, 3, 1))
    assert risk.due_within(yearly, date(2025, 8, 6)) and risk.eligible(yearly, date(2025, 8, 6))


def test_auc_counts_ties_half_and_needs_two_classes():
    assert risk.auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert risk.auc([0.5, 0.5], [0, 1]) == pytest.approx(0.5)
    assert risk.auc([0.2, 0.9], [1, 1]) is None


def test_newton_fit_recovers_a_planted_coefficient_and_is_deterministic():
    rng = random.Random(7)
    rows, labels = [], []
    for _ in range(800):
        a, b = rng.gauss(0, 1), rng.gauss(5, 2)
        p = 1 / (1 + math.exp(-(0.5 + 2.0 * a)))
        rows.append([a, b])
        labels.append(1 if rng.random() < p else 0)
    model = risk.fit(rows, labels, ["a", "b"], l2=0.01)
    scale_a = model.scales[0]
    assert model.coefficients[0] / scale_a == pytest.approx(2.0, abs=0.35)
    assert abs(model.coefficients[1]) < 0.2
    again = risk.fit(rows, labels, ["a", "b"], l2=0.01)
    assert again.as_dict() == model.as_dict()
    assert risk.Model.from_dict(model.as_dict()).score([1.0, 5.0]) == pytest.approx(model.score([1.0, 5.0]))
    # stronger L2 shrinks the coefficient
    assert abs(risk.fit(rows, labels, ["a", "b"], l2=500).coefficients[0]) < abs(model.coefficients[0])


def test_a_value_past_the_training_range_is_read_as_the_edge():
    rng = random.Random(5)
    rows = [[float(rng.randint(0, 100))] for _ in range(400)]
    labels = [1 if rng.random() < r[0] / 100 else 0 for r in rows]
    model = risk.fit(rows, labels, ["days_overdue"], root=True)
    assert model.lower == [0.0] and model.upper == [100.0]
    assert model.score([5000.0]) == model.score([100.0]) < 0.99
    assert model.score([-50.0]) == model.score([0.0]) > 0.01


def test_platt_scaling_maps_log_odds_to_observed_rates():
    rng = random.Random(9)
    scores, labels = [], []
    for _ in range(6000):
        s = rng.uniform(-8, 8)  # an over-confident score: the truth is half as steep, shifted down
        scores.append(s)
        labels.append(1 if rng.random() < 1 / (1 + math.exp(-(0.5 * s - 1.0))) else 0)
    slope, offset = risk.platt(scores, labels)
    assert slope == pytest.approx(0.5, abs=0.05) and offset == pytest.approx(-1.0, abs=0.12)
    # scores that rank the held-out patients backwards carry no information: everyone gets the rate
    slope, offset = risk.platt([-s for s in scores], labels)
    assert slope == 0.0
    assert 1 / (1 + math.exp(-offset)) == pytest.approx(sum(labels) / len(labels), abs=0.01)


def _clinic(n: int, seed: int = 3):
    """Loyal patients check in and keep coming; the others stop after a visit or two."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        loyal = rng.random() < 0.5
        reg = TODAY - timedelta(days=rng.randint(400, 700))
        h = risk.History(f"p{i}", registered=reg, conditions=(rng.choice(("dental", "eczema")),),
                         district=rng.choice(("A", "B")))
        day = reg + timedelta(days=3)
        while day < TODAY:
            h.visits.append((day, day + timedelta(days=60)))
            if not loyal and rng.random() < 0.5:
                break
            day += timedelta(days=rng.randint(40, 80))
        if loyal:
            h.checkins = [reg + timedelta(days=d) for d in range(0, (TODAY - reg).days, 2)]
        out.append(h)
    return out


def test_train_beats_chance_and_says_why_when_it_cannot():
    result = risk.train(_clinic(300), TODAY)
    assert result.model is not None and result.reason is None
    assert result.examples >= 50 and 0 < result.lapsed < result.examples
    assert result.auc > 0.8 and result.evaluate_examples > 0
    assert result.model.features[:len(risk.BASE_FEATURES)] == list(risk.BASE_FEATURES)
    assert "condition:dental" in result.model.features and "district:A" in result.model.features
    few = risk.train(_clinic(10), TODAY)
    assert few.model is None and few.reason == "too_few_examples"
    loyal_only = [h for h in _clinic(400) if h.checkins]
    for h in loyal_only:  # everyone comes back within the horizon
        h.visits = [(d, None) for d in (h.registered + timedelta(days=k) for k in range(1, 700, 30)) if d < TODAY]
    one = risk.train(loyal_only, TODAY)
    assert one.model is None and one.reason == "one_class"


def test_top_factors_name_the_direction_in_words():
    result = risk.train(_clinic(300), TODAY)
    h = risk.History("x", registered=TODAY - timedelta(days=500), conditions=("dental",),
                     visits=[(TODAY - timedelta(days=300), TODAY - timedelta(days=240))])
    factors = risk.top_factors(result.model, result.space.row(h, TODAY))
    assert 1 <= len(factors) <= 3
    assert {"feature", "label_zh", "label_en", "direction", "value", "weight"} <= set(factors[0])
    assert all(f["direction"] in ("raises", "lowers") for f in factors)
    assert factors[0]["direction"] == "raises"  # long ago, never checks in: risk is up
    # days past and days until the revisit date are one factor: an overdue patient is shown the first
    recency = [f for f in factors if f["feature"] in ("days_overdue", "days_to_due")]
    assert [(f["feature"], f["value"], f["direction"]) for f in recency] == [("days_overdue", 240, "raises")]
    rows = risk.coefficient_rows(result.model)
    assert abs(rows[0]["coefficient"]) >= abs(rows[-1]["coefficient"]) and rows[0]["label_en"]


def test_a_condition_the_patient_does_not_have_is_not_one_of_their_factors():
    """Eczema patients lapse far more often; that is no reason to give staff about a dental patient."""
    rng = random.Random(17)
    rows, labels = [], []
    for _ in range(1000):
        eczema = rng.random() < 0.5
        overdue = rng.uniform(0, 100)
        rows.append([overdue, 1.0 if eczema else 0.0, 0.0 if eczema else 1.0])
        labels.append(1 if rng.random() < 1 / (1 + math.exp(-(-1 + overdue / 50 + (2.5 if eczema else -2.5)))) else 0)
    model = risk.fit(rows, labels, ["days_overdue", "condition:eczema", "condition:dental"])
    dental = risk.top_factors(model, [50.0, 0.0, 1.0])
    assert [f["feature"] for f in dental] == ["condition:dental", "days_overdue"]
    assert dental[0]["direction"] == "lowers" and dental[0]["label_zh"] == "病种：口腔"
    eczema = risk.top_factors(model, [50.0, 1.0, 0.0])
    assert eczema[0]["feature"] == "condition:eczema" and eczema[0]["direction"] == "raises"


def _lapsing_clinic(n: int, seed: int):
    """A clinic whose patients each have a hidden loyalty: it sets the chance of coming back after
    a visit (a patient who does not come back is gone) and how often they check in meanwhile."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        loyalty = rng.gauss(0, 1)
        condition, cadence = rng.choice((("dental", 120), ("eczema", 40), ("diabetes", 90)))
        p_return = 1 / (1 + math.exp(-(1.3 + 1.2 * loyalty)))
        reg = TODAY - timedelta(days=rng.randint(200, 720))
        h = risk.History(f"c{seed}-{i}", registered=reg, conditions=(condition,), district=rng.choice("ABC"))
        day = last = reg + timedelta(days=rng.randint(0, 10))
        while day < TODAY:
            h.visits.append((day, day + timedelta(days=cadence)))
            last = day
            if rng.random() > p_return:
                break
            day += timedelta(days=max(7, int(cadence * rng.uniform(0.8, 1.6))))
        rate = 0.5 / (1 + math.exp(-(-1.2 + 1.5 * loyalty)))
        span = (min(TODAY, last + timedelta(days=rng.randint(20, 120))) - reg).days
        h.checkins = [reg + timedelta(days=d) for d in range(span) if rng.random() < rate]
        out.append(h)
    return out


def _deciles(probabilities, labels):
    order = sorted(range(len(labels)), key=lambda i: probabilities[i])
    n = len(order)
    parts = [order[g * n // 10:(g + 1) * n // 10] for g in range(10)]
    return [(sum(probabilities[i] for i in p) / len(p), sum(labels[i] for i in p) / len(p)) for p in parts]


def test_scores_are_calibrated_probabilities_never_certainties():
    """Trained on one clinic, scored on a second from the same world that neither fitting nor
    calibration saw: each decile's mean score is close to its observed lapse rate, and nobody
    today gets a score of 1 or 0 (patients long gone included)."""
    trained = risk.train(_lapsing_clinic(1500, seed=21), TODAY)
    model, space = trained.model, trained.space
    check = risk.examples(_lapsing_clinic(4000, seed=22), space, risk.cutoffs(TODAY))
    labels = [e.y for e in check]
    probabilities = [model.score(e.x) for e in check]
    gaps = [abs(predicted - observed) for predicted, observed in _deciles(probabilities, labels)]
    assert max(gaps) <= 0.06, gaps
    rate = sum(labels) / len(labels)
    assert risk.brier(probabilities, labels) < 0.6 * sum((rate - y) ** 2 for y in labels) / len(labels)
    today = [round(model.score(space.row(h, TODAY)), 4) for h in _lapsing_clinic(1500, seed=21)]
    assert all(0 < s < 1 for s in today), (min(today), max(today))
    assert len(set(today)) > 100  # a spread of probabilities, not a wall of 100%


def test_evaluation_reports_brier_deciles_and_lift_on_patients_it_did_not_learn_from():
    trained = risk.train(_lapsing_clinic(1500, seed=21), TODAY)
    ev = trained.evaluation
    assert trained.fit_examples and trained.calibrate_examples and trained.evaluate_examples == ev.examples
    assert ev.examples + trained.fit_examples + trained.calibrate_examples == trained.examples
    assert 0 < ev.base_rate < 1 and ev.brier < ev.base_rate_brier
    assert [row["decile"] for row in ev.calibration] == list(range(1, 11))
    assert sum(row["count"] for row in ev.calibration) == ev.examples
    assert ev.calibration[-1]["observed"] > ev.calibration[0]["observed"]
    assert ev.top_decile_lift == pytest.approx(ev.calibration[-1]["observed"] / ev.base_rate)
    assert ev.auc > ev.baseline_auc
    card = ev.as_dict()
    assert {"brier", "base_rate", "base_rate_brier", "max_gap", "top_decile_lift", "calibration"} <= set(card)
    # the stored model is the one evaluated, calibration included
    again = risk.Model.from_dict(trained.model.as_dict())
    x = trained.space.row(_lapsing_clinic(1, seed=4)[0], TODAY)
    assert again.score(x) == trained.model.score(x) and again.slope == trained.model.slope


def test_the_model_card_says_what_each_factor_does_and_recency_raises_risk():
    trained = risk.train(_lapsing_clinic(1500, seed=21), TODAY)
    rows = {r["feature"]: r for r in risk.coefficient_rows(trained.model)}
    recency = rows["days_overdue"]
    assert recency["used"] and recency["direction"] == "raises"
    assert recency["effect_zh"] == "超过约定复诊日越久，流失风险越高"
    assert rows["checkin_days_90"]["effect_zh"] == "近90天打卡天数越多，流失风险越低"
    # days since the last visit is no column of its own: with days overdue it flipped sign
    assert "days_since_visit" not in rows
    for name, row in rows.items():
        expected = risk.expected_direction(name)
        if row["used"] and expected:
            assert row["direction"] == expected, name


def test_a_factor_whose_fitted_sign_defies_common_sense_is_left_out():
    """More visits in the last year lowers risk; a fit saying otherwise (here planted) is not shown."""
    rng = random.Random(13)
    rows, labels = [], []
    for _ in range(1500):
        overdue, visits = rng.uniform(0, 200), float(rng.randint(0, 6))
        rows.append([visits, overdue])
        labels.append(1 if rng.random() < 1 / (1 + math.exp(-(-2 + overdue / 50 + 0.6 * visits))) else 0)
    model = risk.fit_sensible(rows, labels, ["visits_365", "days_overdue"])
    assert model.dropped == ["visits_365"] and model.coefficients[0] == 0.0 and model.coefficients[1] > 0
    card = {r["feature"]: r for r in risk.coefficient_rows(model)}
    assert not card["visits_365"]["used"] and card["visits_365"]["direction"] is None
    assert "未使用" in card["visits_365"]["effect_zh"]
    assert risk.Model.from_dict(model.as_dict()).dropped == ["visits_365"]


def test_a_model_stored_before_calibration_still_scores_and_reads_in_words():
    stored = {"features": ["visits_365", "days_since_visit", "days_overdue", "best_streak_90"],
              "means": [1.5, 90.0, 15.0, 0.1], "scales": [1.2, 80.0, 45.0, 0.3],
              "coefficients": [-0.3, -0.55, 1.6, -0.04], "intercept": 0.1}
    model = risk.Model.from_dict(stored)
    assert model.slope == 1.0 and model.lower is None and not model.root
    assert model.score([1.5, 90.0, 15.0, 0.1]) == pytest.approx(1 / (1 + math.exp(-0.1)))
    rows = {r["feature"]: r for r in risk.coefficient_rows(model)}
    assert rows["days_since_visit"]["label_zh"] == "距上次就诊天数"
    assert rows["best_streak_90"]["effect_zh"] == "近90天连续打卡越长，流失风险越低"


def test_return_curve_honours_censoring():
    # two returned on day 10; two censored on day 5 (still out there); one returned on day 20
    curve = risk.return_curve([(10, True), (10, True), (5, False), (5, False), (20, True)], max_days=30)
    assert curve[9] == 0
    assert curve[10] == pytest.approx(2 / 3, abs=1e-4)  # 3 at risk after the censoring on day 5
    assert curve[20] == pytest.approx(1.0)
    assert risk.dropout_day(curve) == 20


def test_eczema_shaped_history_drops_out_about_day_45_and_recalls_on_day_30():
    """Eczema patients come back between two and seven weeks after a visit, or not at all (S5)."""
    rng = random.Random(11)
    histories = []
    for i in range(200):
        first = TODAY - timedelta(days=rng.randint(200, 500))
        visits = [first]
        while visits[-1] < TODAY - timedelta(days=60) and rng.random() < 0.6:
            visits.append(visits[-1] + timedelta(days=rng.randint(14, 48)))
        histories.append(risk.History(f"e{i}", registered=first, conditions=("eczema",),
                                      visits=[(d, None) for d in visits]))
    curves = risk.dropout_curves(histories, TODAY)
    eczema = curves["eczema"]
    assert eczema["enough_data"] and 42 <= eczema["dropout_day"] <= 48
    assert 28 <= eczema["suggested_recall_day"] <= 32
    assert eczema["returned_by_day_30"] < eczema["returned_ever"]
    assert len(eczema["curve"]) == risk.CURVE_DAYS + 1
    assert risk.recall_offset(45) == 30
