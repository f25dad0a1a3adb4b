"""Front desk routes: find a patient (phone, hospital number, full name) or a code, the registration
form's texts, a patient's hospital number, and 扫码绑定 (a one-time code the patient scans)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import replies
from chalicelib.api.models import BindBody, DeskSearchQuery, HospitalNoBody
from chalicelib.api.routing import STAFF, route
from chalicelib.lazy import lazy

if TYPE_CHECKING:
    from chalicelib.services import catalogue, desk, sessions, setup
    from chalicelib.services import patients as patient_service
else:
    catalogue = lazy("chalicelib.services.catalogue")
    desk = lazy("chalicelib.services.desk")
    sessions = lazy("chalicelib.services.sessions")
    setup = lazy("chalicelib.services.setup")
    patient_service = lazy("chalicelib.services.patients")

bp: Blueprint = Blueprint(__name__)


@route(bp, "/patients/search", roles=STAFF, query=DeskSearchQuery, reply=replies.DeskSearchReply,
       summary="Find patients by an 11-digit mobile, a hospital number or a full name (exact); a voucher or "
               "redemption code answers its kind, for its desk")
def search(call):
    return desk.search(call.principal.clinic_id, call.query.q)


@route(bp, "/desk/registration-form", roles=STAFF, reply=replies.DeskFormReply,
       summary="What the desk's registration form shows: the clinic's conditions and departments (its catalogue) and the consent texts "
               "with their version")
def registration_form(call):
    view = setup.setup_view(call.principal.clinic_id)
    departments = catalogue.get(call.principal.clinic_id).codes("departments")  # the clinic's own list
    return {"conditions": view["conditions"], "departments": list(departments), "consent": view["consent"]}


@route(bp, "/patients/{patient_id}/hospital-no", methods=("PUT",), roles=STAFF, body=HospitalNoBody,
       reply=replies.HospitalNoReply, errors=("invalid_hospital_no", "hospital_no_taken", "concurrent_change"),
       summary="Set or remove (null) a patient's hospital number (住院号 / 门诊号)")
def hospital_no(call):
    patient = desk.set_hospital_no(call.principal.clinic_id, call.params["patient_id"], call.body.hospital_no)
    return {"patient": patient_service.profile_view(patient, full_phone=False)}


# Not replayed by an Idempotency-Key: the stored answer would hold the code in clear for a day. A
# retried request makes a second code; either links the patient once, the other is then refused.
@route(bp, "/patients/{patient_id}/bind-codes", methods=("POST",), roles=STAFF,
       reply=replies.BindCodeReply, status=201, errors=("patient_already_linked",),
       summary="A one-time code (ten minutes) for the QR code a desk-registered patient scans to link their WeChat")
def bind_code(call):
    return 201, desk.new_bind_code(call.principal.clinic_id, call.params["patient_id"],
                                   call.principal.username or call.principal.subject)


@route(bp, "/me/bind", methods=("POST",), roles=("visitor",), body=BindBody, reply=replies.RegisterReply,
       errors=("bind_code_unknown", "bind_code_other_clinic", "bind_code_used", "bind_code_expired",
               "patient_already_linked", "already_registered"),
       summary="Link the caller's WeChat account to the record the desk made (扫码绑定), with the code of its QR code")
def bind(call):
    patient_id = desk.bind(call.principal, call.body.code)
    tokens = sessions.after_registration(call.principal, patient_id)
    patient = patient_service.own_patient(call.principal.clinic_id, patient_id)
    return {"patient": patient_service.profile_view(patient, full_phone=True), **tokens}
