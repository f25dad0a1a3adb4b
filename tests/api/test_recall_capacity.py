"""Capacity-aware recall over HTTP and the services: recall offers per department throttled to a share of
its free slot places, the most at risk and most likely to answer first, the rest deferred and sent once
places open, a real held slot in the message with a link that books it, the settings and their callers.

T0 is Friday 2026-11-20, 10:00 in Shanghai (02:00 UTC); the eczema rule fires 30 days after a remission,
at 10:00, so a remission on 2026-10-21 is due at T0."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.jobs import send_reminders
from chalicelib.jobs.sweep import queue_url
from tests.test_helpers import sweep_lapses
from devstack.sqs_pump import drain
from tests.conftest import T0

DERM = "dermatology"
DUE_REMISSION = "2026-10-21"


def session(start, end, minutes, capacity, expert=False):
    return {"start": start, "end": end, "slot_minutes": minutes, "capacity": capacity, "expert": expert}


# two places a weekday morning (09:00 and 09:30, one patient each); over the 7 days from Friday 10:00
# that is Mon-Thu: 8 free places, so at the default share of 0.5 four recall offers at once
WEEKLY = {day: [session("09:00", "10:00", 30, 1)] for day in ("mon", "tue", "wed", "thu", "fri")}
DOCTOR = {"name": "李医生", "department": DERM, "weekly": WEEKLY}


SLOT_TEMPLATE = "{nickname}您好，湿疹缓解一个月后容易复发，{clinic}为您留了{slot}的号，点开即可预约。"


def with_slot_template(api, admin):
    rule = next(r for r in api.get("/recall-rules", token=admin)[1]["items"] if r["rule_id"] == "eczema-remission-30")
    body = {k: rule[k] for k in ("condition", "anchor", "offsets", "send_at", "purpose", "stop_on")}
    status, saved = api.put("/recall-rules/eczema-remission-30", {**body, "template": SLOT_TEMPLATE}, token=admin)
    assert status == 200, saved


def run_schedule():
    return sweep_lapses(), drain(queue_url(), send_reminders.handle)


@pytest.fixture
def desk(api, staff_token):
    admin = staff_token("demo-dental", "admin")
    status, put = api.put("/doctors/dr-li", DOCTOR, token=admin)
    assert status == 200, put
    with_slot_template(api, admin)
    return {"admin": admin, "staff": staff_token("demo-dental", "front_desk")}


PHONES = iter(range(1000, 9999))


def due_patients(api, new_patient, admin, n, prefix="cap", department=DERM):
    """n patients of a department (dermatology) whose eczema recall is due now."""
    made = []
    for i in range(n):
        token, pid = new_patient(name=f"{prefix}{i}", phone=f"1390000{next(PHONES):04d}", department=department)
        status, planned = api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": DUE_REMISSION},
                                   token=admin)
        assert status == 201 and planned["planned"][0]["created"], planned
        made.append((token, pid))
    return made


def set_profile(pid, **changes):
    from chalicelib.store import patients

    patients.update_profile(patients.get("demo-dental", pid), changes)


def job(pid):
    from chalicelib.store import keys, recall

    return recall.get_job(keys.patient_pk("demo-dental", pid),
                          recall.job_sk("recall", "eczema-remission-30", DUE_REMISSION, 30))


def inbox(api, token):
    return api.get("/me/inbox", token=token)[1]["items"]


def slot_counts():
    from chalicelib.store import holds

    return holds.slot_counts("demo-dental", DERM, "2026-11-20", "2026-12-31")


def assert_never_overbooked():
    for key, count in slot_counts().items():
        assert 0 <= count.held <= count.taken <= 1, (key, count)


def test_recall_offers_are_throttled_per_department_and_ranked(api, desk, new_patient, clock):
    # dentistry has room (four places a slot): its recalls are not held back by dermatology's budget
    dental = {"name": "王医生", "department": "dentistry",
              "weekly": {d: [session("09:00", "10:00", 30, 4)] for d in ("mon", "tue")}}
    assert api.put("/doctors/dr-wang", dental, token=desk["admin"])[0] == 200
    dentists = due_patients(api, new_patient, desk["admin"], 3, prefix="dent", department="dentistry")
    patients = due_patients(api, new_patient, desk["admin"], 6)
    # risk x response: p0 scored high but has ignored many reminders; p5 high risk, answered before
    set_profile(patients[5][1], risk_score=0.9, reminders_received=2, reminders_answered=2)
    set_profile(patients[3][1], risk_score=0.8)
    set_profile(patients[1][1], risk_score=0.7)
    set_profile(patients[0][1], risk_score=0.95, reminders_received=12)
    set_profile(patients[2][1], risk_score=0.1)
    # patients[4]: not scored (even odds)
    swept, _ = run_schedule()
    assert swept["deferred"] == 2 and swept["queued"] == 4 + 3
    assert all(job(pid).status == "sent" for _, pid in dentists)
    sent = {pid for _, pid in patients if job(pid).status == "sent"}
    waiting = {pid for _, pid in patients if job(pid).status == "deferred"}
    assert sent == {patients[i][1] for i in (5, 3, 1, 4)}
    assert waiting == {patients[0][1], patients[2][1]}
    assert all(job(pid).stop_reason == "no_capacity" for pid in waiting)
    assert_never_overbooked()
    # the department holds exactly four offers: half of the eight free places
    from chalicelib.store import holds

    assert holds.department_held("demo-dental", DERM) == 4
    # the reminder log shows the wait with its reason
    log = {r["patient_id"]: r for r in api.get("/reminders", token=desk["staff"])[1]["items"]}
    assert {pid: (log[pid]["status"], log[pid]["stop_reason"]) for pid in waiting} == {
        pid: ("deferred", "no_capacity") for pid in waiting}
    assert all(log[pid]["status"] == "sent" for pid in sent)


def test_deferred_recalls_go_when_places_open_and_are_never_too_late(api, desk, new_patient, clock, staff_token):
    admin = desk["admin"]
    # one place only over the window: share 1, but the doctor works a single morning slot on Monday
    assert api.put("/doctors/dr-li", {**DOCTOR, "weekly": {"mon": [session("09:00", "09:30", 30, 1)]}},
                   token=admin)[0] == 200
    assert api.put("/clinic/delivery", {"capacity_share": 1}, token=admin)[0] == 200
    patients = due_patients(api, new_patient, admin, 2, prefix="wait")
    set_profile(patients[0][1], risk_score=0.9)
    set_profile(patients[1][1], risk_score=0.2)
    run_schedule()
    first, second = job(patients[0][1]), job(patients[1][1])
    assert (first.status, second.status, second.stop_reason) == ("sent", "deferred", "no_capacity")
    # the sweep looks again every hour; while the place stays held the second one keeps waiting, past its
    # 30 relevance days, and is never closed as too late
    clock.set(T0 + timedelta(days=2, hours=1))
    run_schedule()
    assert job(patients[1][1]).status == "deferred"
    # the held place is released when its time is over (3 days, or the slot's start: Monday 09:00)
    clock.set(T0 + timedelta(days=3, hours=0, minutes=30))
    assert api.put("/doctors/dr-li", {**DOCTOR, "weekly": {"mon": [session("09:00", "09:30", 30, 1)],
                                                          "fri": [session("09:00", "09:30", 30, 1)]}},
                   token=admin)[0] == 200
    swept, _ = run_schedule()
    assert swept["released"] == 1
    later = job(patients[1][1])
    assert later.status == "sent", later
    assert later.capacity_since is not None
    # the reminder log listed it while it waited; now it has one row, sent
    rows = [r for r in api.get("/reminders", token=desk["staff"])[1]["items"] if r["patient_id"] == patients[1][1]]
    assert [(r["status"], r["processed_at"]) for r in rows] == [("sent", later.processed_at)]


def test_a_recall_waiting_weeks_for_capacity_is_not_closed_as_too_late(api, desk, new_patient, clock):
    admin = desk["admin"]
    # the department's only place in the window is taken by a walk-in: no free place, no offer
    one = {"name": "李医生", "department": DERM, "weekly": {},
           "exceptions": [{"date": "2026-11-23", "sessions": [session("09:00", "09:30", 30, 1)]}]}
    assert api.put("/doctors/dr-li", one, token=admin)[0] == 200
    walkin, _ = new_patient(name="walkin-full", phone="13922223333")
    assert api.post("/me/appointments", {"doctor_id": "dr-li", "date": "2026-11-23", "start": "09:00"},
                    token=walkin)[0] == 201
    token, pid = due_patients(api, new_patient, admin, 1, prefix="weeks")[0]
    run_schedule()
    assert (job(pid).status, job(pid).stop_reason) == ("deferred", "no_capacity")
    clock.set(T0 + timedelta(days=12))
    run_schedule()
    assert job(pid).status == "deferred"  # still waiting, looked at again
    # 36 days after it was due (past the 30 relevance days) a place opens: it goes, it is not stale
    clock.set(T0 + timedelta(days=36))
    opened = {**one, "exceptions": [{"date": "2026-12-28", "sessions": [session("09:00", "09:30", 30, 2)]}]}
    assert api.put("/doctors/dr-li", opened, token=admin)[0] == 200
    run_schedule()
    sent = job(pid)
    assert sent.status == "sent", sent
    from chalicelib.store import inbox as stored

    assert "12月28日（周一）09:00" in stored.messages("demo-dental", pid)[0].body


def test_the_message_offers_a_real_held_slot_and_its_link_books_it(api, desk, new_patient, clock):
    token, pid = due_patients(api, new_patient, desk["admin"], 1, prefix="link")[0]
    run_schedule()
    assert job(pid).status == "sent"
    message = inbox(api, token)[0]
    # the earliest slot at least 20 hours on with a free place: Monday 23 November 09:00 with 李医生
    assert "11月23日（周一）09:00（李医生）" in message["body"]
    link = message["link"]
    assert link.startswith("packages/booking/slots/index?")
    query = {k: v[0] for k, v in parse_qs(urlparse(link).query).items()}
    assert query == {"department": DERM, "doctor_id": "dr-li", "date": "2026-11-23", "start": "0900", "offer": "1"}
    # the place is held: the open slot list shows it taken, the patient sees it offered
    listed = api.get(f"/me/appointment-slots?department={DERM}&from=2026-11-23&to=2026-11-23", token=token)[1]
    assert next(s for s in listed["items"] if s["start"] == "09:00")["left"] == 0
    status, offers = api.get("/me/slot-offers", token=token)
    assert status == 200 and [(o["date"], o["start"], o["doctor_id"], o["doctor_name"]) for o in offers["items"]] == [
        ("2026-11-23", "09:00", "dr-li", "李医生")]
    # a walk-in cannot take the held place
    other, _ = new_patient(name="walkin", phone="13911112222")
    refused = api.post("/me/appointments", {"doctor_id": "dr-li", "date": "2026-11-23", "start": "09:00"},
                       token=other)
    assert refused[0] == 409 and refused[1]["code"] == "slot_full"
    # the holder books it through the link's slot: the hold becomes the booking, nothing is counted twice
    status, booked = api.post("/me/appointments", {"doctor_id": "dr-li", "date": "2026-11-23", "start": "09:00"},
                              token=token, headers={"Idempotency-Key": "offer-book-1"})
    assert status == 201, booked
    counts = slot_counts()[("2026-11-23", "09:00", "dr-li")]
    assert (counts.taken, counts.held) == (1, 0)
    from chalicelib.store import holds

    assert holds.department_held("demo-dental", DERM) == 0
    assert api.get("/me/slot-offers", token=token)[1]["items"] == []
    # the reminder answered: the profile counts it for the next ranking
    from chalicelib.store import patients

    assert patients.get("demo-dental", pid).reminders_answered == 1


def test_a_department_without_schedules_keeps_the_suggested_time(api, staff_token, new_patient, clock):
    admin = staff_token()
    with_slot_template(api, admin)
    token, pid = new_patient(name="nosched")
    assert api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": DUE_REMISSION}, token=admin)[0] == 201
    swept, _ = run_schedule()
    assert swept["deferred"] == 0 and job(pid).status == "sent"
    message = inbox(api, token)[0]
    assert "11月23日（周一）09:00" in message["body"] and "李医生" not in message["body"]
    assert message.get("link") is None


def test_two_senders_race_for_the_last_offer(api, desk, new_patient, clock, one_request_at_a_time):
    """Two due recalls, one offer left in the budget: both are queued (the sweep's read races them),
    both senders run at once, exactly one holds the place and sends; the other waits."""
    admin = desk["admin"]
    assert api.put("/doctors/dr-li", {**DOCTOR, "weekly": {"mon": [session("09:00", "09:30", 30, 1)]}},
                   token=admin)[0] == 200
    assert api.put("/clinic/delivery", {"capacity_share": 1}, token=admin)[0] == 200
    patients = due_patients(api, new_patient, admin, 2, prefix="race")
    from chalicelib.services import outbound
    from chalicelib.store import recall

    dues = recall.due_jobs("demo-dental", "2099", None, 100)[0]
    assert len(dues) == 2
    messages = [d.message() for d in dues]
    for d in dues:
        assert recall.lease(d, "2026-11-20T02:15:00Z")
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(outbound.deliver, messages))
    assert outcomes == ["deferred_capacity", "sent"], outcomes
    assert_never_overbooked()
    counts = slot_counts()[("2026-11-23", "09:00", "dr-li")]
    assert (counts.taken, counts.held) == (1, 1)
    waiting = [job(pid) for _, pid in patients if job(pid).status == "deferred"]
    assert len(waiting) == 1 and waiting[0].stop_reason == "no_capacity"


def test_one_job_delivered_twice_holds_one_place(api, desk, new_patient, clock):
    token, pid = due_patients(api, new_patient, desk["admin"], 1, prefix="twice")[0]
    from chalicelib.services import capacity, outbound
    from chalicelib.store import clinics, holds, patients, recall

    the_job = recall.queued_job(recall.due_jobs("demo-dental", "2099", None, 10)[0][0].message())
    patient = patients.get("demo-dental", pid)
    settings = outbound.settings_of("demo-dental")
    tz = clinics.get("demo-dental").tz
    first = capacity.offer_for("demo-dental", tz, settings, the_job, patient, None, clock.now())
    again = capacity.offer_for("demo-dental", tz, settings, the_job, patient, None, clock.now())
    assert first.hold == again.hold and first.link == again.link
    assert holds.department_held("demo-dental", DERM) == 1
    assert sum(c.held for c in slot_counts().values()) == 1


def test_capacity_settings_validation_and_callers(api, staff_token, new_patient):
    admin, staff = staff_token(), staff_token(role="front_desk")
    status, view = api.get("/clinic/delivery", token=staff)
    assert status == 200 and (view["capacity_days"], view["capacity_share"]) == (7, 0.5)
    assert (view["defaults"]["capacity_days"], view["defaults"]["capacity_share"]) == (7, 0.5)
    status, saved = api.put("/clinic/delivery", {"capacity_days": 14, "capacity_share": 0.3}, token=admin)
    assert status == 200 and (saved["capacity_days"], saved["capacity_share"]) == (14, 0.3)
    assert saved["daily_cap"] == 2  # the rest keep their values
    for body, code in (({"capacity_days": 0}, "invalid_capacity_days"), ({"capacity_days": 29}, "invalid_capacity_days"),
                       ({"capacity_share": 0.01}, "invalid_capacity_share"),
                       ({"capacity_share": 1.5}, "invalid_capacity_share"),
                       ({"capacity_share": "half"}, "invalid_input")):
        status, error = api.put("/clinic/delivery", body, token=admin)
        assert (status, error["code"]) == (400, code), (body, error)
        assert error["field"] == next(iter(body))
    assert api.put("/clinic/delivery", {"capacity_share": 0.5}, token=staff)[0] == 403
    patient, _ = new_patient(name="capsettings")
    assert api.put("/clinic/delivery", {"capacity_share": 0.5}, token=patient)[0] == 403
    assert api.get("/me/slot-offers", token=staff)[0] == 403
    assert api.get("/me/slot-offers", token=patient) == (200, {"items": []})
    assert api.get("/clinic/delivery", token=admin)[1]["capacity_share"] == 0.3


def test_an_erased_patients_held_place_goes_back(api, desk, new_patient, clock):
    token, pid = due_patients(api, new_patient, desk["admin"], 1, prefix="erase")[0]
    run_schedule()
    assert sum(c.held for c in slot_counts().values()) == 1
    from chalicelib.store import holds

    assert api.delete("/me", token=token)[0] in (200, 202, 204)
    assert sum(c.held for c in slot_counts().values()) == 0
    assert sum(c.taken for c in slot_counts().values()) == 0
    assert holds.department_held("demo-dental", DERM) == 0
