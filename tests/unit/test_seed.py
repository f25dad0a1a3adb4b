"""The demo data generator: deterministic, shaped like the scenarios, and (with moto) writing the
same items in bulk as the services write one call at a time."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.clock import local_date
from chalicelib.domain.rules import CHECKIN_MAX_LATE, DEFAULT_RECALL_RULES
from devstack.seed import bulk, demo, ids, planner, service_path, spec

NOW = datetime(2026, 11, 20, 4, 30, tzinfo=timezone.utc)  # 12:30 in Shanghai, 10:30 in Urumqi


@pytest.fixture(scope="module")
def plans():
    return planner.Planner(spec.DEMO_DENTAL, NOW).plans(3000)


def test_same_seed_same_plans_other_seed_other_plans():
    first = planner.Planner(spec.DEMO_DENTAL, NOW, seed=7).plans(150)
    again = planner.Planner(spec.DEMO_DENTAL, NOW, seed=7).plans(150)
    other = planner.Planner(spec.DEMO_DENTAL, NOW, seed=8).plans(150)
    assert first == again
    assert [p.name for p in first] != [p.name for p in other]
    assert [p.patient_id for p in first] != [p.patient_id for p in other]


def test_a_larger_demo_starts_with_the_same_patients():
    small = planner.Planner(spec.DEMO_DENTAL, NOW).plans(40)
    large = planner.Planner(spec.DEMO_DENTAL, NOW).plans(400)
    assert small == large[:40]


def test_names_phones_and_ids_look_real_and_are_unique(plans):
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", p.name) for p in plans)
    assert all(re.fullmatch(r"1[3-9]\d{9}", p.phone) for p in plans)
    assert not any(p.phone.startswith("199") for p in plans), "199 is left to scripts/miniprogram_client.py"
    assert len({p.phone for p in plans}) == len(plans)
    assert len({p.patient_id for p in plans}) == len(plans)
    assert len({p.name for p in plans}) > len(plans) * 0.6
    surnames = Counter(p.name[0] for p in plans)
    assert surnames.most_common(1)[0][0] in "王李张"


def test_conditions_departments_and_personas(plans):
    primary = Counter(p.conditions[0] for p in plans)
    for condition, weight in spec.DEMO_DENTAL.condition_weights:
        assert abs(primary[condition] / len(plans) - weight) < 0.04, condition
    assert all(p.department == spec.DEPARTMENT_OF[p.conditions[0]] for p in plans)
    assert 0.08 < sum(len(p.conditions) > 1 for p in plans) / len(plans) < 0.2
    postpartum = [p for p in plans if p.conditions[0] == "postpartum"]
    assert all(p.sex == "F" and len(p.persona_tags) == 1 for p in postpartum)
    personas = Counter(p.persona_tags[0] for p in postpartum)
    assert set(personas) == {"anxious", "knowledge_seeking", "social"}
    diabetics = [p for p in plans if p.conditions[0] == "diabetes"]
    assert sum(p.birth_year for p in diabetics) / len(diabetics) < 1970
    assert {p.district for p in plans} <= set(spec.SHANGHAI_DISTRICTS)


def test_consent_most_grant_service_fewer_marketing(plans):
    share = {purpose: sum(p.consents[purpose] for p in plans) / len(plans) for purpose in ("service", "marketing",
                                                                                         "analytics")}
    assert share["service"] > 0.9
    assert 0.25 < share["marketing"] < 0.45
    assert share["marketing"] < share["analytics"] < share["service"]
    withdrawals = [p for p in plans if p.withdraw_marketing_at]
    assert withdrawals and all(p.consents["marketing"] for p in withdrawals)


def test_visit_histories_span_eighteen_months_with_a_silent_share(plans):
    today = local_date(NOW, "Asia/Shanghai")
    for plan in plans:
        days = [v.day for v in plan.visits]
        assert days == sorted(days) and days, plan.index
        assert today - timedelta(days=spec.HISTORY_DAYS + 60) <= days[0] < today
        assert all(v.next_due > v.day for v in plan.visits)
        assert plan.created_at <= min(e.at for e in plan.events)
        assert all(e.at < NOW for e in plan.events)
    age = [(today - p.last_visit).days for p in plans]
    silent = sum(a > spec.SILENT_DAYS for a in age) / len(age)
    assert 0.25 < silent < 0.45
    assert sum(a <= 30 for a in age) / len(age) > 0.05
    on_time = [p for p in plans if p.behaviour == "on_time" and len(p.visits) > 1]
    assert on_time and sum(len(p.visits) for p in on_time) / len(on_time) > 2.5


def test_eczema_remissions_fall_due_around_the_first_sweep(plans):
    today = local_date(NOW, "Asia/Shanghai")
    rule = DEFAULT_RECALL_RULES[0]
    eczema = [p for p in plans if "eczema" in p.conditions]
    remitted = [p for p in eczema if p.remission]
    assert 0.15 < len(remitted) / len(eczema) < 0.4
    assert all(25 <= (today - p.remission).days <= 35 for p in remitted)
    assert all(p.last_visit < p.remission for p in remitted), "a visit since would stop the reminder"
    due_now = [p for p in remitted if rule.due_at(p.remission, p.tz) <= NOW]
    later = [p for p in remitted if rule.due_at(p.remission, p.tz) > NOW]
    assert len(due_now) > 30 and later
    stopped = Counter(p.after_remission[0] for p in remitted if p.after_remission)
    assert stopped["booking"] and stopped["visit"]
    assert all(p.remission < p.after_remission[1] <= today for p in remitted if p.after_remission)


def test_checkins_come_from_mini_program_users_within_the_late_window(plans):
    glucose = [e for p in plans for e in p.events if e.kind == "checkin" and e.type == "glucose"]
    steps = [e for p in plans for e in p.events if e.kind == "checkin" and e.type == "steps"]
    assert len(glucose) > 3000 and steps
    assert all(4.0 <= e.value <= 11.0 for e in glucose)
    assert all(1000 <= e.value <= 15000 for e in steps)
    assert all(timedelta(0) <= e.at - e.client_time <= CHECKIN_MAX_LATE for e in glucose + steps)
    for plan in plans:
        kinds = {e.kind for e in plan.events}
        if kinds & {"checkin", "share"}:
            assert plan.wechat, "only mini-program users check in or share"
        if any(e.type == "glucose" for e in plan.events):
            assert "diabetes" in plan.conditions


def test_showcase_patients_and_the_second_clinic():
    shown = planner.Planner(spec.DEMO_DENTAL, NOW).plans(4)
    assert [p.wechat for p in shown] == ["dd0000", "dd0001", "dd0002", "dd0003"]
    assert all(p.note for p in shown)
    assert sum(e.kind == "checkin" for e in shown[0].events) > 150
    assert (local_date(NOW, "Asia/Shanghai") - shown[1].remission).days == 31
    assert shown[2].persona_tags == ["anxious"]
    assert (local_date(NOW, "Asia/Shanghai") - shown[3].last_visit).days > spec.SILENT_DAYS

    north = planner.Planner(spec.NORTH_DERM, NOW).plans(spec.north_patients(3000))
    assert len(north) == 36 and spec.north_patients(60) == 12
    assert {c for p in north for c in p.conditions} <= {"eczema", "health_check"}
    assert {p.district for p in north} <= set(spec.URUMQI_DISTRICTS)
    assert all(p.tz == "Asia/Urumqi" for p in north)
    # Visits happen in Urumqi's working hours, whatever the UTC date says.
    hours = {e.at.astimezone(timezone(timedelta(hours=6))).hour for p in north for e in p.visits}
    assert min(hours) >= 9 and max(hours) <= 18
    assert north[0].remission is not None and not {p.phone for p in north} & {p.phone for p in shown}


# -- with moto: the bulk items equal what the services write ------------------------------------------------


def _dump(clinic_id: str, plan, keep: tuple[str, ...] = ()) -> dict:
    from chalicelib import crypto
    from chalicelib.services.patients import clinic_key
    from chalicelib.store import db, keys, patients

    key = clinic_key(clinic_id)
    profile = patients.get(clinic_id, plan.patient_id, consistent=True)
    raw = db.query_partition(keys.patient_pk(clinic_id, plan.patient_id), consistent=True)
    uniques = [keys.phone_pk(clinic_id, profile.phone_hash)]
    if profile.openid_hash:
        uniques.append(keys.openid_pk(clinic_id, profile.openid_hash))
    conn = db.connection()
    for pk in uniques:
        raw.append(conn.client.get_item(TableName=db.settings().table_name, Key={"pk": {"S": pk}, "sk": {"S": "UNIQUE"}},
                                        ConsistentRead=True)["Item"])
    items = {}
    for item in raw:
        item = dict(item)
        sk = item["sk"]["S"]
        if sk.startswith("CONSENTLOG#"):
            sk = sk.rsplit("#", 1)[0]  # a random suffix keeps two changes in one second apart
        if sk.startswith("PROG#CH#") and "rewards" in item:
            # a voucher's code is drawn at random when the streak completes
            rewards = [{k: v for k, v in r.items() if k != "code"} for r in json.loads(item["rewards"]["S"])]
            item["rewards"] = {"S": json.dumps(rewards)}
        if sk.startswith(keys.VOUCHER_PREFIX):
            item.pop("code")
        if sk.startswith("FUOUT#"):
            sk = sk.rsplit("#", 1)[0]  # a follow-up call's outcome has a random id
            item.pop("outcome_id", None)
        if sk.startswith("CHECKIN#"):
            sk = sk.rsplit("#", 1)[0]  # check-in ids are random in the service
            item.pop("checkin_id")
        if sk.startswith("LEDGER#checkin:"):
            item.pop("ref")
        if sk.startswith("DAYMARK#"):
            item.pop("checkin_id")  # names the random check-in id too
        if sk.startswith("DUE#"):
            # what the KPI counters count a requested revisit by (its patient's memberships when the
            # visit requested it): bulk history is written past the stream, and the counters' backfill
            # gives its revisits their groups (docs/kpis.md)
            item.pop("groups", None)
        if sk.startswith("OUT#"):
            item.pop("converted_on", None)  # likewise: the backfill writes it on bulk-written messages
        if sk.startswith("SEG") or sk.startswith("OUT#content#"):
            continue  # segment memberships (and their content-path steps) of bulk-written patients are
            # what the segment build writes (bulk.membership_items, compared in the test below)
        for name in ("segments", "seg_version", "seg_flip_at", "last_interaction_at", "checkin_days"):
            if name not in keep:
                item.pop(name, None)
        for name in ("name_enc", "phone_enc"):
            if name in item:
                item[name] = {"clear": crypto.decrypt(key, clinic_id, item[name]["S"])}
        item["sk"] = {"S": sk}
        assert (item["pk"]["S"], sk) not in items
        items[(item["pk"]["S"], sk)] = item
    return items


def test_bulk_history_writes_what_the_services_write(aws):
    from chalicelib.domain.clock import clock
    from devstack.snapshot import put_items
    from chalicelib.services.clinics import create_clinic
    from chalicelib.services.patients import clinic_key
    from chalicelib.store import patients

    clock.set(NOW - timedelta(days=600))
    create_clinic("demo-dental", "齿护口腔门诊部", "Asia/Shanghai")
    clock.release()
    plans = planner.Planner(spec.DEMO_DENTAL, NOW).plans(300)
    chosen = [plans[1], plans[2]]  # eczema and postpartum showcases
    in_bulk_only = [p for p in plans[4:] if not p.engaged]  # engagement is written through the services only
    chosen += [p for p in in_bulk_only if 5 < sum(e.type == "glucose" for e in p.events) < 30][:1]
    chosen += [p for p in in_bulk_only if len(p.visits) > 2 and any(e.kind == "share" for e in p.events)][:1]
    chosen += [p for p in in_bulk_only if any(e.type == "steps" for e in p.events)][:1]
    assert len(chosen) == 5
    key = clinic_key("demo-dental")
    for plan in chosen:
        service_path.apply_history(plan)
        by_services = _dump("demo-dental", plan)
        patients.erase(patients.get("demo-dental", plan.patient_id))
        items, final = bulk.history_items(plan, key)
        put_items([item.serialize() for item in items])
        in_bulk = _dump("demo-dental", plan)
        assert in_bulk.keys() == by_services.keys(), plan.index
        for item_key, item in by_services.items():
            assert in_bulk[item_key] == item, item_key
        assert int(final.balance) == int(patients.get("demo-dental", plan.patient_id).balance)


def test_the_older_history_of_live_patients_in_bulk_then_the_services_write_what_the_services_alone_write(aws, fast_moto):
    """A live patient's events before its first engagement event (and before the recent weeks) are
    written in bulk, the rest through the services: every item ends as the services alone leave
    it, the profile's last interaction and recent check-in days included (the segment hand-offs of
    the later events read them); only the memberships' own items and stamps (joined when the
    first later event decides them, not at registration) are left out, as for bulk patients."""
    from chalicelib.domain.clock import clock
    from chalicelib.services.clinics import create_clinic
    from chalicelib.services.patients import clinic_key
    from chalicelib.store import db, keys, patients
    from devstack.snapshot import put_items

    clock.set(NOW - timedelta(days=600))
    create_clinic("demo-dental", "齿护口腔门诊部", "Asia/Shanghai")
    clock.release()
    service_path.relaunch_challenges(spec.DEMO_DENTAL, NOW)
    plans = planner.Planner(spec.DEMO_DENTAL, NOW).plans(spec.LIVE_PATIENTS)
    split = [p for p in plans if demo.service_cut(p, NOW) is not None
             and any(e.at < demo.service_cut(p, NOW) for e in p.events)]
    kinds = {p.index: {e.kind for e in p.events} for p in split}
    chosen = sorted((p for p in split if "join" in kinds[p.index]),
                    key=lambda p: sum(e.kind == "checkin" for e in p.events))[:1]
    chosen += [p for p in split if "exam" in kinds[p.index]][:1]
    chosen += [p for p in split if "call" in kinds[p.index] and "join" not in kinds[p.index]][:1]
    chosen += [p for p in split if any(e.kind == "share" and e.at < demo.service_cut(p, NOW) for e in p.events)
               and "checkin" in kinds[p.index]][:1]
    chosen += [p for p in split if not p.engaged][:1]
    assert len({p.index for p in chosen}) == 5, [p.index for p in chosen]
    key = clinic_key("demo-dental")
    for plan in chosen:
        cut = demo.service_cut(plan, NOW)
        service_path.apply_history(plan)
        by_services = _dump("demo-dental", plan, keep=("last_interaction_at", "checkin_days"))
        patients.erase(patients.get("demo-dental", plan.patient_id))
        assert not db.query_partition(keys.patient_pk("demo-dental", plan.patient_id), consistent=True)
        items, _ = bulk.history_items(plan, key, until=cut)
        put_items([item.serialize() for item in items])
        service_path.apply_history(plan, since=cut)
        split_up = _dump("demo-dental", plan, keep=("last_interaction_at", "checkin_days"))
        assert split_up.keys() == by_services.keys(), plan.index
        for item_key, item in by_services.items():
            assert split_up[item_key] == item, (plan.index, item_key)
        if plan.engaged:
            with pytest.raises(ValueError):
                bulk.history_items(plan, key)  # the engagement events go through the services only
        patients.erase(patients.get("demo-dental", plan.patient_id))


def _partition(clinic_id: str, patient_id: str) -> dict:
    """A patient's items as stored, with the random parts (consent log nonces, encryption) taken out."""
    from chalicelib import crypto
    from chalicelib.services.patients import clinic_key
    from chalicelib.store import db, keys

    key, items = clinic_key(clinic_id), {}
    for item in db.query_partition(keys.patient_pk(clinic_id, patient_id), consistent=True):
        sk = item["sk"]["S"]
        if sk.startswith("CONSENTLOG#"):
            sk = sk.rsplit("#", 1)[0]
            item = {**item, "sk": {"S": sk}}
        for name in ("name_enc", "phone_enc"):
            if name in item:
                item[name] = {"clear": crypto.decrypt(key, clinic_id, item[name]["S"])}
        items[sk] = item
    return items


