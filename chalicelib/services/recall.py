"""Recall rules (S5): admins keep them, anchor events plan their jobs, and the recall composer
turns a due job into the patient's message or a reason to stop."""

from __future__ import annotations

from datetime import date, time, timedelta

from chalicelib.domain import delivery
from chalicelib.domain import timing as timing_rules
from chalicelib.domain.capacity import NOT_HEALTH_ANCHORS
from chalicelib.domain.clock import clock, iso, local_date, local_moment
from chalicelib.domain.delivery import Message, Stop
from chalicelib.domain.timing import TIMINGS
from chalicelib.domain.rules import (
    ANCHORS,
    STOP_EVENTS,
    TARGETING,
    TEMPLATE_VARIABLES,
    RecallRule,
    RuleError,
    parse_wall_time,
    render_template,
    rule_matches,
    validate_rule,
)
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.store import clinics, patients, recall

KIND = "recall"
DEFAULT_DOCTOR = "您的医生"
# A recall about a condition, a visit, a surgery or a delivery gives health advice ("relapses are
# common in spring, come this week"), so it carries the health notice content steps carry; a
# package renewal reminder is about a contract, not health, and does not.


def health_content(anchor: str | None) -> bool:
    return anchor not in NOT_HEALTH_ANCHORS


def rule_row(item, clinic) -> dict:
    """A rule as listed, with the days it sends on today (`send_days`: its offsets, or moved to
    the learned day) and the learned day it follows (None: fixed timing, or no curve yet)."""
    rule = clinics.as_rule(item)
    plan = schedule_for(clinic, rule, rule.timing)
    return {"rule_id": rule.rule_id, "condition": rule.condition, "department": rule.department,
            "anchor": rule.anchor, "offsets": list(rule.all_offsets()), "send_at": rule.send_at.strftime("%H:%M"),
            "template": rule.template, "purpose": rule.purpose, "stop_on": list(rule.stop_on),
            "active": rule.active, "updated_at": item.updated_at, "timing": rule.timing,
            "send_days": list(plan.days), "learned_day": plan.learned_day,
            "targeting": rule.targeting, "uplift_threshold": rule.uplift_threshold}


def schedule_for(clinic, rule: RecallRule, timing: str) -> timing_rules.Schedule:
    """The days `rule` sends on with this timing: learned, its condition's suggested recall day
    from the last training (kept on the clinic, so no extra read), held within the clinic's bounds;
    its own offsets when fixed or while the condition has no curve."""
    learned = (clinic.learned_recall_days or {}).get("days") or {}
    suggested = learned.get(rule.condition) if rule.condition else None
    return timing_rules.schedule(rule.all_offsets(), timing, suggested, timing_rules.bounds_from(clinic.recall_timing))


def rules_view(clinic_id: str) -> dict:
    from chalicelib.services.catalogue import of_clinic

    clinic = clinics.get(clinic_id)
    items = sorted(clinics.recall_rules(clinic_id), key=lambda i: i.rule_id)
    return {"items": [rule_row(i, clinic) for i in items],
            "options": {"anchors": list(ANCHORS), "conditions": list(clinic.conditions), "timings": list(TIMINGS),
                        "departments": list(of_clinic(clinic).codes("departments")), "variables": list(TEMPLATE_VARIABLES),
                        "stop_on": list(STOP_EVENTS), "purposes": ["service", "marketing"],
                        "targeting": list(TARGETING)}}


def _rule_of_body(clinic, rule_id: str, body) -> RecallRule:
    """The rule a request body describes, checked (BadRequest with the rule's code otherwise)."""
    try:
        send_at = parse_wall_time(body.send_at)
        rule = RecallRule(rule_id=rule_id, condition=body.condition, anchor=body.anchor,
                          offset_days=body.offsets[0] if body.offsets else 0, send_at=send_at,
                          template=body.template, purpose=body.purpose, department=body.department,
                          offsets=tuple(body.offsets), stop_on=tuple(body.stop_on), active=body.active,
                          timing=body.timing, targeting=body.targeting,
                          uplift_threshold=body.uplift_threshold)
        from chalicelib.services.catalogue import of_clinic

        return validate_rule(rule, clinic.conditions, of_clinic(clinic).codes("departments"))
    except RuleError as err:
        raise BadRequest(str(err), code=err.code, field=err.field) from err


