"""Staff routes (admin site): clinic settings, patients, visits, segments, reminders, dashboard."""

from __future__ import annotations

from datetime import date, timedelta

from chalice import Blueprint

from chalicelib.api.routing import ADMIN, IN_TRANSACTION, PATIENT, STAFF, route
from chalicelib.domain.clock import clock, local_date
from chalicelib.domain.kpis import silent_days_of
from chalicelib.domain.rules import DEFAULT_EARNING_RULES
from chalicelib.errors import BadRequest
from chalicelib.lazy import lazy

activity = lazy("chalicelib.services.activity")
visits = lazy("chalicelib.services.visits")
patient_service = lazy("chalicelib.services.patients")
clinics = lazy("chalicelib.store.clinics")
history = lazy("chalicelib.store.history")
lots = lazy("chalicelib.store.lots")
patients = lazy("chalicelib.store.patients")
recall = lazy("chalicelib.store.recall")
reports = lazy("chalicelib.store.reports")

bp = Blueprint(__name__)


@route(bp, "/clinic", roles=STAFF, summary="The caller's clinic: settings, conditions, earning rules")
def clinic(call):
    item = clinics.get(call.principal.clinic_id)
    return {"clinic_id": call.principal.clinic_id, "name": item.name, "tz": item.tz,
            "conditions": list(item.conditions), "earning_rules": {**DEFAULT_EARNING_RULES, **(item.earning_rules or {})},
            "earning_limits": _limits(item), "points_expiry_months": lots.term_months(item),
            "silent_days": silent_days_of(item.silent_days)}


def _limits(item) -> dict:
    from chalicelib.domain.earning import effective_limits

    return effective_limits(item.earning_limits, DEFAULT_EARNING_RULES)


@route(bp, "/clinic/earning-rules", methods=("PUT",), roles=ADMIN, body="EarningRulesBody",
       summary="Set the clinic's points earning rules")
def earning_rules(call):
    clinics.set_earning_rules(call.principal.clinic_id, call.body.model_dump())
    return {"earning_rules": call.body.model_dump()}


@route(bp, "/clinic/earning-limits", methods=("PUT",), roles=ADMIN, body="EarningLimitsBody",
       summary="Set how often each earning rule may pay per clinic-local day, week and month")
def earning_limits(call):
    from chalicelib.domain.earning import limits_in_order

    item = clinics.get(call.principal.clinic_id, fresh=True)
    settings = dict(item.earning_limits or {})
    for rule, periods in call.body.limits.items():
        chosen = periods.model_dump(exclude_none=True)
        if not limits_in_order(chosen):
            raise BadRequest(f"{rule}: a day's limit cannot exceed the week's, nor the week's the month's",
                             code="limits_out_of_order", field=f"limits.{rule}")
        settings[rule] = chosen
    clinics.set_earning_limits(call.principal.clinic_id, settings)
    return {"earning_limits": _limits(clinics.get(call.principal.clinic_id, fresh=True))}


@route(bp, "/clinic/points-expiry", methods=("PUT",), roles=ADMIN, body="PointsExpiryBody",
       summary="Set the clinic's points term; it applies to points earned from now on")
def points_expiry(call):
    clinics.set_points_expiry(call.principal.clinic_id, call.body.months)
    return {"points_expiry_months": call.body.months}


@route(bp, "/clinic/silent-days", methods=("PUT",), roles=ADMIN, body="SilentDaysBody",
       summary="Set after how many days without any interaction a patient is silent (dashboard and the silent segment)")
def silent_days(call):
    from chalicelib.services.clinics import set_silent_days

    return set_silent_days(call.principal.clinic_id, call.body.days,
                           call.principal.username or call.principal.subject)


@route(bp, "/patients", roles=STAFF, query="Page", summary="The clinic's patients, newest first, by cursor")
def list_patients(call):
    items, cursor = patients.list_page(call.principal.clinic_id, call.query.limit, call.query.cursor)
    return {"items": [patient_service.list_row(p) for p in items], "next_cursor": cursor}


@route(bp, "/patients", methods=("POST",), roles=STAFF, body="PatientRecord", idempotent=True,
       summary="Register a patient at the desk (建档), with the consent the patient gave")
def create_patient(call):
    item = patient_service.register(call.principal.clinic_id, call.body)
    return 201, {"patient": patient_service.profile_view(item, full_phone=False)}


@route(bp, "/patients/{patient_id}", roles=STAFF, summary="One patient: profile, consent, visits, check-ins, points, who referred them and how many they referred")
def patient_detail(call):
    clinic_id, patient_id = call.principal.clinic_id, call.params["patient_id"]
    item = patients.get(clinic_id, patient_id)
    ledger = history.ledger(clinic_id, patient_id)
    return {
        "patient": patient_service.profile_view(item, full_phone=False),
        "consents": patient_service.consents_view(item),
        "consent_log": history.consent_log(clinic_id, patient_id),
        "visits": history.visits(clinic_id, patient_id),
        "checkins": history.checkins(clinic_id, patient_id, limit=60),
        "ledger": ledger,
        "referral": {"invite_code": item.invite_code, "referred_by": item.referred_by,
                     "referred": sum(1 for e in ledger if e["reason"] == "referral_registered")},
    }


@route(bp, "/patients/{patient_id}/visits", methods=("POST",), roles=STAFF, body="VisitBody", idempotent=IN_TRANSACTION,
       summary="Record a visit; inside the requested revisit window it is on time and earns points")