def test_bulk_memberships_are_what_the_segment_build_writes(aws, monkeypatch, fast_moto):
    """The memberships, flip entries and first content steps written with a bulk patient's items
    equal what the segment build writes for the same patient, and the build then writes nothing."""
    import botocore.client

    from chalicelib.domain.clock import clock
    from chalicelib.services.clinics import create_clinic
    from chalicelib.services.patients import clinic_key
    from chalicelib.store import patients
    from devstack.snapshot import put_items

    clock.set(NOW - timedelta(days=600))
    create_clinic("demo-dental", "齿护口腔门诊部", "Asia/Shanghai")
    clock.release()
    key = clinic_key("demo-dental")
    chosen = [p for p in planner.Planner(spec.DEMO_DENTAL, NOW).plans(200) if not p.engaged][:80]

    def seed(with_memberships: bool) -> None:
        items = []
        for plan in chosen:
            built, final = bulk.history_items(plan, key)
            items += built + (bulk.membership_items(final, NOW, "Asia/Shanghai") if with_memberships else [])
        put_items([item.serialize() for item in items])
        clock.set(NOW)
        try:
            demo.build_segments("demo-dental")
        finally:
            clock.release()

    seed(with_memberships=False)
    by_build = {plan.patient_id: _partition("demo-dental", plan.patient_id) for plan in chosen}
    for plan in chosen:
        patients.erase(patients.get("demo-dental", plan.patient_id))
    writes = []
    make = botocore.client.BaseClient._make_api_call

    def counted(client, operation, params):
        if operation in ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem"):
            writes.append(operation)
        return make(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counted)
    seed(with_memberships=True)
    in_bulk = {plan.patient_id: _partition("demo-dental", plan.patient_id) for plan in chosen}
    # the segments' and the build's own items only: no membership, flip or content step left to write
    assert set(writes) <= {"PutItem", "UpdateItem"} and len(writes) <= 4, writes
    joined = [pid for pid, items in by_build.items() if any(sk.startswith("SEG#") for sk in items)]
    assert len(joined) >= 20 and any(any(sk.startswith("OUT#content#") for sk in by_build[pid]) for pid in joined)
    assert any("SEGFLIP" in items for items in by_build.values())
    for patient_id, items in by_build.items():
        assert in_bulk[patient_id].keys() == items.keys(), patient_id
        for sk, item in items.items():
            assert in_bulk[patient_id][sk] == item, (patient_id, sk)


