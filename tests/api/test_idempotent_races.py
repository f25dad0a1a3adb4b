"""The same Idempotency-Key sent ten times at once, on every route that takes one.

A retried client gets the first answer (a replay) or 409 `request_in_progress`, never a 5xx,
and the effect happens once. DynamoDB applies each request atomically; in-process moto is not
thread-safe, so requests (not the service code) are serialised and the threads still race
between their reads and their writes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import pytest

from tests.conftest import T0, patient_record
from tests.test_helpers import registered_routes

TWINS = 10


@dataclass
class Case:
    """One route's request, made ready by `prepare(world) -> (token, path, body)`, and how to count its effect."""

    prepare: Callable
    effect: Callable  # (world, token, path) -> a number that the request raises by one, once
    method: str = "POST"


def _patient(world, prefix):
    token = world.patient(prefix)
    status, me = world.api.get("/me", token=token)
    assert status == 200, me
    return token, me["patient"]["patient_id"]


def _ledger_size(world, pid):
    return len(world.api.get(f"/patients/{pid}/points", token=world.staff())[1]["entries"])


def _checkin(world):
    token, pid = _patient(world, "race-checkin")
    world.context["pid"] = pid
    return token, "/me/checkins", {"type": "glucose", "value": 6.1, "client_time": T0.isoformat()}


def _share(world):
    token, pid = _patient(world, "race-share")
    world.context["pid"] = pid
    return token, "/me/shares", {"share_ref": "ticket-1"}


def _grant(world, pid, points):
    status, data = world.api.post(f"/patients/{pid}/points/adjustments", {"points": points, "reason": "race"},
                                  token=world.staff())
    assert status == 201, data


def _redemption(world):
    token, pid = _patient(world, "race-redeem")
    world.context["pid"] = pid
    _grant(world, pid, 250)
    return token, "/me/redemptions", {"reward_id": "teeth-cleaning"}


def _staff_patient(world, prefix):
    token, pid = _patient(world, prefix)
    world.context["pid"] = pid
    return pid


def _adjustment(world):
    pid = _staff_patient(world, "race-adjust")
    return world.staff(), f"/patients/{pid}/points/adjustments", {"points": 7, "reason": "补发"}


def _reversal(world):
    pid = _staff_patient(world, "race-reverse")
    _grant(world, pid, 9)
    entries = world.api.get(f"/patients/{pid}/points", token=world.staff())[1]["entries"]
    return world.staff(), f"/patients/{pid}/points/reversals", {"entry_id": entries[0]["entry_id"], "reason": "错记"}


def _visit(world):
    pid = _staff_patient(world, "race-visit")
    return world.staff(), f"/patients/{pid}/visits", {"visit_date": "2026-11-19", "department": "dermatology"}


def _registration(world):
    world.context["phone"] = f"1370000{len(world.context):04d}"
    return world.staff(), "/patients", patient_record(name="并发建档", phone=world.context["phone"])


def _sale(world):
    pid = _staff_patient(world, "race-sale")
    return world.staff(), f"/patients/{pid}/packages", {"package_id": "maternity-pack", "start_date": "2026-11-01"}


def _followup(world):
    pid = _staff_patient(world, "race-followup")
    return world.staff(), f"/patients/{pid}/followup", {"cadence_days": 7}


def _outcome(world):
    pid = _staff_patient(world, "race-outcome")
    status, data = world.api.post(f"/patients/{pid}/followup", {}, token=world.staff())
    assert status in (200, 201), data
    return world.staff(), f"/patients/{pid}/followup/outcomes", {"outcome": "reached", "note": "已联系"}


def _assign(world):
    pid = _staff_patient(world, "race-assign")
    status, data = world.api.post(f"/patients/{pid}/followup", {}, token=world.staff())
    assert status in (200, 201) and data["plan"]["assignee"] == "admin@demo-dental", data
    return world.staff(), f"/patients/{pid}/followup/assignee", {"assignee": "health_manager@demo-dental"}


def _exam(world):
    pid = _staff_patient(world, "race-exam")
    return world.staff(), f"/patients/{pid}/exams", {"taken_on": "2026-11-18", "flags": ["high_bmi"]}


