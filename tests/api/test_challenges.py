"""S2 "365-day glucose guard" end to end: streak challenges, vouchers, the desk."""

import threading
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import wx_code

GUARD = "glucose-guard-365"


class Patient:
    """A patient of the mini-program: logs in again after the clock moves (tokens last two hours)."""

    def __init__(self, api, clinic_id, name, token):
        self.api, self.clinic_id, self.name, self.token = api, clinic_id, name, token

    def relogin(self):
        status, login = self.api.post("/auth/wechat/login", {"clinic_id": self.clinic_id, "code": wx_code(self.name)})
        assert status == 200 and login["registered"], login
        self.token = login["access_token"]

    def glucose(self, when: datetime, value=6.4):
        return self.api.post("/me/checkins", {"type": "glucose", "value": value, "client_time": when.isoformat()},
                             token=self.token)

    def get(self, path):
        return self.api.get(path, token=self.token)

    def post(self, path, body=None):
        return self.api.post(path, body, token=self.token)

    def challenge(self, challenge_id=GUARD):
        items = self.get("/me/challenges")[1]["items"]
        return next((c for c in items if c["challenge_id"] == challenge_id), None)


@pytest.fixture
def patient(api, new_patient):
    def make(name="tang", phone="13900000001", conditions=("diabetes",), clinic_id="demo-dental"):
        token, _ = new_patient(clinic_id=clinic_id, name=name, phone=phone, conditions=list(conditions),
                               department="endocrinology")
        return Patient(api, clinic_id, name, token)

    return make


def daily(clock, patient, days, hour_offset=0):
    """Check in glucose once a clinic day for `days` days from the clock's day; returns the answers."""
    answers = []
    for i in range(days):
        if i:
            clock.advance(days=1)
            patient.relogin()
        status, data = patient.glucose(clock.now() - timedelta(minutes=5 + hour_offset))
        assert status == 201, data
        answers.append(data)
    return answers


def next_day(clock, patient, days=1):
    clock.advance(days=days)
    patient.relogin()


def vouchers_of(reply):
    return reply.get("vouchers", [])


# --- the S2 flow ------------------------------------------------------------------------------