def test_seeding_runs_the_flows_through_the_services(aws):
    from chalicelib.store import clinics, recall, reports

    # live=0: the whole history in bulk (the test above compares it with the services), the
    # follow-ups (remissions, bookings, redemptions, consent withdrawals) through the services.
    seeded = demo.run(patients=24, pool_id=aws.pool_id, now=NOW, live=0, out=lambda *a, **k: None)
    assert seeded["counts"]["demo-dental"]["patients"] == 24
    assert seeded["counts"]["north-derm"]["patients"] == spec.north_patients(24)
    assert sorted(clinics.all_clinic_ids()) == ["demo-dental", "north-derm"]
    assert clinics.get("north-derm").tz == "Asia/Urumqi"
    rows = list(reports.patient_rows("demo-dental"))
    assert len(rows) == 24 and sum(r["last_visit_date"] is not None for r in rows) == 24
    codes = [login["code"] for login in seeded["patient_logins"]]
    assert codes[:2] == ["wx-dd0000", "wx-dd0001"] and "wx-nd0000" in codes
    # The day-30 reminder of the showcase eczema patient waits in the due index.
    showcase = seeded["patient_logins"][1]["patient_id"]
    assert [job.status for job in recall.open_jobs("demo-dental", showcase)] == ["pending"]
    assert {s["username"] for s in seeded["staff"]} == {
        f"{role}@{clinic}" for role in ("admin", "front_desk", "health_manager", "analyst")
        for clinic in ("demo-dental", "north-derm")} | {"operator@platform"}
    # S5, S8: the experiments, packages and the renewal rule, through the services.
    from chalicelib.services import experiments, packages

    plans = planner.Planner(spec.DEMO_DENTAL, NOW, engaged=0).plans(24)
    counts = seeded["counts"]["demo-dental"]
    assert counts["packages"] == sum(len(p.packages) for p in plans) > 0
    assert counts["exposures"] == len(planner.past_exposures(plans, NOW)) > 0
    assert counts["conversions"] == sum(e.visit is not None for e in planner.past_exposures(plans, NOW))
    assert "package-renewal" in {r.rule_id for r in clinics.recall_rules("demo-dental")}  # the S8 default
    assert "package-renewal" not in {r.rule_id for r in clinics.recall_rules("north-derm")}
    states = {e["experiment_id"]: e["status"] for e in experiments.list_view("demo-dental")["items"]}
    assert states == {"eczema-day30-send-time": "stopped", "eczema-day30-wording": "running"}
    buyer = next(p for p in plans if p.packages)
    sold = packages.patient_packages("demo-dental", buyer.patient_id)["items"]
    assert sorted(s["start_date"] for s in sold) == sorted(s.start.isoformat() for s in buyer.packages)
    # doctors with weekly schedules in both clinics, and bookings by the desk for today and the next
    # days, made through the service (one patient each; the showcase patients have none)
    from chalicelib.domain.clock import iso, local_date
    from chalicelib.services import appointments
    from chalicelib.store import patients
    from devstack.seed.appointments import DOCTORS

    for clinic_id in ("demo-dental", "north-derm"):
        listed = appointments.list_doctors(clinic_id)["items"]
        assert sorted(d["doctor_id"] for d in listed) == sorted(DOCTORS[clinic_id])
        assert any(s["expert"] for d in listed for day in d["weekly"].values() for s in day)
        tz = clinics.get(clinic_id).tz
        today = local_date(NOW, tz)
        booked = [a for n in range(4) for a in appointments.day_list(
            clinic_id, today + timedelta(days=n), None, None)["items"]]
        assert len(booked) == seeded["counts"][clinic_id]["appointments"] > 0
        assert {a["date"] for a in booked} >= {today.isoformat()}
        assert all(a["booked_by"] == f"staff:front_desk@{clinic_id}" and a["patient_name"] for a in booked)
        assert len({a["patient_id"] for a in booked}) == len(booked)
        assert [a["status"] for a in booked].count("cancelled") == 1
        # today's slots that had started when the demo was seeded (12:30 in Shanghai, 10:30 in Urumqi):
        # most came and were marked arrived, which recorded their visits; no later slot is arrived
        came = [a for a in booked if a["status"] == "arrived"]
        assert len(came) == seeded["counts"][clinic_id]["appointments_arrived"]
        assert all(a["date"] == today.isoformat() and a["starts_at"] <= iso(NOW) and a["visit_id"] for a in came)
        assert all(patients.get(clinic_id, a["patient_id"]).last_visit_date == today.isoformat() for a in came)
        showcase = {login["patient_id"] for login in seeded["patient_logins"] if login["clinic_id"] == clinic_id}
        assert not showcase & {a["patient_id"] for a in booked}
    assert seeded["counts"]["demo-dental"]["appointments_arrived"] > 0