def _confirm(world):
    pid = _staff_patient(world, "race-confirm")
    status, exam = world.api.post(f"/patients/{pid}/exams", {"taken_on": "2026-11-18", "flags": ["high_bp"]},
                                  token=world.staff())
    assert status == 201, exam
    task = next(t for t in exam["tasks"] if t["kind"] == "staff")
    world.context["task_id"] = task["task_id"]
    return world.staff(), f"/patients/{pid}/tasks/{task['task_id']}/confirm", {}


def _experiment(world):
    world.context["experiments"] = len(world.api.get("/experiments", token=world.staff())[1]["items"])
    return world.staff(), "/experiments", {"name": "并发实验", "target_kind": "recall_rule",
                                           "target_id": "package-renewal", "arms": [{"arm_id": "a"}, {"arm_id": "b"}],
                                           "sample_size_per_arm": 50}


def _backfill(world):
    """An eczema patient operated on ten days ago, then a rule on surgeries saved: its backfill plans them."""
    pid = _staff_patient(world, "race-backfill")
    status, data = world.api.post(f"/patients/{pid}/anchors", {"anchor": "surgery", "date": "2026-11-10",
                                                                "condition": "eczema"}, token=world.staff())
    assert status == 201, data
    status, data = world.api.put("/recall-rules/race-post-op", {
        "condition": "eczema", "anchor": "surgery", "offsets": [14, 60], "send_at": "10:00",
        "template": "术后复查", "purpose": "service"}, token=world.staff())
    assert status == 200, data
    return world.staff(), "/recall-rules/race-post-op/backfill", None


def _backfilled(world):
    from chalicelib.store import recall

    jobs = [j for j in recall.open_jobs("demo-dental", world.context["pid"]) if j.rule_id == "race-post-op"]
    return int(sorted(j.offset_days for j in jobs) == [14, 60])


def _voucher(world):
    from chalicelib.store import plan as plans
    from chalicelib.store.challenges import Voucher, voucher_steps

    pid = _staff_patient(world, "race-voucher")
    voucher = Voucher(voucher_id="v-race", code="RACE2345", kind="glucose_test", name="免费血糖检测", name_en=None,
                      source="challenge:x:2026-11-01", issued_at=T0.isoformat(), valid_until="2026-12-31",
                      expires_at="2027-01-01T00:00:00Z")
    plans.execute(plans.Plan().add(voucher_steps("demo-dental", pid, voucher, "race")))
    return world.staff(), "/vouchers/RACE2345/redeem", None


def _werun(world):
    from datetime import date

    from tests.conftest import wx_code
    from tests.werun_util import werun_body

    token, pid = _patient(world, "race-werun")
    world.context["pid"] = pid
    name = f"race-werun-{world._names}"  # the WeChat user SharedWorld.patient logged in as
    return token, "/me/checkins/werun", werun_body(world.world.fake_wechat, wx_code(name), {date(2026, 11, 20): 9000})


def _steps_of(world):
    checkins = world.api.get(f"/patients/{world.context['pid']}", token=world.staff())[1]["checkins"]
    return sum(1 for c in checkins if c["type"] == "steps")


def _fulfilment(world):
    token, pid = _patient(world, "race-fulfil")
    _grant(world, pid, 100)
    status, made = world.api.post("/me/redemptions", {"reward_id": "teeth-cleaning"}, token=token)
    assert status == 201, made
    world.context["code"] = made["redemption"]["code"]
    return world.staff(), f"/redemptions/{made['redemption']['code']}/fulfil", None


def _visits_of(world):
    return len(world.api.get(f"/patients/{world.context['pid']}", token=world.staff())[1]["visits"])


