"""Who makes a follow-up plan's calls: assigning, re-assigning and claiming (认领) a plan, the plans
nobody is assigned to (未分配), and the clinic's default assignee for plans a glucose challenge starts."""

from tests.api.test_care import due


def join_glucose(api, new_patient, name, phone):
    token, pid = new_patient(name=name, phone=phone, conditions=["diabetes"], department="endocrinology")
    status, _ = api.post("/me/challenges/glucose-guard-365/join", token=token)
    assert status == 201
    return pid


def ids(rows):
    return {r["patient_id"] for r in rows}


def test_a_challenge_plan_waits_under_unassigned_until_a_health_manager_claims_it(api, new_patient, staff_token,
                                                                                  clock):
    manager = staff_token("demo-dental", "health_manager")
    admin = staff_token("demo-dental", "admin")
    joined = join_glucose(api, new_patient, "u1", "13900000401")
    _, own = new_patient(name="u2", phone="13900000402")
    api.post(f"/patients/{own}/followup", {"first_due": "2026-11-27"}, token=admin)
    clock.advance(days=7)

    plan = api.get(f"/patients/{joined}/followup", token=manager)[1]["plan"]
    assert plan["assignee"] is None and plan["started_by"] is None and plan["source"].startswith("challenge:")
    assert ids(due(api, admin)) == {joined, own}
    status, page = api.get("/followups/due?unassigned=true", token=manager)
    assert status == 200 and ids(page["items"]) == {joined} and page["next_cursor"] is None
    assert page["items"][0]["assignee"] is None and page["items"][0]["phone_masked"] == "139****0401"
    assert ids(due(api, manager, mine=True)) == set()
    assert api.get("/followups/due?unassigned=true", token=staff_token("other-clinic", "admin"))[1]["items"] == []
    assert api.get("/followups/due?unassigned=true&mine=true", token=manager)[0] == 400

    # claimed (认领): on the manager's own list, off the unassigned one
    status, claimed = api.put(f"/patients/{joined}/followup/assignee",
                              {"assignee": "health_manager@demo-dental", "unassigned_only": True}, token=manager,
                              headers={"Idempotency-Key": "claim-1"})
    assert status == 200 and claimed["plan"]["assignee"] == "health_manager@demo-dental"
    assert claimed["plan"]["next_due"] == "2026-11-27" and claimed["plan"]["status"] == "active"
    assert ids(due(api, manager, mine=True)) == {joined}
    assert api.get("/followups/due?unassigned=true", token=manager)[1]["items"] == []
    # a retry with the same key answers the same; another claim of a taken plan is refused
    status, again = api.put(f"/patients/{joined}/followup/assignee",
                            {"assignee": "health_manager@demo-dental", "unassigned_only": True}, token=manager,
                            headers={"Idempotency-Key": "claim-1"})
    assert status == 200 and again == claimed
    status, err = api.put(f"/patients/{joined}/followup/assignee",
                          {"assignee": "admin@demo-dental", "unassigned_only": True}, token=admin)
    assert status == 409 and err["code"] == "plan_assigned" and err["field"] == "assignee"

    # re-assigned by an admin: it moves from one list to the other
    status, moved = api.put(f"/patients/{joined}/followup/assignee", {"assignee": "admin@demo-dental"}, token=admin)
    assert status == 200 and moved["plan"]["assignee"] == "admin@demo-dental"
    assert ids(due(api, manager, mine=True)) == set()
    assert ids(due(api, admin, mine=True)) == {joined, own}
    # given back to nobody: under 未分配 again, and an outcome keeps it there at its next due day
    status, freed = api.put(f"/patients/{joined}/followup/assignee", {"assignee": None}, token=admin)
    assert status == 200 and freed["plan"]["assignee"] is None
    assert ids(api.get("/followups/due?unassigned=true", token=manager)[1]["items"]) == {joined}
    assert api.post(f"/patients/{joined}/followup/outcomes", {"outcome": "reached"}, token=manager)[0] == 201
    assert api.get("/followups/due?unassigned=true", token=manager)[1]["items"] == []
    clock.advance(days=7)
    assert ids(api.get("/followups/due?unassigned=true", token=manager)[1]["items"]) == {joined}
    # a paused plan is assigned all the same, and joins its assignee's list when it is resumed
    api.post(f"/patients/{joined}/followup/pause", token=manager)
    api.put(f"/patients/{joined}/followup/assignee", {"assignee": "health_manager@demo-dental"}, token=manager)
    assert ids(due(api, manager, mine=True)) == set()
    api.post(f"/patients/{joined}/followup", {}, token=admin)
    assert ids(due(api, manager, mine=True)) == {joined}


