"""The lapse-risk model: features from a patient's history, L2-regularised logistic regression
(Newton's method) calibrated on held-out patients (Platt scaling), its evaluation (AUC, Brier
score, calibration by decile), factors in staff's words, and drop-out curves per condition.

Pure Python, deterministic, no AWS: the training job and the benchmark both call these.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

HORIZON_DAYS = 180  # lapsed = no visit within six months after the cut-off (S2's six-month revisit rate)
CUTOFF_STEP_DAYS = 60
CUTOFFS = 3  # training cut-offs at today - 180, - 240, - 300 days
MIN_EXAMPLES = 50
MIN_CLASS = 5  # each class needs at least this many examples
# Patients split by a hash of their id: the model learns from "fit", Platt scaling from
# "calibrate", and the figures on the model card come from "evaluate" (used for nothing else).
EVALUATE_SHARE = 0.25
CALIBRATE_SHARE = 0.25
L2 = 1.0
MAX_DAYS = 730
MAX_DISTRICTS = 8
DISTRICT_MIN_SHARE = 0.05
DECILES = 10

REACHED = ("reached", "booked")
DECLINED = ("declined", "wrong_number")

RAISES, LOWERS = "raises", "lowers"


class Feature(NamedTuple):
    """How staff read a column: its name, and "the more of it ..." for the sentence on its effect.
    `expected` is the direction common sense gives it; a fit that says otherwise leaves it out."""

    zh: str
    en: str
    more_zh: str
    more_en: str
    expected: str | None = None


BASE_FEATURES: dict[str, Feature] = {
    "visits_365": Feature("近一年就诊次数", "visits in the last year", "近一年就诊次数越多",
                          "The more visits in the last year", LOWERS),
    "days_overdue": Feature("超过约定复诊日的天数", "days past the requested revisit date", "超过约定复诊日越久",
                            "The longer past the requested revisit date", RAISES),
    "days_to_due": Feature("距约定复诊日还有的天数", "days until the requested revisit date",
                           "约定复诊日越靠后（尚未到期）", "The later the requested revisit date (not yet due)", RAISES),
    "checkin_days_90": Feature("近90天打卡天数", "check-in days in the last 90 days", "近90天打卡天数越多",
                               "The more check-in days in the last 90 days", LOWERS),
    "shares_90": Feature("近90天分享次数", "shares in the last 90 days", "近90天分享越多",
                         "The more shares in the last 90 days", LOWERS),
    "inbox_reads_90": Feature("近90天阅读消息数", "messages read in the last 90 days", "近90天阅读消息越多",
                              "The more messages read in the last 90 days", LOWERS),
    "calls_reached_180": Feature("近半年随访接通次数", "follow-up calls reached in the last 180 days",
                                 "近半年随访接通越多", "The more follow-up calls reached in the last 180 days", LOWERS),
    "calls_declined_180": Feature("近半年随访拒绝/空号次数", "follow-up calls declined or wrong number, last 180 days",
                                  "近半年随访被拒绝或空号越多",
                                  "The more follow-up calls declined or to a wrong number in the last 180 days",
                                  RAISES),
}
# Columns of models stored before the calibrated model, so their cards still read in words.
RETIRED_FEATURES: dict[str, Feature] = {
    "days_since_visit": Feature("距上次就诊天数", "days since the last visit", "距上次就诊越久",
                                "The longer since the last visit"),
    "best_streak_90": Feature("近90天最长连续打卡", "longest check-in streak in the last 90 days",
                              "近90天连续打卡越长", "The longer the check-in streak in the last 90 days"),
}
CONDITION_NAMES = {
    "eczema": ("湿疹", "eczema"), "diabetes": ("糖尿病", "diabetes"), "postpartum": ("产后", "postpartum"),
    "dental": ("口腔", "dental"), "health_check": ("体检", "health check"), "hypertension": ("高血压", "hypertension"),
}


@dataclass
class History:
    """What a patient did, as clinic-local days (visit requests carry the day asked for)."""

    patient_id: str
    registered: date
    conditions: tuple[str, ...] = ()
    district: str | None = None
    visits: list[tuple[date, date | None]] = field(default_factory=list)  # (visit day, requested next day)
    checkins: list[date] = field(default_factory=list)
    shares: list[date] = field(default_factory=list)
    inbox_reads: list[date] = field(default_factory=list)
    calls: list[tuple[date, str]] = field(default_factory=list)  # (day, outcome)


# -- features -------------------------------------------------------------------------------------


def _within(days: Iterable[date], as_of: date, span: int) -> list[date]:
    start = as_of - timedelta(days=span)
    return [d for d in days if start <= d < as_of]


def revisit_date(h: History, as_of: date) -> date:
    """The day the patient is next expected: the revisit date asked for at the last visit before
    `as_of`, the visit day itself when none was asked for, or the registration day if no visit."""
    past = [v for v in h.visits if v[0] < as_of]
    if not past:
        return h.registered
    day, requested = sorted(past, key=lambda v: v[0])[-1]
    return requested or day


def due_within(h: History, as_of: date, horizon: int = HORIZON_DAYS) -> bool:
    """Whether the question "will they visit in the next `horizon` days" is a fair one: the patient
    is expected back before its end. A patient asked back in a year would "lapse" by definition."""
    return revisit_date(h, as_of) < as_of + timedelta(days=horizon)


def days_since_visit(h: History, as_of: date) -> int:
    """Days since the last visit before `as_of` (since registration if none), capped: the recency baseline."""
    past = [v[0] for v in h.visits if v[0] < as_of]
    return min(max((as_of - (max(past) if past else h.registered)).days, 0), MAX_DAYS)


def base_features(h: History, as_of: date) -> dict[str, float]:
    """Features as of the start of `as_of`, from events strictly before it.

    Recency is one clock read two ways around the revisit date asked for at the last visit:
    days past it, or days still to go (one of the two is 0). Without a requested date the
    patient counts as due at the visit itself (or at registration, never having visited).
    """
    past = [v for v in h.visits if v[0] < as_of]
    past_due = max(-MAX_DAYS, min((as_of - revisit_date(h, as_of)).days, MAX_DAYS))
    checkins = _within(h.checkins, as_of, 90)
    calls = [(d, o) for d, o in h.calls if as_of - timedelta(days=180) <= d < as_of]
    return {
        "visits_365": float(len(_within([v[0] for v in past], as_of, 365))),
        "days_overdue": float(max(past_due, 0)),
        "days_to_due": float(max(-past_due, 0)),
        "checkin_days_90": float(len(set(checkins))),
        "shares_90": float(len(_within(h.shares, as_of, 90))),
        "inbox_reads_90": float(len(_within(h.inbox_reads, as_of, 90))),
        "calls_reached_180": float(sum(1 for _, o in calls if o in REACHED)),
        "calls_declined_180": float(sum(1 for _, o in calls if o in DECLINED)),
    }


class FeatureSpace(NamedTuple):
    """The model's columns: the base features, one per condition, one per common district."""

    conditions: tuple[str, ...]
    districts: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return (list(BASE_FEATURES) + [f"condition:{c}" for c in self.conditions]
                + [f"district:{d}" for d in self.districts])

    def row(self, h: History, as_of: date) -> list[float]:
        base = base_features(h, as_of)
        return ([base[name] for name in BASE_FEATURES] + [1.0 if c in h.conditions else 0.0 for c in self.conditions]
                + [1.0 if h.district == d else 0.0 for d in self.districts])

    @classmethod
    def of(cls, histories: list[History]) -> "FeatureSpace":
        conditions = sorted({c for h in histories for c in h.conditions})
        counts: dict[str, int] = {}
        for h in histories:
            if h.district:
                counts[h.district] = counts.get(h.district, 0) + 1
        floor = max(1, math.ceil(DISTRICT_MIN_SHARE * len(histories)))
        common = sorted((d for d, n in counts.items() if n >= floor), key=lambda d: (-counts[d], d))[:MAX_DISTRICTS]
        return cls(tuple(conditions), tuple(sorted(common)))


