"""A synthetic clinic for uplift targeting with planted, heterogeneous reminder effects: half the
patients reminded at random, each revisiting with a chance that depends on who they are and, for
some, on the reminder. Pure and seeded: the same seed gives the same clinic.

Who is who (the planted truth the learner has to find without being told):
- patients a few months overdue who still check in are moved most by a reminder;
- the long lapsed (most at risk) rarely come back, reminded or not, and the longest lapsed are
  slightly put off by one more message;
- patients who visit often come back anyway (a reminder changes little).

So ranking by lapse risk reminds the lost first, and ranking by uplift should do better.
"""

from __future__ import annotations

import math
import random
from typing import NamedTuple

from chalicelib.domain.risk import _sigmoid

FEATURES = ["days_overdue", "visits_last_year", "checkin_days_30", "age", "distance_km"]


class Patient(NamedTuple):
    x: list[float]
    reminded: bool
    revisited: int
    true_uplift: float  # P(revisit | reminded) - P(revisit | not): what a perfect model would rank by
    risk: float  # P(no revisit | not reminded): what a lapse-risk ranking orders by


def _base(x: list[float]) -> float:
    overdue, visits, checkins, age, distance = x
    return -0.2 - 0.009 * overdue + 0.30 * visits + 0.03 * checkins - 0.04 * distance + 0.004 * (age - 50)


def _effect(x: list[float]) -> float:
    """The reminder's push on the log-odds of a revisit."""
    overdue, visits, checkins, _, _ = x
    bump = math.exp(-((overdue - 100.0) / 55.0) ** 2)  # strongest a few months overdue
    engaged = 1.0 if checkins >= 3 else 0.35
    return 1.6 * bump * engaged - 0.35 * (overdue > 260) - 0.25 * (visits >= 5)


def clinic(n: int, seed: int = 7, reminded_share: float = 0.5) -> list[Patient]:
    rng = random.Random(seed)
    patients = []
    for _ in range(n):
        x = [float(rng.randint(0, 365)), float(min(8, int(rng.expovariate(0.5)))), float(rng.randint(0, 30))
             if rng.random() < 0.55 else 0.0, float(rng.randint(20, 80)), round(rng.uniform(0.5, 30.0), 1)]
        held, pushed = _sigmoid(_base(x)), _sigmoid(_base(x) + _effect(x))
        reminded = rng.random() < reminded_share
        revisited = int(rng.random() < (pushed if reminded else held))
        patients.append(Patient(x, reminded, revisited, pushed - held, 1.0 - held))
    return patients
