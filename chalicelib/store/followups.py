"""Follow-up plans, call outcomes and their daily counters.

- plan: pk=<clinic>#P#<patient> sk=FOLLOWUP; while active in the sparse due index under
  due_pk=<clinic>#FOLLOWUP, due_sk=<next due day>#<patient>, and, when it has an assignee, in gsi1
  under <clinic>#FUASSIGN#<username> / <next due day>#<patient> (a staff member's calls); a plan
  without an assignee is found by reading the clinic's due list and keeping the plans that have none
- outcome: pk=<clinic>#P#<patient> sk=FUOUT#<time>#<outcome id> (written once)
- counter: pk=<clinic> sk=FUSTAT#<clinic-local day>, one number per outcome
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, idempotency, keys
from chalicelib.store.models import (
    FollowUpOutcomeItem,
    FollowUpPlanItem,
    FollowUpStatItem,
    ProfileRiskFields,
    bind,
)
from chalicelib.store.schema import DUE_INDEX, GSI1
if TYPE_CHECKING:  # types only
    from chalicelib.auth import Principal


OUTCOMES = ("reached", "booked", "declined", "wrong_number")


class FollowUpPlan(NamedTuple):
    """A patient's follow-up plan: active (due on `next_due`), paused or ended."""

    clinic_id: str
    patient_id: str
    status: str  # active | paused | ended
    cadence_days: int
    next_due: str | None  # clinic-local day
    source: str  # staff | challenge:<challenge id>
    started_on: str
    started_by: str | None
    calls: int
    last_outcome: str | None
    last_outcome_on: str | None
    paused_reason: str | None
    ended_on: str | None
    version: int  # every change is conditional on the version read
    assignee: str | None = None  # the staff username who makes the calls


class FollowUpOutcome(NamedTuple):
    """One follow-up call's outcome, who made it and when (the note stays encrypted)."""

    clinic_id: str
    patient_id: str
    outcome_id: str
    outcome: str  # one of OUTCOMES
    day: str  # clinic-local
    at: str
    staff: str | None
    note_enc: str | None
    booking_date: str | None


def _plan_of(clinic_id: str, item: FollowUpPlanItem) -> FollowUpPlan:
    return FollowUpPlan(clinic_id, item.patient_id, item.status, int(item.cadence_days), item.next_due, item.source,
                        item.started_on, item.started_by, int(item.calls or 0), item.last_outcome,
                        item.last_outcome_on, item.paused_reason, item.ended_on, int(item.version or 0),
                        item.assignee)


def _plan_item(plan: FollowUpPlan) -> FollowUpPlanItem:
    return FollowUpPlanItem(keys.patient_pk(plan.clinic_id, plan.patient_id), keys.FOLLOWUP_SK)


def _profile(plan: FollowUpPlan) -> ProfileRiskFields:
    return ProfileRiskFields(keys.patient_pk(plan.clinic_id, plan.patient_id), keys.PROFILE_SK)


def _outcome_item(outcome: FollowUpOutcome) -> FollowUpOutcomeItem:
    return FollowUpOutcomeItem(keys.patient_pk(outcome.clinic_id, outcome.patient_id),
                               keys.followup_outcome_sk(outcome.at, outcome.outcome_id),
                               outcome_id=outcome.outcome_id, outcome=outcome.outcome, day=outcome.day, at=outcome.at,
                               staff=outcome.staff, note_enc=outcome.note_enc, booking_date=outcome.booking_date)



def get_plan(clinic_id: str, patient_id: str, *, consistent: bool = True) -> FollowUpPlan | None:
    bind()
    try:
        item = FollowUpPlanItem.get(keys.patient_pk(clinic_id, patient_id), keys.FOLLOWUP_SK, consistent_read=consistent)
    except DoesNotExist:
        return None
    return _plan_of(clinic_id, item)


def create_plan(clinic_id: str, patient_id: str, *, cadence_days: int, first_due: str, source: str,
                started_by: str | None, at: str, assignee: str | None = None) -> FollowUpPlan | None:
    """A new active plan, written only if the patient has none (None when one exists)."""
    bind()
    item = FollowUpPlanItem(keys.patient_pk(clinic_id, patient_id), keys.FOLLOWUP_SK,
                            due_pk=keys.followup_due_pk(clinic_id), due_sk=keys.followup_due_sort(first_due, patient_id),
                            patient_id=patient_id, status="active", cadence_days=cadence_days, next_due=first_due,
                            source=source, started_on=first_due, started_by=started_by, calls=0, version=0,
                            updated_at=at, assignee=assignee)
    if assignee:
        item.gsi1pk = keys.followup_assignee_pk(clinic_id, assignee)
        item.gsi1sk = keys.followup_due_sort(first_due, patient_id)
    try:
        item.save(condition=FollowUpPlanItem.sk.does_not_exist())
        return _plan_of(clinic_id, item)
    except PutError:
        return None


