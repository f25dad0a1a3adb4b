"""The KPI refresh in depth: revisit rate per department and cohort, silent share, reminder
conversion and the weekly and daily series the dashboard charts."""

from datetime import timedelta

from chalicelib.jobs import send_reminders
from chalicelib.jobs.sweep import queue_url
from devstack.sqs_pump import drain
from tests.conftest import patient_record
from tests.test_helpers import refresh_kpis, sweep_lapses


def visit(api, staff, pid, day, department="dermatology", due=None):
    body = {"visit_date": day, "department": department, **({"next_due_date": due} if due else {})}
    status, data = api.post(f"/patients/{pid}/visits", body, token=staff)
    assert status == 201, data


def test_revisit_rates_by_department_and_cohort_and_the_silent_share(api, new_patient, staff_token, clock):
    staff = staff_token()
    _, derm = new_patient(name="d1", phone="13000000011", department="dermatology")
    _, dent = new_patient(name="d2", phone="13000000012", department="dentistry", conditions=["dental"])
    _, quiet = new_patient(name="d3", phone="13000000013", department="dentistry", conditions=["dental"])
    visit(api, staff, derm, "2026-09-01", due="2026-10-01")
    visit(api, staff, derm, "2026-10-02")  # answered on time; its 30 days closed on 2026-10-31
    visit(api, staff, dent, "2026-08-01", "dentistry", due="2026-11-01")  # 19 days ago: still open
    refresh_kpis()
    data = api.get("/dashboard", token=staff)[1]
    by_department = {row["group"]: row for row in data["charts"]["revisit_by_department"]}
    assert by_department["dermatology"]["rate"] == 1.0
    # the open request is pending, not a 0% department
    assert by_department["dentistry"] == {"group": "dentistry", "decided": 0, "hits": 0, "rate": None, "pending": 1,
                                          "pending_hits": 0}
    by_condition = {row["group"]: row["rate"] for row in data["charts"]["revisit_by_condition"]}
    assert by_condition == {"eczema": 1.0, "dental": None}
    assert data["kpis"]["postpartum_checkup_rate"] is None  # no postpartum patient here
    cohorts = data["charts"]["revisit_by_cohort"]
    assert [(c["group"], c["decided"], c["hits"], c["pending"]) for c in cohorts] == [("2026-11", 1, 1, 1)]
    assert data["kpis"]["revisit_rate_30"] == 1.0
    assert data["kpis"]["basis"]["revisit_rate_30"] == {"hits": 1, "decided": 1, "pending": 1}
    weekly = data["charts"]["weekly_revisit"]
    assert len(weekly) == 26 and sum(w["count"] for w in weekly) == 2 and sum(w["hits"] for w in weekly) == 1
    open_week = next(w for w in weekly if w["week"] == "2026-10-26")  # the week of 2026-11-01
    assert open_week["rate"] is None and open_week["pending"] == 1

    # once its 30 days are over without a visit, the request counts as missed
    clock.advance(days=11)  # 2026-12-01, day 30 after the request: still open
    refresh_kpis()
    assert api.get("/dashboard", token=staff)[1]["kpis"]["basis"]["revisit_rate_90"]["pending"] == 1
    clock.advance(days=1)
    refresh_kpis()
    kpis = api.get("/dashboard", token=staff)[1]["kpis"]
    assert kpis["revisit_rate_90"] == 0.5 and kpis["basis"]["revisit_rate_90"] == {"hits": 1, "decided": 2, "pending": 0}
    # the 30-day figure holds what was decided in the last 30 days: only the missed request
    assert kpis["revisit_rate_30"] == 0.0 and kpis["basis"]["revisit_rate_30"] == {"hits": 0, "decided": 1, "pending": 0}

    # all three registered at the start, which counts as a touch: nobody is silent yet
    assert kpis["silent_patients"] == 0 and kpis["silent_share"] == 0.0 and kpis["silent_days"] == 180
    clock.advance(days=168)  # 180 days after registration: not yet
    refresh_kpis()
    assert api.get("/dashboard", token=staff)[1]["kpis"]["silent_patients"] == 0
    clock.advance(days=1)
    visit(api, staff, quiet, "2027-05-19", "dentistry")  # quiet comes back on day 181
    refresh_kpis()
    kpis = api.get("/dashboard", token=staff)[1]["kpis"]
    assert kpis["silent_patients"] == 2 and kpis["silent_share"] == round(2 / 3, 4)
    # the other clinic sees none of it
    other = api.get("/dashboard", token=staff_token("other-clinic"))[1]
    assert other["charts"]["revisit_by_department"] == [] and other["kpis"]["silent_patients"] == 0


