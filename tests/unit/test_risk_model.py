"""The lapse-risk domain: features as of a cut-off, the label, Newton logistic regression, AUC,
top factors, and drop-out curves with the suggested recall day (no AWS)."""

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
    assert f["days_since_visit"] == (date(2026, 5, 1) - date(2026, 1, 10)).days
    assert f["days_overdue"] == (date(2026, 5, 1) - date(2026, 3, 1)).days
    assert f["checkin_days_90"] == 4 and f["best_streak_90"] == 3
    assert f["shares_90"] == 1 and f["inbox_reads_90"] == 1
    assert f["calls_reached_180"] == 1 and f["calls_declined_180"] == 1
    # never visited: days since registration; not overdue
    fresh = risk.History("p2", registered=date(2026, 4, 1))
    assert risk.base_features(fresh, date(2026, 5, 1))["days_since_visit"] == 30
    assert risk.base_features(fresh, date(2026, 5, 1))["days_overdue"] == 0


def test_label_and_eligibility():
    h = risk.History("p", registered=date(2025, 1, 1), visits=[(date(2025, 2, 1), None), (date(2025, 9, 1), None)])
    cutoff = date(2025, 3, 6)
    assert risk.eligible(h, cutoff)
    assert not risk.lapsed(h, cutoff)  # came back on day 179
    assert risk.lapsed(h, date(2025, 3, 5))  # 2025-09-01 is day 180: outside the horizon
    assert not risk.eligible(h, date(2025, 2, 1))  # no visit before it
    assert risk.cutoffs(TODAY) == [TODAY - timedelta(days=180), TODAY - timedelta(days=240),
                                   TODAY - timedelta(days=300)]


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
    assert result.auc > 0.8 and result.holdout_examples > 0
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
    rows = risk.coefficient_rows(result.model)
    assert abs(rows[0]["coefficient"]) >= abs(rows[-1]["coefficient"]) and rows[0]["label_en"]


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
