"""Exam task lists, badges and perks (S4): rules, exams, the check-in evaluator, staff confirmations.

Recording an exam assigns the tasks its flags' rules name, in one plan with the exam.
`on_checkin` is a check-in evaluator (chalicelib.services.progress): it reads the patient's
tasks from the check-in's one read of their progress and returns the task update (guarded by
the version it read) and, for a task it completes, the badge, all joining the check-in's one
plan. Perks are computed from the badge count when read, so a changed threshold
applies to everyone at once.
"""

from __future__ import annotations

import hashlib
from datetime import date

from chalicelib.domain import tasks as rules
from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.domain.exam_csv import parse_exams
from chalicelib.domain.tasks import TaskState, TaskTerms, TermsError
from chalicelib.errors import AppError, BadRequest, Conflict, NotFound
from chalicelib.observability import count, logger
from chalicelib.store import clinics, patients
from chalicelib.store import plan as plans
from chalicelib.store import tasks as store
from chalicelib.store.tasks import Exam, Task

CONFIRM_ATTEMPTS = 3


# --- rules and perks --------------------------------------------------------------------------

def create_defaults(clinic_id: str) -> None:
    at = iso(clock.now())
    for flag, tasks in rules.DEFAULT_RULES.items():
        store.put_rule(clinic_id, flag, [t.as_dict() for t in tasks], at)


def perks_of(clinic) -> list[rules.Perk]:
    if clinic.perks is None:
        return list(rules.DEFAULT_PERKS)
    return [rules.Perk.from_dict(p) for p in clinic.perks]


def holds(clinic_id: str, patient_id: str, perk: rules.Perk) -> bool:
    """Whether a patient's badges unlock a perk now (one Query of the patient's badges)."""
    return len(store.badges(clinic_id, patient_id)) >= perk.badges_required


def rules_view(clinic_id: str) -> dict:
    from chalicelib.services.catalogue import of_clinic

    clinic = clinics.get(clinic_id)
    items = {item.flag: item for item in store.rule_items(clinic_id)}
    flags = list(of_clinic(clinic).codes("exam_flags"))  # the clinic's offered flags (domain.catalogue)
    return {
        "flags": flags,
        "rules": [{"flag": flag, "tasks": list(items[flag].tasks or []) if flag in items else [],
                   "updated_at": items[flag].updated_at if flag in items else None,
                   "updated_by": items[flag].updated_by if flag in items else None}
                  for flag in flags],
        "perks": [p.as_dict() for p in perks_of(clinic)],
    }


def _terms(data: dict) -> TaskTerms:
    try:
        return TaskTerms.from_dict(data)
    except TermsError as exc:
        raise BadRequest(str(exc), code=exc.code, field="tasks") from exc


def put_rule(principal, flag: str, body) -> dict:
    """Replace a flag's tasks; tasks already assigned keep the terms they were assigned under."""
    from chalicelib.services.catalogue import get as catalogue_of

    from chalicelib.services.catalogue import require

    catalogue = catalogue_of(principal.clinic_id)
    known = catalogue.codes("exam_flags")
    if flag not in known:
        raise NotFound(f"unknown flag {flag!r}; known: {', '.join(known)}", code="unknown_flag", field="flag")
    tasks = [_terms(t.model_dump()) for t in body.tasks]
    # a check-in task counts one of the clinic's check-in types (its own ones too)
    require(catalogue, "checkin_types", [t.checkin_type for t in tasks if t.checkin_type], "tasks")
    keys_seen = [t.task_key for t in tasks]
    if len(set(keys_seen)) != len(keys_seen):
        raise BadRequest("each task_key once per rule", code="duplicate_task_key", field="tasks")
    item = store.put_rule(principal.clinic_id, flag, [t.as_dict() for t in tasks], iso(clock.now()),
                          principal.username or principal.subject)
    return {"flag": flag, "tasks": list(item.tasks), "updated_at": item.updated_at, "updated_by": item.updated_by}


def put_perks(principal, body) -> dict:
    try:
        perks = [rules.Perk.from_dict(p.model_dump()) for p in body.perks]
    except TermsError as exc:
        raise BadRequest(str(exc), code=exc.code, field="perks") from exc
    ids = [p.perk_id for p in perks]
    if len(set(ids)) != len(ids):
        raise BadRequest("each perk_id once", code="duplicate_perk", field="perks")
    store.set_perks(principal.clinic_id, [p.as_dict() for p in perks])
    clinics.forget_cache()
    return {"perks": [p.as_dict() for p in perks]}


