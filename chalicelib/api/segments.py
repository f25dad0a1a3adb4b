"""Segments: admins define them by rules, staff list them with counts, page and export members,
and edit the patient attributes the rules look at. See docs/segments.md."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Optional, Union

from chalice import Blueprint, Response
from pydantic import Discriminator, Field, Tag

from chalicelib.api import replies
from chalicelib.api.models import Page, Strict, real
from chalicelib.api.routing import ADMIN, READERS, STAFF, route
from chalicelib.domain import segments as rules
from chalicelib.lazy import lazy

# The services each route calls, as type checkers and import analysis see them; at run time
# each module loads on first use, so a function's cold start pays only for what it runs.
if TYPE_CHECKING:
    from chalicelib.services import segments as service
else:
    service = lazy("chalicelib.services.segments")

bp: Blueprint = Blueprint(__name__)


# the domain checks each field's own range (NUMBER_LIMITS) with a path-coded error
# A bounded float is a float to the type checker; pydantic reads its bounds (models.real).
if TYPE_CHECKING:
    Bound = float
else:
    Bound = real(3, -10_000_000, 10_000_000)
Name = Field(min_length=1, max_length=40)


class SetRule(Strict):
    """condition / department / persona / district / consent: the patient has any of `in` (none of `not_in`)."""

    field: Literal[rules.SET_FIELDS]  # type: ignore[valid-type]
    in_: Optional[list[Annotated[str, Field(min_length=1, max_length=40)]]] = Field(
        default=None, alias="in", max_length=rules.MAX_VALUES)
    not_in: Optional[list[Annotated[str, Field(min_length=1, max_length=40)]]] = Field(
        default=None, max_length=rules.MAX_VALUES)


class NumberRule(Strict):
    """age, days_since_visit, silent_days, checkins (in the last `days`), points_balance, points_earned,
    risk_score (0..1; a patient without a score never matches): compared with gt/gte/lt/lte."""

    field: Literal[rules.NUMBER_FIELDS]  # type: ignore[valid-type]
    days: Optional[int] = Field(default=None, ge=1, le=rules.MAX_CHECKIN_WINDOW)
    gt: Optional[Bound] = None
    gte: Optional[Bound] = None
    lt: Optional[Bound] = None
    lte: Optional[Bound] = None


def _rule_kind(value) -> str:
    if isinstance(value, dict):
        if "all" in value:
            return "all"
        if "any" in value:
            return "any"
        return "number" if value.get("field") in rules.NUMBER_FIELDS else "set"
    return "all" if hasattr(value, "all") else "any" if hasattr(value, "any_") else (
        "number" if isinstance(value, NumberRule) else "set")


Rule = Annotated[Union[Annotated["AllRule", Tag("all")], Annotated["AnyRule", Tag("any")],
                       Annotated[NumberRule, Tag("number")], Annotated[SetRule, Tag("set")]],
                 Discriminator(_rule_kind)]


class AllRule(Strict):
    all: list[Rule] = Field(min_length=1, max_length=rules.MAX_GROUP)


class AnyRule(Strict):
    any_: list[Rule] = Field(alias="any", min_length=1, max_length=rules.MAX_GROUP)


class Step(Strict):
    kind: Literal[rules.CONTENT_KINDS]  # type: ignore[valid-type]
    title: str = Field(min_length=1, max_length=60)
    body: str = Field(default="", max_length=1000)
    url: Optional[str] = Field(default=None, max_length=500, pattern=r"^https://")
    health: bool = False
    offset_days: Optional[int] = Field(default=None, ge=0, le=730)


class ContentPath(Strict):
    cadence_days: int = Field(default=7, ge=1, le=rules.MAX_CADENCE_DAYS)
    purpose: Literal["service", "marketing"] = "service"
    send_at: str = Field(default="10:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    steps: list[Step] = Field(min_length=1, max_length=rules.MAX_STEPS)


class SegmentEdit(Strict):
    name: str = Name
    name_en: Optional[str] = Field(default=None, max_length=60)
    description: Optional[str] = Field(default=None, max_length=200)
    rule: Rule
    content_path: Optional[ContentPath] = None

    def model_post_init(self, _context) -> None:
        # the service validates the plain tree again (depth, size, known values) with its own codes
        object.__setattr__(self, "rule", self.rule.model_dump(by_alias=True, exclude_none=True))


class SegmentBody(SegmentEdit):
    segment_id: Optional[str] = Field(default=None, min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]+$")


class AttributesBody(Strict):
    """Persona and department codes are the clinic's own (GET /clinic/catalogue)."""

    persona_tags: Optional[list[Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]+$")]]] = \
        Field(default=None, max_length=3)
    district: Optional[str] = Field(default=None, max_length=40)
    department: Optional[str] = Field(default=None, min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]+$")


@route(bp, "/segments", roles=READERS,
       reply=replies.ListSegmentsReply,
       summary="The clinic's segments with member counts and build progress")
def list_segments(call):
    return {"items": service.list_view(call.principal.clinic_id)}


@route(bp, "/segments", methods=("POST",), roles=ADMIN, body=SegmentBody,
       reply=replies.SegmentReply, status=201,
       errors=("checkin_window", "empty_group", "invalid_bounds", "invalid_content_path", "invalid_range",
               "missing_url", "reserved_id", "rule_not_object", "rule_too_deep", "rule_too_large", "segment_exists",
               "unknown_rule_field", "unknown_value"),
       summary="Define a segment by a rule over attributes, behaviour and risk; its first build starts")
def create_segment(call):
    return 201, {"segment": service.create(call.principal, call.body)}


@route(bp, "/segments/{segment_id}", roles=READERS,
       reply=replies.SegmentReply,
       summary="One segment: rule, content path, members, build status (building/ready) and progress")
def segment_detail(call):
    return {"segment": service.detail(call.principal.clinic_id, call.params["segment_id"])}


@route(bp, "/segments/{segment_id}", methods=("PUT",), roles=ADMIN, body=SegmentEdit,
       reply=replies.SegmentReply,
       errors=("checkin_window", "empty_group", "invalid_bounds", "invalid_range", "rule_follows_setting",
               "rule_not_object", "rule_too_deep", "rule_too_large", "unknown_rule_field", "unknown_value"),
       summary="Change a segment; a changed rule rebuilds its membership")
def edit_segment(call):
    return {"segment": service.edit(call.principal, call.params["segment_id"], call.body)}


@route(bp, "/segments/{segment_id}", methods=("DELETE",), roles=ADMIN,
       reply=replies.DeleteSegmentReply, summary="Delete a segment; its member items are removed by the segment job")
def delete_segment(call):
    return service.delete(call.principal, call.params["segment_id"])


@route(bp, "/segments/{segment_id}/members", roles=STAFF, query=Page,
       reply=replies.SegmentMembersReply, summary="A segment's members, newest first, by cursor (masked names only)")
def segment_members(call):
    return service.members(call.principal.clinic_id, call.params["segment_id"], call.query.limit, call.query.cursor)


@route(bp, "/segments/{segment_id}/export", roles=STAFF, produces="text/csv",
       summary="A segment's members as CSV for Excel (UTF-8 with BOM; masked names, no phones)")
def export_segment(call):
    text = service.export_csv(call.principal.clinic_id, call.params["segment_id"])
    return Response(body=text, status_code=200,
                    headers={"Content-Type": "text/csv; charset=utf-8",
                             "Content-Disposition": f'attachment; filename="segment-{call.params["segment_id"]}.csv"'})


@route(bp, "/patients/{patient_id}/segments", roles=STAFF,
       reply=replies.PatientSegmentsReply,
       summary="The segments a patient is in, the last interaction and when a time rule next changes")
def patient_segments(call):
    return service.patient_segments(call.principal.clinic_id, call.params["patient_id"])


@route(bp, "/patients/{patient_id}/attributes", methods=("PUT",), roles=STAFF, body=AttributesBody,
       reply=replies.PatientAttributesReply, errors=("unknown_persona", "unknown_department"),
       summary="Set a patient's persona tags, district or department; segments follow in the same write")
def patient_attributes(call):
    return service.set_attributes(call.principal, call.params["patient_id"], call.body)

