"""One definition of a silent patient per clinic: the setting, its validation, and the dashboard's
silent figure, its charts and the default silent segment all counting the same patients."""

from datetime import timedelta

import pytest

from tests.test_helpers import refresh_kpis


def today(clock) -> str:
    return (clock.now() + timedelta(hours=8)).date().isoformat()  # Shanghai


def silent_everywhere(api, token) -> dict:
    """The silent count as each place shows it."""
    data = api.get("/dashboard", token=token)[1]
    status, segment = api.get("/segments/silent-180", token=token)
    assert status == 200, segment
    return {"kpi": data["kpis"]["silent_patients"],
            "chart": sum(b["count"] for b in data["charts"]["silence"] if b["silent"]),
            "daily": data["charts"]["daily"][-1]["silent_patients"],
            "segment": segment["segment"]["members"]}


def test_at_120_days_the_kpi_the_charts_and_the_segment_count_the_same_patients(api, new_patient, staff_token,
                                                                              clock):
    from tests.test_helpers import build_segments, refresh_segments

    admin = staff_token()
    ids = [new_patient(name=f"q{i}", phone=f"1370000000{i}")[1] for i in range(4)]
    clock.advance(days=100)
    status, _ = api.post(f"/patients/{ids[0]}/visits", {"visit_date": today(clock), "department": "dermatology"},
                         token=admin)
    assert status == 201  # a visit is an interaction: this patient's silence starts again
    clock.advance(days=30)  # three patients without any interaction for 130 days, one for 30
    refresh_segments()
    refresh_kpis()
    assert silent_everywhere(api, admin) == {"kpi": 0, "chart": 0, "daily": 0, "segment": 0}  # the default, 180

    status, body = api.put("/clinic/silent-days", {"days": 120}, token=admin)
    assert status == 200, body
    assert body["silent_days"] == 120 and api.get("/clinic", token=admin)[1]["silent_days"] == 120
    segment = body["segment"]
    assert segment["rule"] == {"field": "silent_days", "gt": 120} and segment["status"] == "building"
    assert segment["name"] == "沉默超过120天" and segment["name_en"] == "Silent for over 120 days"
    clock.advance(seconds=61)  # the build starts once every container sees the new rule
    build_segments()
    refresh_kpis()
    assert silent_everywhere(api, admin) == {"kpi": 3, "chart": 3, "daily": 3, "segment": 3}
    data = api.get("/dashboard", token=admin)[1]
    assert data["kpis"]["silent_days"] == 120 and data["clinic"]["silent_days"] == 120
    assert data["kpis"]["silent_share"] == 0.75
    assert data["kpis"]["basis"]["silent_share"] == {"hits": 3, "decided": 4, "pending": 0}
    assert [b["bucket"] for b in data["charts"]["silence"] if b["silent"]] == ["121-180", "181-365", ">365"]

    # time alone moves the fourth patient over the new threshold, in every place at once
    clock.advance(days=91)
    refresh_segments()
    refresh_kpis()
    assert silent_everywhere(api, admin) == {"kpi": 4, "chart": 4, "daily": 4, "segment": 4}

    # the other clinic keeps its own definition
    other = staff_token("other-clinic")
    assert api.get("/clinic", token=other)[1]["silent_days"] == 180
    assert api.get("/segments/silent-180", token=other)[1]["segment"]["rule"] == {"field": "silent_days", "gt": 180}


@pytest.mark.parametrize("body, code", [
    ({"days": 29}, "invalid_input"), ({"days": 731}, "invalid_input"), ({"days": 120.5}, "invalid_input"),
    ({"days": "120"}, "invalid_input"), ({"days": True}, "invalid_input"), ({"days": None}, "invalid_input"),
    ({}, "invalid_input"), ({"days": 120, "segment": "x"}, "unknown_field"),
])
def test_bad_silent_days_are_refused_with_the_error_shape(api, staff_token, body, code):
    admin = staff_token()
    status, err = api.put("/clinic/silent-days", body, token=admin)
    assert status == 400 and err["code"] == code, err
    assert set(err) == {"code", "message", "field"} and err["message"]
    assert err["field"] in ("days", "segment")
    assert api.get("/clinic", token=admin)[1]["silent_days"] == 180


def test_only_an_admin_sets_it_and_the_silent_segment_rule_follows_only_the_setting(api, staff_token):
    staff, admin = staff_token(role="front_desk"), staff_token()
    assert api.put("/clinic/silent-days", {"days": 90}, token=staff)[1]["code"] == "wrong_role"
    detail = api.get("/segments/silent-180", token=admin)[1]["segment"]
    edit = {"name": "半年没来的患者", "name_en": None, "description": None, "rule": detail["rule"]}
    # a new name is fine; a rule of its own would make a second definition of silence
    status, reply = api.put("/segments/silent-180", edit, token=admin)
    assert status == 200, reply
    status, err = api.put("/segments/silent-180", {**edit, "rule": {"field": "silent_days", "gt": 150}}, token=admin)
    assert status == 400 and err["code"] == "rule_follows_setting" and err["field"] == "rule"
    # the setting moves the rule and keeps the name the admin chose
    status, body = api.put("/clinic/silent-days", {"days": 90}, token=admin)
    assert status == 200 and body["segment"]["rule"] == {"field": "silent_days", "gt": 90}
    assert body["segment"]["name"] == "半年没来的患者"
    # the same value again changes nothing and starts no build
    version = body["segment"]["version"]
    assert api.put("/clinic/silent-days", {"days": 90}, token=admin)[1]["segment"]["version"] == version
    # with the segment deleted, the setting still applies to the dashboard
    assert api.delete("/segments/silent-180", token=admin)[0] == 200
    status, body = api.put("/clinic/silent-days", {"days": 200}, token=admin)
    assert status == 200 and body == {"silent_days": 200, "segment": None}
    # and defaults made for the clinic later take it too
    from chalicelib.services.segments import default_segments

    made = next(d for d in default_segments(["dental"], 200) if d["segment_id"] == "silent-180")
    assert made["rule"] == {"field": "silent_days", "gt": 200} and made["name"] == "沉默超过200天"
