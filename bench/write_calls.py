"""DynamoDB calls per patient write: how many write calls and which reads each operation makes.

Runs the app in process (chalice.test.Client against app.app) over moto, with a clinic and a
patient registered through the services as in the tests, and records every DynamoDB call with a
botocore event hook (see _world.DynamoRecorder). The clinic's settings are cached per container;
registering the patient warms that cache, so the figures are those of a warm function.
"""

from __future__ import annotations

import json
import sys

from _world import (CLINIC_ID, DynamoRecorder, create_clinic, figure, moto_account, openid_hash_for,
                    register_patient)

REWARD_ID = "bench-sticker"


def enrol(patient_id: str) -> None:
    """Join the clinic's default glucose challenge through the service, as the mini-program would."""
    from chalicelib.auth import Principal
    from chalicelib.services.challenges import join

    join(Principal("patient", CLINIC_ID, patient_id, patient_id=patient_id), "glucose-guard-365")


def record_exam(patient_id: str) -> None:
    """Staff record a high-glucose exam (S4), which assigns the glucose-logging task."""
    from datetime import timedelta

    from chalicelib.domain.clock import clock
    from chalicelib.services.tasks import record_exam as record

    _, result = record(CLINIC_ID, patient_id, taken_on=(clock.now() - timedelta(days=1)).date(),
                       flags=["high_glucose"], exam_id=None, recorded_by="bench")
    if not any(t["task_key"] == "glucose-log-14" for t in result["tasks"]):
        raise SystemExit(f"the exam assigned no glucose-logging task: {result}")