# --- exams ------------------------------------------------------------------------------------

def _task_id(clinic_id: str, patient_id: str, exam_id: str, task_key: str) -> str:
    return hashlib.sha256(f"{clinic_id}:{patient_id}:{exam_id}:{task_key}".encode()).hexdigest()[:16]


def record_exam(clinic_id: str, patient_id: str, *, taken_on: date, flags, exam_id: str | None,
                recorded_by: str | None, source: str = "staff") -> tuple[bool, dict]:
    """(created, {exam, tasks}): the exam and the tasks its flags assign; recording it again changes nothing."""
    clinic = clinics.get(clinic_id)
    patients.get(clinic_id, patient_id)  # 404 for a patient of another clinic or none
    now = clock.now()
    today = local_date(now, clinic.tz)
    if taken_on > today:
        raise BadRequest("taken_on is in the future", code="invalid_date", field="taken_on")
    flags = list(dict.fromkeys(flags))
    from chalicelib.services.catalogue import get as catalogue_of

    known = catalogue_of(clinic_id).codes("exam_flags")
    unknown = [f for f in flags if f not in known]
    if unknown:
        raise BadRequest(f"unknown flag {unknown[0]!r}", code="unknown_flag", field="flags")
    exam_id = exam_id or taken_on.isoformat()
    existing = store.exam_exists(clinic_id, patient_id, exam_id)
    if existing is not None:
        return False, _exam_result(clinic_id, patient_id, existing, today)
    start = rules.assign_on(taken_on, today)
    assigned: list[Task] = []
    if start is not None:
        busy = {t.task_key for t in store.tasks(clinic_id, patient_id) if _state(t).status(today) == rules.ACTIVE}
        flag_rules = store.rules(clinic_id)
        for flag in flags:
            for data in flag_rules.get(flag, []):
                terms = TaskTerms.from_dict(data)
                if terms.task_key in busy:
                    continue  # the same task is already running: one at a time
                busy.add(terms.task_key)
                task_id = _task_id(clinic_id, patient_id, exam_id, terms.task_key)
                assigned.append(Task(
                    task_id=task_id, task_key=terms.task_key, flag=flag, exam_id=exam_id, terms=terms.as_dict(),
                    assigned_on=start.isoformat(), due_on=terms.due_on(start).isoformat(), marks=[], version=0,
                    updated_at=iso(now)))
    exam = Exam(exam_id=exam_id, taken_on=taken_on.isoformat(), flags=flags, recorded_at=iso(now),
                recorded_by=recorded_by, source=source, tasks=[t.task_id for t in assigned])
    try:
        plans.execute(plans.Plan().add(store.exam_steps(clinic_id, patient_id, exam, assigned)))
    except store.ExamRecorded:
        existing = store.exam_exists(clinic_id, patient_id, exam_id)
        assert existing is not None, "the exam that refused this write exists"
        return False, _exam_result(clinic_id, patient_id, existing, today)
    count("ExamsRecorded", source=source)
    if assigned:
        count("TasksAssigned", value=len(assigned))
    logger.info("exam recorded", extra={"patient_id": patient_id, "exam_id": exam_id, "tasks": len(assigned)})
    return True, {"exam": exam_view(exam), "tasks": [task_view(t, today) for t in assigned]}


def _exam_result(clinic_id: str, patient_id: str, exam: Exam, today: date) -> dict:
    mine = set(exam.tasks or [])
    tasks = [t for t in store.tasks(clinic_id, patient_id) if t.task_id in mine]
    return {"exam": exam_view(exam), "tasks": [task_view(t, today) for t in tasks]}


def exam_view(exam: Exam) -> dict:
    return {"exam_id": exam.exam_id, "taken_on": exam.taken_on, "flags": list(exam.flags or []),
            "recorded_at": exam.recorded_at, "recorded_by": exam.recorded_by, "source": exam.source,
            "tasks": list(exam.tasks or [])}