def describe(name: str) -> tuple[str, str]:
    """(zh, en) words for a feature name."""
    f = BASE_FEATURES.get(name) or RETIRED_FEATURES.get(name)
    if f:
        return f.zh, f.en
    kind, _, value = name.partition(":")
    if kind == "condition":
        zh, en = CONDITION_NAMES.get(value, (value, value))
        return f"病种：{zh}", f"condition: {en}"
    if kind == "district":
        return f"区域：{value}", f"district: {value}"
    return name, name


def effect_text(name: str, direction: str) -> tuple[str, str]:
    """(zh, en) sentence a manager reads for a column's effect, e.g. 超过约定复诊日越久，流失风险越高."""
    up = direction == RAISES
    f = BASE_FEATURES.get(name) or RETIRED_FEATURES.get(name)
    if f:
        return (f"{f.more_zh}，流失风险越{'高' if up else '低'}",
                f"{f.more_en}, the {'higher' if up else 'lower'} the risk of lapsing")
    kind, _, value = name.partition(":")
    if kind == "condition":
        zh, en = CONDITION_NAMES.get(value, (value, value))
        return (f"{zh}患者的流失风险比其他患者{'高' if up else '低'}",
                f"Patients with {en} lapse {'more' if up else 'less'} often than others")
    if kind == "district":
        return (f"住在{value}的患者流失风险比其他区域{'高' if up else '低'}",
                f"Patients living in {value} lapse {'more' if up else 'less'} often than elsewhere")
    return name, name


