"""Segments kept up to date one patient at a time: every event re-evaluates that patient against
the clinic's segments and writes only what changed; the flip index catches rules that change
with time; a new or edited segment is built once by a resumable job (chalicelib.jobs.segments).

Integration points for other parts: `reevaluate(clinic_id, patient)` after any change of a
profile fact (risk score, follow-up outcome), `record_event(...)` for a patient interaction, and
`plan_first_step(...)` where a join hands a content path to the outbound planner.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from chalicelib.domain import segments as rules
from chalicelib.domain.clock import clock, iso, local_date, local_moment
from chalicelib.errors import BadRequest, Conflict
from chalicelib.observability import logger
from chalicelib.store import clinics
from chalicelib.store import segments as store
from chalicelib.store.patients import Patient
from chalicelib.store.segments import Segment

LIVE = ("building", "ready")
RESERVED_IDS = ("lapsed",)  # /segments/lapsed is the older condition-based list
ATTEMPTS = 4

FACT_ATTRIBUTES = ("conditions", "department", "persona_tags", "district", "consents", "birth_year",
                   "last_visit_date", "last_checkin_date", "last_interaction_at", "created_at", "checkin_days",
                   "balance", "earned_total", "risk_score")


# --- evaluating one patient ----------------------------------------------------------------------


def profile_facts(patient: Patient, **overrides) -> dict:
    """The profile's attributes a rule may look at, as a plain mapping (risk_score may be absent)."""
    facts = {name: getattr(patient, name, None) for name in FACT_ATTRIBUTES}
    facts.update(overrides)
    return facts


def flip_time(day, tz: str) -> str:
    """A flip happens at the start of the clinic-local day."""
    return iso(local_moment(day, time(0), tz))


def decide(patient: Patient, definitions: list[Segment], now: datetime, tz: str,
           facts: dict | None = None) -> store.Change:
    """What the patient's memberships and next flip should be now, compared with the profile."""
    known = rules.facts_from_profile(facts if facts is not None else profile_facts(patient), tz)
    today = local_date(now, tz)
    current = set(patient.segments or ())
    wanted: set[str] = set()
    flips = []
    for segment in definitions:
        if segment.status not in LIVE:
            continue
        try:
            inside = rules.matches(segment.rule, known, today)
            flip = rules.next_flip(segment.rule, known, today) if rules.is_time_relative(segment.rule) else None
        except (KeyError, TypeError, ValueError):
            logger.warning("segment rule not readable", extra={"segment_id": segment.segment_id})
            if segment.segment_id in current:
                wanted.add(segment.segment_id)
            continue
        if inside:
            wanted.add(segment.segment_id)
        if flip is not None:
            flips.append(flip)
    flip_at = flip_time(min(flips), tz) if flips else None
    return store.Change(joins=sorted(wanted - current), leaves=sorted(current - wanted), flip_at=flip_at,
                        flip_changed=flip_at != patient.seg_flip_at)


def memberships_after(patient: Patient, change: store.Change) -> set[str]:
    return (set(patient.segments or ()) | set(change.joins)) - set(change.leaves)


def _later(current: str | None, moment: datetime) -> str:
    candidate = iso(moment)
    return candidate if not current or candidate > current else current


def reevaluate(clinic_id: str, patient, *, interaction_at: datetime | None = None,
               extra: dict | None = None) -> set[str] | None:
    """Re-evaluate one patient against the clinic's segments and write only what changed.

    `patient` is a patient id or a Patient just read (a stale one is read again). With
    `interaction_at` the patient's last interaction moves to that time (if later). `extra` sets
    other profile attributes in the same write ({attribute name: value}, e.g. persona_tags).
    One consistent read of the profile (none when an item is passed) and at most one
    TransactWriteItems. Returns the patient's segment ids after it, None if there is no such patient.
    """
    clinic = clinics.get(clinic_id)
    now = clock.now()
    item = patient if isinstance(patient, Patient) else store.patient(clinic_id, patient)
    for _ in range(ATTEMPTS):
        if item is None:
            return None
        overrides: dict[str, Any] = {}
        if interaction_at is not None:
            later = _later(item.last_interaction_at, interaction_at)
            if later != item.last_interaction_at:
                overrides["last_interaction_at"] = later
        overrides.update(extra or {})
        change = decide(item, store.definitions(clinic_id), now, clinic.tz, profile_facts(item, **overrides))
        change.profile_sets = overrides
        if change.empty:
            return set(item.segments or ())
        if store.write_change(item, change, iso(now), local_date(now, clinic.tz).isoformat()):
            joined(clinic_id, item.patient_id, change.joins, local_date(now, clinic.tz))
            return memberships_after(item, change)
        item = store.patient(clinic_id, item.patient_id)
    raise Conflict("the patient changed meanwhile, try again", code="try_again")


