"""Households (家庭): linking patients by their own consent, carers who check in and receive
reminders for a dependant, dependants registered through a carer (an infant and its check-ups),
the shared family cleaning card, and leaving or erasure. Rules in chalicelib/domain/households.py;
docs/households.md."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chalicelib import crypto
from chalicelib.domain import households as rules
from chalicelib.domain.clock import clock, iso, local_date, local_moment, parse_iso
from chalicelib.domain.delivery import Message, Stop
from chalicelib.domain.policy import POLICY_VERSION
from chalicelib.errors import AppError, BadRequest, Conflict, Forbidden, NotFound
from chalicelib.observability import count, logger
from chalicelib.services import carers
from chalicelib.store import clinics, patients
from chalicelib.store import households as store

CHECKUP_KIND = "checkup"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed at the desk
ERASED_NAME = "—"


def _today(clinic_id: str) -> date:
    return local_date(clock.now(), clinics.get(clinic_id).tz)


def _not_member() -> NotFound:
    return NotFound("no such member of your household", code="not_a_member", field="member_id")


@dataclass
class _Profile:
    name_masked: str
    birth_year: int | None


def _profiles(clinic_id: str, patient_ids: list[str]) -> dict[str, _Profile]:
    return {pid: _Profile(name, year) for pid, (name, year) in store.profiles(clinic_id, patient_ids).items()}


def _as_rule(member: store.Member, profile: _Profile | None, today: date) -> rules.Member:
    return carers.as_rule(member, profile.birth_year if profile else None, today)


@dataclass
class _Family:
    view: store.HouseholdView
    profiles: dict[str, _Profile]
    members: dict[str, rules.Member]
    today: date


def _load(clinic_id: str, family_id: str | None) -> _Family | None:
    if not family_id:
        return None
    view = store.read(clinic_id, family_id)
    if view is None:
        return None
    today = _today(clinic_id)
    profiles = _profiles(clinic_id, [m.patient_id for m in view.members]) if view.members else {}
    members = {m.patient_id: _as_rule(m, profiles.get(m.patient_id), today) for m in view.members}
    return _Family(view, profiles, members, today)


def _member_row(family: _Family, viewer_id: str, member_id: str, *, with_me: bool) -> dict[str, Any]:
    viewer, member = family.members[viewer_id], family.members[member_id]
    row: dict[str, Any] = {
        "member_id": member_id, "name": _name(family, member_id),
        "relation": rules.relation_seen_by(viewer, member), "minor": member.minor,
        "i_care_for": member_id != viewer_id and viewer_id in member.carers,
        "cares_for_me": member_id != viewer_id and member_id in viewer.carers,
        "may_checkin": rules.may_check_in(viewer_id, member),
        "gets_reminders": rules.gets_reminders(viewer_id, member),
        # what the viewer gave this member (PUT /me/family/carers): the carer page's two switches
        "checks_in_for_me": rules.may_check_in(member_id, viewer),
        "gets_my_reminders": rules.gets_reminders(member_id, viewer),
    }
    if with_me:
        row["me"] = member_id == viewer_id
    return row


def _card(family: _Family) -> dict[str, Any] | None:
    household = family.view.household
    if household.card_uses_total is None:
        return None
    uses = sorted(family.view.uses, key=lambda u: u.at, reverse=True)
    return {"uses_total": int(household.card_uses_total), "uses_left": max(0, int(household.card_uses_left or 0)),
            "valid_until": household.card_valid_until,
            "used": [{"date": u.local_date, "name": _name(family, u.patient_id)} for u in uses]}


def _name(family: _Family, patient_id: str | None) -> str:
    """A member's masked name; `—` for one erased since (their id is gone from the household's items)."""
    profile = family.profiles.get(patient_id) if patient_id else None
    return profile.name_masked if profile else ERASED_NAME


def _family_reply(family: _Family | None, viewer_id: str, *, with_me: bool = True) -> dict[str, Any]:
    if family is None or viewer_id not in family.members:
        return {"family_id": None, "members": [], "card": None}
    return {"family_id": family.view.household.family_id,
            "members": [_member_row(family, viewer_id, m.patient_id, with_me=with_me) for m in family.view.members],
            "card": _card(family)}


def _mine(principal) -> _Family | None:
    return _load(principal.clinic_id, store.family_of(principal.clinic_id, principal.patient_id, consistent=True))


# --- the patient's routes --------------------------------------------------------------------------

def my_family(principal) -> dict[str, Any]:
    return _family_reply(_mine(principal), principal.patient_id)


def _require_adult(clinic_id: str, patient_id: str, today: date, field: str | None = None) -> None:
    patient = patients.get(clinic_id, patient_id)
    if rules.is_minor(today, birth_year=patient.birth_year):
        raise Forbidden("only an adult may do this for a household", code="not_an_adult", field=field)


def _code_hash(clinic_id: str, code: str) -> str:
    return crypto.keyed_hash("family_invite", clinic_id, code.strip().upper())


def create_invite(principal, relation: str) -> dict[str, Any]:
    """A one-time code (24 h) that lets another adult patient of the clinic join the caller's
    household; the caller's first invite founds the household, with the caller's own consent."""
    clinic_id, me = principal.clinic_id, principal.patient_id
    now = clock.now()
    _require_adult(clinic_id, me, _today(clinic_id))
    family_id = store.family_of(clinic_id, me, consistent=True)
    if family_id is None:
        family_id = uuid.uuid4().hex[:16]
        founder = store.Member(clinic_id, family_id, me, "self", None, iso(now))
        store.found(clinic_id, family_id, founder, iso(now), POLICY_VERSION, uuid.uuid4().hex[:8])
        _audit(principal, "founded", me, family_id)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    expires = now + timedelta(hours=rules.INVITE_HOURS)
    store.put_invite(clinic_id, _code_hash(clinic_id, code), family_id, me, relation, iso(expires),
                     int(expires.timestamp()) + 24 * 3600)
    count("FamilyInvites")
    return {"code": code, "expires_at": iso(expires), "path": f"packages/family/join?code={code}"}


def join(principal, code: str, consent: bool) -> dict[str, Any]:
    """The invitee, an adult patient, agrees to join the household of the code."""
    clinic_id, me = principal.clinic_id, principal.patient_id
    if not consent:
        raise BadRequest("joining a household needs your consent", code="consent_required", field="consent")
    invite = store.invite(clinic_id, _code_hash(clinic_id, code))
    if invite is None:
        raise BadRequest("unknown or used invite code", code="invalid_code", field="code")
    now = clock.now()
    if iso(now) > invite.expires:
        raise AppError("this invite code has expired; ask for a new one", code="code_expired", status=410,
                       field="code")
    if invite.inviter == me:
        raise BadRequest("this is your own invite code", code="own_code", field="code")
    if store.family_of(clinic_id, me, consistent=True) is not None:
        raise store.ALREADY_IN
    _require_adult(clinic_id, me, _today(clinic_id))
    newcomer = store.Member(clinic_id, invite.family_id, me, invite.relation, invite.inviter, iso(now))
    store.join(invite, newcomer, iso(now), POLICY_VERSION, uuid.uuid4().hex[:8])
    _audit(principal, "joined", me, invite.family_id, linked_by=invite.inviter)
    count("FamilyJoins")
    reply = _family_reply(_load(clinic_id, invite.family_id), me)
    return {"family_id": reply["family_id"], "members": reply["members"]}


def set_carer(principal, member_id: str, checkins: bool, reminders: bool) -> dict[str, Any]:
    """The caller (an adult) lets a member of their household care for them, or ends it (both false)."""
    clinic_id, me = principal.clinic_id, principal.patient_id
    family = _mine(principal)
    if family is None or member_id not in family.members or member_id == me:
        raise _not_member()
    if family.members[me].minor:
        raise Forbidden("only an adult gives a carer this role", code="not_an_adult")
    if family.members[member_id].minor:
        raise Forbidden("a carer must be an adult", code="not_an_adult", field="member_id")
    own = next(m for m in family.view.members if m.patient_id == me)
    carers = dict(own.carers or {})
    if checkins or reminders:
        carers[member_id] = {**carers.get(member_id, {}), "checkins": bool(checkins), "reminders": bool(reminders),
                             "at": iso(clock.now())}
    else:
        carers.pop(member_id, None)
    store.set_carers(own, carers)
    _audit(principal, "carer_set" if (checkins or reminders) else "carer_ended", me, family.view.household.family_id,
           carer=member_id, checkins=bool(checkins), reminders=bool(reminders))
    return {"members": _family_reply(_mine(principal), me)["members"]}


def add_dependant(principal, body) -> dict[str, Any]:
    """Register a minor (an infant) as a patient of the clinic in the caller's household, the
    caller their carer; an infant's check-ups are planned as reminders to the caller."""
    from chalicelib.domain.desk import normalise_name
    from chalicelib.domain.privacy import mask_name
    from chalicelib.services.patient_fields import clinic_key, has_consent

    clinic_id, me = principal.clinic_id, principal.patient_id
    today = _today(clinic_id)
    why = rules.check_dependant_birth(today, body.birth_date)
    if why:
        raise BadRequest("a dependant is a minor born on or before today", code=why, field="birth_date")
    carer = patients.get(clinic_id, me)
    if rules.is_minor(today, birth_year=carer.birth_year):
        raise Forbidden("only an adult registers a dependant", code="not_an_adult")
    if not has_consent(carer, "service"):
        raise BadRequest("registering a dependant needs your consent to the clinic's service",
                         code="consent_required", field="consents")
    now = clock.now()
    family_id = store.family_of(clinic_id, me, consistent=True)
    if family_id is None:
        family_id = uuid.uuid4().hex[:16]
        store.found(clinic_id, family_id, store.Member(clinic_id, family_id, me, "self", None, iso(now)), iso(now),
                    POLICY_VERSION, uuid.uuid4().hex[:8])
        _audit(principal, "founded", me, family_id)
    key = clinic_key(clinic_id)
    dependant_id = uuid.uuid4().hex[:16]
    record = patients.new_patient(
        clinic_id, dependant_id, created_at=iso(now),
        name_enc=crypto.encrypt(key, clinic_id, body.name), phone_enc=crypto.encrypt(key, clinic_id, ""),
        # no phone of their own: a hash no number has, so no phone claim and no lookup finds one
        phone_hash=crypto.keyed_hash("dependant", clinic_id, dependant_id),
        name_masked=mask_name(body.name), birth_year=body.birth_date.year, sex=body.sex,
        name_hash=crypto.keyed_hash("name", clinic_id, normalise_name(body.name)),  # as services.desk.name_hash
    )
    member = store.Member(clinic_id, family_id, dependant_id, body.relation, me, iso(now),
                          birth_date=body.birth_date.isoformat(),
                          carers={me: {"checkins": True, "reminders": True, "guardian": True, "at": iso(now)}})
    store.add_dependant(record, member, iso(now), POLICY_VERSION, me, uuid.uuid4().hex[:8])
    _audit(principal, "dependant_added", dependant_id, family_id, linked_by=me)
    count("FamilyDependants")
    logger.info("dependant registered", extra={"patient_id": dependant_id, "family_id": family_id})
    plan_checkups(clinic_id, dependant_id, body.birth_date)
    family = _load(clinic_id, family_id)
    assert family is not None
    return _member_row(family, me, dependant_id, with_me=True)