# -- training examples ----------------------------------------------------------------------------


def cutoffs(today: date, count: int = CUTOFFS, horizon: int = HORIZON_DAYS, step: int = CUTOFF_STEP_DAYS) -> list[date]:
    """Cut-off days whose whole horizon lies in the past, newest first."""
    return [today - timedelta(days=horizon + k * step) for k in range(count)]


def lapsed(h: History, cutoff: date, horizon: int = HORIZON_DAYS) -> bool:
    """The label: no visit on the cut-off day or in the `horizon` days after it."""
    end = cutoff + timedelta(days=horizon)
    return not any(cutoff <= v[0] < end for v in h.visits)


def eligible(h: History, cutoff: date, horizon: int = HORIZON_DAYS) -> bool:
    """A patient is an example at a cut-off if registered before it, with at least one visit before
    it, and expected back before the horizon ends."""
    return (h.registered < cutoff and any(v[0] < cutoff for v in h.visits)
            and due_within(h, cutoff, horizon))


@dataclass
class Example:
    patient_id: str
    cutoff: date
    x: list[float]
    y: int
    recency: int = 0  # days since the last visit: the baseline's score


def examples(histories: list[History], space: FeatureSpace, days: list[date],
             horizon: int = HORIZON_DAYS) -> list[Example]:
    out = []
    for cutoff in days:
        for h in histories:
            if eligible(h, cutoff, horizon):
                out.append(Example(h.patient_id, cutoff, space.row(h, cutoff), int(lapsed(h, cutoff, horizon)),
                                   days_since_visit(h, cutoff)))
    return out


def split_part(patient_id: str) -> str:
    """A fixed split by patient ("fit", "calibrate" or "evaluate"), so one patient's cut-offs never
    sit in two parts."""
    digest = hashlib.sha256(f"risk-holdout:{patient_id}".encode()).digest()
    u = int.from_bytes(digest[:4], "big") / 2**32
    if u < EVALUATE_SHARE:
        return "evaluate"
    return "calibrate" if u < EVALUATE_SHARE + CALIBRATE_SHARE else "fit"


# -- logistic regression --------------------------------------------------------------------------


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve a x = b for a symmetric positive definite a (Gaussian elimination with pivoting)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        p = m[col][col]
        if abs(p) < 1e-12:
            continue
        for r in range(col + 1, n):
            f = m[r][col] / p
            if f:
                row_r, row_c = m[r], m[col]
                for k in range(col, n + 1):
                    row_r[k] -= f * row_c[k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        s = m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))
        x[r] = s / m[r][r] if abs(m[r][r]) >= 1e-12 else 0.0
    return x


