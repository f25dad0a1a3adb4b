"""Asynchronous CSV imports: upload a visit or exam file as a job, then follow its progress
(chalicelib/services/imports.py). The synchronous /visits/import and /exams/import stay for
small files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import replies
from chalicelib.api.models import ImportJobQuery
from chalicelib.api.routing import STAFF, route
from chalicelib.lazy import lazy

if TYPE_CHECKING:
    from chalicelib.services import imports
else:
    imports = lazy("chalicelib.services.imports")

bp: Blueprint = Blueprint(__name__)


@route(bp, "/imports", methods=("POST",), roles=STAFF, content_types=("text/csv", "text/plain"),
       query=ImportJobQuery, idempotent=True, reply=replies.ImportJobReply, status=202,
       errors=("invalid_csv", "file_too_large", "too_many_rows"),
       summary="Upload a visit or exam CSV file as an import job: the header and size are checked at once, "
               "the rows are imported in the background (GET /imports/{job_id} follows it)")
def start_import(call):
    return 202, imports.accept(call.principal.clinic_id, call.query.kind, call.raw_body, call.principal.username)


@route(bp, "/imports", roles=STAFF, reply=replies.ImportJobsReply,
       summary="The clinic's recent import jobs, newest first")
def list_imports(call):
    return imports.recent(call.principal.clinic_id)


@route(bp, "/imports/{job_id}", roles=STAFF, reply=replies.ImportJobStatusReply,
       summary="An import job's status, counts and the errors by line of the file")
def import_status(call):
    return imports.status(call.principal.clinic_id, call.params["job_id"])