def _cared(principal, member_id: str, wanted) -> _Family:
    family = _mine(principal)
    if family is None or member_id not in family.members:
        raise Forbidden("you do not care for this patient", code="not_your_dependant", field="member_id")
    if member_id != principal.patient_id and not wanted(principal.patient_id, family.members[member_id]):
        raise Forbidden("you do not care for this patient", code="not_your_dependant", field="member_id")
    return family


def carer_check_in(principal, member_id: str, body, idem=None) -> dict[str, Any]:
    """A check-in for a member the caller may check in for: recorded on the member's own record
    through the same path as their own (points, streaks and tasks are theirs), with `by` the caller."""
    from chalicelib.services import activity

    family = _cared(principal, member_id, rules.may_check_in)
    if member_id == principal.patient_id:
        raise Forbidden("check in for yourself through /me/checkins", code="not_your_dependant", field="member_id")
    reply = activity.check_in(principal, body, idem, for_patient=member_id)
    _audit(principal, "carer_checkin", member_id, family.view.household.family_id, carer=principal.patient_id)
    return reply


def member_reminders(principal, member_id: str) -> dict[str, Any]:
    """The member's upcoming check-ups and reminders that reach the caller (an infant's check-up schedule)."""
    from chalicelib.store import recall

    _cared(principal, member_id, rules.gets_reminders)
    clinic = clinics.get(principal.clinic_id)
    items = []
    for job in recall.open_jobs(principal.clinic_id, member_id):
        kind = job.kind or "recall"
        title = rules.checkup_title(job.rule_id) if kind == CHECKUP_KIND else _reminder_title(kind)
        # a check-up is listed by its own day; another reminder by the day it is sent
        day = (job.context or {}).get("day") if kind == CHECKUP_KIND else None
        items.append({"title": title, "due_date": day or local_date(parse_iso(job.due_at), clinic.tz).isoformat(),
                      "kind": kind})
    items.sort(key=lambda row: (row["due_date"], row["title"]))
    return {"items": items}


