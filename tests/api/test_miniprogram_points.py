"""GET /me/points pages its ledger entries, newest first, by an opaque cursor."""

from datetime import timedelta

from tests.conftest import T0


def test_points_history_pages_newest_first(api, new_patient, staff_token, clock):
    token, pid = new_patient()
    staff = staff_token("demo-dental", "front_desk")
    for i in range(5):
        clock.set(T0 + timedelta(minutes=i))
        assert api.post(f"/patients/{pid}/points/adjustments", {"points": 5, "reason": f"活动{i}"},
                        token=staff)[0] == 201
    status, first = api.get("/me/points?limit=2", token=token)
    assert status == 200, first
    assert len(first["entries"]) == 2 and first["next_cursor"]
    assert first["balance"] == 25
    seen = list(first["entries"])
    cursor = first["next_cursor"]
    while cursor:
        status, page = api.get(f"/me/points?limit=2&cursor={cursor}", token=token)
        assert status == 200, page
        seen += page["entries"]
        cursor = page["next_cursor"]
    assert len(seen) == 5 and len({e["entry_id"] for e in seen}) == 5
    times = [e["at"] for e in seen]
    assert times == sorted(times, reverse=True)
    status, whole = api.get("/me/points", token=token)
    assert [e["entry_id"] for e in whole["entries"]] == [e["entry_id"] for e in seen]
    assert whole["next_cursor"] is None


def test_bad_paging_is_refused_with_a_code(api, new_patient):
    token, _ = new_patient()
    for query, code in (("cursor=garbage", "invalid_cursor"), ("cursor=abc.def", "invalid_cursor"),
                        ("limit=0", "invalid_input"), ("limit=101", "invalid_input"), ("page=2", "unknown_field")):
        status, err = api.get(f"/me/points?{query}", token=token)
        assert status == 400 and err["code"] == code, (query, status, err)


def test_a_cursor_of_another_patient_is_refused(api, new_patient, clock):
    token, _ = new_patient(name="a1", phone="13800002221")
    other, _ = new_patient(name="a2", phone="13800002222")
    for i in range(3):
        api.post("/me/shares", {"share_ref": f"r{i}"}, token=token)
    cursor = api.get("/me/points?limit=1", token=token)[1]["next_cursor"]
    status, err = api.get(f"/me/points?cursor={cursor}", token=other)
    assert status == 400 and err["code"] == "invalid_cursor"