def test_only_an_active_caller_of_the_clinic_can_be_given_a_plan(api, new_patient, staff_token, clock):
    admin = staff_token("demo-dental", "admin")
    manager = staff_token("demo-dental", "health_manager")
    _, pid = new_patient(name="u3", phone="13900000403")
    path = f"/patients/{pid}/followup/assignee"
    status, err = api.put(path, {"assignee": "admin@demo-dental"}, token=admin)
    assert status == 404 and err["code"] == "no_followup_plan"
    api.post(f"/patients/{pid}/followup", {}, token=manager)

    status, invited = api.post("/staff", {"username": "xiaowang@demo-dental", "role": "health_manager"}, token=admin)
    assert status == 201, invited
    assert api.put(path, {"assignee": "xiaowang@demo-dental"}, token=manager)[0] == 200
    assert api.post("/staff/xiaowang@demo-dental/disable", token=admin)[0] == 200
    for someone in ("xiaowang@demo-dental",  # disabled
                    "health_manager@other-clinic", "admin@other-clinic",  # another clinic's
                    "front_desk@demo-dental", "analyst@demo-dental",  # roles that make no calls
                    "nobody@demo-dental"):
        status, err = api.put(path, {"assignee": someone}, token=admin)
        assert status == 400 and err["code"] == "unknown_assignee" and err["field"] == "assignee", (someone, err)
        status, err = api.post(f"/patients/{pid}/followup", {"assignee": someone}, token=admin)
        assert status == 400 and err["code"] == "unknown_assignee", (someone, err)
    assert api.get(f"/patients/{pid}/followup", token=manager)[1]["plan"]["assignee"] == "xiaowang@demo-dental"

    # another clinic's staff cannot touch the plan; the desk and analysts may not assign
    status, err = api.put(path, {"assignee": "admin@other-clinic"}, token=staff_token("other-clinic", "admin"))
    assert status == 404 and err["code"] == "patient_not_found"
    for role in ("front_desk", "analyst"):
        assert api.put(path, {"assignee": None}, token=staff_token("demo-dental", role))[0] == 403
    assert api.put(path, {}, token=admin)[0] == 400  # the assignee is said, null or a name


def test_the_clinic_default_assignee_gets_new_challenge_plans(api, new_patient, staff_token, clock):
    admin = staff_token("demo-dental", "admin")
    manager = staff_token("demo-dental", "health_manager")
    assert api.get("/clinic", token=admin)[1]["followup_assignee"] is None
    for someone in ("front_desk@demo-dental", "health_manager@other-clinic", "nobody@demo-dental"):
        status, err = api.put("/clinic/followup-assignee", {"assignee": someone}, token=admin)
        assert status == 400 and err["code"] == "unknown_assignee", (someone, err)
    assert api.put("/clinic/followup-assignee", {"assignee": "health_manager@demo-dental"}, token=manager)[0] == 403
    status, saved = api.put("/clinic/followup-assignee", {"assignee": "health_manager@demo-dental"}, token=admin)
    assert status == 200 and saved == {"followup_assignee": "health_manager@demo-dental"}
    assert api.get("/clinic", token=manager)[1]["followup_assignee"] == "health_manager@demo-dental"

    first = join_glucose(api, new_patient, "u4", "13900000404")
    plan = api.get(f"/patients/{first}/followup", token=manager)[1]["plan"]
    assert plan["assignee"] == "health_manager@demo-dental" and plan["source"].startswith("challenge:")
    clock.advance(days=7)
    assert ids(due(api, manager, mine=True)) == {first}
    assert api.get("/followups/due?unassigned=true", token=manager)[1]["items"] == []

    # the default's account disabled later: new challenge plans wait under 未分配 instead
    api.post("/staff", {"username": "xiaozhao@demo-dental", "role": "health_manager"}, token=admin)
    api.put("/clinic/followup-assignee", {"assignee": "xiaozhao@demo-dental"}, token=admin)
    api.post("/staff/xiaozhao@demo-dental/disable", token=admin)
    second = join_glucose(api, new_patient, "u5", "13900000405")
    assert api.get(f"/patients/{second}/followup", token=manager)[1]["plan"]["assignee"] is None
    # unset: nobody
    status, saved = api.put("/clinic/followup-assignee", {"assignee": None}, token=admin)
    assert status == 200 and saved == {"followup_assignee": None}
    assert api.get("/clinic", token=admin)[1]["followup_assignee"] is None


def test_the_unassigned_view_pages_past_assigned_plans(api, new_patient, staff_token, clock, monkeypatch):
    from chalicelib.store import followups as store

    monkeypatch.setattr(store, "UNASSIGNED_KEYS_PER_CALL", 3)  # three due keys looked at per call
    manager = staff_token("demo-dental", "health_manager")
    free = [join_glucose(api, new_patient, f"p{i}", f"1390000050{i}") for i in range(4)]
    taken = [join_glucose(api, new_patient, f"q{i}", f"1390000060{i}") for i in range(3)]
    clock.advance(days=7)
    for pid in taken:
        api.put(f"/patients/{pid}/followup/assignee", {"assignee": "health_manager@demo-dental"}, token=manager)
    seen, cursor, calls = [], None, 0
    while True:
        status, page = api.get("/followups/due?unassigned=true&limit=2" + (f"&cursor={cursor}" if cursor else ""),
                               token=manager)
        assert status == 200 and len(page["items"]) <= 2, page
        seen += [r["patient_id"] for r in page["items"]]
        calls += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(free) and calls >= 3