@dataclass
class Model:
    """A fitted model. Each column is first held within the range seen in training (`lower` ..
    `upper`: a patient today is never scored by extending a line past the data), then enters as
    its square root (every further day away or check-in matters a little less than the one
    before), standardised. `slope` and `offset` map the log-odds to a probability calibrated on
    held-out patients (Platt scaling), kept within `floor` .. `ceiling`."""

    features: list[str]
    means: list[float]
    scales: list[float]
    coefficients: list[float]  # on standardised columns
    intercept: float
    lower: list[float] | None = None
    upper: list[float] | None = None
    root: bool = False  # columns enter as square roots (models stored before calibration: raw)
    slope: float = 1.0
    offset: float = 0.0
    floor: float = 0.0
    ceiling: float = 1.0
    dropped: list[str] = field(default_factory=list)  # left out: their fitted sign ran against common sense
    iterations: int = 0

    def columns(self, x: list[float]) -> list[float]:
        """The raw row as the model reads it: within the training range, square-rooted."""
        if self.lower is not None and self.upper is not None:
            x = [min(max(v, lo), hi) for v, lo, hi in zip(x, self.lower, self.upper)]
        return [math.sqrt(max(v, 0.0)) for v in x] if self.root else list(x)

    def standardise(self, x: list[float]) -> list[float]:
        return [(v - m) / s for v, m, s in zip(self.columns(x), self.means, self.scales)]

    def log_odds(self, x: list[float]) -> float:
        """The uncalibrated linear score."""
        return self.intercept + sum(c * v for c, v in zip(self.coefficients, self.standardise(x)))

    def score(self, x: list[float]) -> float:
        """The calibrated probability of no visit within the horizon."""
        return min(max(_sigmoid(self.slope * self.log_odds(x) + self.offset), self.floor), self.ceiling)

    def contributions(self, x: list[float]) -> list[tuple[str, float]]:
        """Each feature's push on the calibrated log-odds against an average patient, largest first."""
        parts = [(name, self.slope * c * v)
                 for name, c, v in zip(self.features, self.coefficients, self.standardise(x))]
        return sorted(parts, key=lambda p: (-abs(p[1]), p[0]))

    def as_dict(self) -> dict[str, Any]:
        return {"features": self.features, "means": self.means, "scales": self.scales,
                "coefficients": self.coefficients, "intercept": self.intercept, "lower": self.lower,
                "upper": self.upper, "root": self.root, "slope": self.slope, "offset": self.offset,
                "floor": self.floor, "ceiling": self.ceiling, "dropped": self.dropped}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Model":
        def floats(key: str) -> list[float]:
            return [float(v) for v in data[key]]

        def some_floats(key: str) -> list[float] | None:
            return floats(key) if data.get(key) is not None else None

        return cls([str(f) for f in data["features"]], floats("means"), floats("scales"), floats("coefficients"),
                   float(data["intercept"]), some_floats("lower"), some_floats("upper"), bool(data.get("root", False)),
                   float(data.get("slope", 1.0)), float(data.get("offset", 0.0)), float(data.get("floor", 0.0)),
                   float(data.get("ceiling", 1.0)), [str(f) for f in data.get("dropped") or []])


def fit(rows: list[list[float]], labels: list[int], features: list[str], l2: float = L2,
        max_iterations: int = 25, tolerance: float = 1e-7, leave_out: frozenset[int] = frozenset(),
        root: bool = False) -> Model:
    """Logistic regression by Newton's method on standardised columns (the values' square roots with
    `root`, each held to its training range); the intercept is not penalised. Columns in
    `leave_out` keep a coefficient of 0."""
    n, d = len(rows), len(features)
    lower = [min(r[j] for r in rows) for j in range(d)]
    upper = [max(r[j] for r in rows) for j in range(d)]
    shape = Model(list(features), [], [], [], 0.0, lower, upper, root)
    rows = [shape.columns(r) for r in rows]
    means = [sum(r[j] for r in rows) / n for j in range(d)]
    scales = []
    for j in range(d):
        var = sum((r[j] - means[j]) ** 2 for r in rows) / n
        scales.append(math.sqrt(var) if var > 1e-12 else 1.0)
    used = [j for j in range(d) if j not in leave_out]
    z = [[1.0] + [(r[j] - means[j]) / scales[j] for j in used] for r in rows]
    k = len(used) + 1
    w = [0.0] * k
    done = 0
    for done in range(1, max_iterations + 1):
        grad = [0.0] * k
        hess = [[0.0] * k for _ in range(k)]
        for x, y in zip(z, labels):
            p = _sigmoid(sum(a * b for a, b in zip(w, x)))
            err, weight = p - y, p * (1.0 - p)
            for j in range(k):
                xj = x[j]
                if xj == 0.0:
                    continue
                grad[j] += err * xj
                wx = weight * xj
                row = hess[j]
                for m in range(j, k):
                    row[m] += wx * x[m]
        for j in range(1, k):
            grad[j] += l2 * w[j]
            hess[j][j] += l2
        hess[0][0] += 1e-9
        for j in range(k):
            for m in range(j):
                hess[j][m] = hess[m][j]
        step = _solve(hess, grad)
        w = [a - b for a, b in zip(w, step)]
        if max(abs(s) for s in step) < tolerance:
            break
    coefficients = [0.0] * d
    for j, value in zip(used, w[1:]):
        coefficients[j] = value
    return Model(list(features), means, scales, coefficients, w[0], lower, upper, root, iterations=done)


def expected_direction(name: str) -> str | None:
    f = BASE_FEATURES.get(name)
    return f.expected if f else None


