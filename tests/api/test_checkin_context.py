"""The glucose check-in's meal context (fasting, after a meal, random) and its unit: taken on
POST /me/checkins, stored on the check-in, shown to the patient and to the clinic's staff."""

import pytest

from tests.conftest import T0, register_patient


@pytest.fixture
def world(shared_world, shared_clock):
    return shared_world


def refused(status, data, code, field):
    assert status == 400, (status, data)
    assert set(data) == {"code", "message", "field"}, data
    assert (data["code"], data["field"]) == (code, field), data


def patient(world, prefix):
    world._names += 1
    return register_patient(world.api, "demo-dental", name=f"{prefix}-{world._names}", phone=f"137{world._names:08d}")


def test_the_context_is_stored_and_shown_to_the_patient_and_the_staff(world):
    token, patient_id = patient(world, "ctx")
    status, data = world.api.post("/me/checkins", {"type": "glucose", "value": 5.6, "context": "fasting",
                                                   "client_time": T0.isoformat()}, token=token)
    assert status == 201, data
    assert data["checkin"]["context"] == "fasting"
    status, data = world.api.post("/me/checkins", {"type": "glucose", "value": 8.4, "context": "after_meal",
                                                   "client_time": T0.isoformat()}, token=token)
    assert status == 201 and data["checkin"]["context"] == "after_meal", data
    status, data = world.api.post("/me/checkins", {"type": "glucose", "value": 7.1,
                                                   "client_time": T0.isoformat()}, token=token)
    assert status == 201 and "context" not in data["checkin"], data  # none sent, none made up

    status, mine = world.api.get("/me/checkins", token=token)
    assert status == 200
    assert sorted(c.get("context") or "" for c in mine["items"]) == ["", "after_meal", "fasting"]
    status, detail = world.api.get(f"/patients/{patient_id}", token=world.staff())
    assert status == 200
    assert {c["value"]: c.get("context") for c in detail["checkins"]} == {5.6: "fasting", 8.4: "after_meal", 7.1: None}


def test_a_context_other_than_the_three_is_refused(world):
    token, _ = patient(world, "ctx-bad")
    status, data = world.api.post("/me/checkins", {"type": "glucose", "value": 5.6, "context": "before_bed",
                                                   "client_time": T0.isoformat()}, token=token)
    refused(status, data, "invalid_input", "context")


@pytest.mark.parametrize("kind, value", [("steps", 8000), ("task", 1)])
def test_only_a_glucose_check_in_takes_a_context(world, kind, value):
    token, _ = patient(world, "ctx-type")
    status, data = world.api.post("/me/checkins", {"type": kind, "value": value, "context": "random",
                                                   "client_time": T0.isoformat()}, token=token)
    refused(status, data, "invalid_input", "context")
    status, points = world.api.get("/me/points", token=token)
    assert points["entries"] == [] and points["balance"] == 0  # nothing was written


@pytest.mark.parametrize("mg_dl, stored", [
    (17.5, 1.0),  # 0.97 mmol/L: rounded to 1.0 before the range is checked, so it is in range
    (900.5, 50.0),  # 50.03 mmol/L rounds to 50.0, the meter's top
    (99, 5.5),
])
def test_mg_dl_is_converted_and_rounded_before_the_range_is_checked(world, mg_dl, stored):
    token, _ = patient(world, "mgdl")
    status, data = world.api.post("/me/checkins", {"type": "glucose", "value": mg_dl, "unit": "mg/dL",
                                                   "context": "random", "client_time": T0.isoformat()}, token=token)
    assert status == 201, data
    assert data["checkin"]["value"] == stored and data["checkin"]["context"] == "random"


@pytest.mark.parametrize("mg_dl", [16.0, 903.0])
def test_mg_dl_outside_the_range_after_conversion_is_refused(world, mg_dl):
    token, _ = patient(world, "mgdl-out")
    status, data = world.api.post("/me/checkins", {"type": "glucose", "value": mg_dl, "unit": "mg/dL",
                                                   "client_time": T0.isoformat()}, token=token)
    refused(status, data, "invalid_input", "value")
    assert "mg/dL" in data["message"]