def test_the_first_sweep_of_the_demo_sends_only_what_is_still_timely(aws):
    """The demo's first start: what fell due while nobody swept (the content steps of a mother who
    joined her persona path months ago, the renewal reminders of a pack that ended) is closed as
    stale; nobody gets more than the daily cap that day; the due day-30 eczema reminder goes out."""
    import random

    from chalicelib.domain import delivery
    from chalicelib.domain.clock import clock, parse_iso
    from chalicelib.jobs import send_reminders
    from chalicelib.jobs.sweep import queue_url
    from devstack.sqs_pump import drain
    from tests.test_helpers import sweep_lapses
    from chalicelib.services.clinics import create_clinic
    from chalicelib.store import keys
    from chalicelib.store import inbox as inbox_store
    from chalicelib.store.models import RecallJobItem

    clock.set(NOW - timedelta(days=600))
    create_clinic("demo-dental", "齿护口腔门诊部", "Asia/Shanghai", spec.DEMO_DENTAL.conditions)
    clock.release()
    plans = planner.Planner(spec.DEMO_DENTAL, NOW).plans(200)
    mother = plans[2]  # the showcase anxious mother, registered (and joined her path) long ago
    eczema = plans[1]  # the showcase eczema patient, remission 31 days ago
    # a pack that ended months ago, not renewed: its renewal reminders fell due long before the first sweep
    buyer = next(p for p in plans[4:]
                 if len(p.packages) == 1 and p.packages[0].start + timedelta(days=400) < NOW.date())
    rng = random.Random(1)
    for plan in (mother, eczema, buyer):
        service_path.apply_history(plan)
        service_path.apply_follow_ups(plan, NOW, 0, [], rng)
        service_path.apply_packages(plan, NOW)
    clock.set(NOW)
    try:
        for _ in range(8):  # the runner sweeps every minute; the stale steps of a path go one a sweep
            if sweep_lapses()["queued"] == 0:
                break
            drain(queue_url(), send_reminders.handle)
        else:
            raise AssertionError("the sweeps kept finding work")
    finally:
        clock.release()
    settings = delivery.DeliverySettings()
    statuses = Counter()
    for plan in (mother, eczema, buyer):
        jobs = list(RecallJobItem.query(keys.patient_pk("demo-dental", plan.patient_id),
                                        RecallJobItem.sk.startswith("OUT#")))
        inbox = inbox_store.messages("demo-dental", plan.patient_id)
        today = [m for m in inbox if m.created_at[:10] == NOW.date().isoformat()]
        assert len(today) <= settings.daily_cap, plan.index
        for job in jobs:
            statuses[job.kind, job.status, job.stop_reason] += 1
            if job.status == "sent":
                late = parse_iso(job.processed_at) - parse_iso(job.due_at)
                assert late <= settings.relevance(job.kind), (job.sk, late)
    assert statuses["content", "stale", "too_late"] >= 3, statuses  # every step of her path, long past
    assert statuses["recall", "stale", "anchor_passed"] >= 1, statuses  # a renewal reminder after the pack ended
    assert [m.title for m in inbox_store.messages("demo-dental", eczema.patient_id)] == ["齿护口腔门诊部"]


