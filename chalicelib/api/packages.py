"""Member packages: admins keep the catalogue, staff record packages sold and read renewal rates,
patients see their own packages."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Optional

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import replies
from chalicelib.api.models import Id, Strict
from chalicelib.api.routing import ADMIN, IN_TRANSACTION, PATIENT, READERS, STAFF, route
from chalicelib.domain.packages import DEFAULT_WINDOW_DAYS, MAX_TERM_MONTHS
from chalicelib.lazy import lazy

# The services each route calls, as type checkers and import analysis see them; at run time
# each module loads on first use, so a function's cold start pays only for what it runs.
if TYPE_CHECKING:
    from chalicelib.services import packages as service
else:
    service = lazy("chalicelib.services.packages")

bp: Blueprint = Blueprint(__name__)


class PackageTypeBody(Strict):
    name: str = Field(min_length=1, max_length=60)
    name_en: Optional[str] = Field(default=None, max_length=80)
    term_months: int = Field(ge=1, le=MAX_TERM_MONTHS)
    renewal_window_days: int = Field(default=DEFAULT_WINDOW_DAYS, ge=0, le=180,
                                     description="a new package starting this many days around the end renews it")
    active: bool = True


class SaleBody(Strict):
    package_id: str = Id
    start_date: date
    sale_ref: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
                                    description="the hospital's contract number: recorded once")


class RenewalQuery(Strict):
    first_day: date = Field(alias="from")
    last_day: date = Field(alias="to")


@route(bp, "/package-types", roles=READERS,
       reply=replies.PackageTypesReply,
       summary="The clinic's catalogue of member packages")
def package_types(call):
    return service.catalogue(call.principal.clinic_id)


@route(bp, "/package-types/{package_id}", methods=("PUT",), roles=ADMIN, body=PackageTypeBody,
       reply=replies.PutPackageTypeReply,
       summary="Add or change a package of the catalogue (name, term, renewal window)")
def put_package_type(call):
    return service.put_type(call.principal.clinic_id, call.params["package_id"], call.body)


@route(bp, "/patients/{patient_id}/packages", methods=("POST",), roles=STAFF, body=SaleBody,
       idempotent=IN_TRANSACTION,
       reply=replies.RecordSaleReply, status=201,
       errors=("invalid_date", "package_exists", "package_type_inactive", "package_type_not_found"),
       summary="Record a package sold to a patient; one of the same kind near an old one's end renews it")
def record_sale(call):
    return 201, service.record_sale(call.principal, call.params["patient_id"], call.body, call.idem)


@route(bp, "/patients/{patient_id}/packages", roles=STAFF,
       reply=replies.MyPackagesReply,
       summary="A patient's packages, newest first")
def patient_packages(call):
    return service.patient_packages(call.principal.clinic_id, call.params["patient_id"], known=False)


@route(bp, "/me/packages", roles=PATIENT,
       reply=replies.MyPackagesReply,
       summary="The caller's packages, with their terms and end dates")
def my_packages(call):
    return service.patient_packages(call.principal.clinic_id, call.principal.patient_id)


@route(bp, "/packages/renewals", roles=READERS, query=RenewalQuery,
       reply=replies.RenewalsReply, errors=("invalid_period",),
       summary="Renewal rate of the packages that ended in a period, overall and per package")
def renewals(call):
    return service.renewal_rate(call.principal.clinic_id, call.query.first_day, call.query.last_day)