def test_a_reminder_is_pending_for_thirty_days_then_converted_or_not(api, new_patient, staff_token, clock):
    staff = staff_token()
    people = [new_patient(name=f"r{i}", phone=f"1390000002{i}", consents={"service": True})[1] for i in range(3)]
    for pid in people:
        assert api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2026-10-21"},
                        token=staff)[0] == 201
    sweep_lapses()
    drain(queue_url(), send_reminders.handle)  # all three messages sent on 2026-11-20
    visit(api, staff, people[0], "2026-11-20")  # same day: converted
    refresh_kpis()
    data = api.get("/dashboard", token=staff)[1]
    # sent today: pending, not a 0% (nor a 33%) conversion
    assert data["kpis"]["reminders_sent_90"] == 3 and data["kpis"]["reminder_conversion_90"] is None
    assert data["kpis"]["basis"]["reminder_conversion_90"] == {"hits": 0, "decided": 0, "pending": 3}
    week = next(w for w in data["charts"]["weekly_reminders"] if w["week"] == "2026-11-16")
    assert week == {"week": "2026-11-16", "count": 3, "decided": 0, "hits": 0, "rate": None, "pending": 3,
                    "pending_hits": 1}
    clock.advance(days=30)  # day 30 is still inside the window
    refresh_kpis()
    assert api.get("/dashboard", token=staff)[1]["kpis"]["reminder_conversion_90"] is None
    clock.advance(days=1)  # 31 days after: the two without a visit count as not converted
    refresh_kpis()
    kpis = api.get("/dashboard", token=staff)[1]["kpis"]
    assert kpis["reminder_conversion_90"] == round(1 / 3, 4)
    assert kpis["basis"]["reminder_conversion_90"] == {"hits": 1, "decided": 3, "pending": 0}
    clock.advance(days=14)
    visit(api, staff, people[1], "2027-01-04")  # day 45: too late
    refresh_kpis()
    kpis = api.get("/dashboard", token=staff)[1]["kpis"]
    assert kpis["reminders_sent_90"] == 3 and kpis["reminder_conversion_90"] == round(1 / 3, 4)
    # a patient whose last visit lies beyond the window but who also came inside it converts too
    visit(api, staff, people[2], "2026-12-01")
    visit(api, staff, people[2], "2027-01-04")
    refresh_kpis()
    data = api.get("/dashboard", token=staff)[1]
    assert data["kpis"]["reminder_conversion_90"] == round(2 / 3, 4)
    week = next(w for w in data["charts"]["weekly_reminders"] if w["week"] == "2026-11-16")
    assert week == {"week": "2026-11-16", "count": 3, "decided": 3, "hits": 2, "rate": round(2 / 3, 4), "pending": 0,
                    "pending_hits": 0}


def test_each_refresh_keeps_the_days_headline_figures_for_the_daily_chart(api, new_patient, staff_token, clock):
    staff = staff_token()
    new_patient(name="s1", phone="13000000031")
    refresh_kpis()
    clock.advance(days=1)
    new_patient(name="s2", phone="13000000032")
    refresh_kpis()
    refresh_kpis()  # a second refresh on the same day rewrites that day
    daily = api.get("/dashboard", token=staff)[1]["charts"]["daily"]
    assert [(d["day"], d["patients"]) for d in daily] == [("2026-11-20", 1), ("2026-11-21", 2)]
    clock.advance(days=120)
    refresh_kpis()
    daily = api.get("/dashboard", token=staff)[1]["charts"]["daily"]
    assert [d["day"] for d in daily] == ["2027-03-21"]  # older days fall out of the 90-day chart


