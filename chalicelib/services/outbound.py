"""Outbound messages of every kind: planning a job, and delivering a due one under the common
rules (relevance, consent, quiet hours, frequency caps, channel choice, delivery status).

A kind plugs in with one composer, `compose(ctx) -> Message | Stop`, registered in COMPOSERS
by dotted path (loaded on first use). See docs/delivery.md.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from chalicelib.domain import delivery as rules
from chalicelib.domain.clock import clock, iso, parse_iso
from chalicelib.domain.delivery import Message, Stop
from chalicelib.errors import NotFound
from chalicelib.observability import logger
from chalicelib.services.capacity import settings_of  # the clinic's delivery settings (one reader for both)
from chalicelib.store import channels as channel_store
from chalicelib.store import clinics, patients, recall

if TYPE_CHECKING:  # types only
    from chalicelib.channels import Target

COMPOSERS: dict[str, str] = {
    "recall": "chalicelib.services.recall:compose",
    "content": "chalicelib.services.segments:compose_content",
    "checkup": "chalicelib.services.households:compose_checkup",  # an infant's check-ups (docs/households.md)
}


def register(kind: str, path: str) -> None:
    """Add a kind: `path` is "module:function" of its composer."""
    COMPOSERS[kind] = path


def composer(kind: str):
    module, _, name = COMPOSERS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass
class ComposeContext:
    """What a composer gets: the job, the patient, the clinic, its delivery settings and now."""

    clinic_id: str
    clinic: clinics.Clinic
    patient: patients.Patient
    job: recall.RecallJob
    settings: rules.DeliverySettings
    now: datetime
    # who receives the patient's messages instead of them (a carer, services.households), if anyone
    recipient: patients.Patient | None = None

    def template_id(self, kind: str | None = None) -> str | None:
        kind = kind or self.job.kind
        return self.settings.wechat_templates.get(kind) or rules.DEFAULT_WECHAT_TEMPLATES.get(kind)


def plan(clinic_id: str, patient_id: str, *, kind: str, source_id: str, anchor_date: str, offset_days: int,
         due_at: str, purpose: str, context: dict | None = None, anchor: str | None = None,
         condition: str | None = None, stop_on=None) -> bool:
    """Plan one message once: the job id is (patient, kind, source, anchor date, offset).

    Returns False if that job exists already. `stop_on` lists the events that stop it
    ("booked", "visited"; none by default for kinds other than recall).
    """
    if kind not in COMPOSERS:
        raise ValueError(f"no composer for kind {kind!r}")
    job = recall.new_job(clinic_id, patient_id, kind=kind, source_id=source_id, anchor_date=anchor_date,
                         offset_days=offset_days, due_at=due_at, purpose=purpose, anchor=anchor,
                         condition=condition, context=context, stop_on=list(stop_on) if stop_on is not None else [])
    return recall.plan(job)


def stop_for_purpose(clinic_id: str, patient_id: str, purposes, at: str) -> int:
    """Close every open job of these purposes (a withdrawn consent stops the journeys in progress)."""
    wanted = set(purposes)
    jobs = [job for job in recall.open_jobs(clinic_id, patient_id) if (job.purpose or "service") in wanted]
    return recall.stop_jobs(clinic_id, jobs, at, reason="consent_withdrawn")


def _target(clinic_id: str, patient: patients.Patient, state: channel_store.ChannelState) -> Target:
    from chalicelib.channels import Target
    from chalicelib.services.patient_fields import clinic_key, decrypted

    def openid():
        if not state.openid_enc:
            return None
        from chalicelib import crypto

        return crypto.decrypt(clinic_key(clinic_id), clinic_id, state.openid_enc)

    def nickname():
        from chalicelib.domain.rules import nickname as of

        return of(decrypted(patient)["name"], patient.sex)

    return Target(clinic_id, patient.patient_id, phone=lambda: decrypted(patient)["phone"], openid=openid,
                  quotas=dict(state.quotas), nickname=nickname)


def with_templates(ctx: ComposeContext, message: Message) -> Message:
    """The message with the clinic's templates of its kind and the named fields they may use."""
    from dataclasses import replace

    from chalicelib.domain.policy import MESSAGE_KINDS

    kind = ctx.job.kind or "recall"
    templates = ctx.settings.message_templates.get(kind) or {}
    if not templates:
        return message
    values = {"clinic": ctx.clinic.name, "kind_name": MESSAGE_KINDS.get(kind, ("", ""))[1], **message.values}
    return replace(message, templates=templates, values=values)