def test_s2_seven_days_of_glucose_earn_one_voucher_which_the_desk_redeems_once(api, patient, staff_token, clock):
    staff = staff_token("demo-dental", "front_desk")
    status, listed = api.get("/challenges", token=staff)
    guard = next(c for c in listed["items"] if c["challenge_id"] == GUARD)
    assert guard["name"] == "365天血糖守护" and guard["checkin_type"] == "glucose" and guard["days"] == 7
    assert guard["reward"] == {"type": "voucher", "voucher_kind": "glucose-test", "voucher_name": "免费血糖检测券",
                               "voucher_name_en": "Free glucose test voucher", "valid_days": 30}
    assert guard["conditions"] == ["diabetes"] and guard["open"] and guard["participants"] == 0
    assert (guard["start_date"], guard["end_date"]) == ("2026-11-20", "2027-11-19")

    tang = patient()
    offer = tang.challenge()
    assert offer["joined"] is False and offer["progress"] is None and "conditions" not in offer
    status, joined = tang.post(f"/me/challenges/{GUARD}/join")
    assert status == 201 and joined["challenge"]["joined"] and joined["challenge"]["progress"]["current_streak"] == 0
    status, again = tang.post(f"/me/challenges/{GUARD}/join")
    assert status == 200 and again == joined
    assert next(c for c in api.get("/challenges", token=staff)[1]["items"]
                if c["challenge_id"] == GUARD)["participants"] == 1

    answers = daily(clock, tang, 7)
    assert [a["challenges"][0]["current_streak"] for a in answers] == [1, 2, 3, 4, 5, 6, 0]
    assert all(not vouchers_of(a) for a in answers[:6])
    (voucher,) = vouchers_of(answers[6])
    assert voucher["name"] == "免费血糖检测券" and voucher["valid_until"] == "2026-12-25"  # 30 days from 11-26
    assert len(voucher["code"]) == 9 and voucher["code"][4] == "-"
    assert answers[6]["challenges"][0]["completed_now"] == 1

    # a second reading the same day is not counted and earns nothing more
    status, twice = tang.glucose(clock.now() - timedelta(minutes=1), value=7.1)
    assert status == 201 and not twice["checkin"]["counted"] and "vouchers" not in twice
    # the 8th day starts a new streak: no second voucher
    next_day(clock, tang)
    status, eighth = tang.glucose(clock.now() - timedelta(minutes=5))
    assert not vouchers_of(eighth) and eighth["challenges"][0]["current_streak"] == 1
    progress = tang.challenge()["progress"]
    assert progress["streaks_completed"] == 1 and progress["current_streak"] == 1 and progress["best_streak"] == 7
    assert [r["streak_start"] for r in progress["rewards"]] == ["2026-11-20"]
    status, mine = tang.get("/me/vouchers")
    assert [(v["code"], v["status"]) for v in mine["items"]] == [(voucher["code"], "issued")]

    # the desk finds it by code, typed any way
    typed = voucher["code"].replace("-", "").lower()
    status, found = api.get(f"/vouchers/{typed}", token=staff)
    assert status == 200 and found["voucher"]["status"] == "issued"
    assert found["voucher"]["patient_name_masked"] == "张**" and found["voucher"]["name"] == "免费血糖检测券"
    spaced = voucher["code"].replace("-", "%20")  # typed with a space, percent-encoded by the client
    assert api.get(f"/vouchers/{spaced}", token=staff)[1]["voucher"]["code"] == voucher["code"]
    # another clinic's staff cannot see or redeem it; a patient cannot redeem at all
    other = staff_token("other-clinic", "admin")
    assert api.get(f"/vouchers/{voucher['code']}", token=other)[0] == 404
    status, err = api.post(f"/vouchers/{voucher['code']}/redeem", token=other)
    assert status == 404 and err["code"] == "voucher_not_found"
    status, err = tang.post(f"/vouchers/{voucher['code']}/redeem")
    assert status == 403 and err["code"] == "wrong_role"

    status, redeemed = api.post(f"/vouchers/{voucher['code']}/redeem", token=staff)
    assert status == 200 and redeemed["voucher"]["status"] == "redeemed"
    assert redeemed["voucher"]["redeemed_by"] == "front_desk@demo-dental"
    status, err = api.post(f"/vouchers/{voucher['code']}/redeem", token=staff_token("demo-dental", "admin"))
    assert status == 409 and err["code"] == "voucher_redeemed"
    assert tang.get("/me/vouchers")[1]["items"][0]["status"] == "redeemed"
    status, err = api.get("/vouchers/ABCD-0OIL", token=staff)
    assert status == 400 and err["code"] == "invalid_voucher_code"
    assert api.get("/vouchers/ABCD-EFGH", token=staff)[0] == 404


def test_continuous_streaks_each_earn_one_voucher(api, patient, clock):
    tang = patient()
    tang.post(f"/me/challenges/{GUARD}/join")
    answers = daily(clock, tang, 15)
    issued = [i + 1 for i, a in enumerate(answers) if vouchers_of(a)]
    assert issued == [7, 14]
    status, mine = tang.get("/me/vouchers")
    assert len({v["code"] for v in mine["items"]}) == 2
    assert tang.challenge()["progress"]["current_streak"] == 1


def test_only_patients_with_the_condition_see_and_join_the_guard(api, patient):
    eczema = patient(name="shi", phone="13900000002", conditions=("eczema",))
    assert eczema.challenge() is None
    status, err = eczema.post(f"/me/challenges/{GUARD}/join")
    assert status == 403 and err["code"] == "not_eligible"
    status, err = eczema.post("/me/challenges/no-such/join")
    assert status == 404 and err["code"] == "challenge_not_found"


