"""The monthly star-of-the-month board: points earned in the clinic month, names masked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import replies
from chalicelib.api.models import BoardQuery, Visibility
from chalicelib.api.routing import PATIENT, READERS, route
from chalicelib.lazy import lazy

if TYPE_CHECKING:
    from chalicelib.services import leaderboard as service
else:
    service = lazy("chalicelib.services.leaderboard")

bp: Blueprint = Blueprint(__name__)


@route(bp, "/leaderboard", roles=PATIENT + READERS, query=BoardQuery,
       reply=replies.LeaderboardReply, errors=("invalid_month",),
       summary="Top patients of a clinic month by points earned (behaviour only), names masked; a patient also gets their own rank")
def leaderboard(call):
    return service.board(call.principal.clinic_id, call.query.month, call.query.limit, call.principal.patient_id)


@route(bp, "/me/leaderboard", methods=("PUT",), roles=PATIENT, body=Visibility,
       reply=replies.VisibilityReply, summary="Choose whether to appear on the clinic's leaderboards")
def visibility(call):
    return service.set_visibility(call.principal.clinic_id, call.principal.patient_id, call.body.visible)
