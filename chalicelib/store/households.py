"""Households: members, carer links, invite codes and the shared family card.

- household: pk=<clinic>#FAM#<family> sk=FAMILY (the family card's uses on it)
- member: pk=<clinic>#FAM#<family> sk=MEMBER#<patient>
- card use: pk=<clinic>#FAM#<family> sk=CARDUSE#<time>#<use id>
- link: pk=<clinic>#P#<patient> sk=FAMILY (which household the patient is in)
- invite: pk=<clinic>#FAMINV#<code hash> sk=INVITE
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.store import db, idempotency, keys
from chalicelib.store.models import (ConsentLogItem, FamilyCardUseItem, FamilyInviteItem, FamilyLinkItem,
                                     HouseholdItem, HouseholdMemberItem, PatientItem, bind)

if TYPE_CHECKING:  # types only
    from chalicelib.auth import Principal
    from chalicelib.store.patients import Patient


@dataclass
class Household:
    clinic_id: str
    family_id: str
    created_at: str
    created_by: str
    card_uses_total: int | None = None
    card_uses_left: int | None = None
    card_valid_until: str | None = None


@dataclass
class Member:
    clinic_id: str
    family_id: str
    patient_id: str
    relation: str
    related_to: str | None
    joined_at: str
    birth_date: str | None = None
    carers: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class CardUse:
    use_id: str
    at: str
    local_date: str
    patient_id: str | None
    by: str | None


@dataclass
class Invite:
    clinic_id: str
    code_hash: str
    family_id: str
    inviter: str
    relation: str
    expires: str


def _household_of(clinic_id: str, item: HouseholdItem) -> Household:
    def num(value: float | None) -> int | None:
        return None if value is None else int(value)

    return Household(clinic_id, item.family_id, item.created_at, item.created_by, num(item.card_uses_total),
                     num(item.card_uses_left), item.card_valid_until)


def _member_of(clinic_id: str, family_id: str, item: HouseholdMemberItem) -> Member:
    return Member(clinic_id, family_id, item.patient_id, item.relation, item.related_to, item.joined_at,
                  item.birth_date, dict(item.carers or {}))


def _member_item(member: Member) -> HouseholdMemberItem:
    return HouseholdMemberItem(keys.household_pk(member.clinic_id, member.family_id),
                               keys.family_member_sk(member.patient_id), patient_id=member.patient_id,
                               relation=member.relation, related_to=member.related_to, joined_at=member.joined_at,
                               birth_date=member.birth_date, carers=member.carers)


def _link_item(clinic_id: str, patient_id: str, family_id: str, at: str) -> FamilyLinkItem:
    return FamilyLinkItem(keys.patient_pk(clinic_id, patient_id), keys.FAMILY_SK, family_id=family_id, joined_at=at)


def _consent_item(clinic_id: str, patient_id: str, at: str, version: str, by: str, nonce: str) -> ConsentLogItem:
    return ConsentLogItem(keys.patient_pk(clinic_id, patient_id), keys.consent_log_sk(at, "family", nonce),
                          purpose="family", granted=True, version=version, at=at, by=by)


# --- reads ---------------------------------------------------------------------------------------

def profiles(clinic_id: str, patient_ids: list[str]) -> dict[str, tuple[str, int | None]]:
    """(masked name, birth year) of each of these patients that has a record (read in batches)."""
    wanted = {keys.patient_pk(clinic_id, pid): pid for pid in patient_ids}
    found = db.batch_get(((pk, keys.PROFILE_SK) for pk in wanted), attributes=("name_masked", "birth_year"))
    out = {}
    for (pk, _), item in found.items():
        year = item.get("birth_year", {}).get("N")
        out[wanted[pk]] = (item.get("name_masked", {}).get("S") or "", int(year) if year else None)
    return out


def family_of(clinic_id: str, patient_id: str, consistent: bool = False) -> str | None:
    """The household the patient is in, or None."""
    bind()
    try:
        return FamilyLinkItem.get(keys.patient_pk(clinic_id, patient_id), keys.FAMILY_SK,
                                  consistent_read=consistent).family_id
    except DoesNotExist:
        return None


@dataclass
class HouseholdView:
    household: Household
    members: list[Member]
    uses: list[CardUse]


def read(clinic_id: str, family_id: str, consistent: bool = True) -> HouseholdView | None:
    """The household, its members and its card's uses: one Query of its partition."""
    raw = db.query_partition(keys.household_pk(clinic_id, family_id), consistent=consistent)
    household = None
    members, uses = [], []
    for item in raw:
        sk = item["sk"]["S"]
        if sk == keys.FAMILY_SK:
            household = _household_of(clinic_id, HouseholdItem.from_raw_data(item))
        elif sk.startswith(keys.FAMILY_MEMBER):
            members.append(_member_of(clinic_id, family_id, HouseholdMemberItem.from_raw_data(item)))
        elif sk.startswith(keys.FAMILY_CARD_USE):
            use = FamilyCardUseItem.from_raw_data(item)
            uses.append(CardUse(use.use_id, use.at, use.local_date, use.patient_id, use.by))
    if household is None:
        return None
    return HouseholdView(household, sorted(members, key=lambda m: (m.joined_at, m.patient_id)), uses)