def record_visit(call):
    b = call.body
    return 201, visits.record_visit(call.principal.clinic_id, call.params["patient_id"], visit_date=b.visit_date,
                                    department=b.department, next_due_date=b.next_due_date,
                                    recorded_by=call.principal.username, principal=call.principal, idem=call.idem)


@route(bp, "/visits/import", methods=("POST",), roles=STAFF, content_types=("text/csv", "text/plain"),
       summary="Import visits from a hospital CSV export; bad rows are reported by line, good rows kept")
def import_visits(call):
    return visits.import_csv(call.principal.clinic_id, call.text(), call.principal.username)


@route(bp, "/patients/{patient_id}/remissions", methods=("POST",), roles=STAFF, body="RemissionBody",
       summary="Record that a condition eased; plans its recall reminders")
def remission(call):
    return 201, visits.record_remission(call.principal.clinic_id, call.params["patient_id"], call.body.condition,
                                        call.body.date)


@route(bp, "/patients/{patient_id}/bookings", methods=("POST",), roles=STAFF, body="BookingBody",
       summary="Record a booking; stops the recall reminders planned before it")
def booking(call):
    return 201, visits.record_booking(call.principal.clinic_id, call.params["patient_id"], call.body.date)


@route(bp, "/patients/{patient_id}/points", roles=STAFF, summary="A patient's balance, tier and ledger")
def patient_points(call):
    patient = patients.get(call.principal.clinic_id, call.params["patient_id"])
    return activity.points_view(call.principal.clinic_id, patient)


@route(bp, "/patients/{patient_id}/points/adjustments", methods=("POST",), roles=STAFF, body="AdjustmentBody",
       idempotent=IN_TRANSACTION, summary="A manual points adjustment: a new ledger entry with a reason and the staff id")
def adjust_points(call):
    return 201, activity.adjust(call.principal, call.params["patient_id"], call.body.points, call.body.reason,
                                call.idem)


@route(bp, "/patients/{patient_id}/points/reversals", methods=("POST",), roles=STAFF, body="ReversalBody",
       idempotent=IN_TRANSACTION, summary="Reverse one ledger entry with an opposite entry (once per entry)")
def reverse_points(call):
    return 201, activity.reverse(call.principal, call.params["patient_id"], call.body.entry_id, call.body.reason,
                                 call.idem)


@route(bp, "/segments/lapsed", roles=STAFF, query="LapsedQuery",
       summary="Patients of a condition whose last visit is older than N days (index query, by cursor)")
def lapsed(call):
    q = call.query
    clinic = clinics.get(call.principal.clinic_id)
    if q.condition not in clinic.conditions:
        raise BadRequest(f"unknown condition {q.condition!r}", code="unknown_condition", field="condition")
    today = local_date(clock.now(), clinic.tz)
    cutoff = (today - timedelta(days=q.days)).isoformat()
    items, cursor = reports.lapsed_page(call.principal.clinic_id, q.condition, cutoff, q.limit, q.cursor)
    rows = []
    for item in items:
        last = item.last_visit_date
        days = (today - date.fromisoformat(last)).days if last else None
        rows.append({"patient_id": item.patient_id, "name_masked": item.name_masked, "last_visit_date": last,
                     "days_since": days})
    return {"items": rows, "next_cursor": cursor, "cutoff": cutoff}


@route(bp, "/reminders", roles=STAFF, query="Page", summary="The reminder log, newest first")
def reminder_log(call):
    items, cursor = recall.reminder_log(call.principal.clinic_id, call.query.limit, call.query.cursor)
    return {"items": [{"patient_id": j.patient_id, "rule_id": j.rule_id, "condition": j.condition,
                       "anchor_date": j.anchor_date, "due_at": j.due_at, "status": j.status,
                       "processed_at": j.processed_at, "channel": j.channel, "kind": j.kind, "purpose": j.purpose,
                       "offset_days": int(j.offset_days) if j.offset_days is not None else None,
                       "error_code": j.error_code, "stop_reason": j.stop_reason,
                       "deliveries": j.deliveries or []} for j in items],
            "next_cursor": cursor}


@route(bp, "/dashboard", roles=STAFF, summary="Precomputed KPIs and chart data of the clinic")
def dashboard(call):
    clinic_id = call.principal.clinic_id
    item = clinics.get(clinic_id)
    kpi = reports.load_kpis(clinic_id)
    return {"clinic": {"clinic_id": clinic_id, "name": item.name, "tz": item.tz,
                       "silent_days": silent_days_of(item.silent_days)},
            "generated_at": kpi.generated_at if kpi else None,
            "kpis": kpi.kpis if kpi else {}, "charts": kpi.charts if kpi else {}}


@route(bp, "/rewards", roles=PATIENT + ("staff", "admin"), summary="The rewards catalogue")
def rewards(call):
    return {"items": activity.rewards(call.principal.clinic_id)}


@route(bp, "/rewards", methods=("POST",), roles=ADMIN, body="RewardBody", summary="Add or change a reward")
def put_reward(call):
    b = call.body
    item = clinics.put_reward(call.principal.clinic_id, b.reward_id, b.name, b.cost, b.name_en, b.active,
                              b.stock, b.per_patient_limit)
    return 201, activity.reward_row(item)
