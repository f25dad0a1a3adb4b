"""The monthly star-of-the-month board: points earned in the clinic month, names masked."""

from __future__ import annotations

from chalice import Blueprint
from chalicelib.api.routing import PATIENT, STAFF, route
from chalicelib.domain.clock import clock, local_date
from chalicelib.errors import BadRequest
from chalicelib.lazy import lazy

bp = Blueprint(__name__)
clinics = lazy("chalicelib.store.clinics")
patients = lazy("chalicelib.store.patients")
boards = lazy("chalicelib.store.leaderboard")


def _month(clinic_id: str, month: str | None) -> str:
    clinic = clinics.get(clinic_id)
    current = local_date(clock.now(), clinic.tz).strftime("%Y-%m")
    if month and month > current:
        raise BadRequest("month is in the future", code="invalid_month", field="month")
    return month or current


@route(bp, "/leaderboard", roles=PATIENT + STAFF, query="BoardQuery",
       summary="Top patients of a clinic month by points earned (behaviour only), names masked; a patient also gets their own rank")
def leaderboard(call):
    month = _month(call.principal.clinic_id, call.query.month)
    entries = boards.top(call.principal.clinic_id, month, call.query.limit)
    answer = {"month": month, "items": [{"rank": i + 1, "name_masked": e["name_masked"], "score": e["score"],
                                         **({"me": True} if e["patient_id"] == call.principal.patient_id else {})}
                                        for i, e in enumerate(entries)]}
    if call.principal.patient_id:
        mine = boards.entry(call.principal.clinic_id, call.principal.patient_id, month)
        hidden = mine is None or not mine.gsi1pk
        answer["me"] = {"score": int(mine.score) if mine else 0, "visible": not (mine is not None and not mine.gsi1pk),
                        "rank": None if hidden else boards.rank(call.principal.clinic_id, month, mine)}
    return answer


@route(bp, "/me/leaderboard", methods=("PUT",), roles=PATIENT, body="Visibility",
       summary="Choose whether to appear on the clinic's leaderboards")
def visibility(call):
    patient = patients.get(call.principal.clinic_id, call.principal.patient_id)
    month = _month(call.principal.clinic_id, None)
    boards.set_visible(patient, call.body.visible, month)
    return {"visible": call.body.visible}
