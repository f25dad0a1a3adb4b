"""The mini-program's own API module (miniprogram/api/, compiled into miniprogram/build/api/) driven
through a patient's journey in Node against the real local stack: miniprogram/journey/journey.js
installs a `wx` whose requests are real HTTP and whose wx.login answers the codes given here.

The stack is the session's `local_stack` (tests/e2e/conftest.py); a sweep runs first so the
seeded eczema patient's day-30 reminder is in the inbox."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT

MINIPROGRAM = ROOT / "miniprogram"
JOURNEY = MINIPROGRAM / "journey" / "journey.js"
STAMP = MINIPROGRAM / "node_modules" / ".revisit-lock-sha256"  # as tests/miniprogram/test_node_suite.py keeps it


def seeded_login(stack, note_has: str) -> str:
    """The login code base (`wx-<name>`) of the seeded demo patient whose note says `note_has`."""
    for login in stack.patient_logins:
        if login["clinic_id"] == "demo-dental" and note_has in login["note"]:
            return login["code"].split(".", 1)[0]
    raise AssertionError(f"no seeded patient login noted {note_has!r}: {stack.patient_logins}")


def phone_for(seed: str) -> str:
    """A mobile number no seeded patient has (the seed never uses the 199 prefix)."""
    return "199" + f"{int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 10**8:08d}"


def run(*args: str, timeout: int, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=MINIPROGRAM, capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)


@pytest.fixture(scope="module")
def built_miniprogram(tmp_path_factory) -> Path:
    """The mini-program compiled from the sources of this checkout (`npm ci` first when needed) into
    a folder of this test's own: tests/miniprogram builds into miniprogram/build/ in another process
    at the same time (make test runs on two)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        pytest.fail("node and npm are needed for the mini-program's journey: `make test` installs Node")
    lock = hashlib.sha256((MINIPROGRAM / "package-lock.json").read_bytes()).hexdigest()
    if not (STAMP.exists() and STAMP.read_text().strip() == lock):
        done = run(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", timeout=600)
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
        STAMP.write_text(lock)
    out = tmp_path_factory.mktemp("miniprogram-build")
    built = run(npm, "run", "--silent", "build", "--", str(out), timeout=300)
    assert built.returncode == 0, f"npm run build failed:\n{built.stdout}\n{built.stderr}"
    return out


def test_a_patient_journey_through_the_mini_programs_api_module(local_stack, built_miniprogram):
    swept = local_stack.sweep_once()
    assert swept.returncode == 0, swept.stdout + swept.stderr
    run_id = uuid.uuid4().hex[:8]
    users = {
        "newcomer": f"wx-mpj{run_id}a",
        "friend": f"wx-mpj{run_id}b",
        "rich": seeded_login(local_stack, "enough points to redeem"),
        "reminded": seeded_login(local_stack, "day-30 reminder"),
    }
    env = {
        **os.environ,
        "JOURNEY_API": local_stack.api_url,
        "JOURNEY_CLINIC": "demo-dental",
        "JOURNEY_WECHAT": local_stack.env["WECHAT_API_BASE"],
        "JOURNEY_USERS": json.dumps(users),
        "JOURNEY_PHONES": json.dumps([phone_for(run_id + "a"), phone_for(run_id + "b")]),
        "JOURNEY_BUILD": str(built_miniprogram),
    }
    done = run("node", str(JOURNEY), timeout=180, env=env)
    output = f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert done.returncode == 0, output
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["deleted"] is True, output
    assert summary["referral_points"] > 0 and summary["friend"] != summary["newcomer"], output
    assert summary["redemption_code"] and "eczema" in summary["reminder"], output
    assert summary["werun_steps"] == 8123, output
    assert summary["reminder_read"] is True, output
    # the reminder ended in a booked slot, seen by the desk
    from tests.e2e.test_attacks import send, staff_token

    booked, patient_id = summary["booked"], summary["reminded_patient"]
    token = staff_token(local_stack, "front_desk@demo-dental")
    status, bookings, _ = send(local_stack.api_url, "GET", f"/patients/{patient_id}/appointments", token=token)
    assert status == 200, bookings
    mine = [a for a in bookings["items"] if a["appointment_id"] == booked["appointment_id"]]
    assert [(a["status"], a["date"], a["start"]) for a in mine] == [("booked", booked["date"], booked["start"])], bookings
    jobs, cursor = [], None
    while True:
        status, page, _ = send(local_stack.api_url, "GET", "/reminders?limit=100" + (f"&cursor={cursor}" if cursor else ""),
                               token=token)
        assert status == 200, page
        jobs += [j for j in page["items"] if j["patient_id"] == patient_id and j["condition"] == "eczema"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert jobs, "the patient's eczema reminders are in the log"
    # the demo's eczema rule sends on day 30 only: nothing of it may still wait once the patient booked
    # (a rule with later days has them stopped by the booking: tests/api/test_appointments.py)
    assert not [j for j in jobs if j["status"] in ("pending", "deferred")], jobs
