"""Households (家庭): who is a minor, who may act for whom, how members see each other, the infant
check-up schedule and the shared family card. Pure rules; docs/households.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Mapping

from chalicelib.domain.packages import add_months

ADULT_AGE = 18
RELATIONS = ("self", "spouse", "child", "parent", "grandparent", "other")
# how a member sees the one who named them: a child sees a parent, a parent a child, ...
INVERSE = {"spouse": "spouse", "child": "parent", "parent": "child", "grandparent": "other", "other": "other"}
INVITE_HOURS = 24
MAX_CARD_USES = 10
# A dependant registered through a carer's account (an infant) is at most this old.
MAX_DEPENDANT_AGE_DAYS = 18 * 366

# The infant check-ups of the postpartum path: 42 days, then 3, 6, 8 and 12 months after birth.
CHECKUPS: tuple[tuple[str, str, int, int], ...] = (
    # (key, title, days, months)
    ("d42", "42天体检", 42, 0),
    ("m3", "3月龄体检", 0, 3),
    ("m6", "6月龄体检", 0, 6),
    ("m8", "8月龄体检", 0, 8),
    ("m12", "12月龄体检", 0, 12),
)


def age_on(today: date, birth_date: date) -> int:
    """Whole years lived on `today` (a 29 February birthday counts on 1 March in other years)."""
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def is_minor(today: date, *, birth_date: date | None = None, birth_year: int | None = None) -> bool:
    """Under 18 on `today` (the clinic's date): by the birth date when known, else by the birth year
    (this year minus the birth year under 18). Nothing known: an adult, who consents for themselves."""
    if birth_date is not None:
        return age_on(today, birth_date) < ADULT_AGE
    if birth_year is not None:
        return today.year - int(birth_year) < ADULT_AGE
    return False


def check_dependant_birth(today: date, birth_date: date) -> str | None:
    """Why this birth date cannot be a dependant's: `invalid_birth_date` (in the future) or
    `not_a_minor`; None when it can."""
    if birth_date > today:
        return "invalid_birth_date"
    if not is_minor(today, birth_date=birth_date):
        return "not_a_minor"
    return None


@dataclass(frozen=True)
class Care:
    """What one carer may do for a member: check in, receive reminders; `guardian` for the adult
    who registered a minor (they act for the minor until the minor comes of age)."""

    checkins: bool = False
    reminders: bool = False
    guardian: bool = False


@dataclass(frozen=True)
class Member:
    """A member as the rules see them: who named them (`related_to`) and how, whether a minor
    today, and who cares for them."""

    member_id: str
    relation: str
    related_to: str | None
    minor: bool
    carers: Mapping[str, Care] = field(default_factory=dict)


def may_check_in(carer_id: str, member: Member) -> bool:
    """A carer checks in for a member who gave them `checkins`, or for a minor in their care."""
    care = member.carers.get(carer_id)
    if care is None or carer_id == member.member_id:
        return False
    return care.checkins or (care.guardian and member.minor)


def gets_reminders(carer_id: str, member: Member) -> bool:
    """A carer receives the reminders of a member who gave them `reminders`, or of a minor in their care."""
    care = member.carers.get(carer_id)
    if care is None or carer_id == member.member_id:
        return False
    return care.reminders or (care.guardian and member.minor)


def reminder_carer(member: Member) -> str | None:
    """Whom a member's reminders go to instead of the member: a guardian of a minor first, then a
    carer given `reminders`; the smallest id among equals, so the choice is stable."""
    guardians = sorted(c for c, care in member.carers.items() if care.guardian and member.minor
                       and c != member.member_id)
    if guardians:
        return guardians[0]
    chosen = sorted(c for c in member.carers if gets_reminders(c, member))
    return chosen[0] if chosen else None


def consent_holder(member: Member) -> str:
    """Whose consent decides whether a member's reminder goes at all: a minor's guardian, else the
    member's own."""
    guardians = sorted(c for c, care in member.carers.items() if care.guardian and c != member.member_id)
    if member.minor and guardians:
        return guardians[0]
    return member.member_id


# Both named by the same member: (how the viewer relates to that member, how the other does) -> how
# the other relates to the viewer. The husband of a mother sees the infant she registered as a child.
THROUGH = {("spouse", "child"): "child", ("child", "spouse"): "parent", ("child", "parent"): "grandparent"}


def relation_seen_by(viewer: Member, member: Member) -> str:
    """How `member` relates to `viewer`: `self`; the relation the viewer gave them when the viewer
    named them; the inverse of the viewer's own when the member named the viewer; through the
    member who named both (THROUGH); else `other`."""
    if member.member_id == viewer.member_id:
        return "self"
    if member.related_to == viewer.member_id and member.relation in RELATIONS:
        return member.relation
    if viewer.related_to == member.member_id and viewer.relation in INVERSE:
        return INVERSE[viewer.relation]
    if member.related_to and member.related_to == viewer.related_to:
        return THROUGH.get((viewer.relation, member.relation), "other")
    return "other"


def may_leave(member_id: str, members: list[Member]) -> bool:
    """A guardian cannot leave while a minor of the household depends on them alone."""
    for other in members:
        if other.member_id == member_id or not other.minor:
            continue
        guardians = [c for c, care in other.carers.items() if care.guardian and c != other.member_id]
        if guardians == [member_id]:
            return False
    return True


def checkup_schedule(birth_date: date) -> list[tuple[str, str, date]]:
    """The infant check-ups: (key, title, day) at 42 days and 3, 6, 8, 12 months after birth
    (a month later is the same day of the month, clamped to its end)."""
    rows = []
    for key, title, days, months in CHECKUPS:
        day = birth_date + timedelta(days=days) if days else add_months(birth_date, months)
        rows.append((key, title, day))
    return rows


def checkup_title(key: str) -> str:
    return next((title for k, title, _, _ in CHECKUPS if k == key), "体检提醒")


def card_usable(uses_left: int, valid_until: str | None, today: date) -> str | None:
    """Why the family card cannot be used today (`card_used_up`, `card_expired`), or None."""
    if valid_until is not None and today.isoformat() > valid_until:
        return "card_expired"
    if uses_left <= 0:
        return "card_used_up"
    return None
