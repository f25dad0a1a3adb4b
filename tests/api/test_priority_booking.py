"""The priority-booking perk through the API: badges earned through exam tasks open a doctor's expert
slots to their holder `priority_days` days before everyone else (docs/appointments.md, "Priority
booking"); the setting on the perk, and who may change it.

T0 is Friday 2026-11-20, 10:00 in Shanghai. Patients book up to 90 days ahead (2027-02-18); with the
default 7 days, others book an expert slot up to 83 days ahead (2027-02-11). The expert slots used:
Friday 2027-02-05 (day 77, open to all), Friday 2027-02-12 (day 84, holders only until it opens to
all on 2026-11-21) and Friday 2027-01-29 (day 70: inside a 30-day window)."""

from datetime import timedelta

import pytest

from tests.conftest import wx_code

DERM = "dermatology"
OPEN = "2027-02-05"
EARLY = "2027-02-12"
OPENS_ON = "2026-11-21"


def session(start, end, minutes, capacity, expert=False):
    return {"start": start, "end": end, "slot_minutes": minutes, "capacity": capacity, "expert": expert}


DOCTOR = {"name": "王主任", "department": DERM,
          "weekly": {"fri": [session("09:00", "10:00", 60, 3), session("14:00", "15:00", 60, 3, expert=True)]}}

# three staff-confirmed tasks of one session each: an exam with high BMI and three confirmations earn three badges
STAFF_TASKS = {"tasks": [
    {"task_key": f"visit-{n}", "name": f"复诊咨询{n}", "kind": "staff", "target": 1, "within_days": 30,
     "badge": {"badge_id": f"visitor-{n}", "name": f"复诊徽章{n}"}} for n in (1, 2, 3)]}
DEFAULT_PERK = {"perk_id": "priority-booking", "name": "专家号优先预约", "badges_required": 3}


@pytest.fixture
def clinic(api, staff_token, clock):
    admin = staff_token("demo-dental", "admin")
    status, put = api.put("/doctors/dr-wang", DOCTOR, token=admin)
    assert status == 200, put
    status, rule = api.put("/task-rules/high_bmi", STAFF_TASKS, token=admin)
    assert status == 200, rule
    return {"admin": admin, "staff": staff_token("demo-dental", "front_desk")}


def earn_badges(api, staff, patient_id, count=3):
    """The real flow: an exam with high BMI assigns the three tasks; each confirmed session awards a badge."""
    status, exam = api.post(f"/patients/{patient_id}/exams", {"taken_on": "2026-11-19", "flags": ["high_bmi"]},
                            token=staff)
    assert status == 201, exam
    for task in sorted(exam["tasks"], key=lambda t: t["task_key"])[:count]:
        status, done = api.post(f"/patients/{patient_id}/tasks/{task['task_id']}/confirm", {}, token=staff)
        assert status == 200 and done["task"]["badge_awarded"], done


def slots(api, token, first="2027-02-01", last="2027-02-18", me=True):
    path = "/me/appointment-slots" if me else "/appointment-slots"
    return api.get(f"{path}?department={DERM}&from={first}&to={last}", token=token)


def marks(found):
    """(date, start, expert, bookable, priority, opens_on) of each listed slot."""
    return [(s["date"], s["start"], s["expert"], s["bookable"], s["priority"], s["opens_on"]) for s in found["items"]]


def relogin(api, name):
    """A new access token for a registered patient (the old one expired while the clock moved)."""
    status, login = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code(name)})
    assert status == 200 and login["registered"], login
    return login["access_token"]


def book(api, token, day, start="14:00", path="/me/appointments"):
    return api.post(path, {"doctor_id": "dr-wang", "date": day, "start": start}, token=token)


def test_a_holder_books_an_expert_slot_a_week_before_everyone_else(api, clinic, new_patient, clock):
    holder_token, holder_id = new_patient(name="holder", phone="13700000011")
    other_token, _ = new_patient(name="other", phone="13700000012")
    earn_badges(api, clinic["staff"], holder_id)
    assert api.get("/me/perks", token=holder_token)[1]["perks"][0]["unlocked"] is True

    # a patient without the perk sees the expert slot of 02-12 as not open yet, with the day it opens;
    # the ordinary slot of the same day and the expert slot of 02-05 are open to everyone
    status, found = slots(api, other_token)
    assert status == 200, found
    assert marks(found) == [
        (OPEN, "09:00", False, True, False, None), (OPEN, "14:00", True, True, False, None),
        (EARLY, "09:00", False, True, False, None), (EARLY, "14:00", True, False, False, OPENS_ON)]
    status, err = book(api, other_token, EARLY)
    assert (status, err["code"], err["field"]) == (409, "slot_not_open_yet", "date")
    assert OPENS_ON in err["message"]
    assert book(api, other_token, EARLY, start="09:00")[0] == 201
    assert book(api, other_token, OPEN)[0] == 201

    # the holder sees it bookable, marked as a priority slot, and books it
    assert marks(slots(api, holder_token)[1])[-1] == (EARLY, "14:00", True, True, True, OPENS_ON)
    status, booked = book(api, holder_token, EARLY)
    assert status == 201, booked
    assert booked["appointment"]["expert"] is True and booked["appointment"]["date"] == EARLY
    assert [s["left"] for s in slots(api, other_token)[1]["items"] if s["date"] == EARLY] == [2, 2]

    # moving a booking into the window follows the same rule
    status, mine = api.get("/me/appointments", token=other_token)
    moving = next(a for a in mine["items"] if a["date"] == OPEN)["appointment_id"]
    status, err = api.post(f"/me/appointments/{moving}/reschedule", {"doctor_id": "dr-wang", "date": EARLY,
                                                                      "start": "14:00"}, token=other_token)
    assert (status, err["code"]) == (409, "slot_not_open_yet")

    # on the opening day (clinic-local midnight) it is open to everyone, no longer a priority slot
    clock.set(clock.now() + timedelta(hours=14))  # Saturday 00:00 in Shanghai
    holder_token, other_token = relogin(api, "holder"), relogin(api, "other")
    assert marks(slots(api, holder_token)[1])[-1] == (EARLY, "14:00", True, True, False, None)
    assert marks(slots(api, other_token)[1])[-1] == (EARLY, "14:00", True, True, False, None)
    status, moved = api.post(f"/me/appointments/{moving}/reschedule", {"doctor_id": "dr-wang", "date": EARLY,
                                                                        "start": "14:00"}, token=other_token)
    assert status == 200, moved