def _reminder_title(kind: str) -> str:
    from chalicelib.domain.policy import MESSAGE_KINDS

    return MESSAGE_KINDS.get(kind, ("", "提醒"))[1]


def leave(principal) -> dict[str, Any]:
    """The caller leaves their household; a guardian of a minor who has no other stays."""
    family = _mine(principal)
    me = principal.patient_id
    if family is None or me not in family.members:
        return {"family_id": None, "members": [], "card": None}
    if not rules.may_leave(me, list(family.members.values())):
        raise Conflict("you care for a minor of this household; they need you there", code="has_dependants")
    _remove(principal.clinic_id, family, me)
    _audit(principal, "left", me, family.view.household.family_id)
    return {"family_id": None, "members": [], "card": None}


def _remove(clinic_id: str, family: _Family, patient_id: str, keep_link: bool = False) -> None:
    others = [m for m in family.view.members if m.patient_id != patient_id]
    store.remove_member(clinic_id, family.view.household.family_id, patient_id, others, family.view.uses,
                        keep_link=keep_link)


def forget(patient) -> None:
    """Before a patient is erased: out of their household, out of every carer link, and off the
    family card's uses (the uses stay counted)."""
    family = _load(patient.clinic_id, store.family_of(patient.clinic_id, patient.patient_id, consistent=True))
    if family is None:
        return
    _remove(patient.clinic_id, family, patient.patient_id, keep_link=True)  # the link goes with the partition