def record_event(clinic_id: str, patient_id: str, at: datetime | None = None) -> set[str] | None:
    """A patient interaction (share, redemption, inbox read, visit): one small write after the event."""
    return reevaluate(clinic_id, patient_id, interaction_at=at or clock.now())


@dataclass
class CheckinMembership:
    """The check-in's share of segment work for the points it credits, as data for its plan.

    `steps` are the profile's new facts and memberships (merged by the plan into the check-in's
    one update of the profile) and the member and flip items; no read beyond the check-in's own,
    no write call of its own. A check-in whose credit changes (a limit reached) asks again.
    """

    steps: list
    joins: list[str]
    clinic_id: str
    patient_id: str
    joined_on: object  # the clinic-local day

    def committed(self) -> None:
        """After the check-in's plan committed: plan the content paths of the segments joined."""
        joined(self.clinic_id, self.patient_id, self.joins, self.joined_on)


def for_checkin(clinic, patient: Patient, checkin, now: datetime, credit: int) -> CheckinMembership:
    """The memberships a check-in crediting `credit` points leads to, as plan steps."""
    from chalicelib.store import plan as plans

    tz = clinic.tz
    today = local_date(now, tz)
    days = rules.recent_checkin_days(patient.checkin_days or [], checkin.local_date, today)
    at = _later(patient.last_interaction_at, now)
    facts = profile_facts(patient, checkin_days=days, last_interaction_at=at,
                          last_checkin_date=checkin.local_date,
                          balance=int(patient.balance or 0) + credit,
                          earned_total=int(patient.earned_total or 0) + max(credit, 0))
    change = decide(patient, store.definitions(patient.clinic_id), now, tz, facts)
    change.profile_sets.update(checkin_days=days, last_interaction_at=at)
    steps = [store.profile_step(patient, change),
             *plans.of_writes(store.member_writes(patient, change, iso(now), today.isoformat()))]
    return CheckinMembership(steps, list(change.joins), patient.clinic_id, patient.patient_id, today)


def prepare_registration(clinic, patient: Patient, now: datetime) -> tuple[Patient, list]:
    """A new profile with its memberships set, before it is written, and the items for its transaction."""
    patient = replace(patient, last_interaction_at=iso(now))
    change = decide(patient, store.definitions(patient.clinic_id), now, clinic.tz)
    patient = replace(patient, segments=set(change.joins) or None, seg_flip_at=change.flip_at, seg_version=1)
    return patient, store.member_writes(patient, change, iso(now), local_date(now, clinic.tz).isoformat())


def registered(clinic, patient: Patient, now: datetime) -> None:
    joined(patient.clinic_id, patient.patient_id, sorted(patient.segments or ()), local_date(now, clinic.tz))


# --- content paths ------------------------------------------------------------------------------


def joined(clinic_id: str, patient_id: str, segment_ids: list[str], joined_on) -> list[dict]:
    """After a join is written: plan the first step of each joined segment's content path."""
    if not segment_ids:
        return []
    by_id = {s.segment_id: s for s in store.definitions(clinic_id)}
    planned = []
    for segment_id in segment_ids:
        segment = by_id.get(segment_id)
        if segment is not None and segment.content_path and segment.content_path.get("steps"):
            planned.append(plan_first_step(clinic_id, segment, patient_id, joined_on))
    return planned


def plan_first_step(clinic_id: str, segment: Segment, patient_id: str, joined_on) -> dict:
    """Joining a segment with a content path plans its first step as an outbound job.

    The job is (patient, "content", segment, join day, step offset), so a repeated join event
    plans nothing twice; the sweep, consent, quiet hours, caps and channels are the common ones
    of chalicelib.services.outbound, and `compose_content` turns the due step into the message.
    """
    return _plan_step(clinic_id, segment, patient_id, joined_on, *_first_step(segment, joined_on))


def _first_step(segment: Segment, joined_on) -> tuple[int, object]:
    path = segment.content_path or {}
    return rules.step_schedule(joined_on, int(path.get("cadence_days", 7)), path.get("steps", []))[0]