def test_the_desk_books_any_slot_and_sees_when_it_opens(api, clinic, new_patient):
    _, patient_id = new_patient(name="desk-patient", phone="13700000013")
    status, found = slots(api, clinic["staff"], me=False)
    assert status == 200, found
    assert marks(found)[-1] == (EARLY, "14:00", True, True, False, OPENS_ON)
    status, booked = book(api, clinic["staff"], EARLY, path=f"/patients/{patient_id}/appointments")
    assert status == 201, booked
    assert booked["appointment"]["booked_by"].startswith("staff:")


def test_the_perk_follows_the_badges_and_its_current_threshold(api, clinic, new_patient):
    token, patient_id = new_patient(name="two-badges", phone="13700000014")
    earn_badges(api, clinic["staff"], patient_id, count=2)
    assert marks(slots(api, token)[1])[-1] == (EARLY, "14:00", True, False, False, OPENS_ON)
    assert book(api, token, EARLY)[1]["code"] == "slot_not_open_yet"
    # the admin lowers the bar to two badges: the same patient now books with priority
    status, put = api.put("/perks", {"perks": [{**DEFAULT_PERK, "badges_required": 2}]}, token=clinic["admin"])
    assert status == 200, put
    assert marks(slots(api, token)[1])[-1] == (EARLY, "14:00", True, True, True, OPENS_ON)
    assert book(api, token, EARLY)[0] == 201


def test_priority_days_widen_the_window_and_a_clinic_without_the_perk_has_none(api, clinic, new_patient):
    token, _ = new_patient(name="plain", phone="13700000015")
    status, put = api.put("/perks", {"perks": [{**DEFAULT_PERK, "priority_days": 30}]}, token=clinic["admin"])
    assert status == 200, put
    assert put["perks"][0]["priority_days"] == 30
    status, rules = api.get("/task-rules", token=clinic["staff"])
    assert rules["perks"][0]["priority_days"] == 30
    # 30 days: expert slots more than 60 days ahead are the holders' (01-22 is day 63, 01-15 day 56)
    status, found = slots(api, token, first="2027-01-15", last="2027-02-12")
    assert status == 200, found
    expert = [(s["date"], s["bookable"], s["opens_on"]) for s in found["items"] if s["expert"]]
    assert expert == [("2027-01-15", True, None), ("2027-01-22", False, "2026-11-23"),
                      ("2027-01-29", False, "2026-11-30"), (OPEN, False, "2026-12-07"), (EARLY, False, "2026-12-14")]
    assert all(s["bookable"] for s in found["items"] if not s["expert"])

    # another perk instead: no priority-booking perk, so every expert slot is open to all
    status, put = api.put("/perks", {"perks": [{"perk_id": "free-recheck", "name": "免费复查一次",
                                                "badges_required": 2}]}, token=clinic["admin"])
    assert status == 200 and put["perks"][0]["priority_days"] is None
    assert all(s["bookable"] and s["opens_on"] is None for s in slots(api, token)[1]["items"])
    assert book(api, token, EARLY)[0] == 201


@pytest.mark.parametrize("perk, code", [
    ({**DEFAULT_PERK, "priority_days": 0}, "invalid_input"),
    ({**DEFAULT_PERK, "priority_days": 31}, "invalid_input"),
    ({**DEFAULT_PERK, "priority_days": "seven"}, "invalid_input"),
    ({"perk_id": "free-recheck", "name": "免费复查一次", "badges_required": 2, "priority_days": 7}, "invalid_perk"),
])
def test_priority_days_are_validated(api, clinic, perk, code):
    status, err = api.put("/perks", {"perks": [perk]}, token=clinic["admin"])
    assert (status, err["code"]) == (400, code), err
    assert "priority_days" in (err.get("field") or "") or code == "invalid_perk"
    # nothing was saved
    assert api.get("/task-rules", token=clinic["staff"])[1]["perks"][0]["priority_days"] == 7


def test_only_admins_set_the_window_and_each_side_reads_its_own_slots(api, clinic, new_patient, staff_token):
    token, _ = new_patient(name="caller", phone="13700000016")
    body = {"perks": [{**DEFAULT_PERK, "priority_days": 14}]}
    assert api.put("/perks", body, token=clinic["staff"])[1]["code"] == "wrong_role"
    assert api.put("/perks", body, token=token)[0] == 403
    assert api.put("/perks", body)[0] == 401
    # another clinic's admin changes only their own clinic's window
    assert api.put("/perks", body, token=staff_token("other-clinic", "admin"))[0] == 200
    assert marks(slots(api, token)[1])[-1] == (EARLY, "14:00", True, False, False, OPENS_ON)
    # a patient cannot read the desk's list (which ignores the window), nor staff the patients' one
    assert slots(api, token, me=False)[0] == 403
    assert slots(api, clinic["staff"])[0] == 403