# --- staff ---------------------------------------------------------------------------------------

def patient_family(clinic_id: str, patient_id: str) -> dict[str, Any]:
    patients.get(clinic_id, patient_id)
    family = _load(clinic_id, store.family_of(clinic_id, patient_id))
    return _family_reply(family, patient_id, with_me=False)


def _household_of_patient(clinic_id: str, patient_id: str) -> _Family:
    patients.get(clinic_id, patient_id)
    family = _load(clinic_id, store.family_of(clinic_id, patient_id, consistent=True))
    if family is None:
        raise NotFound("the patient is in no household", code="no_family_card", field="patient_id")
    return family


def grant_card(principal, patient_id: str, uses: int, valid_until: date) -> dict[str, Any]:
    """The desk sells or grants the family cleaning card to the patient's household."""
    clinic_id = principal.clinic_id
    family = _household_of_patient(clinic_id, patient_id)
    if valid_until < family.today:
        raise BadRequest("valid_until is in the past", code="invalid_date", field="valid_until")
    store.grant_card(clinic_id, family.view.household.family_id, uses, valid_until.isoformat(), iso(clock.now()),
                     principal.username or principal.subject)
    count("FamilyCardsGranted")
    card = _card(_household_of_patient(clinic_id, patient_id))
    assert card is not None
    return card