def first_step_plan(clinic_id: str, segment: Segment, patient_id: str, joined_on) -> dict:
    """The outbound job's fields (for `outbound.plan`) of the first step of the segment's content
    path for a patient who joined on `joined_on`; what `plan_first_step` plans."""
    return step_plan(clinic_id, segment, patient_id, joined_on, *_first_step(segment, joined_on))


def step_plan(clinic_id: str, segment: Segment, patient_id: str, joined_on, index: int, day) -> dict:
    """The outbound job's fields of one step: kind, source, anchor day, offset, due time (the
    path's send time, or that of the patient's arm when an experiment runs on the path), purpose."""
    from chalicelib.services import experiments

    path = segment.content_path or {}
    tz = clinics.get(clinic_id).tz
    arm = experiments.arm_for(clinic_id, "content_path", segment.segment_id, patient_id)
    send_at = _send_time({"send_at": arm.send_at}) if arm and arm.send_at else _send_time(path)
    return {"kind": CONTENT_KIND, "source_id": segment.segment_id, "anchor_date": joined_on.isoformat(),
            "offset_days": (day - joined_on).days, "due_at": iso(local_moment(day, send_at, tz)),
            "purpose": path.get("purpose", "service"), "context": {"segment_id": segment.segment_id, "step": index}}


def _plan_step(clinic_id: str, segment: Segment, patient_id: str, joined_on, index: int, day) -> dict:
    from chalicelib.services import outbound

    plan = step_plan(clinic_id, segment, patient_id, joined_on, index, day)
    created = outbound.plan(clinic_id, patient_id, anchor="segment_join", stop_on=(), **plan)
    return {"clinic_id": clinic_id, "patient_id": patient_id, **plan, "created": created}


CONTENT_KIND = "content"


def compose_content(ctx):
    """The outbound composer of a content-path step: the step's message for this patient, or a
    stop when the patient left the segment or the segment or its step is gone. Composing a step
    also plans the next one (planning is idempotent, so a retried step plans nothing twice)."""
    from datetime import date

    from chalicelib.domain.delivery import Message, Stop

    job, patient = ctx.job, ctx.patient
    segment = next((s for s in store.definitions(ctx.clinic_id) if s.segment_id == job.rule_id), None)
    steps = ((segment.content_path or {}).get("steps") or []) if segment is not None else []
    index = int((job.context or {}).get("step", 0))
    if segment is None or segment.status == "deleting" or index >= len(steps):
        return Stop("content_gone")
    if segment.segment_id not in set(patient.segments or ()):
        return Stop("left_segment")
    joined_on = date.fromisoformat(job.anchor_date)
    following = next_step_after(segment, index, joined_on)
    if following is not None:
        _plan_step(ctx.clinic_id, segment, patient.patient_id, joined_on, *following)
    from chalicelib.services import experiments

    # An experiment on the path: the arm's text replaces the first step's, its incentive is added
    # to every step, and the holdout receives no step (its exposure is recorded once).
    arm = experiments.arm_for(ctx.clinic_id, "content_path", segment.segment_id, patient.patient_id)
    experiment = (arm.experiment_id, arm.arm_id) if arm else None
    if arm and arm.holdout:
        return Stop("holdout", experiment=experiment)
    message = compose_step(ctx.clinic, segment, index,
                           first_body=arm.template if arm and arm.template and index == 0 else None,
                           incentive=arm.incentive_text if arm else None)
    return Message(title=message["title"], body=message["body"], template_id=ctx.template_id(CONTENT_KIND),
                   link=message["link"] or "pages/messages/index", media=message["kind"], experiment=experiment)


def next_step_after(segment: Segment, step_index: int, joined_on) -> tuple[int, object] | None:
    """(index, clinic-local day) of the step that follows `step_index`, None after the last one."""
    path = segment.content_path or {}
    schedule = rules.step_schedule(joined_on, int(path.get("cadence_days", 7)), path.get("steps", []))
    return schedule[step_index + 1] if step_index + 1 < len(schedule) else None


def _send_time(path: dict) -> time:
    hour, minute = (int(x) for x in str(path.get("send_at", "10:00")).split(":"))
    return time(hour, minute)