def _personal(message: Message, target) -> Message:
    """The text as it reaches the patient through WeChat or SMS: the name is decrypted only then.
    The inbox keeps the placeholder; the patient's read fills it in (services.inbox)."""
    if not rules.needs_nickname(message.title, message.body, *(str(v) for v in message.data.values())):
        return message
    return message.personal(target.nickname())


def deliver(message: dict) -> str:
    """Deliver the job a queue message names (store.recall.DueJob.message); returns what happened
    (sent, deferred, capped, stale, stopped, already_done ...)."""
    from chalicelib.domain.holdout import share_of, withheld
    from chalicelib.services.patient_fields import has_consent

    clinic_id = message["clinic_id"]
    job = recall.queued_job(message)
    if job is None or not recall.is_open(job):
        return "already_done"
    now_moment = clock.now()
    now = iso(now_moment)
    try:
        patient = patients.get(clinic_id, job.patient_id, consistent=True)
    except NotFound:
        return "patient_gone"
    deliveries = list(job.deliveries or [])
    if job.inflight:
        # A sender died after calling WeChat or SMS and before recording the answer. Neither has an
        # idempotency key, so sending again could duplicate: the message counts as sent, unconfirmed.
        deliveries.append({"channel": job.inflight, "status": "sent", "error_code": "unconfirmed", "at": now})
        done = recall.finish(job, patient, channel=job.inflight, deliveries=deliveries, at=now, clinic_id=clinic_id,
                             error_code="unconfirmed")
        return "sent" if done == "ok" else "already_done"
    clinic = clinics.get(clinic_id)
    settings = settings_of(clinic_id)
    ctx = ComposeContext(clinic_id, clinic, patient, job, settings, now_moment)
    composed = composer(job.kind or "recall")(ctx)
    clinic_held = not isinstance(composed, Stop) and withheld(job.purpose, clinic_id, patient.patient_id,
                                                              share_of(clinic.holdout_share))
    held_out = isinstance(composed, Stop) and composed.reason == HOLDOUT
    if isinstance(composed, Stop) and not held_out:
        recall.close_job(job, "stopped", now, clinic_id, stop_reason=composed.reason)
        return "stopped"
    # Judged after composing, so a content step closed as stale still plans the step after it.
    deadline = _deadline(ctx, composed)
    if now_moment > deadline.until:
        recall.close_job(job, "stale", now, clinic_id, stop_reason=deadline.reason)
        return "stale"
    from chalicelib.services import carers

    # a dependant's messages go to their carer; the dependant's consent (a minor's: the guardian's) decides
    carer = carers.reminder_route(clinic_id, patient)
    if not has_consent(carer.consent_holder if carer else patient, job.purpose or "service"):
        recall.close_job(job, "skipped_no_consent", now, clinic_id)
        return "skipped_no_consent"
    if rules.in_quiet_hours(now_moment, clinic.tz, settings.quiet_start, settings.quiet_end):
        until = rules.next_allowed(now_moment, clinic.tz, settings.quiet_start, settings.quiet_end)
        recall.defer(job, iso(until), now, "quiet_hours")
        return "deferred"
    if clinic_held:
        # the clinic's lasting holdout: no marketing message, so what they bring can be measured;
        # decided here, like an experiment's holdout, so the held out are the patients the message
        # would have reached at that moment (the uplift training compares them with the reached)
        recall.close_job(job, "held_out", now, clinic_id, stop_reason=CLINIC_HOLDOUT)
        return "held_out"
    if held_out:
        # measured like the arms: only a patient the message would have reached, at that moment
        _expose(clinic_id, composed.experiment, patient.patient_id, now, recall.job_ref(job))
        recall.close_job(job, "held_out", now, clinic_id, stop_reason=HOLDOUT)
        return "held_out"
    hold = None
    if composed.wants_offer:
        offered = _offer(ctx, composed)
        if offered is None:
            recall.defer_for_capacity(job, iso(now_moment + CAPACITY_RETRY), now, NO_CAPACITY)
            return "deferred_capacity"
        composed, hold = offered
    if carer is not None:
        ctx.recipient, composed = carer.recipient, carers.for_carer(composed, carer.name_masked)
    outcome = _send(ctx, composed, deliveries, now, deadline)
    if hold is not None and outcome != "sent":
        # the job did not send (a cap, no channel): the place goes back now rather than when the hold ends
        from chalicelib.services.capacity import release_job_hold

        release_job_hold(clinic_id, patient.patient_id, job.job_id)
    if outcome == "sent" and composed.experiment:
        _expose(clinic_id, composed.experiment, patient.patient_id, now, recall.job_ref(job))
    return outcome