def member(clinic_id: str, family_id: str, patient_id: str) -> Member | None:
    bind()
    try:
        item = HouseholdMemberItem.get(keys.household_pk(clinic_id, family_id), keys.family_member_sk(patient_id),
                                       consistent_read=True)
    except DoesNotExist:
        return None
    return _member_of(clinic_id, family_id, item)


def invite(clinic_id: str, code_hash: str) -> Invite | None:
    bind()
    try:
        item = FamilyInviteItem.get(keys.family_invite_pk(clinic_id, code_hash), keys.FAMILY_INVITE_SK,
                                    consistent_read=True)
    except DoesNotExist:
        return None
    return Invite(clinic_id, code_hash, item.family_id, item.inviter, item.relation, item.expires)


# --- writes --------------------------------------------------------------------------------------

ALREADY_IN = Conflict("the patient is already in a household", code="already_in_family")


def found(clinic_id: str, family_id: str, founder: Member, at: str, consent_version: str, nonce: str) -> None:
    """A new household with its first member (who consents by creating it), in one transaction."""
    try:
        with db.transaction() as txn:
            db.require_profile(txn, keys.patient_pk(clinic_id, founder.patient_id))
            txn.save(HouseholdItem(keys.household_pk(clinic_id, family_id), keys.FAMILY_SK, family_id=family_id,
                                   created_at=at, created_by=founder.patient_id),
                     condition=HouseholdItem.pk.does_not_exist(), label="household")
            txn.save(_member_item(founder), label="member")
            txn.save(_link_item(clinic_id, founder.patient_id, family_id, at),
                     condition=FamilyLinkItem.pk.does_not_exist(), label="link")
            txn.save(_consent_item(clinic_id, founder.patient_id, at, consent_version, "patient", nonce),
                     label="consent")
    except db.Cancelled as exc:
        if exc.conditional("link"):
            raise ALREADY_IN from exc
        raise


def put_invite(clinic_id: str, code_hash: str, family_id: str, inviter: str, relation: str, expires: str,
               expires_at: int) -> None:
    bind()
    FamilyInviteItem(keys.family_invite_pk(clinic_id, code_hash), keys.FAMILY_INVITE_SK, family_id=family_id,
                     inviter=inviter, relation=relation, expires=expires, expires_at=expires_at).save(
        condition=FamilyInviteItem.pk.does_not_exist())


def join(invite_: Invite, newcomer: Member, at: str, consent_version: str, nonce: str) -> None:
    """The invitee joins: the invite is used up (deleted, once), the member and link written and
    the consent logged, in one transaction."""
    clinic_id = invite_.clinic_id
    try:
        with db.transaction() as txn:
            db.require_profile(txn, keys.patient_pk(clinic_id, newcomer.patient_id))
            txn.delete(FamilyInviteItem(keys.family_invite_pk(clinic_id, invite_.code_hash), keys.FAMILY_INVITE_SK),
                       condition=FamilyInviteItem.pk.exists(), label="invite")
            txn.check(HouseholdItem, keys.household_pk(clinic_id, invite_.family_id), keys.FAMILY_SK,
                      HouseholdItem.pk.exists(), label="household")
            txn.save(_member_item(newcomer), condition=HouseholdMemberItem.pk.does_not_exist(), label="member")
            txn.save(_link_item(clinic_id, newcomer.patient_id, invite_.family_id, at),
                     condition=FamilyLinkItem.pk.does_not_exist(), label="link")
            txn.save(_consent_item(clinic_id, newcomer.patient_id, at, consent_version, "patient", nonce),
                     label="consent")
    except db.Cancelled as exc:
        if exc.conditional("link") or exc.conditional("member"):
            raise ALREADY_IN from exc
        if exc.conditional("invite") or exc.conditional("household"):
            raise BadRequest("this invite was used meanwhile", code="invalid_code", field="code") from exc
        raise


def add_dependant(dependant: Patient, member_: Member, at: str, consent_version: str, carer_id: str,
                  nonce: str) -> None:
    """A dependant registered by their carer, as one plan: the record (no phone or WeChat of their
    own), the desk's name lookup, the member and link, and the carer's consent logged on the
    dependant, while the carer's record exists."""
    from chalicelib.store import lookups
    from chalicelib.store import plan as plans
    from chalicelib.store.records import patient_item

    clinic_id = dependant.clinic_id
    plan = plans.Plan()
    plan.add(plans.profile_exists(clinic_id, carer_id))
    plan.add(plans.put(patient_item(dependant), "profile", PatientItem.pk.does_not_exist()))
    plan.add(lookups.registration_steps(dependant))
    plan.add(plans.put(_member_item(member_), "member", HouseholdMemberItem.pk.does_not_exist()))
    plan.add(plans.put(_link_item(clinic_id, dependant.patient_id, member_.family_id, at), "link"))
    plan.add(plans.put(_consent_item(clinic_id, dependant.patient_id, at, consent_version, f"carer:{carer_id}",
                                     nonce), "consent"))
    plans.execute(plan)


