"""The health manager's day (assigned plans and one's own calls, pause and resume, masked phones and
an audited reveal, notes) and analytics consent (no training, curve or score without it), and the
health notice on a recall message."""

from datetime import date, time

from chalicelib.domain.clock import local_moment
from tests.api.test_recall import remission, run_schedule
from tests.api.test_risk import _history

NOTICE = "仅供参考，不构成医疗诊断"


def due(api, token, mine=False):
    status, data = api.get("/followups/due" + ("?mine=true" if mine else ""), token=token)
    assert status == 200, data
    return data["items"]


def test_plans_have_an_assignee_and_each_manager_sees_their_own_calls(api, new_patient, staff_token, clock):
    staff = staff_token("demo-dental", "health_manager")
    admin = staff_token("demo-dental", "admin")
    _, p1 = new_patient(name="c1", phone="13900000201")
    _, p2 = new_patient(name="c2", phone="13900000202")
    _, p3 = new_patient(name="c3", phone="13900000203")

    status, plan = api.post(f"/patients/{p1}/followup", {}, token=staff)
    assert status == 201 and plan["plan"]["assignee"] == "health_manager@demo-dental"  # who started it
    status, plan = api.post(f"/patients/{p2}/followup", {"assignee": "health_manager@demo-dental", "cadence_days": 14},
                            token=admin)
    assert status == 201 and plan["plan"]["assignee"] == "health_manager@demo-dental" and plan["plan"]["started_by"] == "admin@demo-dental"
    for someone in ("nobody@demo-dental", "health_manager@other-clinic"):
        status, err = api.post(f"/patients/{p3}/followup", {"assignee": someone}, token=admin)
        assert status == 400 and err["code"] == "unknown_assignee" and err["field"] == "assignee"
    assert api.post(f"/patients/{p3}/followup", {}, token=admin)[1]["plan"]["assignee"] == "admin@demo-dental"

    assert {r["patient_id"] for r in due(api, staff, mine=True)} == {p1, p2}
    assert {r["patient_id"] for r in due(api, admin, mine=True)} == {p3}
    rows = due(api, admin)
    assert {r["patient_id"] for r in rows} == {p1, p2, p3}
    assert {r["patient_id"]: r["phone_masked"] for r in rows}[p1] == "139****0201"
    assert {r["patient_id"]: r["assignee"] for r in rows}[p2] == "health_manager@demo-dental"
    assert due(api, staff_token("other-clinic", "admin"), mine=True) == []

    # paused: off both lists; started again: back on its assignee's list
    status, paused = api.post(f"/patients/{p2}/followup/pause", token=staff)
    assert status == 200 and paused["plan"]["status"] == "paused" and paused["plan"]["paused_reason"] == "staff"
    assert {r["patient_id"] for r in due(api, staff, mine=True)} == {p1}
    assert p2 not in {r["patient_id"] for r in due(api, admin)}
    status, err = api.post(f"/patients/{p2}/followup/outcomes", {"outcome": "reached"}, token=staff)
    assert status == 409 and err["code"] == "plan_not_active"
    status, resumed = api.post(f"/patients/{p2}/followup", {"cadence_days": 14}, token=admin)
    assert status == 200 and resumed["plan"]["status"] == "active" and resumed["plan"]["assignee"] == "health_manager@demo-dental"
    assert {r["patient_id"] for r in due(api, staff, mine=True)} == {p1, p2}
    # reassigned on a restart
    api.post(f"/patients/{p2}/followup", {"assignee": "admin@demo-dental"}, token=admin)
    assert {r["patient_id"] for r in due(api, staff, mine=True)} == {p1}
    assert {r["patient_id"] for r in due(api, admin, mine=True)} == {p2, p3}

    # an outcome moves the plan off today's own list too; ended plans leave it
    status, done = api.post(f"/patients/{p1}/followup/outcomes", {"outcome": "reached", "note": "明天再打"}, token=staff)
    assert status == 201 and done["next_due"] == "2026-11-27"
    assert due(api, staff, mine=True) == []
    clock.advance(days=7)
    assert {r["patient_id"] for r in due(api, staff, mine=True)} == {p1}
    api.post(f"/patients/{p1}/followup/end", token=staff)
    assert due(api, staff, mine=True) == []
    assert api.get("/followups/due?mine=maybe", token=staff)[0] == 400