def test_a_snapshot_restores_into_a_fresh_moto(aws, tmp_path):
    """Ciphertexts written before the restart decrypt after it, under a new KMS key."""
    from moto import mock_aws

    from devstack import bootstrap, snapshot
    from devstack.state import reset_process_state
    from chalicelib.services.patients import decrypted
    from chalicelib.store import patients

    demo.run(patients=6, now=NOW, live=0, out=lambda *a, **k: None)
    plan = planner.Planner(spec.DEMO_DENTAL, NOW).plans(6)[5]
    snapshot.prepare()
    taken = snapshot.take(tmp_path)
    assert taken["clinics"] == 2 and (tmp_path / "local.key").stat().st_mode & 0o777 == 0o600
    assert plan.name.encode() not in (tmp_path / snapshot.SNAPSHOT_FILE).read_bytes()

    with mock_aws():  # a new, empty moto: new KMS key material
        reset_process_state()
        bootstrap.create_table()
        bootstrap.create_key()
        restored = snapshot.restore(tmp_path)
        assert restored["items"] == taken["items"]
        clear = decrypted(patients.get("demo-dental", plan.patient_id))
        assert clear == {"name": plan.name, "phone": plan.phone}
    reset_process_state()


def test_the_first_patients_of_the_demo_join_challenges_have_exams_and_some_new_ones_were_referred():
    plans = planner.Planner(spec.DEMO_DENTAL, NOW).plans(600)
    live = plans[:spec.LIVE_PATIENTS]
    launch = local_date(NOW, "Asia/Shanghai") - timedelta(days=spec.CHALLENGE_LAUNCH_DAYS)
    joined = [p for p in live if any(e.kind == "join" for e in p.events)]
    assert plans[0] in joined and len(joined) >= 3
    for plan in joined:
        join = next(e for e in plan.events if e.kind == "join")
        counted = [e for e in plan.events if e.type == "glucose" and local_date(e.client_time, "Asia/Shanghai") >= launch]
        assert join.at > plan.created_at and join.at < counted[0].at
    examined = [p for p in live if any(e.kind == "exam" for e in p.events)]
    assert examined and all("health_check" in p.conditions for p in examined)
    assert any(e.kind == "confirm" for p in examined for e in p.events)
    referred = [p for p in plans if p.referrer_index is not None]
    assert referred and all(p.behaviour == "new" and plans[p.referrer_index].created_at < p.created_at
                            for p in referred)
    assert not any(p.engaged for p in plans[spec.LIVE_PATIENTS:] if p.referrer_index is None)