def _assignee_actions(clinic_id: str, patient_id: str, assignee: str | None, due: str | None) -> list[Action]:
    """Keep the plan in its assignee's list on gsi1 while it is due (due None: out of every list)."""
    if assignee and due:
        return [FollowUpPlanItem.gsi1pk.set(keys.followup_assignee_pk(clinic_id, assignee)),
                FollowUpPlanItem.gsi1sk.set(keys.followup_due_sort(due, patient_id))]
    return [FollowUpPlanItem.gsi1pk.remove(), FollowUpPlanItem.gsi1sk.remove()]


def restart_plan(plan: FollowUpPlan, *, clinic_id: str, cadence_days: int, first_due: str,
                 by: str | None, at: str, assignee: str | None = None) -> None:
    """Put a paused or ended plan (or an active one with a new cadence) back in the due index."""
    bind()
    assigned = [FollowUpPlanItem.assignee.set(assignee)] if assignee else [FollowUpPlanItem.assignee.remove()]
    try:
        _plan_item(plan).update(actions=assigned + _assignee_actions(clinic_id, plan.patient_id, assignee, first_due) + [
            FollowUpPlanItem.status.set("active"), FollowUpPlanItem.cadence_days.set(cadence_days),
            FollowUpPlanItem.next_due.set(first_due), FollowUpPlanItem.due_pk.set(keys.followup_due_pk(clinic_id)),
            FollowUpPlanItem.due_sk.set(keys.followup_due_sort(first_due, plan.patient_id)),
            FollowUpPlanItem.paused_reason.remove(), FollowUpPlanItem.ended_on.remove(),
            # a nullable attribute: PynamoDB types set() without None (None is stored as NULL)
            FollowUpPlanItem.started_by.set(by),  # type: ignore[arg-type]
            FollowUpPlanItem.version.add(1), FollowUpPlanItem.updated_at.set(at),
        ], condition=FollowUpPlanItem.version == plan.version)
    except UpdateError as exc:
        raise Conflict("the plan changed meanwhile, try again", code="try_again") from exc
    _profile(plan).update(actions=[ProfileRiskFields.followup_flag.remove()],
                                                 condition=ProfileRiskFields.pk.exists())


def assign_plan(plan: FollowUpPlan, assignee: str | None, at: str) -> None:
    """Give the plan to `assignee` (None: to nobody): it moves to that staff member's list on gsi1
    while it is due, or leaves every list. Conditional on the version read (plan_changed)."""
    bind()
    due = plan.next_due if plan.status == "active" else None
    assigned = [FollowUpPlanItem.assignee.set(assignee)] if assignee else [FollowUpPlanItem.assignee.remove()]
    try:
        _plan_item(plan).update(actions=assigned + _assignee_actions(plan.clinic_id, plan.patient_id, assignee, due) + [
            FollowUpPlanItem.version.add(1), FollowUpPlanItem.updated_at.set(at),
        ], condition=FollowUpPlanItem.version == plan.version)
    except UpdateError as exc:
        if db.condition_failed(exc):
            raise Conflict("the plan changed meanwhile, reload it", code="plan_changed") from exc
        raise


def end_plan(plan: FollowUpPlan, day: str, at: str) -> None:
    bind()
    try:
        _plan_item(plan).update(actions=[
            FollowUpPlanItem.status.set("ended"), FollowUpPlanItem.ended_on.set(day),
            FollowUpPlanItem.due_pk.remove(), FollowUpPlanItem.due_sk.remove(), FollowUpPlanItem.version.add(1),
            FollowUpPlanItem.updated_at.set(at), FollowUpPlanItem.gsi1pk.remove(), FollowUpPlanItem.gsi1sk.remove(),
        ], condition=FollowUpPlanItem.version == plan.version)
    except UpdateError as exc:
        raise Conflict("the plan changed meanwhile, try again", code="try_again") from exc


def pause_plan(plan: FollowUpPlan, reason: str, at: str) -> None:
    """An active plan leaves the due index and its assignee's list until it is restarted."""
    bind()
    try:
        _plan_item(plan).update(actions=[
            FollowUpPlanItem.status.set("paused"), FollowUpPlanItem.paused_reason.set(reason),
            FollowUpPlanItem.due_pk.remove(), FollowUpPlanItem.due_sk.remove(), FollowUpPlanItem.gsi1pk.remove(),
            FollowUpPlanItem.gsi1sk.remove(), FollowUpPlanItem.version.add(1), FollowUpPlanItem.updated_at.set(at),
        ], condition=(FollowUpPlanItem.version == plan.version) & (FollowUpPlanItem.status == "active"))
    except UpdateError as exc:
        raise Conflict("the plan changed meanwhile, reload it", code="plan_changed") from exc