def main() -> int:
    recorder = DynamoRecorder().install()
    problems: list[str] = []
    with moto_account():
        from chalice.test import Client

        from chalicelib.auth import issue_patient_tokens
        from chalicelib.domain.clock import clock, iso
        from chalicelib.store import clinics

        create_clinic()
        # A one-point reward, so that the points earned by the check-ins below can pay for it.
        clinics.put_reward(CLINIC_ID, REWARD_ID, "护理小贴纸", 1, "Care sticker")
        # The patient is enrolled in the clinic's glucose streak challenge (S2), so every check-in
        # below also evaluates a streak; their writes must still be one transaction.
        token, patient_id = register_patient(conditions=["eczema", "diabetes"])
        enrol(patient_id)
        session = {"token": token}

        from app import app

        def post(path: str, body: dict, key: str | None):
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {session['token']}"}
            if key:
                headers["Idempotency-Key"] = key
            reply = client.http.post(path, headers=headers, body=json.dumps(body))
            return reply.status_code, {k.lower(): v for k, v in reply.headers.items()}, json.loads(reply.body)

        def checkin_body() -> dict:
            return {"type": "glucose", "value": 5.6, "client_time": iso(clock.now())}

        def earned(expected: bool):
            def check(status, headers, body):
                awarded = body.get("points_awarded", 0) if isinstance(body, dict) else 0
                if status != 201 or (awarded > 0) != expected:
                    return f"status {status}, points_awarded {awarded}: {body}"
                return None
            return check

        def replayed(first: dict):
            def check(status, headers, body):
                if status != 201 or headers.get("idempotent-replay") != "true" or body != first:
                    return f"status {status}, replay header {headers.get('idempotent-replay')!r}"
                return None
            return check

        def redeemed(status, headers, body):
            if status != 201 or "redemption" not in body:
                return f"status {status}: {body}"
            return None

        with Client(app) as client:
            answers: dict[str, dict] = {}
            idem_body = {}
            steps = [
                # name, path, body maker, Idempotency-Key, check, write-call target
                ("checkin", "/me/checkins", checkin_body, None, lambda: earned(True), "1"),
                ("checkin-repeat", "/me/checkins", checkin_body, None, lambda: earned(False), "1"),
                ("next-day", None, None, None, None, None),
                ("checkin-idempotent", "/me/checkins", lambda: idem_body.setdefault("checkin", checkin_body()),
                 "bench-checkin-1", lambda: earned(True), "1"),
                ("checkin-replay", "/me/checkins", lambda: idem_body["checkin"], "bench-checkin-1",
                 lambda: replayed(answers["checkin-idempotent"]), "0"),
                ("redemption", "/me/redemptions", lambda: {"reward_id": REWARD_ID}, "bench-redeem-1",
                 lambda: redeemed, "1"),
                ("redemption-replay", "/me/redemptions", lambda: {"reward_id": REWARD_ID}, "bench-redeem-1",
                 lambda: replayed(answers["redemption"]), "0"),
            ]
            for name, path, make_body, key, make_check, target in steps:
                if path is None:
                    # A new clinic day, so the next check-in earns again; the app refreshes its
                    # short-lived access token meanwhile (no DynamoDB call either way).
                    clock.advance(days=1)
                    session["token"] = issue_patient_tokens(CLINIC_ID, openid_hash_for(CLINIC_ID, "obench-1"),
                                                            patient_id)["access_token"]
                    continue
                body = make_body()
                with recorder.recording() as calls:
                    status, headers, reply = post(path, body, key)
                answers[name] = reply
                problem = make_check()(status, headers, reply)
                if problem:
                    problems.append(f"{name}: {problem}")
                writes = [c for c in calls if c.is_write]
                reads = [c for c in calls if c.is_read]
                figure(f"{name}-write-calls", len(writes), target)
                if writes:
                    written = [kind for c in writes for kind in c.what()]
                    figure(f"{name}-written-items", len(written), note="; ".join(c.describe() for c in writes))
                figure(f"{name}-read-calls", len(reads),
                       note=", ".join(c.describe() for c in reads) if reads else "none")
                figure(f"{name}-items-read", sum(c.items_read() for c in reads))
                if not calls:
                    problems.append(f"{name}: the hook saw no DynamoDB call at all")

            def daily_run(name: str, openid: str, phone: str, days: int, exam: bool, done) -> None:
                """An enrolled diabetic patient (with a high-glucose exam if `exam`) checks in glucose
                once a clinic day; only the last day's check-in is measured, and `done(reply)` says
                whether it did what it should (None) or what went wrong."""
                token, patient_id = register_patient(openid=openid, phone=phone, conditions=["diabetes"])
                enrol(patient_id)
                if exam:
                    record_exam(patient_id)
                session["token"] = token
                for day in range(days):
                    if day:
                        clock.advance(days=1)
                        session["token"] = issue_patient_tokens(CLINIC_ID, openid_hash_for(CLINIC_ID, openid),
                                                                patient_id)["access_token"]
                    if day < days - 1:
                        status, _, reply = post("/me/checkins", checkin_body(), None)
                        if status != 201 or reply.get("badges") or (days == 7 and reply.get("vouchers")):
                            problems.append(f"{name}: day {day + 1} answered {status}: {reply}")
                        continue
                    with recorder.recording() as calls:
                        status, _, reply = post("/me/checkins", checkin_body(), None)
                    problem = done(reply) if status == 201 else f"status {status}: {reply}"
                    if problem:
                        problems.append(f"{name}: day {days}: {problem}")
                    writes = [c for c in calls if c.is_write]
                    reads = [c for c in calls if c.is_read]
                    figure(f"{name}-write-calls", len(writes), "1")
                    figure(f"{name}-written-items", sum(len(c.what()) for c in writes),
                           note="; ".join(c.describe() for c in writes))
                    figure(f"{name}-read-calls", len(reads), note=", ".join(c.describe() for c in reads))

            # A second enrolled patient: the seventh daily check-in completes the streak and issues
            # the voucher in the same one transaction.
            daily_run("checkin-with-streak", "obench-2", "13800002222", 7, False,
                      lambda r: None if len(r.get("vouchers", [])) == 1 else f"no voucher: {r}")

            # A third, also with a high-glucose exam (task "log glucose on 14 days within 21"): the
            # fourteenth daily check-in completes the second 7-day streak (a voucher), the task and
            # its badge, everything in the one transaction of the check-in.
            def streak_task_badge(reply):
                done = [t for t in reply.get("tasks", []) if t.get("completed_now")]
                if len(reply.get("vouchers", [])) == 1 and len(reply.get("badges", [])) == 1 and len(done) == 1:
                    return None
                return f"did not complete streak, task and badge: {reply}"

            daily_run("checkin-with-streak-task-badge", "obench-3", "13800003333", 14, True, streak_task_badge)
    for problem in problems:
        print(f"write-calls-problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