def put_rule(clinic_id: str, rule_id: str, body) -> dict:
    """Create or replace a rule. Jobs planned already keep their time; at send they use the rule as it is."""
    clinic = clinics.get(clinic_id)
    rule = _rule_of_body(clinic, rule_id, body)
    item = clinics.put_recall_rule(clinic_id, rule, updated_at=iso(clock.now()))
    return {"rule": rule_row(item, clinic)}


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
    return {"rule": rule_row(clinics.put_recall_rule(clinic_id, rule, active=active, updated_at=iso(clock.now())),
                             clinics.get(clinic_id))}


def _rule_item(clinic_id: str, rule_id: str):
    return clinics.recall_rule(clinic_id, rule_id)


def _send_time_for(clinic_id: str, rule: RecallRule, patient_id: str):
    """The rule's send time, or the send time of the patient's arm when an experiment varies it."""
    from chalicelib.services import experiments

    arm = experiments.arm_for(clinic_id, "recall_rule", rule.rule_id, patient_id)
    return parse_wall_time(arm.send_at) if arm and arm.send_at else rule.send_at


TIMING_TARGET = "recall_timing"  # the experiments' target kind of a rule's timing (fixed against learned)


def _timing_arm(clinic_id: str, rule: RecallRule, patient_id: str):
    """The patient's arm when an experiment compares fixed and learned timing on the rule (None: none runs)."""
    from chalicelib.services import experiments

    return experiments.arm_for(clinic_id, TIMING_TARGET, rule.rule_id, patient_id)


def plan_for_anchor(clinic_id: str, patient_id: str, anchor: str, day: date, *, condition: str | None = None,
                    department: str | None = None, context: dict | None = None, patient=None) -> list[dict]:
    """Keep the anchor event, then plan one job per matching active rule and offset of it, once each.

    The job id is (patient, rule, anchor date, rule offset), so recording the same event again plans
    nothing new, even when a learned rule's day moved meanwhile. A learned rule sends on its
    condition's learned day (`schedule_for`); an experiment on the rule's timing decides it by the
    patient's arm instead, and the patient is counted in it once a job is planned (see
    docs/experiments.md, "Timing experiments"). An offset whose send time passed more than
    domain.delivery.STALE_PLAN_DAYS ago is not planned (an old visit imported late does not fire a
    reminder at once). `context` may carry `doctor`, `package` ...; the template sees `doctor`.
    """
    if anchor not in ANCHORS:
        raise BadRequest(f"unknown anchor {anchor!r}", code="unknown_anchor", field="anchor")
    clinic = clinics.get(clinic_id)
    patient = patient or patients.get(clinic_id, patient_id)
    from chalicelib.store import anchors

    anchors.record(clinic_id, patient_id, anchor, day, condition=condition, department=department,
                   conditions=patient.conditions, patient_department=patient.department, context=context)
    planned = []
    for item in clinics.recall_rules(clinic_id):
        rule = clinics.as_rule(item)
        if not rule_matches(rule, anchor, condition=condition, department=department,
                            patient_conditions=patient.conditions, patient_department=patient.department):
            continue
        arm = _timing_arm(clinic_id, rule, patient_id)
        plan = schedule_for(clinic, rule, arm.arm_id if arm else rule.timing)
        rows = _plan_rule(clinic, rule, patient_id, anchor, day, plan, context)
        planned += rows
        if arm and any(r["created"] for r in rows):
            _expose_timing(clinic, rule, patient, arm, day)
    return planned


def _plan_rule(clinic, rule: RecallRule, patient_id: str, anchor: str, day: date, plan: timing_rules.Schedule,
               context: dict | None) -> list[dict]:
    """Plan a rule's jobs of one anchor on the days of `plan`; rows as plan_for_anchor answers them."""
    from chalicelib.services import outbound

    send_at = _send_time_for(clinic.clinic_id, rule, patient_id)
    stale_before = clock.now() - timedelta(days=delivery.STALE_PLAN_DAYS)
    rows = []
    for nominal, days in plan.pairs():
        due = local_moment(day + timedelta(days=days), send_at, clinic.tz)
        row = {"rule_id": rule.rule_id, "offset_days": days, "due_at": iso(due), "timing": plan.source}
        if due < stale_before:
            rows.append({**row, "created": False, "skipped": "past"})
            continue
        job_context = dict(context or {})
        if plan.source == timing_rules.LEARNED:
            job_context["send_day"] = days  # the day it goes out on; the job is named by the rule's offset
        created = outbound.plan(clinic.clinic_id, patient_id, kind=KIND, source_id=rule.rule_id,
                                anchor_date=day.isoformat(), offset_days=nominal, due_at=iso(due),
                                purpose=rule.purpose, context=job_context or None, anchor=anchor,
                                condition=rule.condition, stop_on=rule.stop_on)
        rows.append({**row, "created": created})
    return rows