def _patient_count(world):
    count, cursor = 0, None
    while True:
        status, page = world.api.get("/patients?limit=100" + (f"&cursor={cursor}" if cursor else ""),
                                     token=world.staff())
        assert status == 200, page
        count += len(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return count


def _invite(world):
    return world.staff(), "/staff", {"username": "race-invitee@demo-dental", "role": "front_desk"}


def _new_clinic(world):
    return world.staff("platform", "operator"), "/clinics", {
        "clinic_id": "race-clinic", "name": "竞速诊所", "conditions": ["diabetes"], "admin_username": "boss@race-clinic"}


def _import_job(world):
    token, pid = _patient(world, "race-import")
    # a file is sent as it is (text/csv), not as JSON
    return world.staff(), "/imports?kind=visits", f"patient_id,visit_date,department\n{pid},2026-11-01,dermatology\n".encode()


def _race_doctor(world):
    session = {"start": "09:00", "end": "11:00", "slot_minutes": 30, "capacity": 20}
    status, data = world.api.put("/doctors/dr-race", {"name": "赛医生", "department": "dermatology",
                                                      "weekly": {"tue": [session]}}, token=world.staff())
    assert status == 200, data


def _my_booking(world):
    _race_doctor(world)
    token, pid = _patient(world, "race-book")
    world.context["token"] = token
    return token, "/me/appointments", {"doctor_id": "dr-race", "date": "2026-11-24", "start": "09:00"}


def _desk_booking(world):
    _race_doctor(world)
    pid = _staff_patient(world, "race-desk-book")
    return world.staff(), f"/patients/{pid}/appointments", {"doctor_id": "dr-race", "date": "2026-11-24",
                                                             "start": "09:30"}


def _bookings_of(world):
    day = world.api.get("/appointments?date=2026-11-24", token=world.staff())[1]["items"]
    return sum(1 for a in day if a["patient_id"] == world.context["pid"])


def _family_with_infant(world, prefix):
    token, pid = _patient(world, prefix)
    status, infant = world.api.post("/me/family/dependants", {"name": "王宝宝", "birth_date": "2026-11-10",
                                                              "sex": "F", "relation": "child"}, token=token)
    assert status == 201, infant
    world.context.update(token=token, pid=pid, infant=infant["member_id"])
    return token, pid, infant["member_id"]


def _dependant(world):
    token, pid = _patient(world, "race-dependant")
    world.context["token"] = token
    return token, "/me/family/dependants", {"name": "李宝宝", "birth_date": "2026-11-01", "sex": "M",
                                            "relation": "child"}


def _carer_checkin(world):
    token, _, infant = _family_with_infant(world, "race-carer")
    world.context["pid"] = infant
    return token, f"/me/family/{infant}/checkins", {"type": "glucose", "value": 5.2, "client_time": T0.isoformat()}


def _card_use(world):
    _, pid, _ = _family_with_infant(world, "race-card")
    status, card = world.api.post(f"/patients/{pid}/family-card", {"uses": 5, "valid_until": "2027-11-01"},
                                  token=world.staff())
    assert status == 200, card
    return world.staff(), f"/patients/{pid}/family-card/use", {}


CASES = {
    "/me/family/dependants": Case(_dependant, lambda w: sum(m["minor"] for m in w.api.get(
        "/me/family", token=w.context["token"])[1]["members"])),
    "/me/family/{member_id}/checkins": Case(_carer_checkin, lambda w: _ledger_size(w, w.context["pid"])),
    "/patients/{patient_id}/family-card/use": Case(_card_use, lambda w: len(w.api.get(
        f"/patients/{w.context['pid']}/family", token=w.staff())[1]["card"]["used"])),
    "/me/appointments": Case(_my_booking, lambda w: len(w.api.get("/me/appointments", token=w.context["token"])[1][
        "items"])),
    "/patients/{patient_id}/appointments": Case(_desk_booking, _bookings_of),
    "/me/checkins": Case(_checkin, lambda w: _ledger_size(w, w.context["pid"])),
    "/me/shares": Case(_share, lambda w: _ledger_size(w, w.context["pid"])),
    "/me/redemptions": Case(_redemption, lambda w: _ledger_size(w, w.context["pid"])),
    "/patients/{patient_id}/points/adjustments": Case(_adjustment, lambda w: _ledger_size(w, w.context["pid"])),
    "/patients/{patient_id}/points/reversals": Case(_reversal, lambda w: _ledger_size(w, w.context["pid"])),
    "/patients/{patient_id}/visits": Case(_visit, _visits_of),
    "/patients": Case(_registration, _patient_count),
    "/patients/{patient_id}/packages": Case(_sale, lambda w: len(w.api.get(
        f"/patients/{w.context['pid']}/packages", token=w.staff())[1]["items"])),
    "/patients/{patient_id}/followup": Case(_followup, lambda w: int(w.api.get(
        f"/patients/{w.context['pid']}/followup", token=w.staff())[0] == 200)),
    "/patients/{patient_id}/followup/outcomes": Case(_outcome, lambda w: len(w.api.get(
        f"/patients/{w.context['pid']}/followup", token=w.staff())[1]["outcomes"])),
    "/patients/{patient_id}/followup/assignee": Case(_assign, lambda w: int(w.api.get(
        f"/patients/{w.context['pid']}/followup", token=w.staff())[1]["plan"]["assignee"] == "health_manager@demo-dental"),
        method="PUT"),
    "/patients/{patient_id}/exams": Case(_exam, lambda w: len(w.api.get(
        f"/patients/{w.context['pid']}/tasks", token=w.staff())[1]["exams"])),
    "/patients/{patient_id}/tasks/{task_id}/confirm": Case(_confirm, lambda w: next(
        t["progress"] for t in w.api.get(f"/patients/{w.context['pid']}/tasks", token=w.staff())[1]["tasks"]
        if t["task_id"] == w.context["task_id"])),
    "/experiments": Case(_experiment, lambda w: len(w.api.get("/experiments", token=w.staff())[1]["items"])
                         - w.context["experiments"]),
    "/me/checkins/werun": Case(_werun, _steps_of),
    "/redemptions/{redemption_code}/fulfil": Case(_fulfilment, lambda w: int(w.api.get(
        f"/redemptions/{w.context['code']}", token=w.staff())[1]["redemption"]["status"] == "fulfilled")),
    "/staff": Case(_invite, lambda w: len(w.api.get("/staff", token=w.staff())[1]["items"])),
    "/clinics": Case(_new_clinic, lambda w: len(w.api.get("/clinics", token=w.staff("platform", "operator"))[1]["items"])),
    "/imports": Case(_import_job, lambda w: len(w.api.get("/imports", token=w.staff())[1]["items"])),
    "/recall-rules/{rule_id}/backfill": Case(_backfill, _backfilled),
    "/vouchers/{code}/redeem": Case(_voucher, lambda w: int(
        w.api.get("/vouchers/RACE2345", token=w.staff())[1]["voucher"]["status"] == "redeemed")),
}


def test_every_route_taking_an_idempotency_key_is_raced_here():
    keyed = {r["path"] for r in registered_routes() if r["idempotent"]}
    assert keyed == set(CASES), keyed ^ set(CASES)


@pytest.mark.parametrize("path", sorted(CASES))
def test_ten_twins_with_one_key_give_one_effect_and_the_first_answer(shared_world, shared_clock,
                                                                     one_request_at_a_time, path):
    world = shared_world
    world.context = {}
    case = CASES[path]
    token, concrete, body = case.prepare(world)
    before = case.effect(world)
    headers = {"Idempotency-Key": f"race-{path}"}

    def send(_):
        if isinstance(body, bytes):
            return world.api.call("POST", concrete, token=token, headers=headers, raw=body, content_type="text/csv")
        return world.api.call(case.method, concrete, body, token=token, headers=headers)

    with ThreadPoolExecutor(max_workers=TWINS) as pool:
        answers = list(pool.map(send, range(TWINS)))
    statuses = [status for status, _ in answers]
    assert all(status < 500 for status in statuses), answers
    done = [(status, data) for status, data in answers if status < 300]
    assert done, answers
    assert all(answer == done[0] for answer in done), answers
    others = [data for status, data in answers if status >= 300]
    assert all(status == 409 and data["code"] == "request_in_progress" for status, data in answers if status >= 300), \
        others
    assert case.effect(world) == before + 1, (path, answers)
    # once settled, the same key answers with the first answer, marked as a replay
    status, again = send(None)
    assert (status, again) == done[0]
    assert case.effect(world) == before + 1