def fit_sensible(rows: list[list[float]], labels: list[int], features: list[str], l2: float = L2) -> Model:
    """Fit, then leave out the column whose coefficient most plainly runs against its expected
    direction (a collinear twin or noise took its place) and fit again, until none does."""
    leave_out: set[int] = set()
    while True:
        model = fit(rows, labels, features, l2, leave_out=frozenset(leave_out), root=True)
        wrong = [(abs(c), j) for j, (name, c) in enumerate(zip(features, model.coefficients))
                 if j not in leave_out and c != 0.0 and expected_direction(name)
                 and (c > 0) != (expected_direction(name) == RAISES)]
        if not wrong:
            model.dropped = [features[j] for j in sorted(leave_out)]
            return model
        leave_out.add(max(wrong)[1])


def platt(log_odds: list[float], labels: list[int], max_iterations: int = 50) -> tuple[float, float]:
    """Platt scaling: (slope, offset) so that sigmoid(slope * s + offset) is calibrated on these
    held-out examples. Targets are Platt's (n+1)/(n+2) for the n lapsed and 1/(m+2) for the m not
    lapsed, not 1 and 0, so a handful of examples never pull the fit to a certainty. A slope below 0 (the scores rank the
    held-out patients backwards) is set to 0: every patient then gets the held-out lapse rate."""
    positives = sum(labels)
    negatives = len(labels) - positives
    high, low = (positives + 1) / (positives + 2), 1 / (negatives + 2)
    targets = [high if y else low for y in labels]

    def loss(a: float, b: float) -> float:
        total = 0.0
        for s, t in zip(log_odds, targets):
            z = a * s + b
            # log(1 + e^z) - t z, written to stay finite for large |z|
            total += (z if z > 0 else 0.0) + math.log1p(math.exp(-abs(z))) - t * z
        return total

    a, b = 1.0, 0.0
    current = loss(a, b)
    for _ in range(max_iterations):
        ga = gb = haa = hab = hbb = 0.0
        for s, t in zip(log_odds, targets):
            p = _sigmoid(a * s + b)
            ga += (p - t) * s
            gb += p - t
            w = p * (1 - p)
            haa += w * s * s
            hab += w * s
            hbb += w
        haa, hbb = haa + 1e-9, hbb + 1e-9
        det = haa * hbb - hab * hab
        if det <= 0:
            break
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        step = 1.0
        while step > 1e-6:
            na, nb = a - step * da, b - step * db
            tried = loss(na, nb)
            if tried <= current:
                break
            step /= 2
        else:
            break
        a, b, moved = na, nb, max(abs(step * da), abs(step * db))
        current = tried
        if moved < 1e-9:
            break
    if a < 0:
        mean = sum(targets) / len(targets)
        a, b = 0.0, math.log(mean / (1 - mean))
    return a, b


def calibrate(model: Model, held: list[Example]) -> Model:
    """Platt scaling on held-out examples, and the bounds they support: with n lapsed and m not
    lapsed among them, no probability beyond (n+1)/(n+2) or below 1/(m+2) (Laplace's rule of
    succession): a few hundred patients cannot show a certainty finer than that."""
    labels = [e.y for e in held]
    model.slope, model.offset = platt([model.log_odds(e.x) for e in held], labels)
    lapsed = sum(labels)
    model.floor, model.ceiling = 1 / (len(labels) - lapsed + 2), (lapsed + 1) / (lapsed + 2)
    return model


# -- evaluation -----------------------------------------------------------------------------------