def _expose_timing(clinic, rule: RecallRule, patient, arm, day: date) -> None:
    """Count a patient in a timing experiment when their anchor's reminders are planned: from the
    day after the anchor, whichever arm's day the reminder comes on. A patient who could not get the
    message (no consent for its purpose, or in the clinic's lasting holdout for marketing) is left
    out of both arms alike."""
    from chalicelib.domain.holdout import share_of, withheld
    from chalicelib.services import experiments

    consent = (patient.consents or {}).get(rule.purpose) or {}
    if not consent.get("granted"):
        return
    if withheld(rule.purpose, clinic.clinic_id, patient.patient_id, share_of(clinic.holdout_share)):
        return
    start = local_moment(day + timedelta(days=1), time(0, 0), clinic.tz)
    experiments.record_exposure(clinic.clinic_id, arm.experiment_id, arm.arm_id, patient.patient_id, iso(start),
                                f"{rule.rule_id}#{day.isoformat()}")


# -- a rule's reach and planning it for anchors already recorded --------------------------------

def _reach(clinic, rule: RecallRule, rule_id: str | None):
    """(figures, the sends not yet planned) of a rule over the clinic's recorded anchors."""
    from chalicelib.store import anchors

    plan = schedule_for(clinic, rule, rule.timing)
    now = clock.now()
    stale_before = now - timedelta(days=delivery.STALE_PLAN_DAYS)
    today = local_date(now, clinic.tz)
    first = local_date(stale_before, clinic.tz) - timedelta(days=max(plan.days))
    last = today + timedelta(days=max(0, -min(plan.days)))  # anchors known ahead (a package's end)
    records = [a for a in anchors.between(clinic.clinic_id, rule.anchor, first, last)
               if rule_matches(rule, rule.anchor, condition=a.condition, department=a.department,
                               patient_conditions=a.conditions, patient_department=a.patient_department)]
    profiles = anchors.profiles(clinic.clinic_id, {a.patient_id for a in records})
    from chalicelib.domain.holdout import share_of, withheld

    share = share_of(clinic.holdout_share)

    def reachable(patient_id: str) -> bool:
        profile = profiles.get(patient_id)
        if profile is None or not (profile.consents.get(rule.purpose) or {}).get("granted"):
            return False
        return not withheld(rule.purpose, clinic.clinic_id, patient_id, share)

    contexts = {(a.patient_id, a.day): a.context for a in records}
    found = {timing_rules.Anchor(a.patient_id, a.day, profiles[a.patient_id].last_visit_date)
             for a in records if reachable(a.patient_id)}
    sends = timing_rules.sends_of(sorted(found), plan, send_at=rule.send_at, tz=clinic.tz, stale_before=stale_before,
                                  anchor=rule.anchor, stop_on=rule.stop_on)
    figures = timing_rules.tally(sends, now=now, tz=clinic.tz)
    planned = anchors.planned_jobs(clinic.clinic_id, KIND, rule_id,
                                   [(s.patient_id, s.anchor_day.isoformat(), s.nominal) for s in sends]) \
        if rule_id and sends else set()
    missing = [s for s in sends if (s.patient_id, s.anchor_day.isoformat(), s.nominal) not in planned]
    return figures, missing, plan, contexts


def preview(clinic_id: str, body) -> dict:
    """How many patients a rule (as in the body, not saved) reaches from the anchors the clinic has
    recorded: due now, due within the next 30 days, and with an anchor inside its window whose
    messages are not planned yet (what `backfill` would plan once the rule is saved). With
    `rule_id`, the rule's jobs planned already count as planned."""
    clinic = clinics.get(clinic_id)
    rule = _rule_of_body(clinic, body.rule_id or "preview", body)
    figures, missing, plan, _ = _reach(clinic, rule, body.rule_id)
    return {"now": figures.now, "next_30_days": figures.next_days,
            "already_in_window": len({s.patient_id for s in missing}), "timing": plan.source,
            "send_days": list(plan.days), "learned_day": plan.learned_day}