@dataclass
class OutcomeWrite:
    """One call's outcome and what it changes: the plan's next due day (or a pause), the day's counter."""

    plan: FollowUpPlan
    clinic_id: str
    outcome: FollowUpOutcome
    next_due: str | None  # None: the plan pauses (wrong number)
    flag_patient: bool = False


def record_outcome(change: OutcomeWrite, *, principal: Principal | None = None,
                   idem: idempotency.IdempotencyKey | None = None,
                   reply: dict[str, Any] | None = None) -> None:
    plan, clinic_id = change.plan, change.clinic_id
    actions: list[Action] = [FollowUpPlanItem.calls.add(1), FollowUpPlanItem.last_outcome.set(change.outcome.outcome),
               FollowUpPlanItem.last_outcome_on.set(change.outcome.day), FollowUpPlanItem.version.add(1),
               FollowUpPlanItem.updated_at.set(change.outcome.at)]
    if change.next_due is None:
        actions += [FollowUpPlanItem.status.set("paused"), FollowUpPlanItem.paused_reason.set(change.outcome.outcome),
                    FollowUpPlanItem.due_pk.remove(), FollowUpPlanItem.due_sk.remove()]
    else:
        actions += [FollowUpPlanItem.next_due.set(change.next_due),
                    FollowUpPlanItem.due_sk.set(keys.followup_due_sort(change.next_due, plan.patient_id))]
    actions += _assignee_actions(clinic_id, plan.patient_id, plan.assignee, change.next_due)
    counter = FollowUpStatItem(keys.clinic_pk(clinic_id), keys.followup_stat_sk(change.outcome.day))
    try:
        with db.transaction() as txn:
            txn.save(_outcome_item(change.outcome), condition=FollowUpOutcomeItem.sk.does_not_exist(), label="outcome")
            txn.update(_plan_item(plan), actions=actions,
                       condition=(FollowUpPlanItem.version == plan.version) & (FollowUpPlanItem.status == "active"),
                       label="plan")
            txn.update(counter, actions=[getattr(FollowUpStatItem, change.outcome.outcome).add(1)], label="counter")
            if change.flag_patient:
                txn.update(_profile(plan),
                           actions=[ProfileRiskFields.followup_flag.set("wrong_number")],
                           condition=ProfileRiskFields.pk.exists(), label="profile")
            if idem is not None:
                idempotency.transact_put(txn, principal, idem, 201, reply)
    except db.Cancelled as exc:
        if exc.conditional("plan"):
            raise Conflict("the plan changed meanwhile (another call was recorded), reload it",
                           code="plan_changed") from exc
        if exc.conditional("profile"):
            raise NotFound("patient not found", code="patient_not_found") from exc
        raise


def new_outcome(clinic_id: str, patient_id: str, *, outcome_id: str, outcome: str, day: str, at: str,
                staff: str | None, note_enc: str | None, booking_date: str | None) -> FollowUpOutcome:
    """A call's outcome as the follow-up service records it (written by record_outcome)."""
    return FollowUpOutcome(clinic_id, patient_id, outcome_id, outcome, day, at, staff, note_enc, booking_date)


def outcomes(clinic_id: str, patient_id: str, limit: int = 20) -> list[FollowUpOutcome]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.FOLLOWUP_OUTCOME, descending=True, limit=limit)
    return [FollowUpOutcome(clinic_id, patient_id, o.outcome_id, o.outcome, o.day, o.at, o.staff, o.note_enc,
                            o.booking_date) for o in (FollowUpOutcomeItem.from_raw_data(item) for item in raw)]


def due_page(clinic_id: str, today: str, limit: int, cursor: str | None,
             assignee: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Keys of plans due today or earlier, oldest due first: the clinic's (the due index holds keys
    only) or, with `assignee`, that staff member's (their list on gsi1)."""
    scope = f"followups:{clinic_id}:{today}:{assignee or ''}"
    if assignee:
        params: dict[str, Any] = {
            "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk <= :today",
            "ExpressionAttributeValues": {":pk": {"S": keys.followup_assignee_pk(clinic_id, assignee)},
                                          ":today": {"S": today + "#~"}},
            "ProjectionExpression": "pk, sk, gsi1pk, gsi1sk",
            "Limit": limit,
        }
    else:
        params = {
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "due_pk = :pk AND due_sk <= :today",
            "ExpressionAttributeValues": {":pk": {"S": keys.followup_due_pk(clinic_id)}, ":today": {"S": today + "#~"}},
            "Limit": limit,
        }
    start = db.decode_cursor(cursor, scope)
    if start:
        params["ExclusiveStartKey"] = start
    page = db.query_raw(**params)
    items = page.get("Items", [])
    last = page.get("LastEvaluatedKey") if len(items) == limit else None
    return items, db.encode_cursor(last, scope)


