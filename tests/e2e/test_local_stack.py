"""The local stack end to end: the mini-program client against the real API, tenant isolation,
the schedules, encryption at rest, and data surviving a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime

from devstack.probe import call
from tests.e2e.conftest import ROOT, _alive, _read, launch, stack_env, start_stack

CLIENT = ROOT / "scripts" / "miniprogram_client.py"


def staff_token(stack, username: str, password: str) -> str:
    status, data = call(stack.api_url, "POST", "/auth/staff/login", {"username": username, "password": password})
    assert status == 200, data
    return data["id_token"]


def run_client(stack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CLIENT), stack.api_url, *args], capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_mini_program_smoke_client_runs(local_stack):
    """scripts/miniprogram_client.py is the quick check without Node; the patient's journey runs through
    the mini-program's own API module in test_miniprogram_journey.py."""
    seeded = run_client(local_stack, "--name", "dd0000", "--json")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    summary = json.loads(seeded.stdout.strip().splitlines()[-1])
    assert summary["registered"] is False and summary["patient_id"] == next(
        p["patient_id"] for p in local_stack.patient_logins if p["code"] == "wx-dd0000")

    newcomer = run_client(local_stack, "--name", f"e2e-{uuid.uuid4().hex[:8]}", "--json")
    assert newcomer.returncode == 0, newcomer.stdout + newcomer.stderr
    fresh = json.loads(newcomer.stdout.strip().splitlines()[-1])
    assert fresh["registered"] is True and fresh["balance"] > 0 and "glucose 6.2 mmol/L checked in" in newcomer.stdout


def test_the_client_fails_loudly_on_an_unexpected_reply(local_stack):
    refused = run_client(local_stack, "--clinic", "no-such-clinic")
    assert refused.returncode != 0 and "FAILED" in refused.stderr


def test_seeded_demo_has_history_checkins_and_sent_reminders(local_stack):
    token = staff_token(local_stack, local_stack.staff_username, local_stack.staff_password)
    status, dashboard = call(local_stack.api_url, "GET", "/dashboard", token=token)
    assert status == 200 and dashboard["kpis"]["patients"] >= 60
    status, eczema = call(local_stack.api_url, "GET", "/segments/lapsed?condition=eczema&days=0&limit=100",
                          token=token)
    assert status == 200 and eczema["items"]
    diabetic = local_stack.patient_logins[0]["patient_id"]
    status, detail = call(local_stack.api_url, "GET", f"/patients/{diabetic}", token=token)
    assert status == 200 and detail["visits"] and detail["checkins"] and detail["ledger"]
    status, log = call(local_stack.api_url, "GET", "/reminders?limit=50", token=token)
    assert status == 200 and any(item["status"] == "sent" for item in log["items"])


def test_staff_of_one_clinic_cannot_read_another_clinics_patient(local_stack):
    own = staff_token(local_stack, local_stack.admin_username, local_stack.admin_password)
    other = staff_token(local_stack, local_stack.other_clinic_admin_username,
                        local_stack.other_clinic_admin_password)
    status, page = call(local_stack.api_url, "GET", "/patients?limit=5", token=own)
    assert status == 200 and page["items"]
    patient_id = page["items"][0]["patient_id"]
    assert call(local_stack.api_url, "GET", f"/patients/{patient_id}", token=own)[0] == 200
    status, refused = call(local_stack.api_url, "GET", f"/patients/{patient_id}", token=other)
    assert status in (403, 404), refused
    status, theirs = call(local_stack.api_url, "GET", "/patients?limit=100", token=other)
    assert status == 200 and patient_id not in {p["patient_id"] for p in theirs["items"]}


def test_sweep_once_fires_the_schedules_on_the_running_stack(local_stack):
    swept = local_stack.sweep_once()
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert "sweep: 2 clinics" in swept.stdout
    assert "queue:" in swept.stdout and "kpis: demo-dental" in swept.stdout


def test_a_raw_table_dump_holds_no_names_or_phones(local_stack):
    import boto3

    from devstack.seed import spec, planner

    env = local_stack.env
    dynamodb = boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    items, params = [], {"TableName": env["REVISIT_TABLE"]}
    while True:
        page = dynamodb.scan(**params)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    dump = json.dumps(items, ensure_ascii=False)

    demo = local_stack.demo
    now = datetime.fromisoformat(demo["now"])
    plans = (planner.Planner(spec.DEMO_DENTAL, now, demo["seed"]).plans(demo["patients"])
             + planner.Planner(spec.NORTH_DERM, now, demo["seed"]).plans(demo["north_patients"]))
    profiles = [i for i in items if i["sk"]["S"] == "PROFILE"]
    assert {p.patient_id for p in plans} <= {i["patient_id"]["S"] for i in profiles}
    assert all("name_enc" in i and "phone_enc" in i for i in profiles)
    leaked = [p.name for p in plans if p.name in dump] + [p.phone for p in plans if p.phone in dump]
    assert not leaked