def test_engagement_is_written_through_the_services(aws, fast_moto):
    from chalicelib.domain.clock import clock
    from devstack.snapshot import put_items
    from chalicelib.services import tasks
    from chalicelib.services.clinics import create_clinic
    from chalicelib.services.patients import clinic_key
    from chalicelib.store import challenges, history

    clock.set(NOW - timedelta(days=600))
    create_clinic("demo-dental", "齿护口腔门诊部", "Asia/Shanghai")
    clock.release()
    service_path.relaunch_challenges(spec.DEMO_DENTAL, NOW)
    plans = planner.Planner(spec.DEMO_DENTAL, NOW).plans(600)
    live = plans[4:spec.LIVE_PATIENTS]
    joiner = min((p for p in live if any(e.kind == "join" for e in p.events)),
                 key=lambda p: sum(e.kind == "checkin" for e in p.events))
    walker = next(p for p in live if any(e.kind == "exam" and e.flags and (NOW.date() - e.day).days <= 90
                                         for e in p.events)
                  and any(e.type == "steps" or e.kind == "confirm" for e in p.events))
    referred = next(p for p in plans if p.referrer_index is not None)
    referrer = plans[referred.referrer_index]
    caller = next(p for p in live if any(e.kind == "followup" for e in p.events)
                  and all(p is not q for q in (joiner, walker, referred, referrer)))
    if referrer.engaged:
        service_path.apply_history(referrer)
    else:
        put_items([item.serialize() for item in bulk.history_items(referrer, clinic_key("demo-dental"))[0]])
    for plan in (joiner, walker, caller):
        service_path.apply_history(plan)
    service_path.apply_history(referred, referrer.patient_id)
    # the demo's health manager started the plan and made its calls: it is in their list
    from chalicelib.store import followups

    started = followups.get_plan("demo-dental", caller.patient_id)
    assert started.assignee == started.started_by == "health_manager@demo-dental" and started.calls

    (enrolment,) = challenges.enrolments("demo-dental", joiner.patient_id)
    assert enrolment.challenge_id == "glucose-guard-365" and (enrolment.days or enrolment.completed)
    view = tasks.overview("demo-dental", walker.patient_id)
    assert view["exams"] and view["tasks"] and sum(t["progress"] for t in view["tasks"]) > 0
    entries = history.ledger("demo-dental", referrer.patient_id)
    assert any(e["entry_id"] == f"referral:{referred.patient_id}" and e["points"] == 15 for e in entries)