HOLDOUT = "holdout"
CLINIC_HOLDOUT = "clinic_holdout"  # domain.holdout: the clinic's lasting holdout
NO_CAPACITY = "no_capacity"  # domain.capacity: a recall waiting for a free slot place
CAPACITY_RETRY = timedelta(hours=1)  # domain.capacity.CAPACITY_RETRY


def _offer(ctx: ComposeContext, message: Message) -> tuple[Message, object] | None:
    """The message with its offered slot (services.capacity) and the hold it took, or None when the
    department's recall offers are at their budget (the job waits for a free place)."""
    from chalicelib.services import capacity

    offered = capacity.offer_for(ctx.clinic_id, ctx.clinic.tz, ctx.settings, ctx.job, ctx.patient,
                                 message.offer_department, ctx.now)
    if offered == NO_CAPACITY:
        return None
    if offered is None or isinstance(offered, str):  # not throttled: the suggested opening, as before
        return message.with_slot(capacity.suggested_slot_text(ctx)), None
    text = offered.text + (f"（{offered.doctor_name}）" if offered.doctor_name and offered.hold else "")
    filled = message.with_slot(text, offered.link)
    # a WeChat time field takes the time alone
    if offered.hold is not None:
        filled = replace(filled, data={k: (offered.text if v == text else v) for k, v in filled.data.items()},
                         values={**filled.values, "slot": offered.text})
    return filled, offered.hold


def _expose(clinic_id: str, experiment: tuple[str, str] | None, patient_id: str, at: str, ref: str) -> None:
    """Record the experiment exposure of a sent (or held-out) message; once per experiment and patient.

    It follows the send, so a sender that dies in between loses this one exposure (logged), never
    the message; the job is closed either way, so it is never sent twice for it.
    """
    if not experiment:
        return
    from chalicelib.errors import AppError
    from chalicelib.services import experiments

    try:
        experiments.record_exposure(clinic_id, experiment[0], experiment[1], patient_id, at, message_ref=ref)
    except AppError as err:
        logger.warning("exposure not recorded", extra={"clinic_id": clinic_id, "code": err.code})


def _deadline(ctx: ComposeContext, composed: Message | Stop) -> rules.Window:
    """After this moment the message is stale: its kind's relevance days after the planned time,
    or the end of the window the composer gave (a recall's anchor window), whichever comes first."""
    # a recall that waited for a free slot place counts its days from when it was let go last, so waiting
    # for capacity never makes it too late (its anchor window still ends it: the next offset replaces it)
    planned = max(ctx.job.due_at, ctx.job.capacity_retry_at or ctx.job.due_at)
    return rules.relevance_deadline(parse_iso(planned), ctx.job.kind or "recall", ctx.settings,
                                    composed.window)


def _caps(ctx: ComposeContext) -> recall.Caps | None:
    """The weekly (per purpose) and daily (every purpose) counters this message takes, in the
    transaction that sends it; None once it took its place in the counts (a fallback channel)."""
    if ctx.job.counted_week:
        return None
    purpose, tz = ctx.job.purpose or "service", ctx.clinic.tz
    week_expires = int((rules.next_week_start(ctx.now, tz) + timedelta(days=8)).timestamp())
    day_expires = int((rules.next_day_start(ctx.now, tz) + timedelta(days=2)).timestamp())
    return recall.caps_for(ctx.clinic_id, ctx.patient.patient_id, purpose=purpose,
                           week=rules.week_key(ctx.now, tz), week_limit=ctx.settings.cap(purpose),
                           week_expires=week_expires, day=rules.day_key(ctx.now, tz),
                           day_limit=ctx.settings.daily_cap, day_expires=day_expires)


def _capped(ctx: ComposeContext, now: str, deadline: rules.Window, refused: str) -> str:
    """A cap refused the message: it waits for the next week (weekly cap) or the next day (daily
    cap), or is dropped as `capped` when that would be past its deadline."""
    daily = refused == "day_capped"
    reason = "daily_cap" if daily else "frequency_cap"
    until = rules.cap_deferral(ctx.now, deadline.until, ctx.clinic.tz, ctx.settings, daily=daily)
    if until is None:
        recall.close_job(ctx.job, "capped", now, ctx.clinic_id, stop_reason=reason)
        return "capped"
    recall.defer(ctx.job, iso(until), now, reason)
    return "deferred_cap"


