"""Capacity-aware recall over four simulated weeks: three departments whose due recalls far exceed their
open slots, patients who answer some offers by booking the held slot, walk-ins taking places too.

Real services on in-process moto: the sweep and the SQS sender (services.capacity, services.outbound),
bookings through services.appointments.book, the no-show sweep. Each simulated day at 10:00 clinic time
the sweep runs and the queue is drained; the patients reached that day answer with a probability that
grows with their risk score, booking the slot their message offered; each department also gets walk-in
bookings on random open places over the next week.

Figures: slots booked past their capacity (must be 0), the share of the places held for recall offers
that recall bookings filled, the share of due recalls deferred at least once, and whether every deferred
recall was sent in the end.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from types import SimpleNamespace

from _world import CLINIC_ID, T0, create_clinic, figure, moto_account, register_patient

DEPARTMENTS = {"dermatology": 26, "dentistry": 22, "general": 18}  # recall patients per department
DAYS = 28
MORE_DAYS = 21  # after DAYS, the simulation goes on (walk-ins too) until no recall waits, at most this long
DUE_OVER_DAYS = 7  # the recalls fall due over the first week: about three a day per department
WALK_INS_A_DAY = 1  # per department
SEED = 12


def session(start, end, minutes, capacity):
    return {"start": start, "end": end, "slot_minutes": minutes, "capacity": capacity, "expert": False}


def main() -> None:
    rng = random.Random(SEED)
    with moto_account():
        from chalicelib.auth import Principal
        from chalicelib.domain.clock import clock, iso
        from chalicelib.errors import AppError
        from chalicelib.jobs import send_reminders
        from chalicelib.jobs.sweep import queue_url, sweep_clinic
        from chalicelib.services import appointments, capacity, outbound, recall
        from chalicelib.store import appointments as appointment_store
        from chalicelib.store import holds, keys, patients
        from devstack.sqs_pump import drain

        create_clinic()
        # weekday mornings, 30-minute slots of one patient: 2 places a day per doctor, 10 a week, so at the
        # default share 0.5 about five offers at once per department (a hold lasts up to three days)
        weekly = {day: [session("09:00", "10:00", 30, 1)] for day in ("mon", "tue", "wed", "thu", "fri")}
        for department in DEPARTMENTS:
            appointments.put_doctor(CLINIC_ID, f"dr-{department}", SimpleNamespace(
                name=f"{department}医生", department=department, active=True, exceptions=[],
                weekly=SimpleNamespace(**{d: [SimpleNamespace(model_dump=lambda s=s: s) for s in weekly.get(d, [])]
                                          for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})))
            # the API's own request models: a field the routes add is filled with its default here too
            from chalicelib.api.delivery import RecallRuleBody

            recall.put_rule(CLINIC_ID, f"recall-{department}", RecallRuleBody.model_validate({
                "department": department, "anchor": "visit", "offsets": [90], "send_at": "10:00",
                "template": "{nickname}您好，{clinic}为您留了{slot}的复诊号，点开即可预约。", "purpose": "service",
                "stop_on": ["booked", "visited"], "active": True}))
        # recall patients: a risk score each, and a recall due at 10:00 on one of the first two weeks' days
        recalled: dict[str, tuple[str, float]] = {}
        n = 0
        for department, count in DEPARTMENTS.items():
            for _ in range(count):
                n += 1
                _, pid = register_patient(openid=f"ocap-{n}", phone=f"1370000{n:04d}", department=department)
                risk = round(rng.random(), 3)
                patients.update_profile(patients.get(CLINIC_ID, pid), {"risk_score": risk})
                due_day = T0.date() + timedelta(days=rng.randrange(DUE_OVER_DAYS))
                anchor = due_day - timedelta(days=90)
                outbound.plan(CLINIC_ID, pid, kind="recall", source_id=f"recall-{department}",
                              anchor_date=anchor.isoformat(), offset_days=90, due_at=iso(T0.replace(
                                  year=due_day.year, month=due_day.month, day=due_day.day)),
                              purpose="service", anchor="visit", stop_on=["booked", "visited"])
                recalled[pid] = (department, risk)
        walk_ins = [register_patient(openid=f"owalk-{i}", phone=f"1360000{i:04d}")[1] for i in range(60)]
        desk = Principal("staff", CLINIC_ID, "desk", username="desk", roles=("front_desk",))

        offered: set[str] = set()
        holds_taken = 0
        hold_bookings = 0
        walk_in_bookings = 0
        answered: set[str] = set()
        original_take = holds.take

        new_offers: list = []

        def counting_take(hold, capacity_, allowed):
            nonlocal holds_taken
            outcome = original_take(hold, capacity_, allowed)
            if outcome == "ok":
                holds_taken += 1
                new_offers.append(hold)
            return outcome

        holds.take = counting_take
        started = time.perf_counter()
        from chalicelib.store import recall as outbound_jobs

        days_run = 0
        for day_n in range(DAYS + MORE_DAYS):
            if day_n >= DAYS and not outbound_jobs.due_jobs(CLINIC_ID, "9999", None, 1000)[0]:
                break  # every recall handled: nothing waits any more
            days_run = day_n + 1
            today = T0.date() + timedelta(days=day_n)
            clock.set(T0 + timedelta(days=day_n))
            if day_n % 7 == 0:
                print(f"day {day_n}", file=sys.stderr, flush=True)
            appointments.mark_no_shows(CLINIC_ID)  # past bookings leave the patients' active counts
            sweep_clinic(CLINIC_ID)
            drain(queue_url(), send_reminders.handle)
            # the patients whose message went today answer it (or not) the same day, booking the offered
            # slot as the link does (the slot the patient's GET /me/slot-offers lists)
            reached, new_offers[:] = list(new_offers), []
            for hold in reached:
                pid = hold.patient_id
                if pid in offered or pid not in recalled:
                    continue
                offered.add(pid)
                if rng.random() < 0.25 + 0.5 * recalled[pid][1]:
                    offer = capacity.my_offers(CLINIC_ID, pid)["items"][0]
                    who = Principal("patient", CLINIC_ID, pid, patient_id=pid, roles=("patient",))
                    try:
                        appointments.book(who, pid, SimpleNamespace(doctor_id=offer["doctor_id"],
                                                                    date=date.fromisoformat(offer["date"]),
                                                                    start=offer["start"]))
                        hold_bookings += 1
                        answered.add(pid)
                    except AppError:
                        pass
            # walk-ins take random open places of the next week
            for department in DEPARTMENTS:
                open_now = [s for s in appointments.open_slots(CLINIC_ID, department, None, today,
                                                               today + timedelta(days=6))["items"] if s["left"] > 0]
                for slot in rng.sample(open_now, min(WALK_INS_A_DAY, len(open_now))):
                    for walker in rng.sample(walk_ins, 5):
                        try:
                            appointments.book(desk, walker, SimpleNamespace(
                                doctor_id=slot["doctor_id"], date=date.fromisoformat(slot["date"]), start=slot["start"]))
                            walk_in_bookings += 1
                            break
                        except AppError:
                            continue
        seconds = time.perf_counter() - started

        # slots booked past their capacity: from the bookings themselves and from the counters
        per_slot: Counter = Counter()
        for day_n in range(-1, days_run + 10):
            day = (T0.date() + timedelta(days=day_n)).isoformat()
            for a in appointment_store.of_day(CLINIC_ID, day, None):
                if a.status != "cancelled":
                    per_slot[(a.department, a.day, a.start, a.doctor_id)] += 1
        overbooked = sum(1 for count in per_slot.values() if count > 1)
        for department in DEPARTMENTS:
            for (day, start, doctor), count in holds.slot_counts(CLINIC_ID, department, "2026-11-01", "2027-02-01").items():
                if count.taken > 1 or count.held < 0:
                    overbooked += 1
        # the recall jobs: deferred at least once, and what became of them
        states: Counter = Counter()
        deferred_jobs = 0
        deferred_unsent = 0
        for pid, (department, _) in recalled.items():
            raw = patients.partition_items(CLINIC_ID, pid)
            job_items = [r for r in raw if r["sk"]["S"].startswith(keys.OUTBOUND_JOB)]
            assert len(job_items) == 1, pid
            item = job_items[0]
            status = item["status"]["S"]
            states[status] += 1
            if "capacity_since" in item:
                deferred_jobs += 1
                if status != "sent":
                    deferred_unsent += 1
        total = len(recalled)
        figure("recall-overbooked-slots", overbooked, "= 0")
        figure("recall-slots-filled-share", round(hold_bookings / holds_taken, 3) if holds_taken else 0.0, None,
               f"{hold_bookings} recall bookings of {holds_taken} places held for offers; "
               f"answer chance 0.25 + 0.5 x risk")
        figure("recall-deferred-share", round(deferred_jobs / total, 3), None,
               f"{deferred_jobs} of {total} due recalls waited for a free place at least once")
        figure("recall-deferred-unsent", deferred_unsent, "= 0",
               f"deferred recalls not sent after {days_run} days; jobs: "
               + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
        figure("recall-days-until-none-waits", days_run, None,
               f"due over the first {DUE_OVER_DAYS} days; the run goes on past {DAYS} days only while a recall waits")
        figure("recall-walk-in-bookings", walk_in_bookings, None, f"{WALK_INS_A_DAY} a day per department tried")
        figure("recall-capacity-simulation-seconds", round(seconds, 1), None,
               f"{days_run} days, {len(DEPARTMENTS)} departments, {total} recalls")
        if overbooked or deferred_unsent:
            raise SystemExit("capacity-aware recall overbooked a slot or left a deferred recall unsent")


if __name__ == "__main__":
    main()