def set_carers(member_: Member, carers: dict[str, dict[str, Any]]) -> None:
    """Replace a member's carer links (only the member, or the registering carer of a minor, edits them)."""
    bind()
    ref = HouseholdMemberItem(keys.household_pk(member_.clinic_id, member_.family_id),
                              keys.family_member_sk(member_.patient_id))
    try:
        ref.update(actions=[HouseholdMemberItem.carers.set(carers)], condition=HouseholdMemberItem.pk.exists())
    except Exception as exc:  # noqa: BLE001 (PynamoDB's UpdateError: only a failed condition is ours)
        if db.condition_failed(exc):
            raise NotFound("no such member of the household", code="not_a_member") from exc
        raise


def remove_member(clinic_id: str, family_id: str, patient_id: str, others: list[Member], uses: list[CardUse],
                  keep_link: bool = False) -> None:
    """Take a member out: their member item and link, their place in others' carer links, and
    their id on the card's uses (the use stays counted, nobody's)."""
    bind()
    pk = keys.household_pk(clinic_id, family_id)
    HouseholdMemberItem(pk, keys.family_member_sk(patient_id)).delete()
    if not keep_link:
        FamilyLinkItem(keys.patient_pk(clinic_id, patient_id), keys.FAMILY_SK).delete()
    for other in others:
        if patient_id not in other.carers:
            continue
        carers = {c: v for c, v in other.carers.items() if c != patient_id}
        try:
            HouseholdMemberItem(pk, keys.family_member_sk(other.patient_id)).update(
                actions=[HouseholdMemberItem.carers.set(carers)], condition=HouseholdMemberItem.pk.exists())
        except Exception as exc:  # noqa: BLE001 (a member who left meanwhile has nothing to clean)
            if not db.condition_failed(exc):
                raise
    for use in uses:
        if use.patient_id == patient_id:
            FamilyCardUseItem(pk, keys.family_card_use_sk(use.at, use.use_id)).update(
                actions=[FamilyCardUseItem.patient_id.remove()])


def grant_card(clinic_id: str, family_id: str, uses: int, valid_until: str, at: str, by: str) -> None:
    """The desk sells or grants the card: it starts again with these uses and this end."""
    bind()
    try:
        HouseholdItem(keys.household_pk(clinic_id, family_id), keys.FAMILY_SK).update(
            actions=[HouseholdItem.card_uses_total.set(uses), HouseholdItem.card_uses_left.set(uses),
                     HouseholdItem.card_valid_until.set(valid_until), HouseholdItem.card_granted_at.set(at),
                     HouseholdItem.card_granted_by.set(by)],
            condition=HouseholdItem.pk.exists())
    except Exception as exc:  # noqa: BLE001
        if db.condition_failed(exc):
            raise NotFound("the household no longer exists", code="no_family_card") from exc
        raise


CARD_LEFT = "card"


def use_card(clinic_id: str, family_id: str, use: CardUse, today: str, *, principal: Principal | None = None,
             idem: idempotency.IdempotencyKey | None = None, reply: dict[str, Any] | None = None) -> str | None:
    """One use of the family card: the household's uses left taken by one (never below zero, and
    only while the card is valid) and the use written once, in one transaction with the stored
    answer of the request's Idempotency-Key. Returns None, or why not (`card_used_up`,
    `use_exists`)."""
    pk = keys.household_pk(clinic_id, family_id)
    try:
        with db.transaction() as txn:
            txn.update(HouseholdItem(pk, keys.FAMILY_SK), actions=[HouseholdItem.card_uses_left.add(-1)],
                       condition=(HouseholdItem.card_uses_left > 0) & (HouseholdItem.card_valid_until >= today),
                       label=CARD_LEFT)
            txn.save(FamilyCardUseItem(pk, keys.family_card_use_sk(use.at, use.use_id), use_id=use.use_id, at=use.at,
                                       local_date=use.local_date, patient_id=use.patient_id, by=use.by),
                     condition=FamilyCardUseItem.sk.does_not_exist(), label="use")
            if idem is not None:
                idempotency.transact_put(txn, principal, idem, 200, reply)
    except db.Cancelled as exc:
        if exc.conditional("use"):
            return "use_exists"
        if exc.conditional(CARD_LEFT):
            return "card_used_up"
        raise
    return None