def test_s2_six_month_revisit_rate_of_challenge_participants_against_the_rest(api, new_patient, staff_token,
                                                                             clock):
    staff = staff_token()
    joined, _ = new_patient(name="j1", phone="13000000041", conditions=["diabetes"], department="endocrinology")
    pid_joined = api.get("/me", token=joined)[1]["patient"]["patient_id"]
    _, pid_not = new_patient(name="j2", phone="13000000042", conditions=["diabetes"], department="endocrinology")
    challenge = next(c for c in api.get("/me/challenges", token=joined)[1]["items"])["challenge_id"]
    assert api.post(f"/me/challenges/{challenge}/join", token=joined)[0] == 201
    # a revisit requested before the challenge began (it starts today, with the clinic) owes it nothing
    visit(api, staff, pid_not, "2026-08-01", "endocrinology", due="2026-10-01")
    for pid in (pid_joined, pid_not):
        visit(api, staff, pid, "2026-11-20", "endocrinology", due="2026-12-20")
    clock.advance(days=30)
    visit(api, staff, pid_joined, "2026-12-20", "endocrinology")
    refresh_kpis()
    row = next(r for r in api.get("/dashboard", token=staff)[1]["charts"]["challenge_revisit_180"]
               if r["challenge_id"] == challenge)
    assert row["joined"] == {"patients": 1, "decided": 0, "hits": 0, "rate": None, "pending": 1, "pending_hits": 1}
    assert row["not_joined"] == {"patients": 1, "decided": 0, "hits": 0, "rate": None, "pending": 1, "pending_hits": 0}
    clock.advance(days=31)
    refresh_kpis()
    row = next(r for r in api.get("/dashboard", token=staff)[1]["charts"]["challenge_revisit_180"]
               if r["challenge_id"] == challenge)
    assert row["joined"] == {"patients": 1, "decided": 1, "hits": 1, "rate": 1.0, "pending": 0, "pending_hits": 0}
    assert row["not_joined"] == {"patients": 1, "decided": 1, "hits": 0, "rate": 0.0, "pending": 0, "pending_hits": 0}


def test_s1_postpartum_check_up_rate_is_the_revisit_rate_of_postpartum_patients(api, new_patient, staff_token):
    staff = staff_token()
    mothers = [new_patient(name=f"m{i}", phone=f"1300000005{i}", conditions=["postpartum"],
                           department="obstetrics")[1] for i in range(4)]
    for i, pid in enumerate(mothers):  # delivered in September; the day-42 check fell due in October
        visit(api, staff, pid, "2026-09-01", "obstetrics", due="2026-10-13")
        if i < 3:
            visit(api, staff, pid, "2026-10-14", "obstetrics")
    refresh_kpis()
    assert api.get("/dashboard", token=staff)[1]["kpis"]["postpartum_checkup_rate"] == 0.75