def import_csv(clinic_id: str, text: str, recorded_by: str | None, *, dry_run: bool = False) -> dict:
    """Import exam results: good rows recorded with their tasks, bad rows back with their line numbers.
    The rows' patients are looked up in batches (services.import_owners.patients_of_rows). With `dry_run`
    nothing is written: the answer lists the rows that would be recorded."""
    from chalicelib.services.import_owners import patients_of_rows

    try:
        from chalicelib.services.catalogue import get as catalogue_of

        rows, errors = parse_exams(text, catalogue_of(clinic_id).codes("exam_flags"))
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_csv") from exc
    problems = [e.as_dict() for e in errors]
    owners = patients_of_rows(clinic_id, rows, problems)
    if dry_run:
        today = local_date(clock.now(), clinics.get(clinic_id).tz)
        names = patients.masked_names(clinic_id, set(owners.values()))
        preview = []
        for row in rows:
            if row.line not in owners:
                continue
            if row.taken_on > today:
                problems.append({"line": row.line, "code": "invalid_date", "message": "taken_on is in the future",
                                 "field": "taken_on"})
                continue
            preview.append({"line": row.line, "patient_id": owners[row.line], "name_masked": names.get(owners[row.line]),
                            "date": row.taken_on.isoformat(), "flags": list(row.flags), "external_id": row.exam_id})
        problems.sort(key=lambda p: p["line"])
        return {"exams": 0, "duplicates": 0, "tasks_assigned": 0, "errors": problems, "dry_run": True,
                "preview": preview}
    recorded = duplicates = assigned = 0
    for row in rows:
        patient_id = owners.get(row.line)
        if not patient_id:
            continue
        try:
            created, result = record_exam(clinic_id, patient_id, taken_on=row.taken_on, flags=row.flags,
                                          exam_id=row.exam_id, recorded_by=recorded_by, source="import")
        except AppError as err:
            problems.append({"line": row.line, "code": err.code, "message": err.message, "field": err.field})
            continue
        if created:
            recorded += 1
            assigned += len(result["tasks"])
        else:
            duplicates += 1
    problems.sort(key=lambda p: p["line"])
    return {"exams": recorded, "duplicates": duplicates, "tasks_assigned": assigned, "errors": problems}


# --- reading ----------------------------------------------------------------------------------

def _state(task: Task) -> TaskState:
    return TaskState(TaskTerms.from_dict(task.terms), date.fromisoformat(task.assigned_on), list(task.marks or []),
                     date.fromisoformat(task.completed_on) if task.completed_on else None)


def task_view(task: Task, today: date) -> dict:
    state = _state(task)
    terms = state.terms
    status = state.status(today)
    return {"task_id": task.task_id, "task_key": task.task_key, "flag": task.flag, "exam_id": task.exam_id,
            "name": terms.name, "name_en": terms.name_en, "kind": terms.kind, "checkin_type": terms.checkin_type,
            "min_value": terms.min_value, "target": terms.target, "progress": len(state.marks),
            "marks": list(state.marks), "assigned_on": task.assigned_on, "due_on": state.due_on.isoformat(),
            "days_left": (state.due_on - today).days + 1 if status == rules.ACTIVE else 0,
            "status": status, "completed_on": task.completed_on, "badge": terms.badge.as_dict()}


def badge_view(badge) -> dict:
    return {"badge_id": badge.badge_id, "name": badge.name, "name_en": badge.name_en, "earned_on": badge.earned_on,
            "task_id": badge.task_id}


def perks_view(clinic_id: str, patient_id: str, badge_count: int | None = None) -> dict:
    clinic = clinics.get(clinic_id)
    if badge_count is None:
        patients.get(clinic_id, patient_id)
        badge_count = len(store.badges(clinic_id, patient_id))
    return {"patient_id": patient_id, "badges": badge_count, "perks": rules.unlocked(perks_of(clinic), badge_count)}


