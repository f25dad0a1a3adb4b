"""A/B experiments on reminders: stable assignment of patients to arms and a holdout, and the
statistics of the results (uplift against the reference, confidence interval, z-test, sample size).

Pure Python: no AWS, no clock. The normal distribution comes from math.erf.
"""

from __future__ import annotations

import hashlib
import math
import string
from dataclasses import dataclass, field
from typing import Any, NamedTuple

HOLDOUT = "holdout"
MIN_ARMS, MAX_ARMS = 2, 4
MAX_HOLDOUT_SHARE = 0.5
# Rates are planned in steps of 0.1 percentage point; no clinic can run a test needing more
# exposures than this per group, so a plan beyond it is refused rather than computed.
RATE_STEP = 0.001
MAX_SAMPLE_PER_ARM = 10_000_000
# a recall rule's message, a segment's content path, or a recall rule's timing (fixed against learned)
TARGET_KINDS = ("recall_rule", "content_path", "recall_timing")
TIMING_ARMS = ("fixed", "learned")  # a timing experiment's arms, the fixed days the reference
MAX_WINDOW_DAYS = 90
MAX_TIMING_WINDOW_DAYS = 365  # counted from the anchor: it must cover both arms' days and the time to come
TEMPLATE_FIELDS = ("nickname", "clinic", "incentive")
STATUSES = ("draft", "running", "stopped", "promoted")


# --- definition -----------------------------------------------------------------------------

class ArmTerms(NamedTuple):
    """One arm: what it changes against the target's own message (None: keep the target's)."""

    arm_id: str
    weight: float
    template: str | None = None
    send_at: str | None = None  # clinic-local "HH:MM"
    incentive_text: str | None = None
    incentive_points: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"arm_id": self.arm_id, "weight": self.weight, "template": self.template, "send_at": self.send_at,
                "incentive_text": self.incentive_text, "incentive_points": self.incentive_points}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ArmTerms":
        return cls(arm_id=data["arm_id"], weight=float(data["weight"]), template=data.get("template"),
                   send_at=data.get("send_at"), incentive_text=data.get("incentive_text"),
                   incentive_points=int(data.get("incentive_points") or 0))


