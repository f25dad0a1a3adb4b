"""Routes of the health manager's day (MANAGER roles): the lapse-risk model card, the at-risk list,
a patient's score, drop-out curves per condition, follow-up plans (start, pause, assign or claim,
end), the day's calls (the clinic's, one's own or the unassigned), revealing a number to call
(audited), the calls' outcomes, and (admins) who gets the plans nobody starts by hand."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal, Optional

from chalice import Blueprint
from pydantic import ConfigDict, Field, model_validator

from chalicelib.api import replies
from chalicelib.api.models import Page, Strict
from chalicelib.api.routing import ADMIN, IN_TRANSACTION, MANAGER, READERS, route
from chalicelib.lazy import lazy

# The services each route calls, as type checkers and import analysis see them; at run time
# each module loads on first use, so a function's cold start pays only for what it runs.
if TYPE_CHECKING:
    from chalicelib.services import risk
    from chalicelib.services import followups
    from chalicelib.services import uplift
else:
    risk = lazy("chalicelib.services.risk")
    followups = lazy("chalicelib.services.followups")
    uplift = lazy("chalicelib.services.uplift")

bp: Blueprint = Blueprint(__name__)


class RiskPage(Page):
    pass


class WorklistPage(Strict):
    # 50 plans = 100 keys: the page's profiles and plans come in one BatchGetItem
    limit: int = Field(default=50, ge=1, le=50)
    cursor: Optional[str] = Field(default=None, max_length=2000)
    mine: bool = Field(default=False, description="only the plans assigned to the caller (我今天的电话)")
    unassigned: bool = Field(default=False, description="only the plans nobody is assigned to (未分配); a page "
                                                        "may hold fewer than `limit` and a cursor")

    @model_validator(mode="after")
    def one_view(self):
        if self.mine and self.unassigned:
            raise ValueError("mine and unassigned exclude each other")
        return self


class OutcomePeriod(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: Optional[date] = Field(default=None, alias="from")
    to: Optional[date] = None


class FollowUpStart(Strict):
    cadence_days: Optional[int] = Field(default=None, ge=1, le=90, description="days between calls; default 7")
    first_due: Optional[date] = Field(default=None, description="the first call's day; default today")
    assignee: Optional[str] = Field(default=None, min_length=1, max_length=128,
                                    description="the staff username who makes the calls; default: the plan's "
                                                "assignee so far, else the caller")


class FollowUpAssign(Strict):
    assignee: Optional[str] = Field(min_length=1, max_length=128,
                                    description="the staff username (an active admin or health manager of the "
                                                "clinic) who makes the calls; null: nobody (back to 未分配)")
    unassigned_only: bool = Field(default=False, description="a claim (认领): refused with plan_assigned if "
                                                             "someone else has the plan already")


class DefaultAssignee(Strict):
    assignee: Optional[str] = Field(min_length=1, max_length=128,
                                    description="an active admin or health manager of the clinic; null: nobody")


class PhoneReveal(Strict):
    reason: str = Field(min_length=2, max_length=200, description="why the number is needed (kept in the audit trail)")


class FollowUpOutcome(Strict):
    outcome: Literal["reached", "booked", "declined", "wrong_number"]
    note: Optional[str] = Field(default=None, max_length=500, description="stored encrypted")
    booking_date: Optional[date] = Field(default=None, description="with booked: the day booked")


@route(bp, "/risk/model", roles=READERS,
       reply=replies.RiskModelReply,
       summary="The clinic's current lapse-risk model: version, horizon, base rate, AUC against recency alone, "
               "Brier score, calibration by decile, each factor's effect in words; or why there is none")
def risk_model(call):
    return risk.model_view(call.principal.clinic_id)


@route(bp, "/risk/uplift-model", roles=READERS,
       reply=replies.UpliftModelReply,
       summary="The clinic's uplift model (whom a marketing reminder moves): training counts, Qini against a "
               "random order and against risk ranking on held-out patients, the date; or why there is none; "
               "and the recall rules that target by it")
def uplift_model(call):
    return uplift.model_view(call.principal.clinic_id)


@route(bp, "/risk/patients", roles=MANAGER, query=RiskPage,
       reply=replies.AtRiskReply, summary="Patients by lapse risk, highest first, with their top factors, by cursor")
def at_risk(call):
    return risk.at_risk(call.principal.clinic_id, call.query.limit, call.query.cursor)


@route(bp, "/patients/{patient_id}/risk", roles=MANAGER,
       reply=replies.PatientRiskReply,
       summary="A patient's lapse-risk score and its top three factors, or why there is no score")
def patient_risk(call):
    return risk.patient_risk(call.principal.clinic_id, call.params["patient_id"])


@route(bp, "/risk/dropout", roles=READERS,
       reply=replies.DropoutReply,
       summary="Per condition: share of patients back by day d after a visit, drop-out day, suggested recall day")
def dropout(call):
    return risk.dropout_view(call.principal.clinic_id)


@route(bp, "/patients/{patient_id}/followup", methods=("POST",), roles=MANAGER, body=FollowUpStart,
       idempotent=True,
       reply=replies.FollowupPlanReply, status=(201, 200), errors=("invalid_date", "unknown_assignee"),
       summary="Put a patient on a follow-up plan (weekly by default) assigned to a staff member, or restart "
               "(resume) a paused or ended one")
def start_followup(call):
    created, plan = followups.start(call.principal, call.params["patient_id"], call.body.cadence_days,
                                    call.body.first_due, call.body.assignee)
    return (201 if created else 200), {"plan": plan}


@route(bp, "/patients/{patient_id}/followup", roles=MANAGER,
       reply=replies.FollowupDetailReply,
       errors=("no_followup_plan",),
       summary="A patient's follow-up plan and latest outcomes with their notes (reading notes is audited)")
def followup_detail(call):
    return followups.detail(call.principal, call.params["patient_id"])


@route(bp, "/patients/{patient_id}/followup/outcomes", methods=("POST",), roles=MANAGER,
       body=FollowUpOutcome, idempotent=IN_TRANSACTION,
       reply=replies.RecordOutcomeReply, status=201,
       errors=("booking_date_required", "invalid_date", "no_followup_plan", "plan_not_active",
               "unexpected_field"),
       summary="Record a follow-up call: reached, booked (records the booking), declined, wrong_number (pauses)")
def record_outcome(call):
    b = call.body
    return 201, followups.record(call.principal, call.params["patient_id"], b.outcome, b.note, b.booking_date,
                                 call.idem)


@route(bp, "/patients/{patient_id}/followup/assignee", methods=("PUT",), roles=MANAGER, body=FollowUpAssign,
       idempotent=True, reply=replies.FollowupPlanReply,
       errors=("unknown_assignee", "no_followup_plan", "plan_changed", "plan_assigned"),
       summary="Assign a patient's follow-up plan to a staff member (or to nobody), or claim it (认领: to "
               "oneself, unassigned_only); the plan moves to that person's calls")
def assign_followup(call):
    return followups.assign(call.principal, call.params["patient_id"], call.body.assignee,
                            call.body.unassigned_only)


@route(bp, "/clinic/followup-assignee", methods=("PUT",), roles=ADMIN, body=DefaultAssignee,
       reply=replies.FollowupAssigneeReply, errors=("unknown_assignee",),
       summary="Set who gets the follow-up plans nobody starts by hand (a glucose challenge's), or nobody; "
               "GET /clinic shows it")
def default_assignee(call):
    return followups.set_default_assignee(call.principal.clinic_id, call.body.assignee)


@route(bp, "/patients/{patient_id}/followup/end", methods=("POST",), roles=MANAGER,
       reply=replies.FollowupPlanReply, errors=("no_followup_plan",), summary="End a patient's follow-up plan")
def end_followup(call):
    return followups.end(call.principal, call.params["patient_id"])


@route(bp, "/patients/{patient_id}/followup/pause", methods=("POST",), roles=MANAGER,
       reply=replies.FollowupPlanReply, errors=("no_followup_plan", "plan_changed"),
       summary="Pause a patient's follow-up plan: off the worklists until it is started again")
def pause_followup(call):
    return followups.pause(call.principal, call.params["patient_id"])


@route(bp, "/patients/{patient_id}/phone/reveal", methods=("POST",), roles=MANAGER, body=PhoneReveal,
       reply=replies.PhoneRevealReply,
       summary="A patient's full phone number, to call them; the reason is written to the audit trail")
def reveal_phone(call):
    return followups.reveal_phone(call.principal, call.params["patient_id"], call.body.reason)


@route(bp, "/followups/due", roles=MANAGER, query=WorklistPage,
       reply=replies.WorklistReply,
       summary="Today's follow-up calls: due or overdue plans (with mine=true only the caller's, with "
               "unassigned=true only those nobody is assigned to), highest risk first within a page, phones masked")
def worklist(call):
    q = call.query
    mine = (call.principal.username or call.principal.subject) if q.mine else None
    return followups.worklist(call.principal.clinic_id, q.limit, q.cursor, mine, q.unassigned)


@route(bp, "/followups/outcomes", roles=READERS, query=OutcomePeriod,
       reply=replies.OutcomeTotalsReply, errors=("invalid_period", "period_too_long"),
       summary="Follow-up outcome totals over a period of clinic-local days (default: the last 30)")
def outcome_totals(call):
    return followups.totals(call.principal.clinic_id, call.query.from_, call.query.to)