def backfill(clinic_id: str, rule_id: str) -> dict:
    """Plan a saved rule for the patients whose recorded anchor already lies inside its window:
    each message of theirs not past and not planned yet, on the rule's own timing (an experiment
    on its timing counts only patients planned from a new anchor). Planned once: a second call
    finds the jobs and plans nothing."""
    record = _rule_item(clinic_id, rule_id)
    if record is None:
        raise NotFound("no such recall rule", code="rule_not_found", field="rule_id")
    rule = clinics.as_rule(record)
    if not rule.active:
        raise Conflict("an inactive rule plans nothing; activate it first", code="rule_inactive", field="rule_id")
    clinic = clinics.get(clinic_id)
    _, missing, plan, contexts = _reach(clinic, rule, rule_id)
    by_anchor: dict[tuple[str, date], set[int]] = {}
    for send in missing:
        by_anchor.setdefault((send.patient_id, send.anchor_day), set()).add(send.nominal)
    created, reached = 0, set()
    for (patient_id, day), nominals in sorted(by_anchor.items()):
        pairs = [(n, d) for n, d in plan.pairs() if n in nominals]
        wanted = plan._replace(nominal=tuple(n for n, _ in pairs), days=tuple(d for _, d in pairs))
        rows = _plan_rule(clinic, rule, patient_id, rule.anchor, day, wanted, contexts.get((patient_id, day)))
        made = sum(1 for r in rows if r["created"])
        created += made
        if made:
            reached.add(patient_id)
    return {"rule_id": rule_id, "planned": created, "patients": len(reached)}


def timing_view(clinic_id: str, clinic=None) -> dict:
    """The clinic's bounds on learned recall days and each condition's learned day (as bounded)."""
    clinic = clinic or clinics.get(clinic_id)
    bounds = timing_rules.bounds_from(clinic.recall_timing)
    learned = clinic.learned_recall_days or {}
    days = learned.get("days") or {}
    return {**bounds.as_dict(), "defaults": timing_rules.Bounds().as_dict(), "computed_at": learned.get("computed_at"),
            "conditions": [{"condition": c, "suggested_day": int(d), "learned_day": timing_rules.learned_day(d, bounds)}
                           for c, d in sorted(days.items())]}


def put_timing(clinic_id: str, body) -> dict:
    try:
        bounds = timing_rules.check_bounds(body.earliest_day, body.latest_day)
    except timing_rules.TimingError as err:
        raise BadRequest(str(err), code=err.code, field=err.field) from err
    return timing_view(clinic_id, clinics.set_recall_timing(clinic_id, bounds.as_dict()))


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


def jobs_to_stop(clinic_id: str, patient_id: str, day: str, event: str, jobs: list | None = None) -> list:
    """Open jobs anchored on or before `day` whose rule says this event (booked, visited) stops them
    (of `jobs`, the patient's jobs if already read).

    The jobs a visit anchor planned on that same day are the visit's own, so that visit keeps them.
    """
    stopping = []
    for job in (recall.open_jobs(clinic_id, patient_id) if jobs is None else [j for j in jobs if recall.is_open(j)]):
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
    if arm is None and _low_uplift(ctx.clinic_id, rule, job, patient.patient_id):
        return Stop(LOW_UPLIFT)
    # the slot is offered by the sender once it may send (services.capacity): a real slot held for the
    # patient, or the suggested opening time where the department keeps no schedules; a renewal
    # reminder asks for no visit, so it keeps the suggestion and never waits for a place
    from chalicelib.services.capacity import offers_slot, suggested_slot_text

    offer = offers_slot(KIND, job.anchor or rule.anchor)
    slot_text = delivery.SLOT if offer else suggested_slot_text(ctx)
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
                   values={"slot": slot_text}, offer_department=rule.department,
                   wants_offer=offer)


LOW_UPLIFT = "low_uplift"


def _low_uplift(clinic_id: str, rule: RecallRule, job, patient_id: str) -> bool:
    """A marketing rule targeting by uplift leaves out a patient predicted not to be moved by it.
    Patients in a running experiment on the rule are not targeted: their reminders, decided by
    chance, are what the uplift model learns from (services.uplift)."""
    if rule.targeting != "uplift":
        return False
    from chalicelib.services import uplift

    return uplift.leaves_out(clinic_id, rule, job.purpose, patient_id)


def anchor_window(job, rule: RecallRule, tz: str) -> delivery.Window | None:
    """The end of the job's anchor window under the rule as it is now (the next offset's time, or
    the end of the anchor day for a reminder before it); the sender closes the job as stale after it."""
    if job.offset_days is None or not job.anchor_date:
        return None
    from chalicelib.domain.clock import parse_iso

    return delivery.recall_window(parse_iso(job.due_at), int(job.offset_days), rule.all_offsets(),
                                  date.fromisoformat(job.anchor_date), tz)
