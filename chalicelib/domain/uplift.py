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

from collections.abc import Sequence
from typing import NamedTuple

from chalicelib.domain.risk import L2, Model, _sigmoid, fit

MIN_PER_ARM = 50  # fewer examples in either group: no model (two regressions on a handful overfit)


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
