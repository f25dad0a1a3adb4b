"""Recall rules (S5): admins keep them, anchor events plan their jobs, and the recall composer
turns a due job into the patient's message or a reason to stop."""

from __future__ import annotations

from datetime import date, timedelta

from chalicelib.domain import delivery
from chalicelib.domain.clock import clock, iso, local_date, local_moment
from chalicelib.domain.delivery import Message, Stop
from chalicelib.domain.rules import (
    ANCHORS,
    STOP_EVENTS,
    TEMPLATE_VARIABLES,
    RecallRule,
    RuleError,
    parse_wall_time,
    render_template,
    rule_matches,
    validate_rule,
)
from chalicelib.errors import BadRequest, NotFound
from chalicelib.store import clinics, patients, recall

KIND = "recall"
DEFAULT_DOCTOR = "您的医生"
# A recall about a condition, a visit, a surgery or a delivery gives health advice ("relapses are
# common in spring, come this week"), so it carries the health notice content steps carry; a
# package renewal reminder is about a contract, not health, and does not.
NOT_HEALTH_ANCHORS = ("package_end",)


def health_content(anchor: str | None) -> bool:
    return anchor not in NOT_HEALTH_ANCHORS


def rule_row(item) -> dict:
    rule = clinics.as_rule(item)
    return {"rule_id": rule.rule_id, "condition": rule.condition, "department": rule.department,
            "anchor": rule.anchor, "offsets": list(rule.all_offsets()), "send_at": rule.send_at.strftime("%H:%M"),
            "template": rule.template, "purpose": rule.purpose, "stop_on": list(rule.stop_on),
            "active": rule.active, "updated_at": item.updated_at}


def rules_view(clinic_id: str) -> dict:
    from chalicelib.services.catalogue import of_clinic

    clinic = clinics.get(clinic_id)
    items = sorted(clinics.recall_rules(clinic_id), key=lambda i: i.rule_id)
    return {"items": [rule_row(i) for i in items],
            "options": {"anchors": list(ANCHORS), "conditions": list(clinic.conditions),
                        "departments": list(of_clinic(clinic).codes("departments")), "variables": list(TEMPLATE_VARIABLES),
                        "stop_on": list(STOP_EVENTS), "purposes": ["service", "marketing"]}}


def put_rule(clinic_id: str, rule_id: str, body) -> dict:
    """Create or replace a rule. Jobs planned already keep their time; at send they use the rule as it is."""
    clinic = clinics.get(clinic_id)
    try:
        send_at = parse_wall_time(body.send_at)
        rule = RecallRule(rule_id=rule_id, condition=body.condition, anchor=body.anchor,
                          offset_days=body.offsets[0] if body.offsets else 0, send_at=send_at,
                          template=body.template, purpose=body.purpose, department=body.department,
                          offsets=tuple(body.offsets), stop_on=tuple(body.stop_on), active=body.active)
        from chalicelib.services.catalogue import of_clinic

        rule = validate_rule(rule, clinic.conditions, of_clinic(clinic).codes("departments"))
    except RuleError as err:
        raise BadRequest(str(err), code=err.code, field=err.field) from err
    item = clinics.put_recall_rule(clinic_id, rule, updated_at=iso(clock.now()))
    return {"rule": rule_row(item)}


def delete_rule(clinic_id: str, rule_id: str) -> dict:
    """Delete a rule; its open jobs are stopped when they come due (the composer finds no rule)."""
    if not clinics.delete_recall_rule(clinic_id, rule_id):
        raise NotFound("no such recall rule", code="rule_not_found", field="rule_id")
    return {"deleted": rule_id}


def set_active(clinic_id: str, rule_id: str, active: bool) -> dict:
    item = _rule_item(clinic_id, rule_id)
    if item is None:
        raise NotFound("no such recall rule", code="rule_not_found", field="rule_id")
    rule = clinics.as_rule(item)
    return {"rule": rule_row(clinics.put_recall_rule(clinic_id, rule, active=active, updated_at=iso(clock.now())))}


def _rule_item(clinic_id: str, rule_id: str):
    return clinics.recall_rule(clinic_id, rule_id)


def _send_time_for(clinic_id: str, rule: RecallRule, patient_id: str):
    """The rule's send time, or the send time of the patient's arm when an experiment varies it."""
    from chalicelib.services import experiments

    arm = experiments.arm_for(clinic_id, "recall_rule", rule.rule_id, patient_id)
    return parse_wall_time(arm.send_at) if arm and arm.send_at else rule.send_at


def plan_for_anchor(clinic_id: str, patient_id: str, anchor: str, day: date, *, condition: str | None = None,
                    department: str | None = None, context: dict | None = None, patient=None) -> list[dict]:
    """Plan one job per matching active rule and offset of this anchor event, once each.

    The job id is (patient, rule, anchor date, offset), so recording the same event again plans
    nothing new. An offset whose send time passed more than domain.delivery.STALE_PLAN_DAYS ago
    is not planned (an old visit imported late does not fire a reminder at once).
    `context` may carry `doctor`, `package` ...; the template sees `doctor`.
    """
    if anchor not in ANCHORS:
        raise BadRequest(f"unknown anchor {anchor!r}", code="unknown_anchor", field="anchor")
    clinic = clinics.get(clinic_id)
    patient = patient or patients.get(clinic_id, patient_id)
    now = clock.now()
    stale_before = now - timedelta(days=delivery.STALE_PLAN_DAYS)
    planned = []
    for item in clinics.recall_rules(clinic_id):
        rule = clinics.as_rule(item)
        if not rule_matches(rule, anchor, condition=condition, department=department,
                            patient_conditions=patient.conditions, patient_department=patient.department):
            continue
        send_at = _send_time_for(clinic_id, rule, patient_id)
        for offset in rule.all_offsets():
            due = local_moment(day + timedelta(days=offset), send_at, clinic.tz)
            row = {"rule_id": rule.rule_id, "offset_days": offset, "due_at": iso(due)}
            if due < stale_before:
                planned.append({**row, "created": False, "skipped": "past"})
                continue
            from chalicelib.services import outbound

            created = outbound.plan(clinic_id, patient_id, kind=KIND, source_id=rule.rule_id,
                                    anchor_date=day.isoformat(), offset_days=offset, due_at=iso(due),
                                    purpose=rule.purpose, context=context, anchor=anchor,
                                    condition=rule.condition, stop_on=rule.stop_on)
            planned.append({**row, "created": created})
    return planned


