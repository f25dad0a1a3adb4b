"""Uplift: whom a reminder changes, rather than who is likely to lapse.

A lapse-risk score ranks who is least likely to come back; a reminder helps only those whose
coming back it changes. Some at the top of the risk list come back whatever we send (no),
others stay away whatever we send (lost), a few are put off by one more message. The uplift of a
patient is P(revisit | reminded) - P(revisit | not reminded), learned from an experiment or
from the clinic's lasting holdout, where whether a patient was reminded was decided by chance.

The learner is the two-model one (a "T-learner"): one logistic regression on the reminded
patients and one on those held out, each on the same columns plus their squares (so an effect
that peaks in the middle of a range, such as patients a few months overdue, can be seen); a
patient's uplift is the difference of the two probabilities. It is judged by the Qini curve:
patients ranked by a score, the extra revisits among the top k counted as

    Q(k) = revisits of the reminded among the top k
           - revisits of the held out among the top k * (reminded among the top k / held out among the top k)

and the Qini coefficient is the area between that curve and the straight line of random
targeting, per patient of the list. Pure: no I/O.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, NamedTuple

from chalicelib.domain.experiments import bucket
from chalicelib.domain.risk import L2, Model, _sigmoid, fit

MIN_PER_ARM = 50  # fewer examples in either group: no model (two regressions on a handful overfit)
EVALUATE_SHARE = 0.3  # patients (by a hash of their id) kept out of fitting, to judge the model on
MIN_EVALUATE_PER_ARM = 20  # fewer in either group of the evaluation part: no model (nothing to judge it by)
WINDOW_DAYS = 14  # a revisit on the send day or up to 14 days after counts (the experiments' default window)
TOP_SHARE = 0.2  # the card's "remind the top fifth" figure
DEFAULT_THRESHOLD = 0.0  # uplift at or below this: a reminder is not expected to help, so it is not sent


class UpliftError(ValueError):
    """The examples cannot give a model (too few in a group, or no revisit in one)."""


class UpliftModel(NamedTuple):
    features: list[str]
    treated: Model  # P(revisit) of reminded patients, on the expanded columns
    control: Model  # P(revisit) of held-out patients

    def uplift(self, x: Sequence[float]) -> float:
        """The change a reminder makes to this patient's chance of a revisit (-1 .. 1)."""
        row = expand(x)
        return _sigmoid(self.treated.log_odds(row)) - _sigmoid(self.control.log_odds(row))

    def as_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "treated": self.treated.as_dict(),
                "control": self.control.as_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "UpliftModel":
        return cls([str(f) for f in data["features"]], Model.from_dict(data["treated"]),
                   Model.from_dict(data["control"]))


def expand(x: Sequence[float]) -> list[float]:
    """The columns each group's regression reads: the values and their squares."""
    return [float(v) for v in x] + [float(v) * float(v) for v in x]


def expanded_names(features: Sequence[str]) -> list[str]:
    return [*features, *(f"{name}^2" for name in features)]


def fit_two_model(rows: Sequence[Sequence[float]], reminded: Sequence[bool], revisited: Sequence[int],
                  features: Sequence[str], l2: float = L2) -> UpliftModel:
    """One regression per group on the expanded columns; UpliftError when a group is too small
    or all of one outcome."""
    if not (len(rows) == len(reminded) == len(revisited)):
        raise UpliftError("rows, reminded and revisited differ in length")
    groups: dict[bool, tuple[list[list[float]], list[int]]] = {True: ([], []), False: ([], [])}
    for row, treated, outcome in zip(rows, reminded, revisited):
        groups[bool(treated)][0].append(expand(row))
        groups[bool(treated)][1].append(int(outcome))
    names = expanded_names(features)
    models = {}
    for treated, (x, y) in groups.items():
        which = "reminded" if treated else "held-out"
        if len(y) < MIN_PER_ARM:
            raise UpliftError(f"{len(y)} {which} examples; at least {MIN_PER_ARM} are needed")
        if sum(y) in (0, len(y)):
            raise UpliftError(f"the {which} examples all have the same outcome")
        models[treated] = fit(x, y, names, l2)
    return UpliftModel(list(features), models[True], models[False])


