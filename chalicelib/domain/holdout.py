"""The clinic's lasting holdout: a stable share of its patients (5% unless the clinic sets
another, 0 to 20%) that receives no marketing message (a recall rule whose purpose is marketing,
and content-path steps), so the engine's total effect on revisits can be measured at any time:
the revisit rate of everyone else against the holdout's, over the same requested revisit dates.

Membership is a hash of the clinic and the patient (the experiments' `bucket`), so it needs no
storage, never changes for a patient, and raising the share only adds patients to it. Service
messages (a revisit reminder whose purpose is service, vouchers, points about to expire) still go.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from chalicelib.domain import kpis
from chalicelib.domain.experiments import bucket, compare

DEFAULT_SHARE = 0.05
MAX_SHARE = 0.2
PERIOD_DAYS = 180  # the revisit dates the effect is measured over
HELD_PURPOSES = ("marketing",)  # the messages the holdout does not receive


def share_of(setting: float | None) -> float:
    """The clinic's holdout share (the default when it never set one)."""
    return DEFAULT_SHARE if setting is None else float(setting)


def in_holdout(clinic_id: str, patient_id: str, share: float) -> bool:
    return share > 0 and bucket(f"clinic-holdout\x1f{clinic_id}", patient_id) < share


def withheld(purpose: str | None, clinic_id: str, patient_id: str, share: float) -> bool:
    """Whether a message of this purpose is held back from this patient."""
    return (purpose or "service") in HELD_PURPOSES and in_holdout(clinic_id, patient_id, share)


def effect(dues: Iterable[Mapping[str, Any]], clinic_id: str, share: float, today: date,
           period_days: int = PERIOD_DAYS) -> dict[str, Any]:
    """The revisit rate (kept requested revisit dates, decided in the period) of the patients
    who receive marketing messages against the holdout's, their difference (percentage points as
    a fraction) with its 95% interval and p-value; None figures while a group has nothing decided."""
    first = kpis.period_start(today, period_days, kpis.REVISIT_WINDOW_DAYS)
    groups: dict[bool, list[tuple[str, bool]]] = {True: [], False: []}
    for due in dues:
        if first <= due["due_date"] <= today.isoformat():
            groups[in_holdout(clinic_id, due["patient_id"], share)].append((due["due_date"], kpis.kept(due)))
    held = kpis.windowed(groups[True], today, kpis.REVISIT_WINDOW_DAYS)
    reached = kpis.windowed(groups[False], today, kpis.REVISIT_WINDOW_DAYS)
    return compared(share, period_days, reached, held)


def compared(share: float, period_days: int, reached: dict[str, Any], held: dict[str, Any]) -> dict[str, Any]:
    """The effect from the two groups' windowed revisit rates (kpis.windowed's shape), however
    they were counted (`effect` above, or the KPI counters)."""
    found = compare(reached["hits"], reached["decided"], held["hits"], held["decided"])
    return {"share": share, "period_days": period_days, "reached": reached, "held_out": held,
            "difference": found.uplift if found else None, "ci_low": found.ci_low if found else None,
            "ci_high": found.ci_high if found else None, "p_value": found.p_value if found else None}