def compose_step(clinic, segment: Segment, step_index: int, *, first_body: str | None = None,
                 incentive: str | None = None) -> dict:
    """The message of one step: {title, body, link, purpose}.

    Health items always carry the notice "仅供参考，不构成医疗诊断", whatever the author wrote.
    `{clinic}` in a title or body is filled in; `{nickname}` stays a placeholder, filled in when
    the patient reads the message or a channel carries it (the stored text holds no name).
    """
    from chalicelib.domain.delivery import NICKNAME
    from chalicelib.domain.rules import render_template

    path = segment.content_path or {}
    steps = path.get("steps") or []
    if not 0 <= step_index < len(steps):
        raise BadRequest("no such step", code="unknown_step", field="step_index")
    step = steps[step_index]
    values = {"nickname": NICKNAME, "clinic": clinic.name, "incentive": incentive or ""}
    text = render_template(first_body if first_body is not None else (step.get("body") or ""), **values)
    if incentive and "{incentive}" not in (first_body or ""):
        text = f"{text}{incentive}。" if text else incentive
    body = rules.with_notice(text, bool(step.get("health")))
    return {"title": render_template(step["title"], **values), "body": body, "link": step.get("url"),
            "kind": step["kind"], "purpose": path.get("purpose", "service")}


def validate_content_path(path: dict | None) -> dict | None:
    if not path:
        return None
    try:
        rules.step_offsets(path.get("steps", []), int(path.get("cadence_days", 7)))
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_content_path", field="content_path.steps") from exc
    for i, step in enumerate(path.get("steps", [])):
        if step["kind"] in ("link", "audio") and not step.get("url"):
            raise BadRequest(f"a {step['kind']} step needs a url", code="missing_url",
                             field=f"content_path.steps.{i}.url")
    return path


# --- defining segments (admins) -----------------------------------------------------------------


def _rule(clinic, rule: dict) -> dict:
    """The rule checked against the clinic's catalogue; values may be typed as their labels (高血压)."""
    from chalicelib.services.catalogue import of_clinic

    catalogue = of_clinic(clinic)
    sections = {"condition": "conditions", "department": "departments", "persona": "personas"}
    aliases = {name: catalogue.aliases(section) for name, section in sections.items()}
    try:
        return rules.validate(rule, conditions=catalogue.codes("conditions", active_only=False),
                              departments=catalogue.codes("departments", active_only=False),
                              personas=catalogue.codes("personas", active_only=False), aliases=aliases)
    except rules.RuleError as exc:
        raise BadRequest(str(exc), code=exc.code, field="rule" + (f".{exc.path}" if exc.path else "")) from exc


def _estimate(clinic_id: str) -> int | None:
    from chalicelib.store import reports

    kpi = reports.load_kpis(clinic_id)
    return int(kpi.kpis.get("patients", 0)) if kpi and kpi.kpis else None


def create(principal, body) -> dict:
    clinic_id = principal.clinic_id
    clinic = clinics.get(clinic_id)
    segment_id = body.segment_id or secrets.token_hex(5)
    if segment_id in RESERVED_IDS:
        raise BadRequest("this id is reserved", code="reserved_id", field="segment_id")
    now = clock.now()
    item = store.new_segment(clinic_id, segment_id, name=body.name, name_en=body.name_en, description=body.description,
                          rule=_rule(clinic, body.rule), content_path=validate_content_path(_path(body)),
                          status="building", version=1, processed=0, build_members=0,
                          total_estimate=_estimate(clinic_id), created_at=iso(now), updated_at=iso(now),
                          updated_by=principal.username or principal.subject)
    # Containers keep the definitions for a minute; the build starts once every container sees the
    # new segment, so an event elsewhere cannot miss it behind the build's back.
    item = store.build_due(item, iso(now + timedelta(seconds=store.CACHE_SECONDS)))
    store.create(item)
    return view(item)


def _path(body) -> dict | None:
    path = getattr(body, "content_path", None)
    return path.model_dump() if path is not None else None


def _start_build(item: Segment, clinic_id: str, read_version: int, after: datetime) -> Segment:
    """The segment back to building under a new version: the build job walks the patient list
    page by page from `after` on and writes each patient's memberships and next flip afresh."""
    item = item._replace(version=read_version + 1, status="building", build_cursor=None, processed=0,
                   build_members=0, build_started_at=None, built_at=None, total_estimate=_estimate(clinic_id))
    return store.build_due(item, iso(after))


def follows_setting(item: Segment) -> bool:
    """The default silent segment: its rule is the clinic's silent days, set through that setting."""
    from chalicelib.domain.segment_defaults import SILENT_SEGMENT_ID

    return bool(item.is_default) and item.segment_id == SILENT_SEGMENT_ID