def overview(clinic_id: str, patient_id: str) -> dict:
    """A patient's exams, tasks (open first), badges and perks."""
    clinic = clinics.get(clinic_id)
    patients.get(clinic_id, patient_id)
    today = local_date(clock.now(), clinic.tz)
    order = {rules.ACTIVE: 0, rules.COMPLETED: 1, rules.EXPIRED: 2}
    tasks = sorted((task_view(t, today) for t in store.tasks(clinic_id, patient_id)),
                   key=lambda v: (order[v["status"]], v["due_on"]))
    badges = sorted((badge_view(b) for b in store.badges(clinic_id, patient_id)), key=lambda b: b["earned_on"],
                    reverse=True)
    return {"exams": [exam_view(e) for e in store.exams(clinic_id, patient_id)], "tasks": tasks, "badges": badges,
            "perks": perks_view(clinic_id, patient_id, len(badges))["perks"]}


# --- staff confirmations ----------------------------------------------------------------------

def confirm(principal, patient_id: str, task_id: str, session_on: date | None) -> dict:
    """Count one session of a staff-confirmed task (one per day); the last one awards the badge."""
    clinic_id = principal.clinic_id
    clinic = clinics.get(clinic_id)
    today = local_date(clock.now(), clinic.tz)
    day = session_on or today
    if day > today:
        raise BadRequest("session_on is in the future", code="invalid_date", field="session_on")
    by = principal.username or principal.subject
    for _ in range(CONFIRM_ATTEMPTS):
        task = store.get_task(clinic_id, patient_id, task_id)
        if task is None:
            raise NotFound("task not found", code="task_not_found", field="task_id")
        state = _state(task)
        if state.terms.kind != rules.STAFF:
            raise Conflict("this task is done through the patient's check-ins", code="task_not_confirmable")
        if day.isoformat() in state.marks:
            return {**task_view(task, today), "badge_awarded": False}  # this session was confirmed already
        if state.completed_on is not None or state.status(today) == rules.EXPIRED:
            raise Conflict(f"this task is {state.status(today)}", code="task_closed")
        if not state.accepts(day):
            raise BadRequest(f"sessions count from {task.assigned_on} to {state.due_on.isoformat()}",
                             code="session_outside_window", field="session_on")
        done = state.mark(day)
        moved = plans.Refused(store.task_label(task), "the task changed since it was read")
        plan = plans.Plan().add(store.task_step(clinic_id, patient_id, task, marks=state.marks,
                                                completed_on=day.isoformat() if done else None, at=iso(clock.now()),
                                                confirmed_by=by), refused=moved)
        if done:
            plan.add(store.badge_step(clinic_id, patient_id, task, state.terms.badge.as_dict(), today.isoformat()))
        try:
            plans.execute(plan)
        except plans.Refused as refused:
            if refused is moved:
                continue  # another desk confirmed meanwhile: read again
            raise
        if done:
            count("BadgesAwarded", source="staff")
        updated = store.get_task(clinic_id, patient_id, task_id)
        assert updated is not None, "the task was just written"
        return {**task_view(updated, today), "badge_awarded": done}
    raise Conflict("the task changed meanwhile, try again", code="try_again")


# --- the check-in evaluator -------------------------------------------------------------------

def on_checkin(context) -> list:
    """Count the check-in's day for every open task it qualifies for; award the badge of each it completes."""
    from chalicelib.services.progress import Effect

    checkin = context.checkin
    day = date.fromisoformat(checkin.local_date)
    today = local_date(context.now, context.clinic.tz)
    at = iso(context.now)
    clinic_id, patient_id = context.patient.clinic_id, context.patient.patient_id
    effects: list[Effect] = []
    for task in context.progress.tasks:
        try:
            state = _state(task)
        except (KeyError, TypeError, ValueError):
            logger.warning("task with unreadable terms", extra={"task_id": task.task_id})
            continue
        if not state.terms.qualifies(checkin.type, checkin.value) or not state.accepts(day):
            continue
        done = state.mark(day)
        step = store.task_step(clinic_id, patient_id, task, marks=state.marks,
                               completed_on=day.isoformat() if done else None, at=at)
        reply = {"task_id": task.task_id, "name": state.terms.name, "progress": len(state.marks),
                 "target": state.terms.target, "completed_now": done}
        effects.append(Effect(step, on_repeat=True, reply={"tasks": reply}))
        if done:
            badge = store.badge_step(clinic_id, patient_id, task, state.terms.badge.as_dict(), today.isoformat())
            effects.append(Effect(badge, on_repeat=True,
                                  reply={"badges": {**state.terms.badge.as_dict(), "task_id": task.task_id}}))
    return effects