def auc(scores: list[float], labels: list[int]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None with one class only."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum, i = 0.0, 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        mid = (i + j) / 2 + 1
        rank_sum += sum(mid for k in range(i, j + 1) if labels[order[k]])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def brier(probabilities: list[float], labels: list[int]) -> float:
    """Mean squared gap between the predicted probability and what happened (0 or 1)."""
    return sum((p - y) ** 2 for p, y in zip(probabilities, labels)) / len(labels)


def calibration_table(probabilities: list[float], labels: list[int], groups: int = DECILES) -> list[dict[str, Any]]:
    """Examples sorted by predicted probability and cut into `groups` of (nearly) equal size, lowest
    first: each with its count, mean predicted probability and observed lapse rate."""
    order = sorted(range(len(labels)), key=lambda i: (probabilities[i], i))
    n = len(order)
    rows = []
    for g in range(groups):
        part = order[g * n // groups:(g + 1) * n // groups]
        if not part:
            continue
        rows.append({"decile": g + 1, "count": len(part),
                     "predicted": sum(probabilities[i] for i in part) / len(part),
                     "observed": sum(labels[i] for i in part) / len(part)})
    return rows


@dataclass
class Evaluation:
    """How a calibrated model did on patients it neither learnt from nor was calibrated on."""

    examples: int
    lapsed: int
    base_rate: float  # lapsed share of these examples
    auc: float | None
    baseline_auc: float | None  # days since the last visit alone
    brier: float
    base_rate_brier: float  # predicting the training lapse rate for everyone
    calibration: list[dict[str, Any]]
    max_gap: float  # largest |predicted - observed| over the deciles
    top_decile_lift: float | None  # lapse rate of the highest decile over the base rate

    def as_dict(self, digits: int = 4) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, digits)

        return {"examples": self.examples, "lapsed": self.lapsed, "base_rate": r(self.base_rate),
                "auc": r(self.auc), "baseline_auc": r(self.baseline_auc), "brier": r(self.brier),
                "base_rate_brier": r(self.base_rate_brier), "max_gap": r(self.max_gap),
                "top_decile_lift": r(self.top_decile_lift),
                "calibration": [{"decile": row["decile"], "count": row["count"], "predicted": r(row["predicted"]),
                                 "observed": r(row["observed"])} for row in self.calibration]}


def evaluate(model: Model, held: list[Example], reference_rate: float) -> Evaluation:
    """The model's figures on held-out examples; `reference_rate` is the lapse rate a model-free
    guess would use (the training examples')."""
    labels = [e.y for e in held]
    probabilities = [model.score(e.x) for e in held]
    rate = sum(labels) / len(labels)
    table = calibration_table(probabilities, labels)
    top = table[-1]["observed"] if table else None
    return Evaluation(
        examples=len(held), lapsed=sum(labels), base_rate=rate, auc=auc(probabilities, labels),
        baseline_auc=auc([float(e.recency) for e in held], labels), brier=brier(probabilities, labels),
        base_rate_brier=brier([reference_rate] * len(labels), labels),
        calibration=table, max_gap=max(abs(row["predicted"] - row["observed"]) for row in table),
        top_decile_lift=(top / rate) if top is not None and rate > 0 else None)


# -- one clinic's training run --------------------------------------------------------------------


@dataclass
class Training:
    """What a training run produced: a calibrated model (or why not), its evaluation and counts."""

    model: Model | None
    space: FeatureSpace
    reason: str | None
    examples: int
    fit_examples: int = 0
    calibrate_examples: int = 0
    evaluate_examples: int = 0
    lapsed: int = 0
    fit_rate: float | None = None  # lapse rate of the fit part: the model-free guess
    evaluation: Evaluation | None = None
    cutoffs: list[str] = field(default_factory=list)

    @property
    def auc(self) -> float | None:
        return self.evaluation.auc if self.evaluation else None

    @property
    def baseline_auc(self) -> float | None:
        return self.evaluation.baseline_auc if self.evaluation else None


def _two_classes(rows: list[Example]) -> bool:
    return 0 < sum(e.y for e in rows) < len(rows)


def train(histories: list[History], today: date, l2: float = L2) -> Training:
    """Fit on one part of the patients, calibrate on a second, evaluate on the third."""
    space = FeatureSpace.of(histories)
    days = cutoffs(today)
    rows = examples(histories, space, days)
    positives = sum(e.y for e in rows)
    base = Training(None, space, None, len(rows), lapsed=positives, cutoffs=[d.isoformat() for d in days])
    if len(rows) < MIN_EXAMPLES:
        base.reason = "too_few_examples"
        return base
    if positives < MIN_CLASS or len(rows) - positives < MIN_CLASS:
        base.reason = "one_class"
        return base
    parts: dict[str, list[Example]] = {"fit": [], "calibrate": [], "evaluate": []}
    for e in rows:
        parts[split_part(e.patient_id)].append(e)
    base.fit_examples, base.calibrate_examples, base.evaluate_examples = (len(parts[p]) for p in parts)
    if not all(_two_classes(part) for part in parts.values()):
        base.reason = "one_class"  # too few of one class to give each part of the split both
        return base
    fitted = parts["fit"]
    model = fit_sensible([e.x for e in fitted], [e.y for e in fitted], space.names, l2)
    calibrate(model, parts["calibrate"])
    base.model, base.fit_rate = model, sum(e.y for e in fitted) / len(fitted)
    base.evaluation = evaluate(model, parts["evaluate"], base.fit_rate)
    return base


# days past and days until the revisit date are one clock: a patient's factor is whichever applies
ONE_FACTOR = {"days_to_due": "days_overdue"}


def top_factors(model: Model, x: list[float], count: int = 3) -> list[dict[str, Any]]:
    """The features that move this patient's risk most, with their direction, in staff's words.
    A condition or district the patient does not have is no reason to give staff about them."""
    values = dict(zip(model.features, x))
    pushes: dict[str, float] = {}
    for name, push in model.contributions(x):
        if ":" in name and not values[name]:
            continue
        pushes[ONE_FACTOR.get(name, name)] = pushes.get(ONE_FACTOR.get(name, name), 0.0) + push
    out = []
    for name, push in sorted(pushes.items(), key=lambda p: (-abs(p[1]), p[0]))[:count]:
        if abs(push) < 1e-6:
            continue
        shown = next((twin for twin, main in ONE_FACTOR.items() if main == name and values.get(twin)), name)
        zh, en = describe(shown)
        out.append({"feature": shown, "label_zh": zh, "label_en": en, "value": round(values[shown], 2),
                    "direction": RAISES if push > 0 else LOWERS, "weight": round(push, 3)})
    return out


def coefficient_rows(model: Model) -> list[dict[str, Any]]:
    """The model by feature, largest effect first: calibrated log-odds per standard deviation, the
    direction and a sentence on it; columns left out say so instead."""
    rows = []
    for name, coef, mean, scale in zip(model.features, model.coefficients, model.means, model.scales):
        zh, en = describe(name)
        row = {"feature": name, "label_zh": zh, "label_en": en, "mean": round(mean, 3), "scale": round(scale, 3)}
        if name in model.dropped or coef == 0.0:
            row.update({"coefficient": 0.0, "direction": None, "odds_ratio_per_sd": 1.0, "used": False,
                        "effect_zh": "本次训练未使用：与常识相反，或与其他因素重叠" if name in model.dropped
                        else "本次训练数据里没有变化，不起作用",
                        "effect_en": "not used this time: its effect ran against common sense or overlapped another"
                        if name in model.dropped else "no variation in this training data: no effect"})
        else:
            effect = model.slope * coef
            direction = RAISES if effect > 0 else LOWERS
            text_zh, text_en = effect_text(name, direction)
            row.update({"coefficient": round(effect, 4), "direction": direction,
                        "odds_ratio_per_sd": round(math.exp(effect), 3), "used": True,
                        "effect_zh": text_zh, "effect_en": text_en})
        rows.append(row)
    return sorted(rows, key=lambda r: (not r["used"], -abs(r["coefficient"]), r["feature"]))


# -- drop-out curves ------------------------------------------------------------------------------

CURVE_DAYS = 400
DROPOUT_SHARE = 0.9  # the drop-out day: by then 90% of the returns seen within CURVE_DAYS have happened
RECALL_FRACTION = 2 / 3  # recall at two thirds of the way to the drop-out day (S5: day 30 for day 45)
MIN_GAPS = 20


def return_gaps(h: History, today: date) -> list[tuple[int, bool]]:
    """(days, returned) after each visit: to the next visit, or censored at today."""
    days = sorted({v[0] for v in h.visits if v[0] <= today})
    out = []
    for i, day in enumerate(days):
        if i + 1 < len(days):
            out.append(((days[i + 1] - day).days, True))
        else:
            out.append(((today - day).days, False))
    return out


def return_curve(gaps: list[tuple[int, bool]], max_days: int = CURVE_DAYS) -> list[float]:
    """Kaplan-Meier share of patients back by day d after a visit (d = 0..max_days), censoring honoured."""
    events = [0] * (max_days + 2)
    censored = [0] * (max_days + 2)
    for days, returned in gaps:
        d = min(max(days, 0), max_days + 1)
        if returned and d <= max_days:
            events[d] += 1
        else:
            censored[d] += 1
    at_risk = len(gaps)
    staying = 1.0
    curve = []
    for d in range(max_days + 1):
        if at_risk > 0 and events[d]:
            staying *= 1 - events[d] / at_risk
        curve.append(round(1 - staying, 4))
        at_risk -= events[d] + censored[d]
    return curve


def dropout_day(curve: list[float], share: float = DROPOUT_SHARE) -> int | None:
    final = curve[-1] if curve else 0.0
    if final <= 0:
        return None
    for d, value in enumerate(curve):
        if value >= share * final - 1e-9:
            return d
    return None


def recall_offset(day: int | None, fraction: float = RECALL_FRACTION) -> int | None:
    return max(1, round(day * fraction)) if day else None


def dropout_curves(histories: list[History], today: date, max_days: int = CURVE_DAYS) -> dict[str, dict[str, Any]]:
    """Per condition: the return curve, the drop-out day and the suggested recall offset."""
    gaps: dict[str, list[tuple[int, bool]]] = {}
    patients: dict[str, int] = {}
    for h in histories:
        mine = return_gaps(h, today)
        for condition in h.conditions:
            gaps.setdefault(condition, []).extend(mine)
            patients[condition] = patients.get(condition, 0) + (1 if mine else 0)
    out = {}
    for condition in sorted(gaps):
        observed = gaps[condition]
        curve = return_curve(observed, max_days)
        enough = len(observed) >= MIN_GAPS and sum(1 for _, r in observed if r) > 0
        day = dropout_day(curve) if enough else None
        out[condition] = {
            "patients": patients[condition], "intervals": len(observed),
            "returns": sum(1 for _, r in observed if r), "curve": curve,
            "returned_by_day_30": curve[min(30, max_days)], "returned_by_day_90": curve[min(90, max_days)],
            "returned_ever": curve[-1], "dropout_day": day, "suggested_recall_day": recall_offset(day),
            "enough_data": enough,
        }
    return out


# -- when a model is trained again ------------------------------------------------------------------

TRAIN_EVERY_DAYS = 7  # with a model, a candidate is trained weekly; scoring is daily
TRAIN_SLACK_SECONDS = 3600  # a daily schedule that fires a little early still trains on the seventh day


def training_due(last_run_at: datetime | None, now: datetime, has_model: bool) -> bool:
    """Whether the daily run trains a model (the risk model, the uplift model): every day until the
    clinic has one, then weekly."""
    if not has_model or last_run_at is None:
        return True
    return (now - last_run_at).total_seconds() >= TRAIN_EVERY_DAYS * 86400 - TRAIN_SLACK_SECONDS


# -- when a score goes stale ----------------------------------------------------------------------

# Days past (or still to go to) the revisit date at which a patient is scored again although nothing
# happened: the score moves most in the first weeks and little after months.
RESCORE_DAYS = (1, 3, 7, 14, 21, 30, 45, 60, 75, 90, 120, 150, 180, 240, 300, 365, 450, 540, 630, 730)
WINDOW_STEP_DAYS = 7  # an event leaving a count's window re-scores the patient at most weekly
WINDOWS = (("visits", 365), ("checkins", 90), ("shares", 90), ("inbox_reads", 90), ("calls", 180))


def _window_days(h: History, name: str) -> list[date]:
    if name == "visits":
        return [v[0] for v in h.visits]
    if name == "calls":
        return [d for d, _ in h.calls]
    days: list[date] = getattr(h, name)
    return days


def next_rescore(h: History, today: date) -> date:
    """The next day on which the patient's score should be computed again if nothing happens:
    the horizon reaching their revisit date, days overdue (or days to go) crossing one of
    RESCORE_DAYS, or a counted event leaving its window (at most every WINDOW_STEP_DAYS). Events
    on or after `today` count from the next day on, so that day is a boundary too. Between
    boundaries the score is the one of the last scoring day (docs/risk.md)."""
    due = revisit_date(h, today)
    candidates: list[date] = []
    to_due = (due - today).days
    if not due_within(h, today):
        candidates.append(due - timedelta(days=HORIZON_DAYS - 1))
    elif to_due > 0:
        candidates += [due - timedelta(days=b) for b in RESCORE_DAYS if b < to_due] + [due]
    else:
        overdue = -to_due
        candidates += [due + timedelta(days=b) for b in RESCORE_DAYS if b > overdue]
    step = today + timedelta(days=WINDOW_STEP_DAYS)
    for name, span in WINDOWS:
        days = _window_days(h, name)
        inside = [d for d in days if today - timedelta(days=span) <= d < today]
        if inside:
            candidates.append(max(min(inside) + timedelta(days=span + 1), step))
        coming = [d for d in days if d >= today]
        if coming:
            candidates.append(min(coming) + timedelta(days=1))
    later = [d for d in candidates if d > today]
    return min(later) if later else today + timedelta(days=RESCORE_DAYS[-1])
