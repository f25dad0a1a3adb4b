"""Segment membership kept per event: a check-in that moves a patient into "3 check-ins in 7 days"
writes the membership in its own one transaction, and the flip job reads only the due patients.

Runs the app in process over moto (as write_calls.py), records every DynamoDB call, and prints
whether the membership is there when the check-in's request returns, the write calls of that
check-in, how many items of its transaction are segment writes, and what the flip job reads.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

from _world import CLINIC_ID, DynamoRecorder, create_clinic, figure, moto_account, openid_hash_for, register_patient

SEGMENT = "active-3-in-7"
PATIENTS = 30
SILENT_DUE = 5


def main() -> int:
    recorder = DynamoRecorder().install()
    problems: list[str] = []
    with moto_account():
        from chalice.test import Client

        from app import app
        from chalicelib.auth import Principal, issue_patient_tokens
        from chalicelib.domain.clock import clock, iso
        from chalicelib.jobs.segments import build_clinic, refresh_clinic
        from chalicelib.services import segments as service
        from chalicelib.store import segments as store

        create_clinic()
        admin = Principal("admin", CLINIC_ID, "bench-admin", username="bench-admin")

        class Body:
            segment_id, name, name_en, description, content_path = SEGMENT, "7天打卡3次", None, None, None
            rule = {"field": "checkins", "days": 7, "gte": 3}

        service.create(admin, Body)
        clock.advance(seconds=61)
        build_clinic(CLINIC_ID)
        token, patient_id = register_patient(conditions=["diabetes"])
        with Client(app) as client:
            def check_in() -> int:
                reply = client.http.post("/me/checkins", headers={"Content-Type": "application/json",
                                                                   "Authorization": f"Bearer {session['token']}"},
                                         body=json.dumps({"type": "glucose", "value": 5.6,
                                                          "client_time": iso(clock.now())}))
                return reply.status_code

            session = {"token": token}
            for day in range(3):
                if day:
                    clock.advance(days=1)
                    session["token"] = issue_patient_tokens(CLINIC_ID, openid_hash_for(CLINIC_ID, "obench-1"),
                                                            patient_id)["access_token"]
                if day < 2:
                    check_in()
                    continue
                with recorder.recording() as calls:
                    status = check_in()
                if status != 201:
                    problems.append(f"third check-in answered {status}")
                member = SEGMENT in (store.patient(CLINIC_ID, patient_id).segments or ())
                writes = [c for c in calls if c.is_write]
                segment_items = [kind for c in writes for kind in c.what()
                                 if kind.startswith(("seg ", "segflip "))]
                figure("segment-update-same-request", "yes" if member else "no",
                       note="the membership is written before the check-in's reply")
                figure("segment-join-checkin-write-calls", len(writes), "1")
                figure("membership-writes-per-checkin", len(segment_items),
                       note="items of the check-in's one transaction: " + (", ".join(segment_items) or "none"))
                if not member:
                    problems.append("the patient is not in the segment after the check-in")

        # The flip job: PATIENTS more patients, SILENT_DUE of them silent long enough to be due.
        for n in range(PATIENTS):
            if n == SILENT_DUE:
                clock.advance(days=100)
            register_patient(openid=f"obench-flip-{n}", phone=f"1391000{n:04d}")
        clock.advance(days=81, hours=14, minutes=5)  # the first five are on day 181 of their silence
        with recorder.recording() as calls:
            done = refresh_clinic(CLINIC_ID)
        read = sum(c.items_read() for c in calls if c.is_read and c.operation == "Query")
        figure("segment-flips-due", done["due"], f"= {SILENT_DUE + 1}", note="patients whose time rule changed today")
        figure("segment-flip-job-index-items-read", read, f"<= {SILENT_DUE + 2}",
               note=f"of {PATIENTS + 1} patients; keys from the due index only")
        members = store.count_members(CLINIC_ID, "silent-180")
        if members != SILENT_DUE + 1:
            problems.append(f"silent-180 has {members} members, expected {SILENT_DUE + 1}")
    for problem in problems:
        print(f"segment-updates-problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