def test_s8_package_renewal_rate_and_follow_up_call_figures(api, new_patient, staff_token):
    staff = staff_token()
    mothers = [new_patient(name=f"p{i}", phone=f"1300000006{i}", conditions=["postpartum"],
                           department="obstetrics")[1] for i in range(3)]
    for pid in mothers:  # three packs that ended on 2026-09-30
        assert api.post(f"/patients/{pid}/packages", {"package_id": "maternity-pack", "start_date": "2025-10-01"},
                        token=staff)[0] == 201
    api.post(f"/patients/{mothers[0]}/packages", {"package_id": "maternity-pack", "start_date": "2026-10-01"},
             token=staff)
    api.post(f"/patients/{mothers[1]}/packages", {"package_id": "maternity-pack", "start_date": "2026-10-10"},
             token=staff)
    for pid, result in ((mothers[0], "reached"), (mothers[1], "booked"), (mothers[2], "wrong_number")):
        assert api.post(f"/patients/{pid}/followup", {}, token=staff)[0] == 201
        body = {"outcome": result, **({"booking_date": "2026-11-25"} if result == "booked" else {})}
        assert api.post(f"/patients/{pid}/followup/outcomes", body, token=staff)[0] == 201
    refresh_kpis()
    kpis = api.get("/dashboard", token=staff)[1]["kpis"]
    assert kpis["packages_ended_12m"] == 3 and kpis["package_renewal_rate_12m"] == round(2 / 3, 4)
    assert kpis["followup_calls_30"] == 3
    assert kpis["followup_outcomes_30"] == {"reached": 1, "booked": 1, "declined": 0, "wrong_number": 1}
    assert kpis["followup_reach_rate_30"] == round(2 / 3, 4) and kpis["followup_booked_rate_30"] == round(1 / 3, 4)


def test_s3_reactivation_of_silent_patients_and_conversion_per_message_source(api, staff_token, clock):
    from tests.test_helpers import refresh_segments

    staff = staff_token(role="front_desk")
    sleepers = []
    for n in range(2):
        status, data = api.post("/patients", patient_record(phone=f"1360000{n:04d}", name=f"沉默{n}",
                                                            conditions=["dental"], department="dentistry",
                                                            persona_tags=[],
                                                            consents={"service": True, "marketing": True}),
                                token=staff)
        sleepers.append(data["patient"]["patient_id"])
    clock.advance(days=182)  # silent for over 180 days: the flip job moves them into silent-180
    refresh_segments()
    sweep_lapses()
    drain(queue_url(), send_reminders.handle)  # the reactivation message of the S3 campaign
    visit(api, staff_token(), sleepers[0], (clock.now() + timedelta(hours=8)).date().isoformat(), "dentistry")
    refresh_kpis()
    data = api.get("/dashboard", token=staff)[1]
    sources = {row["source"]: row for row in data["charts"]["conversion_by_source"]}
    # the campaign went out today: both pending (one already back), no rate yet
    assert (sources["content:silent-180"]["pending"], sources["content:silent-180"]["pending_hits"]) == (2, 1)
    assert sources["content:silent-180"]["name"] == "沉默超过180天"
    assert data["kpis"]["silent_reactivation_rate_90"] is None
    clock.advance(days=31)
    refresh_kpis()
    data = api.get("/dashboard", token=staff)[1]
    row = next(r for r in data["charts"]["conversion_by_source"] if r["source"] == "content:silent-180")
    assert (row["decided"], row["hits"], row["rate"], row["pending"]) == (2, 1, 0.5, 0)
    assert data["kpis"]["silent_reactivation_rate_90"] == 0.5
    assert data["kpis"]["basis"]["silent_reactivation_rate_90"] == {"hits": 1, "decided": 2, "pending": 0}


def test_revisit_rate_per_segment_follows_the_patients_memberships(api, new_patient, staff_token):
    staff = staff_token()
    _, anxious = new_patient(name="g1", phone="13000000071", conditions=["postpartum"], department="obstetrics",
                             persona_tags=["anxious"])
    _, social = new_patient(name="g2", phone="13000000072", conditions=["postpartum"], department="obstetrics",
                            persona_tags=["social"])
    for pid in (anxious, social):
        visit(api, staff, pid, "2026-09-01", "obstetrics", due="2026-10-13")
    visit(api, staff, anxious, "2026-10-14", "obstetrics")
    refresh_kpis()
    rows = {r["group"]: r for r in api.get("/dashboard", token=staff)[1]["charts"]["revisit_by_segment"]}
    assert rows["postpartum-anxious"]["rate"] == 1.0 and rows["postpartum-anxious"]["name"] == "产后·焦虑型"
    assert rows["postpartum-social"]["rate"] == 0.0 and rows["postpartum-social"]["decided"] == 1
    assert "postpartum-knowledge" not in rows