class DuePlan(NamedTuple):
    """A worklist entry: the patient's profile and their follow-up plan, as plain values."""

    profile: dict[str, Any]
    plan: dict[str, Any]


def due_plans(clinic_id: str, today: str, limit: int,
              cursor: str | None, assignee: str | None = None) -> tuple[list[DuePlan], str | None]:
    """Plans due today or earlier, oldest due first, with each patient's profile: one due-index
    (or assignee list) Query and one BatchGetItem per page. A patient erased between the two reads
    is left out."""
    due, next_cursor = due_page(clinic_id, today, limit, cursor, assignee)
    pks = [k["pk"]["S"] for k in due]
    found = db.batch_get([(pk, sk) for pk in pks for sk in (keys.PROFILE_SK, keys.FOLLOWUP_SK)])
    plans = []
    for pk in pks:
        profile, plan = found.get((pk, keys.PROFILE_SK)), found.get((pk, keys.FOLLOWUP_SK))
        if profile is None or plan is None:
            continue
        plans.append(_due_plan(profile, plan))
    return plans, next_cursor


def _due_plan(profile: dict[str, Any], plan: dict[str, Any]) -> DuePlan:
    import json

    p = db.plain_item(profile)
    if isinstance(p.get("risk_factors"), str):  # a JSONAttribute: the raw item holds it as JSON text
        p["risk_factors"] = json.loads(p["risk_factors"])
    return DuePlan(profile=p, plan=db.plain_item(plan))


# at most this many due keys are read for one page of unassigned plans (four Queries of 50): a
# clinic whose due plans are nearly all assigned gets a short page and a cursor rather than a slow call
UNASSIGNED_KEYS_PER_CALL = 200


def unassigned_due_plans(clinic_id: str, today: str, limit: int,
                         cursor: str | None) -> tuple[list[DuePlan], str | None]:
    """Active plans due today or earlier that nobody is assigned to (started by a challenge, made
    before plans had assignees, or given back): the clinic's due list page by page, each page's
    plans in one BatchGetItem, kept when they have no assignee, then the kept patients' profiles in
    one BatchGetItem. At most UNASSIGNED_KEYS_PER_CALL due keys are read per call; the cursor goes
    on after the last key looked at, so a page may hold fewer than `limit` plans and a cursor."""
    scope = f"followups-unassigned:{clinic_id}:{today}"
    start = db.decode_cursor(cursor, scope)
    kept: list[tuple[str, dict[str, Any]]] = []
    looked = 0
    resume: dict[str, Any] | None = None
    while True:
        params: dict[str, Any] = {
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "due_pk = :pk AND due_sk <= :today",
            "ExpressionAttributeValues": {":pk": {"S": keys.followup_due_pk(clinic_id)}, ":today": {"S": today + "#~"}},
            "Limit": min(50, UNASSIGNED_KEYS_PER_CALL - looked),
        }
        if start:
            params["ExclusiveStartKey"] = start
        page = db.query_raw(**params)
        items = page.get("Items", [])
        found = db.batch_get([(k["pk"]["S"], keys.FOLLOWUP_SK) for k in items])
        for index, key in enumerate(items):
            looked += 1
            plan = found.get((key["pk"]["S"], keys.FOLLOWUP_SK))
            if plan is not None and not db.plain_item(plan).get("assignee"):
                kept.append((key["pk"]["S"], plan))
            if len(kept) == limit:
                more = index < len(items) - 1 or bool(page.get("LastEvaluatedKey"))
                resume = {name: key[name] for name in ("pk", "sk", "due_pk", "due_sk")} if more else None
                break
        else:
            start = page.get("LastEvaluatedKey")
            if start and looked < UNASSIGNED_KEYS_PER_CALL:
                continue
            resume = start
        break
    profiles = db.batch_get([(pk, keys.PROFILE_SK) for pk, _ in kept])
    plans = []
    for pk, plan in kept:
        profile = profiles.get((pk, keys.PROFILE_SK))
        if profile is not None:  # else erased meanwhile
            plans.append(_due_plan(profile, plan))
    return plans, db.encode_cursor(resume, scope)


def totals_between(clinic_id: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
    """The daily outcome counters of the clinic between two clinic-local days (for KPIs and reports)."""
    bind()
    rows = []
    for item in FollowUpStatItem.query(keys.clinic_pk(clinic_id),
                                       FollowUpStatItem.sk.between(keys.followup_stat_sk(first_day), keys.followup_stat_sk(last_day))):
        rows.append({"day": item.sk[len(keys.FOLLOWUP_STAT):], **{name: int(getattr(item, name) or 0) for name in OUTCOMES}})
    return rows