def _send(ctx: ComposeContext, message: Message, deliveries: list, now: str, deadline: rules.Window) -> str:
    from chalicelib import channels
    from chalicelib.channels import inbox

    job, patient, clinic_id = ctx.job, ctx.patient, ctx.clinic_id
    to = ctx.recipient or patient  # the channels, openid, quota and inbox of whoever receives it
    message = with_templates(ctx, message)
    state = channel_store.state(clinic_id, to.patient_id)
    target = _target(clinic_id, to, state)
    target.message_ref, target.message_kind = job.job_id, job.kind or "recall"
    tried = {d["channel"] for d in deliveries}
    for name in rules.channel_order(state.preferred):
        if name in tried:
            continue
        channel = channels.get(name)
        if not channel.reachable(target, message):
            continue
        caps = _caps(ctx)
        if not channel.external:
            deliveries.append({"channel": name, "status": "sent", "error_code": None, "at": now})
            stored = inbox.inbox_message(job, message, job.purpose or "service", now)
            if to is not patient:  # in the carer's inbox, apart from their own messages of the same rule
                stored = stored._replace(message_id=f"{stored.message_id}-{patient.patient_id}")
            done = recall.finish(job, patient, channel=name, deliveries=deliveries, at=now, clinic_id=clinic_id,
                                 message=stored, caps=caps, inbox_of=None if to is patient else to)
            return _finished(ctx, done, now, deadline)
        # WeChat is reachable only with a template (channels.wechat.reachable)
        quota = (recall.quota_key(clinic_id, to.patient_id, message.template_id)
                 if name == "wechat" and message.template_id else None)
        begun = recall.begin_external(job, name, caps, quota)
        if begun in ("capped", "day_capped"):
            return _capped(ctx, now, deadline, begun)
        if begun == "gone":
            return "already_done"
        if begun == "no_quota":
            continue
        outcome = channel.send(target, _personal(message, target))
        deliveries.append({"channel": name, "status": outcome.status, "error_code": outcome.error_code, "at": now,
                           **({"provider_id": outcome.provider_id} if outcome.provider_id else {})})
        logger.info("channel answered", extra={"clinic_id": clinic_id, "patient_id": patient.patient_id,
                                               "channel": name, "status": outcome.status,
                                               "error_code": outcome.error_code})
        if outcome.status == "sent":
            return _finished(ctx, recall.finish(job, patient, channel=name, deliveries=deliveries, at=now,
                                                clinic_id=clinic_id), now, deadline)
        recall.end_external(job, deliveries, quota if outcome.status == "refused" else None, now)
    recall.close_job(job, "failed", now, clinic_id, error_code="no_channel", deliveries=deliveries)
    return "failed"


def _finished(ctx: ComposeContext, done: str, now: str, deadline: rules.Window) -> str:
    if done in ("capped", "day_capped"):
        return _capped(ctx, now, deadline, done)
    return "sent" if done == "ok" else "already_done"


def reminder_log(clinic_id: str, limit: int, cursor: str | None) -> dict:
    """Messages of every kind once handled (sent, stopped, stale, capped ...), and recalls waiting for a
    free slot place (deferred, no_capacity), newest first."""
    items, next_cursor = recall.reminder_log(clinic_id, limit, cursor)
    names = patients.masked_names(clinic_id, [j.patient_id for j in items]) if items else {}
    return {"items": [{"patient_id": j.patient_id, "name_masked": names.get(j.patient_id), "rule_id": j.rule_id, "condition": j.condition,
                       "anchor_date": j.anchor_date, "due_at": j.due_at, "status": j.status,
                       # a recall still waiting for capacity is listed from when it began to wait
                       "processed_at": j.processed_at or j.capacity_since, "channel": j.channel, "kind": j.kind, "purpose": j.purpose,
                       # a learned rule's job is named by the rule's offset and sent on its learned day
                       "offset_days": int((j.context or {}).get("send_day", j.offset_days))
                       if j.offset_days is not None else None,
                       "error_code": j.error_code, "stop_reason": j.stop_reason,
                       "deliveries": j.deliveries or []} for j in items],
            "next_cursor": next_cursor}