def edit(principal, segment_id: str, body) -> dict:
    """New name, rule or content path; a changed rule rebuilds the membership (status building)."""
    clinic_id = principal.clinic_id
    clinic = clinics.get(clinic_id)
    item = store.get(clinic_id, segment_id, consistent=True)
    read_version = int(item.version)
    now = clock.now()
    rule = _rule(clinic, body.rule)
    if rule != item.rule and follows_setting(item):
        raise BadRequest("this segment's rule follows the clinic's silent days; change that setting instead",
                         code="rule_follows_setting", field="rule")
    changed_rule = rule != item.rule
    item = item._replace(name=body.name, name_en=body.name_en, description=body.description,
                   content_path=validate_content_path(_path(body)), updated_at=iso(now),
                   updated_by=principal.username or principal.subject, rule=rule)
    if changed_rule:
        item = _start_build(item, clinic_id, read_version, now + timedelta(seconds=store.CACHE_SECONDS))
    store.replace(item, read_version)
    return view(item)


def follow_silent_days(clinic_id: str, days: int, by: str) -> dict | None:
    """The default silent segment takes the clinic's new silent days: its rule, and its name and
    description while they are still the default ones. A changed rule rebuilds the membership
    with the build job, as an edit does (joins plan the reactivation campaign, leaves stop it).
    None when the clinic has no such segment (deleted)."""
    from chalicelib.domain.kpis import silent_threshold
    from chalicelib.domain.segment_defaults import SILENT_SEGMENT_ID, silent_texts
    from chalicelib.errors import NotFound

    try:
        item = store.get(clinic_id, SILENT_SEGMENT_ID, consistent=True)
    except NotFound:
        return None
    if item.status not in LIVE or not follows_setting(item):
        return None
    wanted = silent_texts(days)
    if item.rule == wanted["rule"]:
        return view(item)
    read_version = int(item.version)
    old = silent_threshold(item.rule)
    before = silent_texts(old) if old is not None else {}
    texts = {name: wanted[name] for name in ("name", "name_en", "description")
             if getattr(item, name) in (None, before.get(name))}
    now = clock.now()
    item = item._replace(**texts, rule=wanted["rule"], updated_at=iso(now), updated_by=by)
    item = _start_build(item, clinic_id, read_version, now + timedelta(seconds=store.CACHE_SECONDS))
    store.replace(item, read_version)
    return view(item)


def delete(principal, segment_id: str) -> dict:
    """The segment disappears at once; a job takes its member items away."""
    item = store.get(principal.clinic_id, segment_id, consistent=True)
    now = clock.now()
    store.mark_deleting(item, iso(now + timedelta(seconds=store.CACHE_SECONDS)), iso(now))
    return {"segment_id": segment_id, "deleted": True}


def view(item: Segment, members: int | None = None) -> dict:
    building = item.status == "building"
    return {
        "segment_id": item.segment_id, "name": item.name, "name_en": item.name_en, "description": item.description,
        "rule": item.rule, "content_path": item.content_path, "status": item.status, "version": int(item.version),
        "is_default": bool(item.is_default), "time_relative": rules.is_time_relative(item.rule),
        "follows_setting": follows_setting(item),
        "members": members if members is not None else (int(item.build_members or 0) if building else None),
        "build": {"processed": int(item.processed or 0), "members_so_far": int(item.build_members or 0),
                  "total_estimate": int(item.total_estimate) if item.total_estimate is not None else None,
                  "started_at": item.build_started_at, "built_at": item.built_at,
                  "starts_after": item.build_after if building else None},
        "updated_at": item.updated_at, "updated_by": item.updated_by,
    }


def list_view(clinic_id: str) -> list[dict]:
    """The clinic's segments with member counts (a COUNT query of each segment's index partition)."""
    items = [s for s in store.definitions(clinic_id, fresh=True) if s.status in LIVE]
    return [view(s, store.count_members(clinic_id, s.segment_id)) for s in sorted(items, key=lambda s: s.created_at)]


def detail(clinic_id: str, segment_id: str) -> dict:
    item = store.get(clinic_id, segment_id)
    return view(item, store.count_members(clinic_id, segment_id))


def member_row(item) -> dict:
    return {"patient_id": item.patient_id, "name_masked": item.name_masked, "joined_on": item.joined_on}


