"""S4 end to end: exam results -> task rules -> tasks tracked by check-ins and staff -> badges -> a perk."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import STAFF_PASSWORD, wx_code

SHANGHAI = timezone(timedelta(hours=8))


class Patient:
    def __init__(self, api, clinic_id, name, token, patient_id):
        self.api, self.clinic_id, self.name, self.token, self.patient_id = api, clinic_id, name, token, patient_id

    def relogin(self):
        status, login = self.api.post("/auth/wechat/login", {"clinic_id": self.clinic_id, "code": wx_code(self.name)})
        assert status == 200 and login["registered"], login
        self.token = login["access_token"]

    def checkin(self, kind, value, when):
        status, data = self.api.post("/me/checkins", {"type": kind, "value": value, "client_time": when.isoformat()},
                                     token=self.token)
        assert status == 201, data
        return data

    def get(self, path):
        return self.api.get(path, token=self.token)


@pytest.fixture
def patient(api, new_patient):
    def make(name="zhou", phone="13700000001", clinic_id="demo-dental"):
        token, pid = new_patient(clinic_id=clinic_id, name=name, phone=phone, conditions=["health_check"],
                                 department="health_check")
        return Patient(api, clinic_id, name, token, pid)

    return make


def task_by_key(tasks, key):
    return next(t for t in tasks if t["task_key"] == key)


def today(clock):
    return clock.now().astimezone(SHANGHAI).date()


def test_s4_exam_tasks_badges_and_the_priority_booking_perk(api, patient, staff_token, clock):
    staff = staff_token("demo-dental", "front_desk")
    zhou = patient()
    # the default rules: high BMI -> walking and the dietitian, high blood pressure -> TCM and walking
    status, rules = api.get("/task-rules", token=staff)
    assert status == 200
    bmi = next(r for r in rules["rules"] if r["flag"] == "high_bmi")
    walk = task_by_key(bmi["tasks"], "walk-8000")
    assert (walk["kind"], walk["checkin_type"], walk["min_value"], walk["target"]) == ("checkin", "steps", 8000, 14)
    assert rules["perks"] == [{"perk_id": "priority-booking", "name": "专家号优先预约",
                               "name_en": "Priority booking of expert slots", "badges_required": 3,
                               "priority_days": 7}]

    status, exam = api.post(f"/patients/{zhou.patient_id}/exams",
                            {"taken_on": "2026-11-18", "flags": ["high_bmi", "high_bp"], "exam_id": "HC-1001"},
                            token=staff)
    assert status == 201, exam
    # walking is assigned once although both flags name it
    assert sorted(t["task_key"] for t in exam["tasks"]) == ["dietitian-2", "tcm-3", "walk-8000"]
    assert all(t["status"] == "active" and t["progress"] == 0 for t in exam["tasks"])
    walk = task_by_key(exam["tasks"], "walk-8000")
    assert (walk["assigned_on"], walk["due_on"]) == ("2026-11-20", "2026-12-10")  # 21 clinic days from today
    # recording the same report again assigns nothing twice
    status, again = api.post(f"/patients/{zhou.patient_id}/exams",
                             {"taken_on": "2026-11-18", "flags": ["high_bmi", "high_bp"], "exam_id": "HC-1001"},
                             token=staff)
    assert status == 200 and sorted(t["task_id"] for t in again["tasks"]) == sorted(t["task_id"] for t in exam["tasks"])
    assert len(zhou.get("/me/tasks")[1]["tasks"]) == 3

    # steps: a low count does not count the day, a later upload over 8000 the same day does, once
    first = zhou.checkin("steps", 5200, clock.now() - timedelta(minutes=1))
    assert first["checkin"]["counted"] and "tasks" not in first
    clock.advance(minutes=30)
    second = zhou.checkin("steps", 8600, clock.now())
    assert not second["checkin"]["counted"] and second["points_awarded"] == 0
    assert second["tasks"] == [{"task_id": walk["task_id"], "name": walk["name"], "progress": 1, "target": 14,
                                "completed_now": False}]
    third = zhou.checkin("steps", 9100, clock.now())
    assert "tasks" not in third
    # thirteen more days, one of them missed (the task asks for 14 days inside 21, not in a row)
    for n in range(1, 15):
        clock.advance(days=1)
        zhou.relogin()
        if n == 5:
            continue
        answer = zhou.checkin("steps", 8000 + n, clock.now())
    assert answer["tasks"][0]["progress"] == 14 and answer["tasks"][0]["completed_now"]
    assert answer["badges"] == [{"badge_id": "steady-walker", "name": "健步达人", "name_en": "Steady walker",
                                 "task_id": walk["task_id"]}]
    clock.advance(minutes=1)
    extra = zhou.checkin("steps", 12000, clock.now())
    assert "tasks" not in extra and "badges" not in extra  # a completed task takes no more days

    # staff-confirmed tasks: one session a day, confirming a day twice changes nothing
    tcm = task_by_key(exam["tasks"], "tcm-3")
    path = f"/patients/{zhou.patient_id}/tasks/{tcm['task_id']}/confirm"
    for day in ("2026-11-21", "2026-11-28", "2026-11-28"):
        status, confirmed = api.post(path, {"session_on": day}, token=staff, headers={"Idempotency-Key": "k" + day})
        assert status == 200, confirmed
    assert confirmed["task"]["progress"] == 2 and not confirmed["task"]["badge_awarded"]
    assert zhou.get("/me/perks")[1]["perks"][0]["unlocked"] is False
    status, confirmed = api.post(path, {}, token=staff)
    assert confirmed["task"]["status"] == "completed" and confirmed["task"]["badge_awarded"]
    status, late = api.post(path, {"session_on": "2026-12-03"}, token=staff)
    assert status == 409 and late["code"] == "task_closed"
    status, wrong = api.post(f"/patients/{zhou.patient_id}/tasks/{walk['task_id']}/confirm", {}, token=staff)
    assert status == 409 and wrong["code"] == "task_not_confirmable"
    assert zhou.get("/me/perks")[1]["badges"] == 2

    diet = task_by_key(exam["tasks"], "dietitian-2")
    for day in ("2026-11-25", "2026-12-02"):
        api.post(f"/patients/{zhou.patient_id}/tasks/{diet['task_id']}/confirm", {"session_on": day}, token=staff)
    # three badges unlock priority booking; the booking side reads it through the API
    status, perks = api.get(f"/patients/{zhou.patient_id}/perks", token=staff)
    assert status == 200 and perks["badges"] == 3
    assert perks["perks"][0]["perk_id"] == "priority-booking" and perks["perks"][0]["unlocked"] is True
    status, mine = zhou.get("/me/tasks")
    assert [t["status"] for t in mine["tasks"]] == ["completed"] * 3
    assert sorted(b["badge_id"] for b in mine["badges"]) == ["diet-planner", "steady-walker", "tcm-regular"]
    assert mine["exams"][0]["flags"] == ["high_bmi", "high_bp"]

    # an admin raises the bar: the perk follows the clinic's current rule for everyone at once
    admin = staff_token("demo-dental", "admin")
    status, _ = api.put("/perks", {"perks": [{"perk_id": "priority-booking", "name": "专家号优先预约",
                                              "badges_required": 4}]}, token=admin)
    assert status == 200
    assert api.get(f"/patients/{zhou.patient_id}/perks", token=staff)[1]["perks"][0]["unlocked"] is False


def test_tasks_expire_after_their_window_and_late_days_do_not_count(api, patient, staff_token, clock):
    staff = staff_token("demo-dental", "front_desk")
    zhou = patient()
    status, exam = api.post(f"/patients/{zhou.patient_id}/exams", {"taken_on": "2026-11-20", "flags": ["high_bp"]},
                            token=staff)
    tcm = task_by_key(exam["tasks"], "tcm-3")
    path = f"/patients/{zhou.patient_id}/tasks/{tcm['task_id']}/confirm"
    status, before = api.post(path, {"session_on": "2026-11-19"}, token=staff)
    assert status == 400 and before["code"] == "session_outside_window"
    status, future = api.post(path, {"session_on": "2026-11-21"}, token=staff)
    assert status == 400 and future["code"] == "invalid_date"
    clock.advance(days=90)  # the 90-day window ended yesterday
    status, tasks = api.get(f"/patients/{zhou.patient_id}/tasks", token=staff)
    assert task_by_key(tasks["tasks"], "tcm-3")["status"] == "expired"
    status, closed = api.post(path, {}, token=staff)
    assert status == 409 and closed["code"] == "task_closed"
    zhou.relogin()
    data = zhou.checkin("steps", 9000, clock.now())
    assert "tasks" not in data  # the walking task's 21 days are long over


def test_exam_rules_reward_behaviour_never_clinical_values(api, patient, staff_token, clock):
    admin = staff_token("demo-dental", "admin")
    glucose_rule = {"task_key": "low-glucose", "name": "血糖低于7", "kind": "checkin", "checkin_type": "glucose",
                    "min_value": 7, "target": 7, "within_days": 14,
                    "badge": {"badge_id": "sugar", "name": "控糖"}}
    status, refused = api.put("/task-rules/high_glucose", {"tasks": [glucose_rule]}, token=admin)
    assert status == 400 and refused["code"] == "clinical_threshold"
    status, impossible = api.put("/task-rules/high_glucose", {"tasks": [
        {**glucose_rule, "min_value": None, "target": 10, "within_days": 5}]}, token=admin)
    assert status == 400 and impossible["code"] == "task_impossible"
    status, ok = api.put("/task-rules/high_glucose", {"tasks": [{**glucose_rule, "min_value": None}]}, token=admin)
    assert status == 200 and ok["tasks"][0]["min_value"] is None

    staff = staff_token("demo-dental", "front_desk")
    high, low = patient("gao", "13700000002"), patient("di", "13700000003")
    for p in (high, low):
        api.post(f"/patients/{p.patient_id}/exams", {"taken_on": "2026-11-20", "flags": ["high_glucose"]}, token=staff)
    # a glucose task counts uploads: a worrying reading earns the same progress as a good one
    a = high.checkin("glucose", 13.8, clock.now())
    b = low.checkin("glucose", 5.1, clock.now())
    assert a["tasks"][0]["progress"] == b["tasks"][0]["progress"] == 1
    assert a["points_awarded"] == b["points_awarded"]
    status, board = api.get("/leaderboard", token=staff)
    assert status == 200
    ranked = board["items"]
    # equal behaviour, equal score: the readings' values play no part in the board
    assert [e["score"] for e in ranked] == [a["points_awarded"], b["points_awarded"]]
    assert all(set(e) == {"rank", "name_masked", "score"} for e in ranked)


def test_exam_csv_import_reports_bad_rows_and_assigns_each_task_once(api, patient, staff_token, clock):
    staff = staff_token("demo-dental", "front_desk")
    zhou, qian = patient(), patient("qian", "13700000009")
    text = ("patient_id,phone,taken_on,flags,exam_id\n"
            f"{zhou.patient_id},,2026-11-19,high_bmi;high_lipids,R-1\n"
            f",137 0000 0009,2026-11-19,high_uric_acid,R-2\n"
            f",,2026-11-19,high_bmi,R-3\n"
            f"{zhou.patient_id},,19/11/2026,high_bmi,R-4\n"
            f"{zhou.patient_id},,2026-11-19,very_tired,R-5\n"
            f"nobody,,2026-11-19,high_bmi,R-6\n"
            f"{qian.patient_id},,2026-06-01,high_bmi,R-7\n"
            f"{qian.patient_id},,2026-11-25,high_bmi,R-8\n")
    status, result = api.post("/exams/import", raw=text.encode(), token=staff, content_type="text/csv")
    assert status == 200, result
    assert (result["exams"], result["duplicates"]) == (3, 0)
    # walking + dietitian (high_lipids names both again); R-2: the dietitian; R-7: too old for tasks
    assert result["tasks_assigned"] == 3
    assert [(e["line"], e["code"]) for e in result["errors"]] == [
        (4, "missing_patient"), (5, "invalid_date"), (6, "unknown_flag"), (7, "patient_not_found"),
        (9, "invalid_date")]
    assert sorted(t["task_key"] for t in zhou.get("/me/tasks")[1]["tasks"]) == ["dietitian-2", "walk-8000"]
    qian_view = api.get(f"/patients/{qian.patient_id}/tasks", token=staff)[1]
    assert [t["task_key"] for t in qian_view["tasks"]] == ["dietitian-2"]
    assert sorted(e["exam_id"] for e in qian_view["exams"]) == ["R-2", "R-7"]
    status, again = api.post("/exams/import", raw=text.encode(), token=staff, content_type="text/csv")
    assert (again["exams"], again["duplicates"], again["tasks_assigned"]) == (0, 3, 0)
    # a new exam while walking is still running does not start a second walking task
    status, later = api.post(f"/patients/{zhou.patient_id}/exams", {"taken_on": "2026-11-20", "flags": ["high_bmi"]},
                             token=staff)
    assert status == 201 and later["tasks"] == []
    status, err = api.post("/exams/import", raw=b"patient_id,flags\nx,high_bmi\n", token=staff,
                           content_type="text/csv")
    assert status == 400 and err["code"] == "invalid_csv"


def test_clinic_midnight_in_urumqi_decides_the_task_days(aws, api, new_patient, staff_token, clock):
    from chalicelib.services.clinics import create_clinic

    from devstack import bootstrap

    create_clinic("kashgar-health", "喀什健康体检中心", tz="Asia/Urumqi", conditions=("health_check",))
    bootstrap.create_staff_user(aws.pool_id, "front_desk@kashgar-health", STAFF_PASSWORD, "kashgar-health",
                                "front_desk")
    staff = staff_token("kashgar-health", "front_desk")
    token, pid = new_patient(clinic_id="kashgar-health", name="ayi", phone="13999990000",
                             conditions=["health_check"], department="health_check")
    ayi = Patient(api, "kashgar-health", "ayi", token, pid)
    urumqi = timezone(timedelta(hours=6))
    clock.set(datetime(2026, 11, 20, 23, 51, tzinfo=urumqi))
    ayi.relogin()
    status, exam = api.post(f"/patients/{pid}/exams", {"taken_on": "2026-11-20", "flags": ["high_bmi"]}, token=staff)
    assert task_by_key(exam["tasks"], "walk-8000")["assigned_on"] == "2026-11-20"
    # 23:50 and 00:10 Urumqi time: one Shanghai day, two clinic days, two task days
    first = ayi.checkin("steps", 8100, datetime(2026, 11, 20, 23, 50, tzinfo=urumqi))
    clock.set(datetime(2026, 11, 21, 0, 11, tzinfo=urumqi))
    second = ayi.checkin("steps", 8200, datetime(2026, 11, 21, 0, 10, tzinfo=urumqi))
    assert (first["checkin"]["local_date"], second["checkin"]["local_date"]) == ("2026-11-20", "2026-11-21")
    assert second["tasks"][0]["progress"] == 2
    assert datetime(2026, 11, 20, 23, 50, tzinfo=urumqi).astimezone(SHANGHAI).date() == \
        datetime(2026, 11, 21, 0, 10, tzinfo=urumqi).astimezone(SHANGHAI).date()
    # a walk at 23:55 uploaded after midnight counts for the day it was taken, once
    clock.set(datetime(2026, 11, 22, 0, 5, tzinfo=urumqi))
    ayi.relogin()
    late = ayi.checkin("steps", 9000, datetime(2026, 11, 21, 23, 55, tzinfo=urumqi))
    assert late["checkin"]["local_date"] == "2026-11-21" and "tasks" not in late


def test_two_evaluations_of_the_same_task_state_cannot_both_count(api, patient, staff_token, clock):
    from chalicelib.services import progress, tasks
    from chalicelib.store import clinics, patients, points
    from chalicelib.store import plan as plans

    staff = staff_token("demo-dental", "front_desk")
    zhou = patient()
    api.post(f"/patients/{zhou.patient_id}/exams", {"taken_on": "2026-11-20", "flags": ["high_bmi"]}, token=staff)
    profile = patients.get("demo-dental", zhou.patient_id)
    state = progress.read_progress("demo-dental", zhou.patient_id)
    day = today(clock).isoformat()

    def evaluate():
        checkin = points.CheckIn(checkin_id="x", type="steps", value=9000.0, local_date=day, client_time="",
                                  received_at="", counted=True)
        return tasks.on_checkin(progress.CheckInContext(clinics.get("demo-dental"), profile, checkin, clock.now(),
                                                        state))

    first, second = evaluate(), evaluate()
    assert [e.label.split(":")[0] for e in first] == ["task"]
    plans.execute(plans.Plan().add(e.step for e in first))
    with pytest.raises(plans.Cancelled) as refused:
        plans.execute(plans.Plan().add(e.step for e in second))
    assert refused.value.conditional(first[0].label)
    assert task_by_key(zhou.get("/me/tasks")[1]["tasks"], "walk-8000")["progress"] == 1


def test_staff_see_only_their_clinics_patients_and_admins_alone_set_rules(api, patient, new_patient, staff_token):
    zhou = patient()
    other_staff = staff_token("other-clinic", "admin")
    for path in (f"/patients/{zhou.patient_id}/tasks", f"/patients/{zhou.patient_id}/perks"):
        status, err = api.get(path, token=other_staff)
        assert status == 404 and err["code"] == "patient_not_found"
    status, err = api.post(f"/patients/{zhou.patient_id}/exams", {"taken_on": "2026-11-20", "flags": ["high_bmi"]},
                           token=other_staff)
    assert status == 404
    assert zhou.get("/me/tasks")[1]["tasks"] == []
    staff = staff_token("demo-dental", "front_desk")
    status, err = api.put("/task-rules/high_bmi", {"tasks": []}, token=staff)
    assert status == 403
    status, err = api.put("/task-rules/tired", {"tasks": []}, token=staff_token("demo-dental", "admin"))
    assert status == 404 and err["code"] == "unknown_flag"
    status, err = api.post(f"/patients/{zhou.patient_id}/exams", {"taken_on": "2026-11-21", "flags": []},
                           token=staff)
    assert status == 400 and err["code"] == "invalid_date"
    status, err = api.post(f"/patients/{zhou.patient_id}/exams", {"taken_on": "2026-11-20", "flags": ["tired"]},
                           token=staff)
    assert status == 400 and err["code"] == "unknown_flag"  # not in the clinic's catalogue
    # a patient reads their own tasks only: another patient's task id is not found through the staff route either
    token2, pid2 = new_patient(name="bai", phone="13700000005")
    status, err = api.get(f"/patients/{pid2}/tasks", token=zhou.token)
    assert status == 403


def test_the_annual_recheck_rate_counts_patients_back_for_their_yearly_exam(api, patient, staff_token, clock):
    from tests.test_helpers import refresh_kpis

    staff = staff_token("demo-dental", "front_desk")
    back, away = patient("hui", "13700000011"), patient("qu", "13700000012")
    for pid, day in ((back.patient_id, "2025-09-15"), (back.patient_id, "2026-09-20"), (away.patient_id, "2025-10-01")):
        status, result = api.post(f"/patients/{pid}/exams", {"taken_on": day, "flags": []}, token=staff)
        assert status == 201 and result["tasks"] == []
    refresh_kpis()
    kpis = api.get("/dashboard", token=staff)[1]["kpis"]
    # both re-checks fell due in the last three months and their grace still runs: pending, not 50%
    assert kpis["annual_recheck_rate"] is None
    assert kpis["basis"]["annual_recheck_rate"] == {"hits": 0, "decided": 0, "pending": 2}
    clock.advance(days=41)  # 2026-12-31: the grace of 2026-10-01 ended yesterday
    refresh_kpis()
    kpis = api.get("/dashboard", token=staff)[1]["kpis"]
    assert kpis["annual_recheck_rate"] == 0.5
    assert kpis["basis"]["annual_recheck_rate"] == {"hits": 1, "decided": 2, "pending": 0}
