"""The bulk item builder: the items registering a demo patient and recording its older history
leave in the table, built with the store's own constructors and the services' rules, for
BatchWriteItem instead of one service call per event. tests/unit/test_seed.py writes the same
patients both ways and compares every item.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time

from chalicelib.domain.clock import iso
from devstack.seed.ids import checkin_id_for, openid_hash_for, visit_id_for
from devstack.seed.planner import ENGAGEMENT_KINDS, PatientPlan
from devstack.seed.spec import CONSENT_VERSION, RECORDED_BY, VISIT_SOURCE

def history_items(plan: PatientPlan, key: bytes, earning_rules: dict | None = None, until: datetime | None = None):
    """The items registering the patient and recording its visits, check-ins and shares leave in
    the table, built as the services build them. Returns (items, final patient item).

    With `until`, only the events before that moment: the older part of a history whose recent
    part (and engagement) the services then write (service_path.apply_history's `since`). The
    profile then also carries what the services' segment hand-offs would have left on it and
    the later events read (the last interaction, the recent check-in days); its memberships are
    left to the first of those events."""
    if plan.referrer_index is not None:
        raise ValueError(f"plan {plan.index} registered with an invite code: write it through the services")
    events = sorted((e for e in plan.events if until is None or e.at < until), key=lambda e: e.at)
    if any(e.kind in ENGAGEMENT_KINDS for e in events):
        raise ValueError(f"plan {plan.index} has engagement events before the cut: write them through the services")
    from chalicelib import crypto
    from chalicelib.domain.desk import normalise_name
    from chalicelib.domain.privacy import mask_name, normalise_phone
    from chalicelib.domain.rules import checkin_day, points_for
    from chalicelib.services.patients import consent_changes
    from chalicelib.services.visits import _met_due
    from chalicelib.store import keys
    from chalicelib.store.anchors import anchor_item
    from chalicelib.store import patients as store
    from chalicelib.domain import earning as payout_rules
    from chalicelib.domain.clock import local_date, local_moment
    from chalicelib.domain.segments import recent_checkin_days
    from chalicelib.store.earning import _expiry as counter_expiry
    from chalicelib.store.models import (
        BoardEntryItem,
        CheckInItem,
        DayMarkItem,
        LimitCounterItem,
        NameLookupItem,
        PointsLotItem,
        UniqueItem,
        VisitItem,
    )
    from chalicelib.store.ledger import ledger_item
    from chalicelib.store.points import day_mark_sk, ledger_entry_id_for_checkin
    from chalicelib.store.visits import due_item

    clinic_id, patient_id = plan.clinic_id, plan.patient_id
    created = iso(plan.created_at)
    phone = normalise_phone(plan.phone)
    consents = consent_changes(plan.consents, CONSENT_VERSION, created)
    openid_hash = openid_hash_for(plan)
    patient = store.new_patient_item(
        clinic_id, patient_id, created_at=created,
        name_enc=crypto.encrypt(key, clinic_id, plan.name), phone_enc=crypto.encrypt(key, clinic_id, phone),
        phone_hash=crypto.keyed_hash("phone", clinic_id, phone), name_masked=mask_name(plan.name),
        openid_hash=openid_hash, birth_year=plan.birth_year, sex=plan.sex, district=plan.district,
        conditions=sorted(set(plan.conditions)), department=plan.department,
        persona_tags=sorted(set(plan.persona_tags)), consents=consents,
        name_hash=crypto.keyed_hash("name", clinic_id, normalise_name(plan.name)),
    )
    items: list = [UniqueItem(keys.phone_pk(clinic_id, patient.phone_hash), "UNIQUE", patient_id=patient_id)]
    # the front desk finds the demo patients by name too (chalicelib/store/lookups.py)
    items.append(NameLookupItem(keys.name_lookup_pk(clinic_id, patient.name_hash), patient_id, patient_id=patient_id))
    if openid_hash:
        items.append(UniqueItem(keys.openid_pk(clinic_id, openid_hash), "UNIQUE", patient_id=patient_id))
    items += store.consent_log_items(patient.pk, consents, "patient")  # as a registration without a desk clerk

    rules = earning_rules or {}
    balance = earned = visit_count = 0
    last_visit = revisit_due = last_checkin = None
    dues: dict[str, object] = {}
    ledger: set[str] = set()

    lots: dict[str, int] = {}
    board: dict[str, int] = {}
    counters: dict[str, tuple[int, int]] = {}  # sort key -> (count, expires_at)
    interaction = plan.created_at  # registration, visits, shares and check-ins move it (services.segments)
    checkin_days: list[str] = []

    def credit(points: int, rule: str | None = None, moment: datetime | None = None) -> None:
        """Balance, lot and board as the payout's transaction leaves them (see store.earning)."""
        nonlocal balance, earned
        balance += points
        if points > 0:
            earned += points
        if points > 0 and moment is not None:
            day = local_date(moment, plan.tz)
            expires = payout_rules.expires_on(day, payout_rules.DEFAULT_EXPIRY_MONTHS).isoformat()
            lots[expires] = lots.get(expires, 0) + points
            if rule in payout_rules.BOARD_RULES:
                month = payout_rules.month_key(day)
                board[month] = board.get(month, 0) + points

    def within_limits(rule: str, moment: datetime) -> bool:
        """Count one payout against the rule's default limits; False (and nothing counted) when one is full."""
        day = local_date(moment, plan.tz)
        limits = payout_rules.limits_for(None, rule)
        keys_ = {period: f"LIMIT#{rule}#{payout_rules.period_key(period, day)}" for period in limits}
        if any(counters.get(sk, (0, 0))[0] >= limits[period] for period, sk in keys_.items()):
            return False
        for period, sk in keys_.items():
            counters[sk] = (counters.get(sk, (0, 0))[0] + 1,
                            counter_expiry(payout_rules.period_end(period, day), plan.tz))
        return True

    for event in events:
        at = iso(event.at)
        if event.kind == "visit":
            noon = local_moment(event.day, time(12), plan.tz)  # services.visits: an interaction on its own day
            interaction = max(interaction, min(event.at, noon))
            day = event.day.isoformat()
            visit_id = visit_id_for(VISIT_SOURCE, event.external_id)
            met, status = _met_due([d for d in dues.values() if d.status == "pending"], event.day)
            on_time = status == "on_time"
            next_due = event.next_due.isoformat() if event.next_due else None
            items.append(VisitItem(patient.pk, f"VISIT#{day}#{visit_id}", visit_id=visit_id, visit_date=day,
                                   department=event.department, next_due_date=next_due, on_time=on_time,
                                   source=VISIT_SOURCE, recorded_by=RECORDED_BY, recorded_at=at))
            visit_count += 1
            if last_visit is None or day > last_visit:
                last_visit = day
                revisit_due = next_due or revisit_due
                # a newer visit is an anchor the recall planner keeps (services.recall.plan_for_anchor)
                items.append(anchor_item(clinic_id, patient_id, "visit", event.day, condition=None,
                                         department=event.department, conditions=patient.conditions or (),
                                         patient_department=patient.department, context=None))
            if on_time:
                points = points_for(rules, "revisit_on_time")
                if points:
                    items.append(ledger_item(patient.pk, f"revisit:{visit_id}", points, "revisit_on_time", at,
                                             visit_id))
                    credit(points, "revisit_on_time", event.at)
            if met is not None:
                met.status, met.met_on = status, day
            if next_due:
                dues[next_due] = due_item(clinic_id, patient_id, next_due)
        elif event.kind == "checkin":
            day = checkin_day(event.client_time, event.at, plan.tz).isoformat()
            entry_id = ledger_entry_id_for_checkin(event.type, day)
            counted = entry_id not in ledger
            checkin_id = checkin_id_for(plan, event)
            items.append(CheckInItem(patient.pk, f"CHECKIN#{day}#{event.type}#{checkin_id}", checkin_id=checkin_id,
                                     type=event.type, value=event.value, local_date=day,
                                     client_time=iso(event.client_time), received_at=at, counted=counted))
            if counted:
                items.append(DayMarkItem(patient.pk, day_mark_sk(event.type, day), checkin_id=checkin_id))
                points = points_for(rules, "checkin")
                if points:
                    items.append(ledger_item(patient.pk, entry_id, points, "checkin", at, checkin_id))
                    credit(points, "checkin", event.at)
                ledger.add(entry_id)
                last_checkin = day
                checkin_days = recent_checkin_days(checkin_days, day, local_date(event.at, plan.tz))
                interaction = max(interaction, event.at)
        elif event.kind == "share":
            interaction = max(interaction, event.at)  # rewarded or not, a share is an interaction
            entry_id = "share:" + hashlib.sha256(event.share_ref.encode()).hexdigest()[:24]
            if entry_id in ledger:
                continue
            points = points_for(rules, "share")
            if not within_limits("share", event.at):
                continue
            items.append(ledger_item(patient.pk, entry_id, points, "share", at, None))
            ledger.add(entry_id)
            credit(points, "share", event.at)

    items += list(dues.values())
    for expires, remaining in lots.items():
        items.append(PointsLotItem(patient.pk, f"LOT#{expires}", patient_id=patient_id, expires_on=expires,
                                   remaining=remaining, gsi1pk=keys.lot_expiry_pk(clinic_id),
                                   gsi1sk=f"{expires}#{patient_id}"))
    shard = payout_rules.shard_of(patient_id)
    for month, score in board.items():
        items.append(BoardEntryItem(patient.pk, f"LB#{month}", patient_id=patient_id, month=month, score=score,
                                    name_masked=patient.name_masked, gsi1pk=keys.board_pk(clinic_id, month, shard),
                                    gsi1sk=payout_rules.score_sort(score, patient_id)))
    for sk, (count, expires_at) in counters.items():
        items.append(LimitCounterItem(patient.pk, sk, count=count, expires_at=expires_at))
    patient.visit_count, patient.balance, patient.earned_total = visit_count, balance, earned
    patient.last_visit_date, patient.revisit_due_date, patient.last_checkin_date = last_visit, revisit_due, last_checkin
    if until is not None:
        patient.last_interaction_at, patient.checkin_days = iso(interaction), checkin_days or None
    items += store.condition_items(patient)
    return [patient] + items, patient


def membership_items(patient, now: datetime, tz: str) -> list:
    """What the segment build, run at `now`, writes for this profile (see chalicelib.jobs.segments):
    the profile's memberships, next flip and `seg_version` are set on `patient`, and the items
    returned are its member items, its flip entry and the first content step of each segment
    joined that has a content path (the outbound job `services.outbound.plan` writes). The build
    then walks this patient without writing. For a profile no event changes before the build."""
    from chalicelib.domain.clock import local_date
    from chalicelib.services import segments
    from chalicelib.store import recall
    from chalicelib.store import segments as store
    from chalicelib.store.records import patient_of

    if patient.segments:
        raise ValueError("membership_items builds a first membership: the profile has one already")
    definitions = store.definitions(patient.clinic_id)
    record = patient_of(patient)  # the rules read the profile as the services see it
    change = segments.decide(record, definitions, now, tz)
    if change.empty:
        return []
    today = local_date(now, tz)
    items = [write.item for write in store.member_writes(record, change, iso(now), today.isoformat())]
    patient.segments = set(change.joins) or None
    patient.seg_flip_at = change.flip_at
    patient.seg_version = int(patient.seg_version or 0) + 1
    by_id = {segment.segment_id: segment for segment in definitions}
    for segment_id in change.joins:
        segment = by_id[segment_id]
        if segment.content_path and segment.content_path.get("steps"):
            fields = segments.first_step_plan(patient.clinic_id, segment, patient.patient_id, today)
            items.append(recall.job_item(patient.clinic_id, patient.patient_id, anchor="segment_join", stop_on=[],
                                         **fields))
    return items