def test_a_gap_breaks_the_streak_and_it_restarts(api, patient, clock):
    tang = patient()
    tang.post(f"/me/challenges/{GUARD}/join")
    daily(clock, tang, 5)
    next_day(clock, tang, days=2)  # a day missed
    answers = daily(clock, tang, 6)
    assert all(not vouchers_of(a) for a in answers)
    assert answers[-1]["challenges"][0]["current_streak"] == 6
    progress = tang.challenge()["progress"]
    assert progress["best_streak"] == 6 and progress["streaks_completed"] == 0
    next_day(clock, tang)
    status, seventh = tang.glucose(clock.now() - timedelta(minutes=5))
    assert len(vouchers_of(seventh)) == 1


def _create(api, admin, **overrides):
    body = {"challenge_id": "sick-days-ok", "name": "带病也能坚持", "name_en": "Sick days allowed",
            "checkin_type": "glucose", "days": 4, "grace": 1, "reward": {"type": "points", "points": 20},
            "start_date": "2026-11-01", "end_date": "2026-12-31", "conditions": []}
    body.update(overrides)
    return api.post("/challenges", body, token=admin)


def test_grace_bridges_one_missed_day_and_points_go_through_the_ledger(api, patient, staff_token, clock):
    admin = staff_token()
    status, created = _create(api, admin)
    assert status == 201 and created["challenge"]["grace"] == 1 and created["challenge"]["conditions"] == []
    status, strict = _create(api, admin, challenge_id="strict-four", grace=0,
                             reward={"type": "voucher", "voucher_kind": "consult", "voucher_name": "免费咨询券",
                                     "valid_days": 14})
    assert status == 201
    eczema = patient(name="shi", phone="13900000002", conditions=("eczema",))  # everyone may join these
    for challenge_id in ("sick-days-ok", "strict-four"):
        assert eczema.post(f"/me/challenges/{challenge_id}/join")[0] == 201
    daily(clock, eczema, 2)
    next_day(clock, eczema, days=2)  # one missed day
    status, fourth = eczema.glucose(clock.now())
    by_id = {c["challenge_id"]: c for c in fourth["challenges"]}
    assert by_id["sick-days-ok"]["current_streak"] == 3 and by_id["strict-four"]["current_streak"] == 1
    next_day(clock, eczema)
    status, fifth = eczema.glucose(clock.now())
    by_id = {c["challenge_id"]: c for c in fifth["challenges"]}
    assert by_id["sick-days-ok"]["completed_now"] == 1 and fifth["points_awarded"] == 1 + 20
    assert fifth["rewards"] == [{"challenge_id": "sick-days-ok", "points": 20}]
    status, points = eczema.get("/me/points")
    assert "challenge:sick-days-ok:2026-11-20" in {e["entry_id"] for e in points["entries"]}
    assert points["balance"] == 4 + 20
    # the strict one has no grace: it restarted and completes on its own four days
    daily(clock, eczema, 3)[-1]
    assert len(eczema.get("/me/vouchers")[1]["items"]) == 1
    assert eczema.challenge("strict-four")["progress"]["streaks_completed"] == 1


def test_a_late_upload_bridges_the_gap_and_is_never_counted_twice(api, patient, clock):
    tang = patient()
    tang.post(f"/me/challenges/{GUARD}/join")
    daily(clock, tang, 3)  # 11-20 .. 11-22
    next_day(clock, tang, days=2)  # 11-24: the phone was offline on the 23rd
    status, today = tang.glucose(clock.now())
    assert today["challenges"][0]["current_streak"] == 1
    # the reading taken on the 23rd reaches the server now: it fills the gap
    status, late = tang.glucose(clock.now() - timedelta(days=1))
    assert late["checkin"]["local_date"] == "2026-11-23" and late["checkin"]["counted"]
    assert late["challenges"][0]["current_streak"] == 5
    status, again = tang.glucose(clock.now() - timedelta(days=1, minutes=3))
    assert not again["checkin"]["counted"] and "challenges" not in again
    answers = daily(clock, tang, 3)[1:]  # the 25th and 26th
    assert [len(vouchers_of(a)) for a in answers] == [0, 1]
    # a late reading inside the rewarded streak changes nothing
    status, inside = tang.glucose(clock.now() - timedelta(days=2, minutes=1))
    assert not inside["checkin"]["counted"] and not vouchers_of(inside)
    assert len(tang.get("/me/vouchers")[1]["items"]) == 1


