"""Whom a household member's messages go to: their carer for reminders (or a minor's guardian),
whose consent decides, and the text as the carer receives it. Used by the sender (services.outbound);
kept apart from services.households so the sender depends on no household use case."""

from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.domain import households as rules
from chalicelib.domain.clock import clock, local_date
from chalicelib.domain.delivery import Message
from chalicelib.errors import NotFound
from chalicelib.store import clinics, patients
from chalicelib.store import households as store


def as_rule(member: store.Member, birth_year: int | None, today) -> rules.Member:
    """A stored member as the rules see them, minor or not on `today`."""
    from datetime import date

    birth = date.fromisoformat(member.birth_date) if member.birth_date else None
    minor = rules.is_minor(today, birth_date=birth, birth_year=birth_year)
    carers = {c: rules.Care(bool(v.get("checkins")), bool(v.get("reminders")), bool(v.get("guardian")))
              for c, v in (member.carers or {}).items()}
    return rules.Member(member.patient_id, member.relation, member.related_to, minor, carers)


@dataclass
class Route:
    """Where a member's message goes instead of the member: the carer's record, whose consent
    decides (the member's own, or a minor's guardian's), and the member's masked name for the text."""

    recipient: patients.Patient
    consent_holder: patients.Patient
    name_masked: str


def reminder_route(clinic_id: str, patient: patients.Patient) -> Route | None:
    """None when the patient's messages go to the patient (no household, no carer for reminders)."""
    family_id = store.family_of(clinic_id, patient.patient_id)
    if family_id is None:
        return None
    member = store.member(clinic_id, family_id, patient.patient_id)
    if member is None or not member.carers:
        return None
    today = local_date(clock.now(), clinics.get(clinic_id).tz)
    rule_member = as_rule(member, patient.birth_year, today)
    carer_id = rules.reminder_carer(rule_member)
    if carer_id is None:
        return None
    try:
        carer = patients.get(clinic_id, carer_id, consistent=True)
    except NotFound:
        return None
    holder_id = rules.consent_holder(rule_member)
    holder = carer if holder_id == carer_id else (
        patient if holder_id == patient.patient_id else patients.get(clinic_id, holder_id))
    return Route(carer, holder, patient.name_masked)


def for_carer(message: Message, name_masked: str) -> Message:
    """The member's message as their carer receives it: the member's masked name leads the text."""
    return replace(message, body=f"【{name_masked}】{message.body}")
