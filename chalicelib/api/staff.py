"""Staff routes (admin site): clinic settings, patients, visits, segments, reminders, dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Blueprint

from chalicelib.api import replies
from chalicelib.api.models import (AdjustmentBody, BookingBody, CatalogueSectionBody, EarningLimitsBody,
                                   MessageTemplatesBody, EarningRulesBody, ImportQuery, LapsedQuery, Page,
                                   PatientRecord, PointsExpiryBody, RemissionBody, ReversalBody, RewardBody,
                                   SilentDaysBody, VisitBody, HoldoutBody)
from chalicelib.api.routing import ADMIN, IN_TRANSACTION, PATIENT, READERS, STAFF, route
from chalicelib.lazy import lazy

if TYPE_CHECKING:
    from chalicelib.services import activity, audit, catalogue, clinics, message_templates, outbound, visits
    from chalicelib.services import patients as patient_service
else:
    activity = lazy("chalicelib.services.activity")
    audit = lazy("chalicelib.services.audit")
    catalogue = lazy("chalicelib.services.catalogue")
    clinics = lazy("chalicelib.services.clinics")
    message_templates = lazy("chalicelib.services.message_templates")
    outbound = lazy("chalicelib.services.outbound")
    visits = lazy("chalicelib.services.visits")
    patient_service = lazy("chalicelib.services.patients")

bp: Blueprint = Blueprint(__name__)


@route(bp, "/clinic", roles=READERS,
       reply=replies.ClinicReply,
       summary="The caller's clinic: settings, conditions, earning rules")
def clinic(call):
    return clinics.settings_view(call.principal.clinic_id)


@route(bp, "/clinic/catalogue", roles=READERS, reply=replies.CatalogueReply,
       summary="The clinic's conditions, departments, check-in types, exam flags and personas with their labels")
def clinic_catalogue(call):
    return catalogue.view(call.principal.clinic_id)


@route(bp, "/clinic/catalogue/{section}", methods=("PUT",), roles=ADMIN, body=CatalogueSectionBody,
       reply=replies.CatalogueReply,
       errors=("unknown_section", "invalid_code", "duplicate_code", "duplicate_label", "invalid_label",
               "invalid_catalogue", "invalid_range", "catalogue_built_in", "catalogue_entry_removed", "try_again"),
       summary="Replace one section of the catalogue; entries in use are deactivated, never removed")
def put_clinic_catalogue(call):
    entries = [entry.model_dump(exclude_none=True) for entry in call.body.entries]
    return catalogue.put_section(call.principal.clinic_id, call.params["section"], entries)


@route(bp, "/clinic/message-templates", roles=READERS, reply=replies.MessageTemplatesReply,
       summary="Per kind of message: the WeChat subscribe template (id, our fields on its typed keys) and the SMS template")
def clinic_message_templates(call):
    return message_templates.view(call.principal.clinic_id)


@route(bp, "/clinic/message-templates/{kind}", methods=("PUT",), roles=ADMIN, body=MessageTemplatesBody,
       reply=replies.MessageTemplatesReply,
       errors=("unknown_kind", "invalid_template_id", "invalid_template_field", "unknown_template_field"),
       summary="Set a kind's WeChat template (checked against WeChat's limits per key type) and SMS template")
def put_clinic_message_templates(call):
    return message_templates.put(call.principal.clinic_id, call.params["kind"],
                                 call.body.model_dump(exclude_unset=True))


@route(bp, "/clinic/earning-rules", methods=("PUT",), roles=ADMIN, body=EarningRulesBody,
       reply=replies.EarningRulesReply, summary="Set the clinic's points earning rules")
def earning_rules(call):
    return clinics.set_earning_rules(call.principal.clinic_id, call.body.model_dump())


@route(bp, "/clinic/earning-limits", methods=("PUT",), roles=ADMIN, body=EarningLimitsBody,
       reply=replies.EarningLimitsReply, errors=("limits_out_of_order",),
       summary="Set how often each earning rule may pay per clinic-local day, week and month")
def earning_limits(call):
    return clinics.set_earning_limits(call.principal.clinic_id, {
        rule: periods.model_dump(exclude_none=True) for rule, periods in call.body.limits.items()})


@route(bp, "/clinic/points-expiry", methods=("PUT",), roles=ADMIN, body=PointsExpiryBody,
       reply=replies.PointsExpiryReply,
       summary="Set the clinic's points term; it applies to points earned from now on")
def points_expiry(call):
    return clinics.set_points_expiry(call.principal.clinic_id, call.body.months)


@route(bp, "/clinic/holdout", methods=("PUT",), roles=ADMIN, body=HoldoutBody, reply=replies.HoldoutReply,
       summary="Set the share of patients the clinic holds out of marketing messages, to measure their effect")
def holdout(call):
    return clinics.set_holdout_share(call.principal.clinic_id, call.body.share)


@route(bp, "/clinic/silent-days", methods=("PUT",), roles=ADMIN, body=SilentDaysBody,
       reply=replies.SilentDaysReply,
       summary="Set after how many days without any interaction a patient is silent (dashboard and the silent segment)")
def silent_days(call):
    return clinics.set_silent_days(call.principal.clinic_id, call.body.days,
                           call.principal.username or call.principal.subject)


@route(bp, "/patients", roles=STAFF, query=Page,
       reply=replies.ListPatientsReply,
       summary="The clinic's patients, newest first, by cursor")
def list_patients(call):
    return patient_service.list_page(call.principal.clinic_id, call.query.limit, call.query.cursor)


@route(bp, "/patients", methods=("POST",), roles=STAFF, body=PatientRecord, idempotent=True,
       reply=replies.CreatePatientReply, status=201,
       errors=("invalid_phone", "phone_registered", "unknown_condition", "unknown_department", "unknown_persona",
               "unknown_invite_code", "invalid_hospital_no", "hospital_no_taken"),
       summary="Register a patient at the desk (建档), with the consent the patient gave")
def create_patient(call):
    item = patient_service.register(call.principal.clinic_id, call.body,
                                    registered_by=call.principal.username or call.principal.subject)
    # the consent the patient gave, recorded by staff at the desk
    audit.record(call.principal, audit.CONSENT_CHANGE, patient_id=item.patient_id,
                 detail={"registration": 1, **{purpose: int(bool(granted)) for purpose, granted in call.body.consents.items()}})
    return 201, {"patient": patient_service.profile_view(item, full_phone=False)}


@route(bp, "/patients/{patient_id}", roles=STAFF,
       reply=replies.PatientDetailReply,
       summary="One patient: profile, consent, visits, check-ins, points, who referred them and how many they referred")
def patient_detail(call):
    detail = patient_service.staff_detail(call.principal.clinic_id, call.params["patient_id"])
    audit.record(call.principal, audit.VIEW_PATIENT, patient_id=call.params["patient_id"])  # the name in clear
    return detail


@route(bp, "/patients/{patient_id}/visits", methods=("POST",), roles=STAFF, body=VisitBody, idempotent=IN_TRANSACTION,
       reply=replies.RecordVisitReply, status=201,
       errors=("invalid_date", "visit_exists", "concurrent_change", "unknown_department"),
       summary="Record a visit; inside the requested revisit window it is on time and earns points")
def record_visit(call):
    b = call.body
    return 201, visits.record_visit(call.principal.clinic_id, call.params["patient_id"], visit_date=b.visit_date,
                                    department=b.department, next_due_date=b.next_due_date,
                                    recorded_by=call.principal.username, principal=call.principal, idem=call.idem)


@route(bp, "/visits/import", methods=("POST",), roles=STAFF, content_types=("text/csv", "text/plain"),
       query=ImportQuery, reply=replies.ImportVisitsReply, errors=("invalid_csv",),
       summary="Import visits from a hospital CSV export; bad rows are reported by line, good rows kept "
               "(?dry_run=true: what would be recorded, nothing written)")
def import_visits(call):
    return visits.import_csv(call.principal.clinic_id, call.text(), call.principal.username,
                             dry_run=call.query.dry_run)


@route(bp, "/patients/{patient_id}/remissions", methods=("POST",), roles=STAFF, body=RemissionBody,
       reply=replies.RemissionReply, status=201,
       errors=("invalid_date", "unknown_condition"),
       summary="Record that a condition eased; plans its recall reminders")
def remission(call):
    return 201, visits.record_remission(call.principal.clinic_id, call.params["patient_id"], call.body.condition,
                                        call.body.date)


@route(bp, "/patients/{patient_id}/bookings", methods=("POST",), roles=STAFF, body=BookingBody,
       reply=replies.BookingReply, status=201, errors=("invalid_date",),
       summary="Record a booking; stops the recall reminders planned before it")
def booking(call):
    return 201, visits.record_booking(call.principal.clinic_id, call.params["patient_id"], call.body.date)


@route(bp, "/patients/{patient_id}/points", roles=STAFF, query=Page,
       reply=replies.MyPointsReply, errors=("invalid_cursor",),
       summary="A patient's balance, tier and one page of the ledger, newest first, by cursor")
def patient_points(call):
    patient = patient_service.own_patient(call.principal.clinic_id, call.params["patient_id"])
    return activity.points_view(call.principal.clinic_id, patient, call.query.limit, call.query.cursor)


@route(bp, "/patients/{patient_id}/visits", roles=STAFF, query=Page,
       reply=replies.PatientVisitsPage, errors=("invalid_cursor",),
       summary="One page of a patient's visits, newest first, by cursor")
def patient_visits(call):
    return patient_service.visits_page(call.principal.clinic_id, call.params["patient_id"], call.query.limit,
                                       call.query.cursor)


@route(bp, "/patients/{patient_id}/checkins", roles=STAFF, query=Page,
       reply=replies.PatientCheckinsPage, errors=("invalid_cursor",),
       summary="One page of a patient's check-ins, newest first, by cursor")
def patient_checkins(call):
    return patient_service.checkins_page(call.principal.clinic_id, call.params["patient_id"], call.query.limit,
                                         call.query.cursor)


@route(bp, "/patients/{patient_id}/points/adjustments", methods=("POST",), roles=STAFF, body=AdjustmentBody,
       idempotent=IN_TRANSACTION,
       reply=replies.AdjustPointsReply, status=201,
       errors=("insufficient_points",),
       summary="A manual points adjustment: a new ledger entry with a reason and the staff id")
def adjust_points(call):
    return 201, activity.adjust(call.principal, call.params["patient_id"], call.body.points, call.body.reason,
                                call.idem)


@route(bp, "/patients/{patient_id}/points/reversals", methods=("POST",), roles=STAFF, body=ReversalBody,
       idempotent=IN_TRANSACTION,
       reply=replies.AdjustPointsReply, status=201, errors=("entry_exists", "entry_not_found"),
       summary="Reverse one ledger entry with an opposite entry (once per entry)")
def reverse_points(call):
    return 201, activity.reverse(call.principal, call.params["patient_id"], call.body.entry_id, call.body.reason,
                                 call.idem)


@route(bp, "/segments/lapsed", roles=STAFF, query=LapsedQuery,
       reply=replies.LapsedReply,
       errors=("invalid_cursor", "unknown_condition"),
       summary="Patients of a condition whose last visit is older than N days (index query, by cursor)")
def lapsed(call):
    q = call.query
    return patient_service.lapsed(call.principal.clinic_id, q.condition, q.days, q.limit, q.cursor)


@route(bp, "/reminders", roles=STAFF, query=Page,
       reply=replies.ReminderLogReply,
       summary="The reminder log, newest first")
def reminder_log(call):
    return outbound.reminder_log(call.principal.clinic_id, call.query.limit, call.query.cursor)


@route(bp, "/dashboard", roles=READERS,
       reply=replies.DashboardReply,
       summary="Precomputed KPIs and chart data of the clinic")
def dashboard(call):
    return clinics.dashboard(call.principal.clinic_id)


@route(bp, "/rewards", roles=PATIENT + READERS,
       reply=replies.RewardsReply,
       summary="The rewards catalogue")
def rewards(call):
    return {"items": activity.rewards(call.principal.clinic_id)}


@route(bp, "/rewards", methods=("POST",), roles=ADMIN, body=RewardBody,
       reply=replies.RewardItem, status=201,
       summary="Add or change a reward")
def put_reward(call):
    return 201, clinics.put_reward(call.principal.clinic_id, call.body)
