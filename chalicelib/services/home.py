"""The mini-program's home page in one request: today, the day's check-ins, open tasks, streaks,
points, the next revisit and booking, unread messages and who the patient is. Three DynamoDB
reads (store/home.py); the clinic's settings come from the per-container cache."""

from __future__ import annotations

from datetime import date

from chalicelib.domain import tasks as task_rules
from chalicelib.domain.clock import clock, local_date
from chalicelib.domain.rules import tier_for
from chalicelib.services import sessions
from chalicelib.services.challenges import enrolment_view
from chalicelib.services.patient_fields import chosen_nickname
from chalicelib.services.tasks import task_view
from chalicelib.store import clinics
from chalicelib.store import home as store


def view(principal) -> dict:
    clinic = clinics.get(principal.clinic_id)
    today = local_date(clock.now(), clinic.tz)
    state = store.read(principal.clinic_id, principal.patient_id, today.isoformat())
    patient = sessions.check_profile(principal, state.patient)  # the route leaves the session check to this read
    tasks = []
    for task in state.tasks:
        row = task_view(task, today)
        if row["status"] != task_rules.ACTIVE:
            continue
        tasks.append({"task_id": row["task_id"], "title": row["name"], "progress": row["progress"],
                      "target": row["target"], "checkin_type": row["checkin_type"], "min_value": row["min_value"],
                      "due_on": row["due_on"], "days_left": row["days_left"],
                      "counted_today": today.isoformat() in row["marks"]})
    tasks.sort(key=lambda t: t["due_on"])
    streaks = []
    for enrolment in state.enrolments:
        row = enrolment_view(enrolment, today)
        progress = row["progress"]
        streaks.append({"challenge_id": row["challenge_id"], "name": row["name"], "checkin_type": row["checkin_type"],
                        "current_streak": progress["current_streak"], "days": row["days"],
                        "days_to_go": progress["days_to_go"], "grace": row["grace"],
                        "grace_used": progress["grace_used"], "last_day": progress["last_day"]})
    lots = sorted(state.lots)
    booking = patient.next_booking_date
    return {
        "today": today.isoformat(),
        "me": {"name_masked": patient.name_masked,
               "nickname": chosen_nickname(patient)},
        "checkins": [{"checkin_id": c.checkin_id, "type": c.type, "value": c.value, "counted": c.counted,
                      "client_time": c.client_time, **({"diastolic": c.diastolic} if c.diastolic is not None else {})}
                     for c in state.checkins],
        "tasks": tasks,
        "streaks": streaks,
        "points": {"balance": int(patient.balance or 0), "tier": tier_for(int(patient.earned_total or 0)),
                   "next_expiring": ({"points": lots[0].remaining, "expires_on": lots[0].expires_on}
                                     if lots else None)},
        "revisit": {"revisit_due_date": patient.revisit_due_date,
                    "next_booking_date": booking if booking and date.fromisoformat(booking) >= today else None},
        "inbox_unread": state.unread,
    }