def test_a_phone_is_revealed_with_a_reason_and_written_to_the_audit_trail(api, new_patient, staff_token, clock):
    staff = staff_token("demo-dental", "health_manager")
    token, pid = new_patient(name="c4", phone="13900000204")
    api.post(f"/patients/{pid}/followup", {}, token=staff)
    status, err = api.post(f"/patients/{pid}/phone/reveal", {}, token=staff)
    assert status == 400 and err["field"] == "reason"
    status, err = api.post(f"/patients/{pid}/phone/reveal", {"reason": "x"}, token=staff)
    assert status == 400 and err["field"] == "reason"
    assert api.post(f"/patients/{pid}/phone/reveal", {"reason": "回访电话"}, token=token)[0] == 403
    assert api.post(f"/patients/{pid}/phone/reveal", {"reason": "回访电话"},
                    token=staff_token("other-clinic", "admin"))[0] == 404

    status, shown = api.post(f"/patients/{pid}/phone/reveal", {"reason": "每周随访电话"}, token=staff,
                             headers={"User-Agent": "Desk/2"})
    assert status == 200 and shown["phone"] == "13900000204" and shown["patient_id"] == pid

    api.post(f"/patients/{pid}/followup/outcomes", {"outcome": "reached", "note": "血压偏高，已提醒复诊"}, token=staff)
    detail = api.get(f"/patients/{pid}/followup", token=staff)[1]
    assert detail["outcomes"][0]["note"] == "血压偏高，已提醒复诊" and detail["outcomes"][0]["has_note"]

    events = api.get(f"/audit?patient_id={pid}", token=staff_token("demo-dental", "admin"))[1]["items"]
    reveal = next(e for e in events if e["action"] == "reveal_phone")
    assert reveal["event_id"] == shown["event_id"] and reveal["reason"] == "每周随访电话"
    assert reveal["actor"] == "health_manager@demo-dental" and reveal["user_agent"] == "Desk/2"
    assert "13900000204" not in str(events)  # the trail says that a number was shown, never the number
    notes = [e for e in events if e["action"] == "view_patient"]
    assert len(notes) == 1 and notes[0]["detail"] == {"part": "followup_notes", "notes": 1}


def test_patients_without_analytics_consent_get_no_training_curve_or_score(api, new_patient, staff_token, clock,
                                                                           monkeypatch):
    import random

    from chalicelib.api.models import PatientRecord
    from chalicelib.domain.clock import clock as the_clock
    from tests.test_helpers import train_risk_models
    from chalicelib.services import patients
    from chalicelib.store import risk as risk_store
    from chalicelib.store.models import PatientItem, RiskEntryItem

    staff = staff_token("demo-dental", "admin")
    consenting = _history("demo-dental", 60, random.Random(7))
    the_clock.set(local_moment(date(2025, 6, 1), time(9, 0), "Asia/Shanghai"))
    refusing = [patients.register("demo-dental", PatientRecord(
        name=f"拒绝{i}", phone=f"1370000{i:04d}", conditions=["eczema"],
        consents={"service": True, "analytics": False})).patient_id for i in range(3)]
    # a score stored before consent was checked: the next run removes it
    risk_store.write_scores("demo-dental", [risk_store.ScoreWrite(refusing[0], 0.9, [], "拒*", ["eczema"])],
                            version=1, at="2026-11-01T00:00:00Z")

    read = []
    original = risk_store.history_items
    monkeypatch.setattr(risk_store, "history_items", lambda c, p: read.append(p) or original(c, p))
    clock.set(local_moment(date(2026, 11, 20), time(3, 0), "Asia/Shanghai"))
    done = train_risk_models()["demo-dental"]
    assert done["status"] == "trained" and done["scored"] == 60
    assert not set(read) & set(refusing) and set(consenting) <= set(read)  # their history is never read

    listed = api.get("/risk/patients?limit=50", token=staff)[1]["items"]
    listed += api.get("/risk/patients?limit=50&cursor=" + api.get("/risk/patients?limit=50", token=staff)[1]["next_cursor"],
                      token=staff)[1]["items"]
    assert not {r["patient_id"] for r in listed} & set(refusing)
    assert all(r["phone_masked"].startswith("136****") for r in listed)
    for pid in refusing:
        status, view = api.get(f"/patients/{pid}/risk", token=staff)
        assert status == 200 and view["risk_status"] == "no_consent" and view["risk_score"] is None
        item = PatientItem.get(f"demo-dental#P#{pid}", "PROFILE")
        assert item.risk_score is None and item.risk_model_version is None and item.risk_scored_at is None
    assert not list(RiskEntryItem.query(f"demo-dental#P#{refusing[0]}", RiskEntryItem.sk == "RISK"))

    # a scored patient withdraws analytics consent: the score goes at once, not at the next run
    scored = listed[0]["patient_id"]
    assert api.get(f"/patients/{scored}/risk", token=staff)[1]["risk_status"] == "scored"
    patients.update_consents(patients.own_patient("demo-dental", scored), {"analytics": False}, "v2")
    view = api.get(f"/patients/{scored}/risk", token=staff)[1]
    assert view["risk_status"] == "no_consent" and view["risk_factors"] == []
    assert PatientItem.get(f"demo-dental#P#{scored}", "PROFILE").risk_score is None
    first_page = api.get("/risk/patients?limit=50", token=staff)[1]["items"]
    assert scored not in {r["patient_id"] for r in first_page}


def test_a_recall_message_carries_the_health_notice(api, new_patient, staff_token, clock):
    staff = staff_token()
    token, pid = new_patient(name="ecz-n", phone="13811119999", consents={"service": True})
    assert remission(api, staff, pid)[0] == 201
    swept, _ = run_schedule()
    assert swept["queued"] == 1
    message = api.get("/me/inbox", token=token)[1]["items"][0]
    assert "湿疹" in message["body"] and message["body"].rstrip().endswith(NOTICE)
    assert message["body"].count(NOTICE) == 1
    # a package's renewal reminder is about a contract, not health: no notice there
    from chalicelib.services.recall import health_content

    assert health_content("remission") and health_content("visit") and not health_content("package_end")
