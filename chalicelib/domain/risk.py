"""The lapse-risk model: features from a patient's history, L2-regularised logistic regression
(Newton's method), AUC, top factors in staff's words, and drop-out curves per condition.

Pure Python, deterministic, no AWS: the training job and the benchmark both call these.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, timedelta

HORIZON_DAYS = 180  # lapsed = no visit within six months after the cut-off (S2's six-month revisit rate)
CUTOFF_STEP_DAYS = 60
CUTOFFS = 3  # training cut-offs at today - 180, - 240, - 300 days
MIN_EXAMPLES = 50
MIN_CLASS = 5  # each class needs at least this many examples
HOLDOUT_SHARE = 0.25
L2 = 1.0
MAX_DAYS = 730
MAX_DISTRICTS = 8
DISTRICT_MIN_SHARE = 0.05

REACHED = ("reached", "booked")
DECLINED = ("declined", "wrong_number")

# name -> (zh, en): how staff read a feature
BASE_FEATURES: dict[str, tuple[str, str]] = {
    "visits_365": ("近一年就诊次数", "visits in the last year"),
    "days_since_visit": ("距上次就诊天数", "days since the last visit"),
    "days_overdue": ("超过约定复诊日的天数", "days past the requested revisit date"),
    "checkin_days_90": ("近90天打卡天数", "check-in days in the last 90 days"),
    "best_streak_90": ("近90天最长连续打卡", "longest check-in streak in the last 90 days"),
    "shares_90": ("近90天分享次数", "shares in the last 90 days"),
    "inbox_reads_90": ("近90天阅读消息数", "messages read in the last 90 days"),
    "calls_reached_180": ("近半年随访接通次数", "follow-up calls reached in the last 180 days"),
    "calls_declined_180": ("近半年随访拒绝/空号次数", "follow-up calls declined or wrong number, last 180 days"),
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


def _within(days, as_of: date, span: int) -> list[date]:
    start = as_of - timedelta(days=span)
    return [d for d in days if start <= d < as_of]


def longest_run(days) -> int:
    ordered = sorted(set(days))
    best = run = 0
    previous = None
    for day in ordered:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        best = max(best, run)
        previous = day
    return best


def base_features(h: History, as_of: date) -> dict[str, float]:
    """Features as of the start of `as_of`, from events strictly before it."""
    past = sorted((v for v in h.visits if v[0] < as_of), key=lambda v: v[0])
    last = past[-1] if past else None
    since = (as_of - (last[0] if last else h.registered)).days
    overdue = 0
    if last and last[1] is not None and last[1] < as_of:
        overdue = (as_of - last[1]).days
    checkins = _within(h.checkins, as_of, 90)
    calls = [(d, o) for d, o in h.calls if as_of - timedelta(days=180) <= d < as_of]
    return {
        "visits_365": float(len(_within([v[0] for v in past], as_of, 365))),
        "days_since_visit": float(min(max(since, 0), MAX_DAYS)),
        "days_overdue": float(min(overdue, MAX_DAYS)),
        "checkin_days_90": float(len(set(checkins))),
        "best_streak_90": float(longest_run(checkins)),
        "shares_90": float(len(_within(h.shares, as_of, 90))),
        "inbox_reads_90": float(len(_within(h.inbox_reads, as_of, 90))),
        "calls_reached_180": float(sum(1 for _, o in calls if o in REACHED)),
        "calls_declined_180": float(sum(1 for _, o in calls if o in DECLINED)),
    }


@dataclass(frozen=True)
class FeatureSpace:
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
    if name in BASE_FEATURES:
        return BASE_FEATURES[name]
    kind, _, value = name.partition(":")
    if kind == "condition":
        zh, en = CONDITION_NAMES.get(value, (value, value))
        return f"病种：{zh}", f"condition: {en}"
    if kind == "district":
        return f"区域：{value}", f"district: {value}"
    return name, name


# -- training examples ----------------------------------------------------------------------------


def cutoffs(today: date, count: int = CUTOFFS, horizon: int = HORIZON_DAYS, step: int = CUTOFF_STEP_DAYS) -> list[date]:
    """Cut-off days whose whole horizon lies in the past, newest first."""
    return [today - timedelta(days=horizon + k * step) for k in range(count)]


def lapsed(h: History, cutoff: date, horizon: int = HORIZON_DAYS) -> bool:
    """The label: no visit on the cut-off day or in the `horizon` days after it."""
    end = cutoff + timedelta(days=horizon)
    return not any(cutoff <= v[0] < end for v in h.visits)


def eligible(h: History, cutoff: date) -> bool:
    """A patient is an example at a cut-off if registered before it with at least one visit before it."""
    return h.registered < cutoff and any(v[0] < cutoff for v in h.visits)


@dataclass
class Example:
    patient_id: str
    cutoff: date
    x: list[float]
    y: int


def examples(histories: list[History], space: FeatureSpace, days: list[date],
             horizon: int = HORIZON_DAYS) -> list[Example]:
    out = []
    for cutoff in days:
        for h in histories:
            if eligible(h, cutoff):
                out.append(Example(h.patient_id, cutoff, space.row(h, cutoff), int(lapsed(h, cutoff, horizon))))
    return out


def in_holdout(patient_id: str, share: float = HOLDOUT_SHARE) -> bool:
    """A fixed split by patient, so one patient's cut-offs never sit on both sides."""
    digest = hashlib.sha256(f"risk-holdout:{patient_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


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
    features: list[str]
    means: list[float]
    scales: list[float]
    coefficients: list[float]  # on standardised features
    intercept: float
    iterations: int = 0

    def standardise(self, x: list[float]) -> list[float]:
        return [(v - m) / s for v, m, s in zip(x, self.means, self.scales)]

    def score(self, x: list[float]) -> float:
        z = self.intercept + sum(c * v for c, v in zip(self.coefficients, self.standardise(x)))
        return _sigmoid(z)

    def contributions(self, x: list[float]) -> list[tuple[str, float]]:
        """Each feature's push on the log-odds against an average patient, largest first."""
        parts = [(name, c * v) for name, c, v in zip(self.features, self.coefficients, self.standardise(x))]
        return sorted(parts, key=lambda p: (-abs(p[1]), p[0]))

    def as_dict(self) -> dict:
        return {"features": self.features, "means": self.means, "scales": self.scales,
                "coefficients": self.coefficients, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: dict) -> "Model":
        return cls([str(f) for f in data["features"]], [float(v) for v in data["means"]],
                   [float(v) for v in data["scales"]], [float(v) for v in data["coefficients"]],
                   float(data["intercept"]))


def fit(rows: list[list[float]], labels: list[int], features: list[str], l2: float = L2,
        max_iterations: int = 25, tolerance: float = 1e-7) -> Model:
    """Logistic regression on standardised columns by Newton's method; the intercept is not penalised."""
    n, d = len(rows), len(features)
    means = [sum(r[j] for r in rows) / n for j in range(d)]
    scales = []
    for j in range(d):
        var = sum((r[j] - means[j]) ** 2 for r in rows) / n
        scales.append(math.sqrt(var) if var > 1e-12 else 1.0)
    z = [[1.0] + [(r[j] - means[j]) / scales[j] for j in range(d)] for r in rows]
    w = [0.0] * (d + 1)
    done = 0
    for done in range(1, max_iterations + 1):
        grad = [0.0] * (d + 1)
        hess = [[0.0] * (d + 1) for _ in range(d + 1)]
        for x, y in zip(z, labels):
            p = _sigmoid(sum(a * b for a, b in zip(w, x)))
            err, weight = p - y, p * (1.0 - p)
            for j in range(d + 1):
                xj = x[j]
                if xj == 0.0:
                    continue
                grad[j] += err * xj
                wx = weight * xj
                row = hess[j]
                for k in range(j, d + 1):
                    row[k] += wx * x[k]
        for j in range(1, d + 1):
            grad[j] += l2 * w[j]
            hess[j][j] += l2
        hess[0][0] += 1e-9
        for j in range(d + 1):
            for k in range(j):
                hess[j][k] = hess[k][j]
        step = _solve(hess, grad)
        w = [a - b for a, b in zip(w, step)]
        if max(abs(s) for s in step) < tolerance:
            break
    return Model(list(features), means, scales, w[1:], w[0], done)


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


# -- one clinic's training run --------------------------------------------------------------------


@dataclass
class Training:
    """What a training run produced: a model (or why not), its hold-out AUC and counts."""

    model: Model | None
    space: FeatureSpace
    reason: str | None
    examples: int
    train_examples: int = 0
    holdout_examples: int = 0
    lapsed: int = 0
    auc: float | None = None
    baseline_auc: float | None = None
    cutoffs: list[str] = field(default_factory=list)


def train(histories: list[History], today: date, l2: float = L2) -> Training:
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
    held = [e for e in rows if in_holdout(e.patient_id)]
    kept = [e for e in rows if not in_holdout(e.patient_id)]
    if sum(e.y for e in kept) in (0, len(kept)):
        kept, held = rows, []
    model = fit([e.x for e in kept], [e.y for e in kept], space.names, l2)
    base.train_examples, base.holdout_examples = len(kept), len(held)
    if held:
        labels = [e.y for e in held]
        base.auc = auc([model.score(e.x) for e in held], labels)
        recency = space.names.index("days_since_visit")
        base.baseline_auc = auc([e.x[recency] for e in held], labels)
    # the stored model learns from every example; the AUC above is from the one trained without the hold-out
    base.model = fit([e.x for e in rows], [e.y for e in rows], space.names, l2) if held else model
    return base


def top_factors(model: Model, x: list[float], count: int = 3) -> list[dict]:
    """The features that move this patient's risk most, with their direction, in staff's words."""
    out = []
    for name, push in model.contributions(x)[:count]:
        if abs(push) < 1e-6:
            continue
        zh, en = describe(name)
        value = x[model.features.index(name)]
        out.append({"feature": name, "label_zh": zh, "label_en": en, "value": round(value, 2),
                    "direction": "raises" if push > 0 else "lowers", "weight": round(push, 3)})
    return out


def coefficient_rows(model: Model) -> list[dict]:
    """The model by feature, largest effect first: log-odds per standard deviation."""
    rows = []
    for name, coef, mean, scale in zip(model.features, model.coefficients, model.means, model.scales):
        zh, en = describe(name)
        rows.append({"feature": name, "label_zh": zh, "label_en": en, "coefficient": round(coef, 4),
                     "direction": "raises" if coef > 0 else "lowers", "mean": round(mean, 3),
                     "scale": round(scale, 3), "odds_ratio_per_sd": round(math.exp(coef), 3)})
    return sorted(rows, key=lambda r: -abs(r["coefficient"]))


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


def dropout_curves(histories: list[History], today: date, max_days: int = CURVE_DAYS) -> dict[str, dict]:
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