def record_anchor(clinic_id: str, patient_id: str, anchor: str, day: date, *, condition: str | None,
                  department: str | None, context: dict | None) -> dict:
    """Staff record an anchor event (surgery, delivery date, package end, remission)."""
    if anchor == "visit":
        raise BadRequest("record a visit through POST /patients/{id}/visits", code="use_visit_route", field="anchor")
    clinic = clinics.get(clinic_id)
    patient = patients.get(clinic_id, patient_id)
    if condition and condition not in patient.conditions:
        raise BadRequest("the patient has no such condition", code="unknown_condition", field="condition")
    if department:
        from chalicelib.services import catalogue

        catalogue.require(catalogue.of_clinic(clinic), "departments", [department], "department")
    if anchor != "package_end" and day > local_date(clock.now(), clinic.tz):
        # a package's end is known ahead; the other events are recorded once they happened
        raise BadRequest("date is in the future", code="invalid_date", field="date")
    planned = plan_for_anchor(clinic_id, patient_id, anchor, day, condition=condition, department=department,
                              context=context, patient=patient)
    return {"anchor": anchor, "date": day.isoformat(), "planned": planned}


def jobs_to_stop(clinic_id: str, patient_id: str, day: str, event: str) -> list:
    """Open jobs anchored on or before `day` whose rule says this event (booked, visited) stops them.

    The jobs a visit anchor planned on that same day are the visit's own, so that visit keeps them.
    """
    stopping = []
    for job in recall.open_jobs(clinic_id, patient_id):
        stop_on = job.stop_on if job.stop_on is not None else STOP_EVENTS
        if event not in stop_on or job.anchor_date > day:
            continue
        if event == "visited" and job.anchor == "visit" and job.anchor_date == day:
            continue
        stopping.append(job)
    return stopping


def _renewed(clinic_id: str, patient_id: str, context: dict) -> bool:
    """A package-end reminder's package was renewed meanwhile (its renewal names it)."""
    sale_id = context.get("sale_id")
    if not sale_id:
        return False
    from chalicelib.store import packages

    return any(p.sale_id == sale_id and p.renewed_by for p in packages.packages(clinic_id, patient_id))


def compose(ctx) -> Message | Stop:
    """The recall composer: the rule's template for this patient, or why not to send.

    A running experiment on the rule decides the patient's wording (and incentive) by their arm,
    or holds the message back for the holdout (`Stop("holdout")` carrying the arm, which the
    sender records as an exposure once consent and quiet hours allow the send).
    """
    job, patient = ctx.job, ctx.patient
    item = _rule_item(ctx.clinic_id, job.rule_id)
    if item is None or not item.active:
        return Stop("rule_inactive")
    rule = clinics.as_rule(item)
    if "visited" in (job.stop_on if job.stop_on is not None else rule.stop_on) and patient.last_visit_date:
        after = patient.last_visit_date > job.anchor_date if job.anchor == "visit" else \
            patient.last_visit_date >= job.anchor_date
        if after:
            return Stop("visited")
    context = dict(job.context or {})
    if job.anchor == "package_end" and _renewed(ctx.clinic_id, patient.patient_id, context):
        return Stop("renewed")
    from chalicelib.services import experiments

    window = anchor_window(job, rule, ctx.clinic.tz)
    arm = experiments.arm_for(ctx.clinic_id, "recall_rule", rule.rule_id, patient.patient_id)
    experiment = (arm.experiment_id, arm.arm_id) if arm else None
    if arm and arm.holdout:
        return Stop("holdout", experiment=experiment, window=window)
    slot = delivery.suggested_slot(ctx.now, ctx.clinic.tz, ctx.settings.open_days, ctx.settings.open_at)
    slot_text = delivery.slot_text(slot, ctx.clinic.tz)
    template = arm.template if arm and arm.template else rule.template
    # the nickname stays a placeholder: the stored message holds no name (see domain.delivery.NICKNAME)
    text = render_template(template, nickname=delivery.NICKNAME, clinic=ctx.clinic.name,
                           doctor=context.get("doctor") or DEFAULT_DOCTOR, slot=slot_text,
                           package=context.get("package") or "",
                           incentive=(arm.incentive_text or "") if arm else "")
    from chalicelib.domain.segments import with_notice

    text = with_notice(text, health_content(job.anchor or rule.anchor))
    return Message(title=ctx.clinic.name, body=text, template_id=ctx.template_id(KIND),
                   link="pages/messages/index", data={"time3": slot_text}, experiment=experiment, window=window,
                   values={"slot": slot_text})


def anchor_window(job, rule: RecallRule, tz: str) -> delivery.Window | None:
    """The end of the job's anchor window under the rule as it is now (the next offset's time, or
    the end of the anchor day for a reminder before it); the sender closes the job as stale after it."""
    if job.offset_days is None or not job.anchor_date:
        return None
    from chalicelib.domain.clock import parse_iso

    return delivery.recall_window(parse_iso(job.due_at), int(job.offset_days), rule.all_offsets(),
                                  date.fromisoformat(job.anchor_date), tz)