def test_clinic_midnight_in_new_york_decides_the_streak_days(api, new_patient, clock):
    from chalicelib.services.clinics import create_clinic

    create_clinic("ny-clinic", "Hudson Diabetes Care", tz="America/New_York", conditions=("diabetes",))
    token, _ = new_patient(clinic_id="ny-clinic", name="nyc", phone="12125550100", conditions=["diabetes"])
    ny = Patient(api, "ny-clinic", "nyc", token)
    assert ny.challenge()["start_date"] == "2026-11-19"  # T0 is 21:00 on the 19th in New York
    assert ny.post(f"/me/challenges/{GUARD}/join")[0] == 201
    edt = timezone(timedelta(hours=-5))  # EST in November
    # 23:50 and 00:10 local: the same UTC day, two clinic days, and two days of the streak
    clock.set(datetime(2026, 11, 19, 23, 51, tzinfo=edt))
    ny.relogin()
    status, first = ny.glucose(datetime(2026, 11, 19, 23, 50, tzinfo=edt))
    clock.set(datetime(2026, 11, 20, 0, 11, tzinfo=edt))
    status, second = ny.glucose(datetime(2026, 11, 20, 0, 10, tzinfo=edt))
    assert (first["checkin"]["local_date"], second["checkin"]["local_date"]) == ("2026-11-19", "2026-11-20")
    assert second["challenges"][0]["current_streak"] == 2
    # in Shanghai those two readings fall on the same clinic day: the streak really follows the clinic's zone
    assert datetime(2026, 11, 19, 23, 50, tzinfo=edt).astimezone(timezone(timedelta(hours=8))).date() == \
        datetime(2026, 11, 20, 0, 10, tzinfo=edt).astimezone(timezone(timedelta(hours=8))).date()
    # a reading at 23:55 uploaded at 00:05 counts for the day it was taken
    for day in range(21, 26):
        clock.set(datetime(2026, 11, day, 0, 5, tzinfo=edt))
        ny.relogin()
        status, data = ny.glucose(datetime(2026, 11, day - 1, 23, 55, tzinfo=edt))
        assert data["checkin"]["local_date"] == f"2026-11-{day - 1}"
    assert data["challenges"][0]["current_streak"] == 6
    clock.set(datetime(2026, 11, 25, 23, 59, tzinfo=edt))
    ny.relogin()
    status, seventh = ny.glucose(datetime(2026, 11, 25, 23, 58, tzinfo=edt))
    (voucher,) = vouchers_of(seventh)
    assert voucher["valid_until"] == "2026-12-24"  # 30 New York days from the 25th
    (mine,) = ny.get("/me/vouchers")[1]["items"]
    assert mine["expires_at"] == "2026-12-25T05:00:00Z"  # New York midnight


def test_an_expired_voucher_is_refused_at_the_desk(api, patient, staff_token, clock):
    tang = patient()
    tang.post(f"/me/challenges/{GUARD}/join")
    (voucher,) = vouchers_of(daily(clock, tang, 7)[-1])
    staff = staff_token("demo-dental", "front_desk")
    clock.advance(days=30)  # valid through 12-25; now 12-26 in Shanghai
    tang.relogin()
    assert tang.get("/me/vouchers")[1]["items"][0]["status"] == "expired"
    assert api.get(f"/vouchers/{voucher['code']}", token=staff)[1]["voucher"]["status"] == "expired"
    status, err = api.post(f"/vouchers/{voucher['code']}/redeem", token=staff)
    assert status == 409 and err["code"] == "voucher_expired"
    assert tang.get("/me/vouchers")[1]["items"][0]["status"] == "expired"