# -- S2, S5, S6, S8 in the plans (pure) -------------------------------------------------------------------


def _dues(plan):
    """The plan's requested revisit days and whether a visit answered each, as record_visit decides."""
    from chalicelib.domain.rules import ON_TIME_WINDOW_DAYS

    pending, dues = [], []
    for visit in sorted(plan.visits, key=lambda e: e.day):
        met = next((d for d in sorted(pending) if (d - visit.day).days <= ON_TIME_WINDOW_DAYS), None)
        if met is not None:
            pending.remove(met)
            dues.append((met, visit.day))
        pending.append(visit.next_due)
    return dues + [(d, None) for d in pending]


def test_challenge_participants_revisit_more_often_than_eligible_patients_who_did_not_join(plans):
    from chalicelib.domain.kpis import REVISIT_WINDOW_DAYS, joined_versus_not, period_start

    today = local_date(NOW, "Asia/Shanghai")
    first = period_start(today, 180, REVISIT_WINDOW_DAYS)  # decided in the last six months, as the KPI job reads
    rows, patients = [], {}
    for plan in plans:
        joined = any(e.kind == "join" for e in plan.events)
        patients[plan.patient_id] = {"conditions": plan.conditions,
                                     "joined_challenges": ["glucose-guard-365"] if joined else []}
        rows += [{"patient_id": plan.patient_id, "due_date": d.isoformat(), "status": "late" if met else "pending",
                  "met_on": met.isoformat() if met else None}
                 for d, met in _dues(plan) if first <= d.isoformat() <= today.isoformat()]
    launch = (today - timedelta(days=spec.CHALLENGE_LAUNCH_DAYS)).isoformat()
    figures = joined_versus_not(rows, patients, "glucose-guard-365", ["diabetes"], today, since=launch)
    assert figures["joined"]["patients"] >= 4 and figures["joined"]["rate"] >= 0.8
    assert 0.45 <= figures["not_joined"]["rate"] <= 0.62  # S2's 53%
    assert figures["joined"]["rate"] - figures["not_joined"]["rate"] > 0.25


def test_follow_up_plans_have_weekly_calls_of_the_last_four_weeks(plans):
    today = local_date(NOW, "Asia/Shanghai")
    live = plans[:spec.LIVE_PATIENTS]
    with_plan = [p for p in live if any(e.kind in ("join", "followup") for e in p.events)]
    assert len(with_plan) >= 6 and any(e.kind == "followup" for p in with_plan for e in p.events)
    outcomes, due = Counter(), 0
    for plan in with_plan:
        start = next(e for e in plan.events if e.kind in ("join", "followup"))
        calls = [e for e in plan.events if e.kind == "call"]
        assert calls and all(e.at > start.at and e.at < NOW for e in calls)
        days = [local_date(e.at, "Asia/Shanghai") for e in calls]
        assert days == sorted(days) and len(set(days)) == len(days)
        assert today - timedelta(days=7 * spec.CALL_WEEKS + 2) <= days[0]
        assert all(e.type != "wrong_number" for e in calls[:-1]), "a wrong number pauses the plan"
        for call, day in zip(calls, days):
            assert (call.day is not None) == (call.type == "booked")
            assert call.day is None or call.day > day
        outcomes.update(e.type for e in calls)
        due += calls[-1].type != "wrong_number" and days[-1] + timedelta(days=7) <= today
    assert outcomes["reached"] > outcomes["declined"] > 0 and outcomes["booked"]
    assert due >= 2, "the worklist has calls due today"
    assert not any(e.kind in ("call", "followup") for p in plans[spec.LIVE_PATIENTS:] for e in p.events)


def test_joiners_come_back_on_time_after_joining(plans):
    joiners = [p for p in plans[:spec.LIVE_PATIENTS] if any(e.kind == "join" for e in p.events)]
    for plan in joiners:
        join = next(e for e in plan.events if e.kind == "join")
        visits = plan.visits
        assert [v.external_id for v in visits] == [f"demo-dental-{plan.index}-{n}" for n in range(len(visits))]
        after = [v for v in visits if v.at > join.at]
        assert after, plan.index
        for previous, visit in zip(visits, visits[1:]):
            if visit.at > join.at and previous.at > join.at:
                assert (visit.day - previous.next_due).days <= 25


