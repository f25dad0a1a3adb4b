"""Admin routes of the audit trail: read it page by page, export it as CSV (the export is audited too).

There is no route that changes or deletes an audit event (docs/audit.md).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Optional

from chalice import Blueprint, Response
from pydantic import ConfigDict, Field

from chalicelib.api import replies
from chalicelib.api.models import Strict
from chalicelib.api.routing import ADMIN, route
from chalicelib.lazy import lazy

if TYPE_CHECKING:
    from chalicelib.services import audit
else:
    audit = lazy("chalicelib.services.audit")

bp: Blueprint = Blueprint(__name__)


class AuditFilter(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True, defer_build=True)

    from_: Optional[date] = Field(default=None, alias="from", description="first clinic-local day; default: a week before `to`")
    to: Optional[date] = Field(default=None, description="last clinic-local day; default today")
    patient_id: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    actor: Optional[str] = Field(default=None, min_length=1, max_length=128, description="a staff username")


class AuditQuery(AuditFilter):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: Optional[str] = Field(default=None, max_length=2000)


@route(bp, "/audit", roles=ADMIN, query=AuditQuery, reply=replies.AuditPageReply,
       errors=("invalid_period", "period_too_long"),
       summary="The audit trail, newest first: views of decrypted data, phone reveals, exports, erasures, consent "
               "and role changes, sign-ins; by period, patient and actor, by cursor")
def audit_page(call):
    q = call.query
    return audit.page(call.principal.clinic_id, first=q.from_, last=q.to, patient_id=q.patient_id, actor=q.actor,
                      limit=q.limit, cursor=q.cursor)


@route(bp, "/audit/export", roles=ADMIN, query=AuditFilter, produces="text/csv",
       errors=("invalid_period", "period_too_long"),
       summary="The audit trail of a period as CSV for Excel (UTF-8 with BOM); the export is itself audited")
def audit_export(call):
    q = call.query
    text = audit.export_csv(call.principal, first=q.from_, last=q.to, patient_id=q.patient_id, actor=q.actor)
    name = f"audit-{q.from_ or 'recent'}-{q.to or 'today'}.csv"
    return Response(body=text, status_code=200,
                    headers={"Content-Type": "text/csv; charset=utf-8",
                             "Content-Disposition": f'attachment; filename="{name}"'})
