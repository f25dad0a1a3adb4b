"""DynamoDB read calls of the mini-program's home page (GET /me/home) for a patient with check-ins,
tasks, a challenge enrolment, points lots, a booking and inbox messages.

How many requests the page itself makes is counted on the page (bench/miniprogram_requests.py).
The route reads the patient's partition in
three Queries (store/home.py: the profile, lots, enrolments and tasks in one consistent range;
the day's check-ins; the unread count). The clinic's settings are cached per container: the
figure is of a warm container, as every request but a container's first. Runs the app in
process over moto, as leaderboard_reads.
"""

from __future__ import annotations

import json
import sys
from datetime import date

from _world import CLINIC_ID, READ_OPS, T0, DynamoRecorder, figure, moto_account, register_patient


def main() -> int:
    recorder = DynamoRecorder().install()
    problems: list[str] = []
    with moto_account():
        from chalice.test import Client

        from _world import create_clinic
        from chalicelib.api.models import CheckInBody
        from chalicelib.auth import Principal
        from chalicelib.services import activity, challenges, tasks, visits
        from chalicelib.store import inbox
        from chalicelib.store.keys import patient_pk

        create_clinic()
        token, pid = register_patient(openid="ohome-1", conditions=["diabetes"])
        me = Principal("patient", CLINIC_ID, pid, patient_id=pid)
        desk = Principal("front_desk", CLINIC_ID, "desk", username="desk@bench")
        activity.adjust(desk, pid, 40, "活动奖励")
        challenges.join(me, "glucose-guard-365")
        activity.check_in(me, CheckInBody(type="glucose", value=6.1, client_time=T0))
        tasks.record_exam(CLINIC_ID, pid, taken_on=date(2026, 11, 18), flags=["high_bmi"], exam_id="HC-1",
                          recorded_by="desk@bench")
        visits.record_visit(CLINIC_ID, pid, visit_date=date(2026, 11, 19), department="dermatology",
                            next_due_date=date(2027, 2, 19), recorded_by="desk@bench")
        visits.record_booking(CLINIC_ID, pid, date(2026, 12, 1))
        for n in range(5):
            item = inbox.stored_in(patient_pk(CLINIC_ID, pid), inbox.InboxMessage(
                f"m{n}", "复诊提醒", "{nickname}您好", "service", T0.isoformat(), T0.isoformat() if n < 2 else None))
            if n < 2:
                item.read_at = T0.isoformat()
            item.save()

        from app import app

        with Client(app) as client:
            headers = {"Authorization": f"Bearer {token}"}
            client.http.get("/me/home", headers=headers)  # a warm container: the clinic's settings are cached
            with recorder.recording() as calls:
                reply = client.http.get("/me/home", headers=headers)
        body = json.loads(reply.body)
        if reply.status_code != 200:
            problems.append(f"GET /me/home answered {reply.status_code}: {str(body)[:200]}")
        else:
            shown = (len(body["checkins"]), len(body["tasks"]), len(body["streaks"]), body["inbox_unread"],
                     body["points"]["next_expiring"] is not None, body["revisit"]["next_booking_date"])
            if shown != (1, len(body["tasks"]) or -1, 1, 3, True, "2026-12-01") or not body["tasks"]:
                problems.append(f"the home page shows {shown}")
        reads = [c for c in calls if c.operation in READ_OPS]
        figure("home-dynamodb-read-calls", len(reads), "<= 3",
               note="; ".join(c.describe() for c in reads) or "none")
    for problem in problems:
        print(f"home-reads-problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