def test_maternity_packs_are_sold_at_the_first_visit_and_about_two_thirds_renewed(plans):
    from chalicelib.domain.packages import end_date, renews

    today = local_date(NOW, "Asia/Shanghai")
    buyers = [p for p in plans if p.packages]
    postpartum = [p for p in plans if "postpartum" in p.conditions]
    assert all("postpartum" in p.conditions for p in buyers)
    assert 0.6 < len(buyers) / len(postpartum) < 0.8
    refs = [s.sale_ref for p in buyers for s in p.packages]
    assert len(refs) == len(set(refs))
    decided = renewed = 0
    for plan in buyers:
        first, *more = plan.packages
        assert first.start == plan.visits[0].day and local_date(first.at, "Asia/Shanghai") == first.start
        assert today - timedelta(days=spec.HISTORY_DAYS + 60) <= first.start
        end = end_date(first.start, 12)
        assert len(more) <= 1 and all(s.at < NOW and s.start <= today and renews(end, s.start, 30) for s in more)
        if end + timedelta(days=31) < today:
            decided += 1
            renewed += bool(more)
    assert decided > 30 and abs(renewed / decided - spec.RENEWAL_SHARE) < 0.03


def test_the_stopped_experiment_has_exposures_converting_by_group(plans):
    from chalicelib.domain import experiments as ab

    exposures = planner.past_exposures(plans, NOW)
    assert exposures == planner.past_exposures(plans, NOW)
    assert len(exposures) == spec.PAST_EXPOSURES and len({e.patient_id for e in exposures}) == len(exposures)
    by_id = {p.patient_id: p for p in plans}
    today = local_date(NOW, "Asia/Shanghai")
    started, stopped = (today - timedelta(days=d) for d in spec.PAST_RUN_DAYS)
    arms = [ab.ArmTerms(arm_id=a["arm_id"], weight=1.0) for a in spec.PAST_EXPERIMENT["arms"]]
    groups = {}
    for exposure in exposures:
        plan = by_id[exposure.patient_id]
        assert "eczema" in plan.conditions and plan.created_at < exposure.sent_at
        assert exposure.arm_id == ab.assign(spec.PAST_EXPERIMENT["experiment_id"], plan.patient_id, arms, 0.1)
        sent = local_date(exposure.sent_at, "Asia/Shanghai")
        assert started <= sent <= stopped
        in_window = [v for v in plan.visits if sent <= v.day <= sent + timedelta(days=14)]
        if exposure.visit:
            at, day, visit_id = exposure.visit
            assert sent < day <= sent + timedelta(days=14)
            assert visit_id in {ids.visit_id_for(spec.VISIT_SOURCE, v.external_id) for v in in_window}
        else:
            assert not in_window
        tally = groups.setdefault(exposure.arm_id, [0, 0])
        tally[0] += exposure.visit is not None
        tally[1] += 1
    assert set(groups) == {"holdout", "morning", "evening"} and groups["holdout"][1] >= 15
    for group, (converted, exposed) in groups.items():
        assert abs(converted / exposed - spec.PAST_CONVERSION[group]) < 0.05, group


def test_the_demo_history_trains_a_risk_model_better_than_recency(plans):
    from chalicelib.domain import risk

    tz = "Asia/Shanghai"
    histories = []
    for plan in plans[:1500]:
        h = risk.History(plan.patient_id, local_date(plan.created_at, tz), tuple(plan.conditions), plan.district)
        for e in plan.events:
            if e.kind == "visit":
                h.visits.append((e.day, e.next_due))
            elif e.kind == "checkin":
                h.checkins.append(local_date(e.client_time, tz))
            elif e.kind == "share":
                h.shares.append(local_date(e.at, tz))
        histories.append(h)
    today = local_date(NOW, tz)
    trained = risk.train(histories, today)
    assert trained.model is not None and trained.auc > 0.7 and trained.auc > trained.baseline_auc + 0.1
    # factors that read right to a manager: the longer since the last visit or past the revisit date,
    # the higher the risk (days since the last visit used to come out as lowering it)
    card = {row["feature"]: row for row in risk.coefficient_rows(trained.model)}
    recency = [card[name]["direction"] for name in ("days_since_visit", "days_overdue") if name in card]
    assert recency and all(direction == "raises" for direction in recency), recency
    assert all(row["direction"] == risk.expected_direction(name) for name, row in card.items()
               if row["used"] and risk.expected_direction(name))
    # probabilities, never 100%, with a spread at the top of the at-risk list
    scores = sorted((round(trained.model.score(trained.space.row(h, today)), 4) for h in histories
                     if risk.due_within(h, today)), reverse=True)
    assert 0 < scores[-1] and scores[0] < 1 and len(set(scores[:50])) > 5
    assert trained.evaluation.brier < trained.evaluation.base_rate_brier
    curves = risk.dropout_curves(histories, local_date(NOW, tz))
    assert curves["eczema"]["dropout_day"] and curves["dental"]["dropout_day"]