def test_two_desks_redeeming_the_same_voucher_at_once_exactly_one_succeeds(api, patient, staff_token, clock,
                                                                         one_request_at_a_time):
    from chalicelib.auth import Principal
    from chalicelib.errors import Conflict
    from chalicelib.services import challenges

    tang = patient()
    tang.post(f"/me/challenges/{GUARD}/join")
    (voucher,) = vouchers_of(daily(clock, tang, 7)[-1])
    # both desks looked the voucher up and saw it issued
    staff = staff_token("demo-dental", "front_desk")
    for _ in range(2):
        assert api.get(f"/vouchers/{voucher['code']}", token=staff)[1]["voucher"]["status"] == "issued"
    desks = [Principal("front_desk", "demo-dental", f"desk-{i}", username=f"desk-{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    results = []

    def redeem(desk):
        barrier.wait()
        try:
            results.append(("ok", challenges.redeem_voucher(desk, voucher["code"])["redeemed_by"]))
        except Conflict as exc:
            results.append(("conflict", exc.code))

    threads = [threading.Thread(target=redeem, args=(desk,)) for desk in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r[0] for r in results) == ["conflict", "ok"]
    assert [r[1] for r in results if r[0] == "conflict"] == ["voucher_redeemed"]
    winner = next(r[1] for r in results if r[0] == "ok")
    assert api.get(f"/vouchers/{voucher['code']}", token=staff)[1]["voucher"]["redeemed_by"] == winner


def test_a_retried_redemption_with_its_key_answers_the_first_time_again(api, patient, staff_token, clock):
    tang = patient()
    tang.post(f"/me/challenges/{GUARD}/join")
    (voucher,) = vouchers_of(daily(clock, tang, 7)[-1])
    staff = staff_token("demo-dental", "front_desk")
    path = f"/vouchers/{voucher['code']}/redeem"
    first = api.post(path, token=staff, headers={"Idempotency-Key": "desk-1"})
    again = api.post(path, token=staff, headers={"Idempotency-Key": "desk-1"})
    assert first[0] == again[0] == 200 and first[1] == again[1]
    assert api.post(path, token=staff, headers={"Idempotency-Key": "desk-2"})[0] == 409


def test_two_evaluations_of_the_same_state_cannot_both_reward(api, patient, clock):
    """Two check-ins evaluated against the same read of the enrolment: the second write is refused."""
    from chalicelib.services import challenges, progress
    from chalicelib.store import clinics, patients, points
    from chalicelib.store import plan as plans

    tang = patient()
    tang.post(f"/me/challenges/{GUARD}/join")
    daily(clock, tang, 6)
    next_day(clock, tang)
    pid = tang.get("/me")[1]["patient"]["patient_id"]
    profile = patients.get("demo-dental", pid)
    state = progress.read_progress("demo-dental", pid)
    day = clock.now().astimezone(timezone(timedelta(hours=8))).date().isoformat()

    def evaluate():
        checkin = points.CheckIn(checkin_id="x", type="glucose", value=6.0, local_date=day, client_time="",
                                  received_at="", counted=True)
        context = progress.CheckInContext(clinics.get("demo-dental"), profile, checkin, clock.now(), state)
        return challenges.on_checkin(context)

    first, second = evaluate(), evaluate()
    assert len(first) == 3 and {e.label.split(":")[0] for e in first} == {"progress", "voucher", "vcode"}
    plans.execute(plans.Plan().add(e.step for e in first))
    with pytest.raises(plans.Cancelled) as refused:
        plans.execute(plans.Plan().add(e.step for e in second))
    assert refused.value.conditional(f"progress:{GUARD}")
    assert len(tang.get("/me/vouchers")[1]["items"]) == 1


def test_staff_define_and_edit_challenges_enrolled_patients_keep_their_terms(api, patient, staff_token, clock):
    admin = staff_token()
    status, err = _create(api, admin, conditions=["gout"])
    assert status == 400 and err["code"] == "unknown_condition"
    status, err = _create(api, admin, start_date="2026-12-31", end_date="2026-12-01")
    assert status == 400
    status, err = _create(api, admin, grace=2)
    assert status == 400 and err["field"] == "grace"
    status, err = _create(api, admin, reward={"type": "voucher", "voucher_kind": "x"})
    assert status == 400
    status, err = _create(api, admin, reward={"type": "points", "points": 5, "balance": 1000})
    assert status == 400 and err["code"] == "unknown_field"
    assert _create(api, admin)[0] == 201
    status, err = _create(api, admin)
    assert status == 409 and err["code"] == "challenge_exists"

    early = patient(name="early", phone="13900000003", conditions=("eczema",))
    assert early.post("/me/challenges/sick-days-ok/join")[0] == 201
    edited = {"name": "带病也能坚持", "checkin_type": "glucose", "days": 10, "grace": 0,
              "reward": {"type": "points", "points": 50}, "start_date": "2026-11-01", "end_date": "2026-12-31"}
    status, changed = api.put("/challenges/sick-days-ok", edited, token=admin)
    assert status == 200 and changed["challenge"]["days"] == 10 and changed["challenge"]["participants"] == 1
    assert api.put("/challenges/nope", edited, token=admin)[0] == 404
    late = patient(name="late", phone="13900000004", conditions=("eczema",))
    assert late.challenge("sick-days-ok")["days"] == 10
    late.post("/me/challenges/sick-days-ok/join")
    assert late.challenge("sick-days-ok")["days"] == 10
    assert early.challenge("sick-days-ok")["days"] == 4  # the terms joined under
    assert early.challenge("sick-days-ok")["reward"] == {"type": "points", "points": 20}

    # a challenge that ended can no longer be joined and is not offered
    api.put("/challenges/sick-days-ok", {**edited, "end_date": "2026-11-19"}, token=admin)
    newcomer = patient(name="newcomer", phone="13900000005", conditions=("eczema",))
    assert newcomer.challenge("sick-days-ok") is None
    status, err = newcomer.post("/me/challenges/sick-days-ok/join")
    assert status == 409 and err["code"] == "challenge_closed"
    status, listed = api.get("/challenges", token=staff_token("demo-dental", "front_desk"))
    row = next(c for c in listed["items"] if c["challenge_id"] == "sick-days-ok")
    assert row["open"] is False and row["participants"] == 2


def test_days_before_joining_or_outside_the_dates_do_not_count(api, patient, staff_token, clock):
    admin = staff_token()
    _create(api, admin, challenge_id="december", start_date="2026-11-22", end_date="2026-11-23", days=2, grace=0)
    tang = patient()
    tang.glucose(clock.now())  # before joining
    tang.post("/me/challenges/december/join")
    status, data = tang.glucose(clock.now() + timedelta(minutes=1))
    assert "challenges" not in data  # same day, not counted anyway
    next_day(clock, tang)
    status, data = tang.glucose(clock.now())  # 11-21: before the start
    assert "challenges" not in data
    answers = daily(clock, tang, 3)[1:]  # 11-22, 11-23 count; 11-24 is after the end
    next_day(clock, tang)
    status, after = tang.glucose(clock.now())
    assert "challenges" not in after
    assert tang.challenge("december")["progress"]["streaks_completed"] == 1
    assert answers[-1]["challenges"][0]["completed_now"] == 1


def test_erasing_the_patient_removes_the_voucher_code(api, patient, staff_token, clock):
    tang = patient()
    tang.post(f"/me/challenges/{GUARD}/join")
    (voucher,) = vouchers_of(daily(clock, tang, 7)[-1])
    staff = staff_token("demo-dental", "front_desk")
    assert api.get(f"/vouchers/{voucher['code']}", token=staff)[0] == 200
    status, export = tang.get("/me/export")
    assert {"voucher", "prog"} <= set(export["records"])
    assert tang.api.delete("/me", token=tang.token)[0] == 200
    assert api.get(f"/vouchers/{voucher['code']}", token=staff)[0] == 404
    from chalicelib.domain.vouchers import normalise
    from chalicelib.store import challenges

    assert challenges.find_code("demo-dental", normalise(voucher["code"])) is None
