"""A/B experiments on reminders: define, start, stop, promote, measure; and the calls the reminder
planner and sender make (`arm_for`, `record_exposure`) and the visit hook (`on_visit`).

Rules in docs/experiments.md.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, NamedTuple

from chalicelib.domain import experiments as ab
from chalicelib.domain.clock import clock, iso, local_date, parse_iso
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.observability import count, logger
from chalicelib.store import clinics
from chalicelib.store import experiments as store

INCENTIVE_RULE = "experiment_incentive"


class Arm(NamedTuple):
    """What the planner and the sender do for one patient of a running experiment.

    `holdout`: send nothing, but record the exposure at the moment the message would have gone.
    `template` / `send_at` None: use the target's own. `incentive_text` fills `{incentive}`
    in the template; `incentive_points` are credited when the patient converts.
    """

    experiment_id: str
    arm_id: str
    holdout: bool
    template: str | None = None
    send_at: str | None = None
    incentive_text: str | None = None
    incentive_points: int = 0
    window_days: int = 14


def _terms(arms_json) -> list[ab.ArmTerms]:
    return [ab.ArmTerms.from_dict(a) for a in (arms_json or [])]


# --- for the planner and the sender -----------------------------------------------------------

def arm_for(clinic_id: str, target_kind: str, target_id: str, patient_id: str) -> Arm | None:
    """The arm of `patient_id` in the experiment running on a target, or None when none runs.

    Called by the reminder planner (for `send_at`, to plan the due time) and by the sender (for
    the template and incentive, and to hold the message back for the holdout). One GetItem; the
    answer is a pure function of (experiment, patient), so planner and sender always agree.
    """
    marker = store.running_on(clinic_id, target_kind, target_id)
    if marker is None:
        return None
    arms = _terms(marker.arms)
    chosen = ab.assign(marker.experiment_id, patient_id, arms, marker.holdout_share)
    window = marker.window_days
    if chosen == ab.HOLDOUT:
        return Arm(marker.experiment_id, ab.HOLDOUT, True, window_days=window)
    arm = next(a for a in arms if a.arm_id == chosen)
    return Arm(marker.experiment_id, arm.arm_id, False, arm.template, arm.send_at, arm.incentive_text,
               arm.incentive_points, window)


def record_exposure(clinic_id: str, experiment_id: str, arm_id: str, patient_id: str, sent_at: str,
                    message_ref: str | None = None) -> bool:
    """Record that a patient was sent an arm's message, or held out of it, at `sent_at` (UTC ISO;
    for the holdout the moment the message would have been sent). Called by the sender after a
    delivery (or instead of one, for the holdout); `message_ref` names the message (e.g. the
    inbox message id).

    Idempotent: once per experiment and patient; True when this call recorded it, False when it
    was recorded before or the experiment no longer runs. Raises NotFound for an unknown
    experiment or arm, Conflict `arm_mismatch` when `arm_id` is not the patient's arm.
    """
    item = store.get(clinic_id, experiment_id)
    arms = _terms(item.arms)
    holdout_share = float(item.holdout_share or 0)
    known = {a.arm_id: a for a in arms}
    if arm_id not in known and not (arm_id == ab.HOLDOUT and holdout_share > 0):
        raise NotFound("no such arm in this experiment", code="arm_not_found", field="arm_id")
    if ab.assign(experiment_id, patient_id, arms, holdout_share) != arm_id:
        raise Conflict("the patient belongs to another arm", code="arm_mismatch", field="arm_id")
    if item.status != "running":
        return False
    tz = clinics.get(clinic_id).tz
    sent = parse_iso(sent_at)
    sent_day = local_date(sent, tz)
    points = known[arm_id].incentive_points if arm_id in known else 0
    exposure = store.new_exposure(
        clinic_id, patient_id, experiment_id, arm_id, holdout=arm_id == ab.HOLDOUT, sent_at=iso(sent),
        sent_day=sent_day.isoformat(), window_ends=(sent_day + timedelta(days=int(item.window_days))).isoformat(),
        message_ref=message_ref, incentive_points=points)
    recorded = store.put_exposure(exposure)
    if recorded:
        count("ExperimentExposures")
    return recorded


# --- the visit hook ---------------------------------------------------------------------------

def on_visit(clinic, patient, visit_day: str, visit_id: str) -> int:
    """Called by record_visit after the visit is written: convert the patient's open exposures
    whose window holds the visit day, paying an arm's bonus points. Returns how many converted.

    The visit is already recorded, so a failure here is logged and never fails the visit.
    """
    converted = 0
    try:
        for exposure in store.open_exposures(patient.clinic_id, patient.patient_id):
            if not ab.converts(exposure.sent_day, exposure.window_ends, visit_day):
                continue
            earning = None
            if int(exposure.incentive_points or 0) > 0:
                from chalicelib.store import earning as payouts

                today = local_date(clock.now(), clinic.tz)
                earning = payouts.plan(clinic, patient, INCENTIVE_RULE, int(exposure.incentive_points), today, None)
            if store.convert(exposure, patient, visit_day, visit_id, iso(clock.now()), earning):
                converted += 1
    except Exception:  # noqa: BLE001 - the visit stands; the miss is visible in the logs and metrics
        logger.exception("experiment conversion failed", extra={"clinic_id": patient.clinic_id,
                                                                "patient_id": patient.patient_id})
        count("ExperimentConversionFailures")
    if converted:
        count("ExperimentConversions", converted)
    return converted


# --- definitions ------------------------------------------------------------------------------

def _share(arms: list[ab.ArmTerms], holdout_share: float, arm_id: str) -> float:
    if arm_id == ab.HOLDOUT:
        return holdout_share
    total = sum(a.weight for a in arms)
    return (1 - holdout_share) * next(a.weight for a in arms if a.arm_id == arm_id) / total


def _reference(arms: list[ab.ArmTerms], holdout_share: float) -> str:
    return ab.HOLDOUT if holdout_share > 0 else arms[0].arm_id


def required_sizes(arms: list[ab.ArmTerms], holdout_share: float, per_arm: int) -> dict[str, int]:
    """Exposures each group must reach: `per_arm` for the arms, the reference in proportion to its share."""
    import math

    reference = _reference(arms, holdout_share)
    compared = [a.arm_id for a in arms if a.arm_id != reference]
    smallest = min(_share(arms, holdout_share, a) for a in compared)
    ratio = _share(arms, holdout_share, reference) / smallest
    return {reference: math.ceil(per_arm * ratio - 1e-9), **{a: per_arm for a in compared}}


def planned_sample_size(arms: list[ab.ArmTerms], holdout_share: float, baseline: float, uplift: float,
                        alpha: float, power: float) -> int:
    """Exposures every group needs, for the smallest arm against the reference, with alpha shared
    by all the arms compared."""
    reference = _reference(arms, holdout_share)
    compared = [a.arm_id for a in arms if a.arm_id != reference]
    smallest = min(_share(arms, holdout_share, a) for a in compared)
    ratio = _share(arms, holdout_share, reference) / smallest
    return ab.sample_size_per_arm(baseline, uplift, alpha, power, comparisons=len(compared), reference_ratio=ratio)


def _arms_from_body(body) -> list[ab.ArmTerms]:
    return [ab.ArmTerms(arm_id=a.arm_id, weight=float(a.weight), template=a.template, send_at=a.send_at,
                        incentive_text=a.incentive_text, incentive_points=int(a.incentive_points or 0))
            for a in body.arms]


TARGET_KINDS = ab.TARGET_KINDS


def _check_target(clinic_id: str, target_kind: str, target_id: str):
    if target_kind not in TARGET_KINDS:
        raise BadRequest(f"unknown target kind {target_kind!r}", code="unknown_target_kind", field="target_kind")
    if target_kind == "content_path":
        from chalicelib.store import segments

        segment = next((s for s in segments.definitions(clinic_id, fresh=True) if s.segment_id == target_id), None)
        if segment is None or not (segment.content_path or {}).get("steps"):
            raise NotFound("no segment with a content path", code="content_path_not_found", field="target_id")
        return segment
    rule = next((r for r in clinics.recall_rules(clinic_id) if r.rule_id == target_id), None)
    if rule is None:
        raise NotFound("no such recall rule", code="recall_rule_not_found", field="target_id")
    if target_kind == "recall_timing":
        from chalicelib.domain.timing import LEARNED, TimingError, check_timing

        try:
            check_timing(LEARNED, condition=rule.rule.condition, anchor=rule.rule.anchor)
        except TimingError as exc:
            raise BadRequest(str(exc), code=exc.code, field="target_id") from exc
    return rule


def create(principal, body) -> dict:
    clinic_id = principal.clinic_id
    arms = _arms_from_body(body)
    try:
        ab.validate(arms, body.holdout_share)
        if body.target_kind == "recall_timing":
            arms = ab.validate_timing(arms, body.holdout_share)
    except ab.DefinitionError as exc:
        raise BadRequest(str(exc), code=exc.code, field=exc.field) from exc
    window_limit = ab.MAX_TIMING_WINDOW_DAYS if body.target_kind == "recall_timing" else ab.MAX_WINDOW_DAYS
    if body.window_days > window_limit:
        raise BadRequest(f"window_days is at most {window_limit} for this target", code="invalid_window",
                         field="window_days")
    _check_target(clinic_id, body.target_kind, body.target_id)
    if body.sample_size_per_arm is not None:
        size = body.sample_size_per_arm
    elif body.baseline_rate is not None and body.min_uplift is not None:
        try:
            size = planned_sample_size(arms, body.holdout_share, body.baseline_rate, body.min_uplift, body.alpha,
                                       body.power)
        except ValueError as exc:
            raise BadRequest(str(exc), code="invalid_plan", field="min_uplift") from exc
    else:
        raise BadRequest("give sample_size_per_arm, or baseline_rate and min_uplift to compute it",
                         code="sample_size_required", field="sample_size_per_arm")
    experiment_id = body.experiment_id or uuid.uuid4().hex[:12]
    item = store.new_experiment(clinic_id, experiment_id, name=body.name, target_kind=body.target_kind,
                          target_id=body.target_id, arms=[a.as_dict() for a in arms],
                          holdout_share=body.holdout_share, window_days=body.window_days, alpha=body.alpha,
                          sample_size_per_arm=size, status="draft", created_at=iso(clock.now()),
                          created_by=principal.username or principal.subject)
    store.create(item)
    return {"experiment": row(item)}


def row(item) -> dict:
    return {"experiment_id": item.experiment_id, "name": item.name, "target_kind": item.target_kind,
            "target_id": item.target_id, "arms": list(item.arms or []), "holdout_share": float(item.holdout_share),
            "window_days": int(item.window_days), "alpha": float(item.alpha),
            "sample_size_per_arm": int(item.sample_size_per_arm), "status": item.status,
            "created_at": item.created_at, "created_by": item.created_by, "started_at": item.started_at,
            "stopped_at": item.stopped_at, "promoted_arm": item.promoted_arm}


def list_view(clinic_id: str) -> dict:
    items = sorted(store.list_all(clinic_id), key=lambda i: i.created_at, reverse=True)
    return {"items": [row(i) for i in items]}


def view(clinic_id: str, experiment_id: str) -> dict:
    return {"experiment": row(store.get(clinic_id, experiment_id))}


def start(principal, experiment_id: str) -> dict:
    item = store.get(principal.clinic_id, experiment_id, consistent=True)
    if item.status != "draft":
        raise Conflict("only a draft experiment can start", code="invalid_state")
    _check_target(principal.clinic_id, item.target_kind, item.target_id)
    store.start(item, iso(clock.now()))
    return view(principal.clinic_id, experiment_id)


def stop(principal, experiment_id: str) -> dict:
    """End sending; exposures already made keep being measured until their windows close."""
    item = store.get(principal.clinic_id, experiment_id, consistent=True)
    if item.status != "running":
        raise Conflict("only a running experiment can stop", code="invalid_state")
    store.finish(item, "stopped", iso(clock.now()))
    return view(principal.clinic_id, experiment_id)


def promote(principal, experiment_id: str, arm_id: str) -> dict:
    """Make an arm the target's way: its template and send time become the rule's; the experiment ends."""
    item = store.get(principal.clinic_id, experiment_id, consistent=True)
    if item.status not in ("running", "stopped"):
        raise Conflict("only a running or stopped experiment can be promoted", code="invalid_state")
    if arm_id == ab.HOLDOUT:
        raise BadRequest("the holdout is not a message to promote; stop the experiment instead",
                         code="cannot_promote_holdout", field="arm_id")
    arm = next((a for a in _terms(item.arms) if a.arm_id == arm_id), None)
    if arm is None:
        raise NotFound("no such arm in this experiment", code="arm_not_found", field="arm_id")
    changes: dict[str, Any] = {}
    changed: dict[str, Any] = {}
    if item.target_kind == "content_path":
        changes, changed = _path_changes(principal.clinic_id, item.target_id, arm)
    elif item.target_kind == "recall_timing":
        changed["timing"] = changes["timing"] = arm.arm_id  # the rule keeps the timing that won
    else:
        if arm.template is not None:
            # The rule's own messages carry no incentive slot, so the arm's text is written in.
            changed["template"] = changes["template"] = arm.template.replace("{incentive}", arm.incentive_text or "")
        if arm.send_at is not None:
            changed["send_at"] = changes["send_at"] = arm.send_at
    store.finish(item, "promoted", iso(clock.now()), promoted_arm=arm_id, target_changes=changes)
    return {**view(principal.clinic_id, experiment_id), "rule_changes": changed}


def _path_changes(clinic_id: str, segment_id: str, arm: ab.ArmTerms) -> tuple[dict[str, Any], dict[str, Any]]:
    """A promoted arm on a content path: its template becomes the first step's text, its send
    time the path's (the incentive, which belongs to the experiment, is written into the text)."""
    from chalicelib.store import segments

    segment = segments.get(clinic_id, segment_id, consistent=True)
    path = dict(segment.content_path or {})
    steps = [dict(step) for step in path.get("steps") or []]
    changed = {}
    if arm.template is not None and steps:
        steps[0]["body"] = changed["first_step_body"] = arm.template.replace("{incentive}", arm.incentive_text or "")
    if arm.send_at is not None:
        path["send_at"] = changed["send_at"] = arm.send_at
    path["steps"] = steps
    return ({"content_path": path} if changed else {}), changed