def use_card(principal, patient_id: str, idem=None) -> dict[str, Any]:
    """One use of the household's card by this member at the desk: counted once for the household
    (one conditional update of the uses left), once per Idempotency-Key."""
    clinic_id = principal.clinic_id
    family = _household_of_patient(clinic_id, patient_id)
    household = family.view.household
    if household.card_uses_total is None:
        raise NotFound("the household has no family card", code="no_family_card", field="patient_id")
    why = rules.card_usable(int(household.card_uses_left or 0), household.card_valid_until, family.today)
    if why:
        raise Conflict("the family card is used up" if why == "card_used_up" else "the family card has expired",
                       code=why)
    now = clock.now()
    if idem is not None:
        use_id = "k" + hashlib.sha256(f"{idem.scope}:{idem.key}".encode()).hexdigest()[:15]
    else:
        use_id = uuid.uuid4().hex[:16]
    use = store.CardUse(use_id, iso(now), family.today.isoformat(), patient_id, principal.username or principal.subject)
    card = _card(family)
    assert card is not None
    reply = {**card, "uses_left": card["uses_left"] - 1,
             "used": [{"date": use.local_date, "name": _name(family, patient_id)}] + card["used"]}
    refused = store.use_card(clinic_id, household.family_id, use, family.today.isoformat(), principal=principal,
                             idem=idem, reply=reply)
    if refused == "card_used_up":
        fresh = _household_of_patient(clinic_id, patient_id).view.household
        why = rules.card_usable(int(fresh.card_uses_left or 0), fresh.card_valid_until, family.today) or "card_used_up"
        raise Conflict("the family card is used up" if why == "card_used_up" else "the family card has expired",
                       code=why)
    if refused == "use_exists":
        raise Conflict("this use is already recorded", code="try_again")
    count("FamilyCardUses")
    return reply


# --- infant check-ups ----------------------------------------------------------------------------------

def plan_checkups(clinic_id: str, infant_id: str, birth_date: date) -> list[dict[str, Any]]:
    """The infant check-ups (42 days, 3, 6, 8, 12 months) planned on the infant's record as
    outbound jobs of kind `checkup` (delivered to the carer, docs/households.md); each once, and
    none whose time passed more than a week ago."""
    from datetime import time as wall

    from chalicelib.domain.delivery import STALE_PLAN_DAYS
    from chalicelib.services import outbound

    clinic = clinics.get(clinic_id)
    stale_before = clock.now() - timedelta(days=STALE_PLAN_DAYS)
    planned = []
    for key, _title, day in rules.checkup_schedule(birth_date):
        # a week ahead of the check-up, 10:00 clinic time, so the carer can book it
        due = local_moment(day - timedelta(days=7), wall(10, 0), clinic.tz)
        if due < stale_before:
            continue
        created = outbound.plan(clinic_id, infant_id, kind=CHECKUP_KIND, source_id=key,
                                anchor_date=birth_date.isoformat(), offset_days=(day - birth_date).days,
                                due_at=iso(due), purpose="service", anchor="delivery",
                                context={"checkup": key, "day": day.isoformat()}, stop_on=[])
        planned.append({"checkup": key, "due_at": iso(due), "created": created})
    return planned


def plan_for_mother(clinic_id: str, mother_id: str, delivery_day: date) -> int:
    """A `delivery` anchor on a mother: her infant dependants born around that day get their
    check-ups (planned once; an infant registered later is planned at registration)."""
    family = _load(clinic_id, store.family_of(clinic_id, mother_id))
    if family is None:
        return 0
    planned = 0
    for member in family.view.members:
        rule_member = family.members[member.patient_id]
        if not member.birth_date or not rules.gets_reminders(mother_id, rule_member):
            continue
        born = date.fromisoformat(member.birth_date)
        if abs((born - delivery_day).days) <= 3:
            planned += sum(1 for row in plan_checkups(clinic_id, member.patient_id, born) if row["created"])
    return planned


def compose_checkup(ctx) -> Message | Stop:
    """An infant check-up reminder (sent to the carer by the sender); stops once the infant visited
    on or after a week before the check-up day."""
    job = ctx.job
    context = job.context or {}
    day = context.get("day")
    if day and ctx.patient.last_visit_date and ctx.patient.last_visit_date >= \
            (date.fromisoformat(day) - timedelta(days=7)).isoformat():
        return Stop("visited")
    from chalicelib.domain.segments import with_notice

    title = rules.checkup_title(job.rule_id)
    text = with_notice(f"宝宝的{title}将在{day}前后到期，请预约{ctx.clinic.name}儿童保健门诊。", True)
    return Message(title=ctx.clinic.name, body=text, template_id=ctx.template_id("recall"),
                   link="pages/messages/index", data={"thing1": title}, values={})


# --- the audit trail ---------------------------------------------------------------------------------

def _audit(principal, what: str, patient_id: str, family_id: str, **detail: Any) -> None:
    from chalicelib.services import audit

    audit.record(principal, audit.FAMILY_CHANGE, patient_id=patient_id,
                 detail={"what": what, "family_id": family_id, **detail})