def members(clinic_id: str, segment_id: str, limit: int, cursor: str | None) -> dict:
    store.get(clinic_id, segment_id)
    items, next_cursor = store.members_page(clinic_id, segment_id, limit, cursor)
    return {"items": [member_row(m) for m in items], "next_cursor": next_cursor}


def export_csv(clinic_id: str, segment_id: str) -> str:
    """The members as CSV for Excel (UTF-8 with a byte order mark): id, masked name, day joined."""
    segment = store.get(clinic_id, segment_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["patient_id", "name_masked", "joined_on", "segment"])
    for item in store.all_members(clinic_id, segment_id):
        writer.writerow([item.patient_id, item.name_masked, item.joined_on, segment.name])
    return "\ufeff" + out.getvalue()


def set_attributes(principal, patient_id: str, body) -> dict:
    """Staff edit a patient's persona tags, district or department; memberships follow in the same write."""
    from chalicelib.store import patients

    from chalicelib.services import catalogue

    changes = body.model_dump(exclude_unset=True)
    offered = catalogue.get(principal.clinic_id)
    if "persona_tags" in changes:
        changes["persona_tags"] = sorted(set(changes["persona_tags"] or []))
        catalogue.require(offered, "personas", changes["persona_tags"], "persona_tags")
    if changes.get("department") is not None:
        catalogue.require(offered, "departments", [changes["department"]], "department")
    item = patients.get(principal.clinic_id, patient_id, consistent=True)
    after = reevaluate(principal.clinic_id, item, extra=changes)
    return {"patient_id": patient_id, "segments": sorted(after or ()), **changes}


def patient_segments(clinic_id: str, patient_id: str) -> dict:
    item = store.patient(clinic_id, patient_id)
    if item is None:
        from chalicelib.errors import NotFound

        raise NotFound("patient not found", code="patient_not_found")
    names = {s.segment_id: s.name for s in store.definitions(clinic_id)}
    return {"patient_id": patient_id,
            "segments": [{"segment_id": s, "name": names.get(s)} for s in sorted(item.segments or ()) if s in names],
            "last_interaction_at": item.last_interaction_at, "next_change_at": item.seg_flip_at}


# --- defaults -------------------------------------------------------------------------------------


def default_segments(conditions, silent_days: float | None = None) -> list[dict]:
    """The defaults for a clinic with these conditions; the silent one for its silent days."""
    from chalicelib.domain.kpis import silent_days_of
    from chalicelib.domain.segment_defaults import DEFAULT_SEGMENTS, SILENT_SEGMENT_ID, silent_texts

    chosen = [d for d in DEFAULT_SEGMENTS if not d.get("condition") or d["condition"] in conditions]
    return [{**d, **silent_texts(silent_days_of(silent_days))} if d["segment_id"] == SILENT_SEGMENT_ID else d
            for d in chosen]


def create_defaults(clinic_id: str, conditions, *, has_patients: bool = False) -> list[str]:
    """The defaults of a new clinic: the silent patients (S3) and the three postpartum personas (S1).

    A new clinic has no patients, so they start ready; for a clinic that has patients already
    (`has_patients`), they are built by the build job like any new segment.
    """
    now = clock.now()
    made = []
    for default in default_segments(conditions, clinics.get(clinic_id).silent_days):
        item = store.new_segment(clinic_id, default["segment_id"], name=default["name"], name_en=default["name_en"],
                              description=default.get("description"), rule=default["rule"],
                              content_path=default.get("content_path"), status="ready", version=1, is_default=True,
                              created_at=iso(now), updated_at=iso(now), updated_by="defaults")
        if has_patients:
            item = store.build_due(item._replace(status="building"), iso(now + timedelta(seconds=store.CACHE_SECONDS)))
        else:
            item = item._replace(built_at=iso(now))
        try:
            store.create(item)
            made.append(default["segment_id"])
        except Conflict:
            continue
    return made


def rebuild(clinic_id: str, *, wait: bool = True) -> list[str]:
    """Put every live segment of the clinic back to building (for patients written in bulk, such as
    the demo seed, which never passed through the events). `wait=False` lets the build start at
    once, for a single process that knows no other container holds the definitions."""
    now = clock.now()
    after = now + timedelta(seconds=store.CACHE_SECONDS if wait else 0)
    started = []
    for item in store.definitions(clinic_id, fresh=True):
        if item.status not in LIVE:
            continue
        read_version = item.version
        item = _start_build(item._replace(updated_at=iso(now)), clinic_id, read_version, after)
        store.replace(item, read_version)
        started.append(item.segment_id)
    return started