def results(clinic_id: str, experiment_id: str) -> dict:
    """Per arm: exposures whose window has closed, their conversions, the rate, and the uplift
    against the reference with its interval and p-values. Exposures still inside their window
    are counted apart (`pending`), so a young arm is not made to look worse."""
    item = store.get(clinic_id, experiment_id)
    tz = clinics.get(clinic_id).tz
    today = local_date(clock.now(), tz).isoformat()
    arms = _terms(item.arms)
    holdout_share = float(item.holdout_share or 0)
    reference = _reference(arms, holdout_share)
    groups = ([ab.HOLDOUT] if holdout_share > 0 else []) + [a.arm_id for a in arms]
    closed: dict[str, list[int]] = {g: [0, 0] for g in groups}
    pending: dict[str, list[int]] = {g: [0, 0] for g in groups}
    for exposure in store.exposures(clinic_id, experiment_id):
        tally = closed if exposure.window_ends < today else pending
        counts = tally.setdefault(exposure.arm_id, [0, 0])
        counts[0] += 1
        counts[1] += 1 if exposure.converted_on else 0
    analysis = ab.analyse({g: ab.GroupCounts(*closed[g]) for g in closed}, groups, reference, float(item.alpha),
                          required_sizes(arms, holdout_share, int(item.sample_size_per_arm)))
    rows = []
    for result in analysis.rows:
        waiting = pending.get(result["arm_id"], [0, 0])
        rows.append({**result, "holdout": result["arm_id"] == ab.HOLDOUT, "pending": waiting[0],
                     "pending_conversions": waiting[1]})
    return {"experiment": row(item), "reference": reference, "alpha": float(item.alpha),
            "ci_level": 1 - float(item.alpha), "sample_size_per_arm": int(item.sample_size_per_arm),
            "required": required_sizes(arms, holdout_share, int(item.sample_size_per_arm)),
            "sample_size_reached": analysis.reached, "winner": analysis.winner, "groups": rows, "as_of": today}


def sample_size(query) -> dict:
    """The sample size per group for a planned split (the admin form's helper)."""
    arms = [ab.ArmTerms(arm_id=f"arm{n}", weight=1.0) for n in range(query.arms)]
    try:
        size = planned_sample_size(arms, query.holdout_share, query.baseline_rate, query.min_uplift, query.alpha,
                                   query.power)
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_plan", field="min_uplift") from exc
    return {"sample_size_per_arm": size, "groups": query.arms + (1 if query.holdout_share > 0 else 0)}