def test_data_survives_a_restart(tmp_path):
    """Stop and start with the same data directory: a patient registered through the API is
    still there, and its encrypted fields decrypt under the new moto's KMS key."""
    stack = start_stack(tmp_path / "restart", patients=8)
    name = f"restart-{uuid.uuid4().hex[:6]}"
    try:
        status, login = call(stack.api_url, "POST", "/auth/wechat/login",
                             {"clinic_id": "demo-dental", "code": f"wx-{name}.1"})
        assert status == 200 and login["registered"] is False
        record = {"name": "重启测试", "phone": "19900001234", "conditions": ["eczema"], "department": "dermatology",
                  "consents": {"service": True}}
        status, registered = call(stack.api_url, "POST", "/me/register", record, token=login["access_token"])
        assert status == 201, registered
        patient_id = registered["patient"]["patient_id"]
        pool_before = stack.env["COGNITO_USER_POOL_ID"]
    finally:
        stack.stop()
    assert (tmp_path / "restart" / "state" / "table.json.gz").exists()

    again = start_stack(tmp_path / "restart", patients=8)
    try:
        assert "restored" in again.log.read_text()
        assert again.env["COGNITO_USER_POOL_ID"] != pool_before
        status, login = call(again.api_url, "POST", "/auth/wechat/login",
                             {"clinic_id": "demo-dental", "code": f"wx-{name}.2"})
        assert status == 200 and login["registered"] is True and login["patient_id"] == patient_id
        status, me = call(again.api_url, "GET", "/me", token=login["access_token"])
        assert status == 200, me
        assert me["patient"]["name"] == "重启测试" and me["patient"]["phone"] == "19900001234"
        staff_token(again, again.admin_username, again.admin_password)  # staff accounts are back too
    finally:
        again.stop()


def test_the_first_start_says_what_it_does_at_least_every_five_seconds(local_stack):
    """A newcomer's first start is never silent for long: each step, with counts, until the stack is up."""
    up = next(at for at, line in local_stack.lines if "local stack is up" in line)
    moments = [0.0] + [at for at, _ in local_stack.lines if at <= up]
    gaps = [(round(b - a, 1), line) for (a, b), (_, line) in zip(zip(moments, moments[1:]), local_stack.lines)]
    assert max(gap for gap, _ in gaps) <= 5, max(gaps)
    said = "\n".join(line for at, line in local_stack.lines if at <= up)
    assert "seeding demo-dental: " in said and "/60 patients" in said
    for step in ("first sweep", "training the risk model", "KPIs", "loading the demo data"):
        assert step in said, step


def _register(stack, name: str) -> str:
    status, login = call(stack.api_url, "POST", "/auth/wechat/login", {"clinic_id": "demo-dental", "code": f"wx-{name}.1"})
    assert status == 200 and login["registered"] is False
    record = {"name": "中断测试", "phone": "19900004321", "conditions": ["dental"], "department": "dentistry",
              "consents": {"service": True}}
    status, registered = call(stack.api_url, "POST", "/me/register", record, token=login["access_token"])
    assert status == 201, registered
    return registered["patient"]["patient_id"]


def test_ctrl_c_stops_every_child_and_keeps_the_data(tmp_path):
    """SIGINT (Ctrl-C) after the start: moto and the API are gone when the runner is, the snapshot is
    written, and the next start finds the patient registered before it."""
    stack = start_stack(tmp_path / "ctrl-c", patients=8)
    try:
        name = f"ctrl-c-{uuid.uuid4().hex[:6]}"
        patient_id = _register(stack, name)
    finally:
        stack.stop(sig=signal.SIGINT)  # fails if a child outlives the runner
    assert set(stack.child_pids) == {"moto", "api"}  # the demo builder was done and gone before ready
    assert (tmp_path / "ctrl-c" / "state" / "table.json.gz").exists()

    again = start_stack(tmp_path / "ctrl-c", patients=8)
    try:
        assert "restored" in again.log.read_text()
        status, login = call(again.api_url, "POST", "/auth/wechat/login",
                             {"clinic_id": "demo-dental", "code": f"wx-{name}.2"})
        assert status == 200 and login["registered"] is True and login["patient_id"] == patient_id
    finally:
        again.stop()


def test_stopping_during_the_first_start_stops_the_demo_builder_and_the_next_start_seeds_again(tmp_path):
    """SIGTERM while the demo is being built: every child (the builder, moto, the API) stops with
    the runner, nothing half-built is kept, and the next start builds the demo again."""
    local = tmp_path / "early"
    env = stack_env(local)
    process, lines = launch(env, 30, local / "runner.log")
    try:
        deadline = time.monotonic() + 120
        pids: dict = {}
        while time.monotonic() < deadline and not ("seed" in pids and "api" in pids):
            pids = _read(local / "state" / "pids.json") or {}
            assert process.poll() is None, "\n".join(line for _, line in lines)
            time.sleep(0.2)
        assert {"seed", "moto", "api"} <= set(pids), pids
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        deadline = time.monotonic() + 10
        children = {name: pid for name, pid in pids.items() if name != "runner"}
        while time.monotonic() < deadline and any(_alive(pid) for pid in children.values()):
            time.sleep(0.1)
        assert not [name for name, pid in children.items() if _alive(pid)]
        assert not (local / "state" / "table.json.gz").exists()
    finally:
        for pid in [process.pid, *(_read(local / "state" / "pids.json") or {}).values()]:
            try:  # whatever a failed check left running
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        process.wait(10)
    again = start_stack(local, patients=8)
    try:
        said = again.log.read_text()
        assert "seeding demo-dental" in said and again.demo["patients"] == 8
    finally:
        again.stop()