def qini_curve(scores: Sequence[float], reminded: Sequence[bool], revisited: Sequence[int]) -> list[float]:
    """Q(k) for k = 0 .. n, patients taken by score, highest first (ties in the given order)."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    curve = [0.0]
    n_t = n_c = y_t = y_c = 0
    for i in order:
        if reminded[i]:
            n_t += 1
            y_t += revisited[i]
        else:
            n_c += 1
            y_c += revisited[i]
        curve.append(y_t - (y_c * n_t / n_c if n_c else 0.0))
    return curve


def qini_coefficient(scores: Sequence[float], reminded: Sequence[bool], revisited: Sequence[int]) -> float:
    """The area between the Qini curve and random targeting's straight line, per patient listed
    (extra revisits per patient, averaged over every list length). 0: no better than chance."""
    curve = qini_curve(scores, reminded, revisited)
    n = len(curve) - 1
    if n == 0:
        return 0.0
    total = curve[-1]
    area = sum(q - total * k / n for k, q in enumerate(curve)) / n
    return area / n


def incremental_at(scores: Sequence[float], reminded: Sequence[bool], revisited: Sequence[int],
                   share: float) -> float:
    """The extra revisits a reminder brings per patient of the whole list when only the top
    `share` by score are reminded (the Qini curve at that share, per patient listed)."""
    curve = qini_curve(scores, reminded, revisited)
    n = len(curve) - 1
    if n == 0:
        return 0.0
    return curve[min(n, max(0, round(share * n)))] / n


# -- training from a clinic's exposures ---------------------------------------------------------


class Example(NamedTuple):
    """One exposure decided by chance: the patient's columns as of the send day (from what happened
    strictly before it), whether they were reminded, whether they came back within the window, and
    their lapse-risk score on that day (None without a risk model) to compare the ranking with."""

    patient_id: str
    x: list[float]
    reminded: bool
    revisited: int
    risk: float | None = None
    source: str = ""  # experiment:<id> or clinic_holdout


class Training(NamedTuple):
    """A training run's outcome: the model fitted on the fit part (None: `reason` says why) and its
    evaluation on the patients it never saw."""

    model: UpliftModel | None
    reason: str | None
    counts: dict[str, int]
    evaluation: dict[str, Any] | None = None


def in_evaluation(patient_id: str, share: float = EVALUATE_SHARE) -> bool:
    """A patient's examples all sit in one part: the evaluation part is a fixed hash share."""
    return bucket("uplift-evaluate", patient_id) < share


def _counts(examples: Sequence[Example]) -> dict[str, int]:
    reminded = [e for e in examples if e.reminded]
    held = [e for e in examples if not e.reminded]
    return {"examples": len(examples), "reminded": len(reminded), "held_out": len(held),
            "reminded_revisits": sum(e.revisited for e in reminded), "held_out_revisits": sum(e.revisited for e in held)}


def evaluate(model: UpliftModel, examples: Sequence[Example]) -> dict[str, Any]:
    """The Qini coefficient of ranking the held-out examples by predicted uplift, against ranking
    them by lapse risk (highest first, where every example has a risk score) and a random order;
    and the extra revisits per patient when only the top fifth is reminded, by each order."""
    reminded, revisited = [e.reminded for e in examples], [e.revisited for e in examples]
    orders: dict[str, list[float] | None] = {
        "model": [model.uplift(e.x) for e in examples],
        "risk": [e.risk for e in examples] if examples and all(e.risk is not None for e in examples) else None,  # type: ignore[misc]
        "random": [random.Random(len(examples)).random() for _ in examples],
    }
    found: dict[str, Any] = {"examples": len(examples), **_counts(examples)}
    for name, scores in orders.items():
        suffix = "" if name == "model" else f"_{name}"
        found[f"qini{suffix}"] = round(qini_coefficient(scores, reminded, revisited), 6) if scores else None
        found[f"top_extra{suffix}"] = round(incremental_at(scores, reminded, revisited, TOP_SHARE), 6) if scores else None
    found["top_share"] = TOP_SHARE
    return found


def train(examples: Sequence[Example], features: Sequence[str], l2: float = L2) -> Training:
    """Split by patient, fit the two-model learner on the fit part, judge it on the other. No model
    (`reason`) when a group of the fit part is too small (`too_few_examples`) or has one outcome only
    (`one_outcome`), or the evaluation part has too few of a group to judge by (`too_few_to_evaluate`)."""
    counts = _counts(examples)
    held = [e for e in examples if in_evaluation(e.patient_id)]
    fitting = [e for e in examples if not in_evaluation(e.patient_id)]
    counts.update(fit=len(fitting), evaluate=len(held))
    try:
        model = fit_two_model([e.x for e in fitting], [e.reminded for e in fitting], [e.revisited for e in fitting],
                              features, l2)
    except UpliftError as err:
        reason = "one_outcome" if "same outcome" in str(err) else "too_few_examples"
        return Training(None, reason, counts)
    if min(sum(e.reminded for e in held), sum(not e.reminded for e in held)) < MIN_EVALUATE_PER_ARM:
        return Training(None, "too_few_to_evaluate", counts)
    return Training(model, None, counts, evaluate(model, held))


def withheld(score: float | None, threshold: float | None = None) -> bool:
    """Whether a rule targeting by uplift leaves this patient out: a predicted uplift at or below the
    threshold. No score (no model, or no analytics consent): not left out (targeting falls back to all)."""
    limit = DEFAULT_THRESHOLD if threshold is None else threshold
    return score is not None and score <= limit