class DefinitionError(ValueError):
    """A definition that cannot run; `code` and `field` name what is wrong."""

    def __init__(self, message: str, code: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.field = field


def _check_send_at(text: str, where: str) -> None:
    parts = text.split(":")
    ok = len(parts) == 2 and all(p.isdigit() and len(p) == 2 for p in parts)
    if not ok or not (0 <= int(parts[0]) <= 23 and 0 <= int(parts[1]) <= 59):
        raise DefinitionError("send_at must be HH:MM (clinic time)", "invalid_send_at", where)


def _check_template(text: str, where: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise DefinitionError(f"template is not valid: {exc}", "invalid_template", where) from exc
    unknown = sorted(n for n in names if n not in TEMPLATE_FIELDS)
    if unknown:
        raise DefinitionError(f"unknown placeholder {{{unknown[0]}}}; use {', '.join(TEMPLATE_FIELDS)}",
                              "invalid_template", where)


def validate(arms: list[ArmTerms], holdout_share: float) -> None:
    """Raise DefinitionError unless the arms and holdout make a runnable split."""
    if not MIN_ARMS <= len(arms) <= MAX_ARMS:
        raise DefinitionError(f"an experiment has {MIN_ARMS} to {MAX_ARMS} arms", "invalid_arm_count", "arms")
    if not 0 <= holdout_share <= MAX_HOLDOUT_SHARE:
        raise DefinitionError(f"holdout_share must be between 0 and {MAX_HOLDOUT_SHARE}", "invalid_holdout_share",
                              "holdout_share")
    seen = set()
    for n, arm in enumerate(arms):
        where = f"arms.{n}"
        if arm.arm_id == HOLDOUT or arm.arm_id in seen:
            raise DefinitionError(f"arm id {arm.arm_id!r} is taken", "duplicate_arm", f"{where}.arm_id")
        seen.add(arm.arm_id)
        if not (arm.weight > 0 and math.isfinite(arm.weight)):
            raise DefinitionError("an arm's weight must be positive", "invalid_weight", f"{where}.weight")
        if arm.send_at is not None:
            _check_send_at(arm.send_at, f"{where}.send_at")
        if arm.template is not None:
            _check_template(arm.template, f"{where}.template")
        if arm.incentive_points < 0:
            raise DefinitionError("incentive points cannot be negative", "invalid_incentive",
                                  f"{where}.incentive_points")


def validate_timing(arms: list[ArmTerms], holdout_share: float) -> list[ArmTerms]:
    """A timing experiment's arms, the reference (`fixed`) first: exactly the arms `fixed` and
    `learned`, changing nothing else of the message, and no holdout (both arms are reminded; what
    is compared is when)."""
    if sorted(a.arm_id for a in arms) != sorted(TIMING_ARMS):
        raise DefinitionError("a timing experiment has the arms fixed and learned", "invalid_timing_arms", "arms")
    if holdout_share:
        raise DefinitionError("a timing experiment reminds both arms: its holdout share is 0",
                              "invalid_holdout_share", "holdout_share")
    for n, arm in enumerate(arms):
        if arm.template is not None or arm.send_at is not None or arm.incentive_text is not None \
                or arm.incentive_points:
            raise DefinitionError("a timing arm changes only the day: no template, time or incentive",
                                  "invalid_timing_arms", f"arms.{n}")
    return sorted(arms, key=lambda a: TIMING_ARMS.index(a.arm_id))


# --- assignment -----------------------------------------------------------------------------

def bucket(experiment_id: str, patient_id: str) -> float:
    """A number in [0, 1) fixed by the experiment and the patient (first 64 bits of SHA-256)."""
    digest = hashlib.sha256(f"{experiment_id}\x1f{patient_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def assign(experiment_id: str, patient_id: str, arms: list[ArmTerms], holdout_share: float) -> str:
    """The arm id (or HOLDOUT) of a patient: the holdout takes the first `holdout_share` of [0, 1),
    the arms share the rest by weight. The same patient always lands in the same group."""
    u = bucket(experiment_id, patient_id)
    if u < holdout_share:
        return HOLDOUT
    total = sum(arm.weight for arm in arms)
    position = (u - holdout_share) / (1 - holdout_share) * total
    running = 0.0
    for arm in arms:
        running += arm.weight
        if position < running:
            return arm.arm_id
    return arms[-1].arm_id  # rounding at the very top of the range


# --- statistics -----------------------------------------------------------------------------

def normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def normal_quantile(p: float) -> float:
    """The x with normal_cdf(x) = p, by bisection (exact to ~1e-12; called rarely)."""
    if not 0 < p < 1:
        raise ValueError("p must be in (0, 1)")
    low, high = -40.0, 40.0
    for _ in range(200):
        mid = (low + high) / 2
        if normal_cdf(mid) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-13:
            break
    return (low + high) / 2


class Comparison(NamedTuple):
    """An arm against the reference group: uplift = rate(arm) - rate(reference)."""

    uplift: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float


def compare(conversions: int, exposures: int, ref_conversions: int, ref_exposures: int,
            alpha: float = 0.05) -> Comparison | None:
    """Difference of two proportions: Wald (1 - alpha) interval, pooled two-proportion z-test
    (two-sided). None when either group is empty."""
    if exposures <= 0 or ref_exposures <= 0:
        return None
    p1, p0 = conversions / exposures, ref_conversions / ref_exposures
    diff = p1 - p0
    z_crit = normal_quantile(1 - alpha / 2)
    se = math.sqrt(p1 * (1 - p1) / exposures + p0 * (1 - p0) / ref_exposures)
    pooled = (conversions + ref_conversions) / (exposures + ref_exposures)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / exposures + 1 / ref_exposures))
    if se_pooled == 0:
        z, p_value = 0.0, 1.0  # both groups all-or-nothing alike: no evidence of a difference
    else:
        z = diff / se_pooled
        p_value = min(1.0, 2 * (1 - normal_cdf(abs(z))))
    return Comparison(uplift=diff, ci_low=diff - z_crit * se, ci_high=diff + z_crit * se, z=z, p_value=p_value)


def holm(p_values: dict[str, float]) -> dict[str, float]:
    """Holm-adjusted p-values: comparing several arms with one reference keeps the chance of any
    false finding at alpha (family-wise)."""
    ordered = sorted(p_values.items(), key=lambda kv: kv[1])
    k = len(ordered)
    adjusted, running = {}, 0.0
    for i, (name, p) in enumerate(ordered):
        running = max(running, min(1.0, (k - i) * p))
        adjusted[name] = running
    return adjusted


def sample_size_per_arm(baseline: float, uplift: float, alpha: float = 0.05, power: float = 0.8,
                        comparisons: int = 1, reference_ratio: float = 1.0) -> int:
    """Exposures each arm needs to detect `uplift` over a `baseline` rate with `power`, two-sided,
    at alpha shared by `comparisons` arms (Bonferroni, which Holm never does worse than).

    The reference group (holdout) holds `reference_ratio` times an arm's count. Normal
    approximation with Fleiss' continuity correction, so it errs on the large side.
    """
    p0, p1 = baseline, baseline + uplift
    if not (0 < p0 < 1 and 0 < p1 < 1) or uplift == 0:
        raise ValueError("baseline and baseline + uplift must be rates in (0, 1), uplift not 0")
    if min(p0, 1 - p0, p1, 1 - p1, abs(uplift)) < RATE_STEP - 1e-12:
        raise ValueError(f"rates and the uplift are planned in steps of {RATE_STEP:g} at least")
    if not (0 < alpha < 1 and 0 < power < 1 and comparisons >= 1 and reference_ratio > 0):
        raise ValueError("alpha and power in (0, 1), comparisons >= 1, reference_ratio > 0")
    r = reference_ratio
    z_a = normal_quantile(1 - alpha / (2 * comparisons))
    z_b = normal_quantile(power)
    p_bar = (p1 + r * p0) / (1 + r)
    d = abs(uplift)
    root = z_a * math.sqrt(p_bar * (1 - p_bar) * (1 + 1 / r)) + z_b * math.sqrt(p1 * (1 - p1) + p0 * (1 - p0) / r)
    n = (root / d) ** 2
    corrected = n / 4 * (1 + math.sqrt(1 + 2 * (r + 1) / (r * n * d))) ** 2
    if corrected > MAX_SAMPLE_PER_ARM:
        raise ValueError(f"this uplift needs more than {MAX_SAMPLE_PER_ARM:,} patients per group; "
                         "plan for a larger uplift")
    return math.ceil(corrected - 1e-9)


# --- results --------------------------------------------------------------------------------

class GroupCounts(NamedTuple):
    exposures: int = 0
    conversions: int = 0

    @property
    def rate(self) -> float | None:
        return self.conversions / self.exposures if self.exposures else None


@dataclass
class Analysis:
    reference: str
    alpha: float
    rows: list[dict[str, Any]] = field(default_factory=list)
    winner: str | None = None
    reached: bool = False


def analyse(counts: dict[str, GroupCounts], arm_ids: list[str], reference: str, alpha: float = 0.05,
            required: dict[str, int] | None = None) -> Analysis:
    """Every arm against the reference (the holdout, or the first arm when there is none).

    `significant`: the Holm-adjusted p-value is below alpha. The winner is the significant arm
    with the largest positive uplift (None if there is none). `reached`: every group holds the
    exposures `required` of it.
    """
    result = Analysis(reference=reference, alpha=alpha)
    ref = counts.get(reference, GroupCounts())
    compared: dict[str, Comparison] = {}
    for arm_id in arm_ids:
        if arm_id == reference:
            continue
        c = counts.get(arm_id, GroupCounts())
        outcome = compare(c.conversions, c.exposures, ref.conversions, ref.exposures, alpha)
        if outcome is not None:
            compared[arm_id] = outcome
    adjusted = holm({arm_id: c.p_value for arm_id, c in compared.items()})
    best = None
    for arm_id in [reference] + [a for a in arm_ids if a != reference]:
        c = counts.get(arm_id, GroupCounts())
        row = {"arm_id": arm_id, "reference": arm_id == reference, "exposures": c.exposures,
               "conversions": c.conversions, "rate": c.rate}
        outcome = compared.get(arm_id)
        if outcome is not None:
            significant = adjusted[arm_id] < alpha
            row.update(uplift=outcome.uplift, ci_low=outcome.ci_low, ci_high=outcome.ci_high, z=outcome.z,
                       p_value=outcome.p_value, p_adjusted=adjusted[arm_id], significant=significant)
            if significant and outcome.uplift > 0 and (best is None or outcome.uplift > best[1]):
                best = (arm_id, outcome.uplift)
        result.rows.append(row)
    result.winner = best[0] if best else None
    if required:
        result.reached = all(counts.get(g, GroupCounts()).exposures >= n for g, n in required.items())
    return result


def converts(sent_day: str, window_ends: str, visit_day: str) -> bool:
    """A visit converts an exposure when it falls on the send day or up to the window's last day
    (clinic-local ISO days, which compare as text)."""
    return sent_day <= visit_day <= window_ends
