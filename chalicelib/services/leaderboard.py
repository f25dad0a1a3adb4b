"""The monthly star-of-the-month board: points earned in the clinic month (behaviour only), names
masked, a patient's own rank, and the choice to stay off it."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.clock import clock, local_date
from chalicelib.errors import BadRequest, Conflict
from chalicelib.store import clinics, patients
from chalicelib.store import leaderboard as boards
from chalicelib.store import plan as plans


def month_of(clinic_id: str, month: str | None) -> str:
    """The clinic-local month asked for, or the current one; a month ahead is refused."""
    clinic = clinics.get(clinic_id)
    current = local_date(clock.now(), clinic.tz).strftime("%Y-%m")
    if month and month > current:
        raise BadRequest("month is in the future", code="invalid_month", field="month")
    return month or current


def board(clinic_id: str, month: str | None, limit: int, patient_id: str | None = None) -> dict:
    """The month's top `limit`; for a patient, their own score, visibility and rank as well."""
    month = month_of(clinic_id, month)
    entries = boards.top(clinic_id, month, limit)
    answer: dict[str, Any] = {"month": month, "items": [{"rank": i + 1, "name_masked": e["name_masked"], "score": e["score"],
                                         **({"me": True} if e["patient_id"] == patient_id else {})}
                                        for i, e in enumerate(entries)]}
    if patient_id:
        mine = boards.entry(clinic_id, patient_id, month)
        listed = mine is not None and boards.is_listed(mine)
        answer["me"] = {"score": int(mine.score) if mine else 0, "visible": mine is None or listed,
                        "rank": boards.rank(clinic_id, month, mine) if mine is not None and listed else None}
    return answer


ATTEMPTS = 3


def set_visibility(clinic_id: str, patient_id: str, visible: bool) -> dict:
    """The profile's choice and this month's entry, in one plan; a payout moving the entry
    meanwhile makes it read the entry again."""
    patient = patients.get(clinic_id, patient_id)
    month = month_of(clinic_id, None)
    for _ in range(ATTEMPTS):
        current = boards.entry(clinic_id, patient_id, month)
        try:
            plans.execute(plans.Plan().add(boards.visibility_steps(patient, visible, month, current)))
        except boards.EntryMoved:
            continue
        return {"visible": visible}
    raise Conflict("the board changed meanwhile, try again", code="try_again")
