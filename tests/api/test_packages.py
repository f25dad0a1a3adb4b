"""Member packages through the API: the catalogue, sales and renewals, the patient's view, the renewal rate."""

from tests.conftest import patient_record

PACK = "maternity-pack"


def sell(api, token, pid, start, package_id=PACK, headers=None, **extra):
    return api.post(f"/patients/{pid}/packages", {"package_id": package_id, "start_date": start, **extra}, token=token,
                    headers=headers)


def test_packages_renewals_and_rate(api, staff_token, new_patient):
    admin, staff = staff_token("demo-dental", "admin"), staff_token("demo-dental", "front_desk")
    other = staff_token("other-clinic", "admin")
    status, catalogue = api.get("/package-types", token=staff)
    assert status == 200 and [t["package_id"] for t in catalogue["items"]] == [PACK]  # the clinic's default
    assert catalogue["items"][0]["term_months"] == 12
    status, changed = api.put("/package-types/postpartum-care", {"name": "产后康复包", "term_months": 3,
                                                                   "renewal_window_days": 14}, token=admin)
    assert status == 200 and changed["package_type"]["renewal_window_days"] == 14
    assert api.put("/package-types/x", {"name": "x", "term_months": 1}, token=staff)[0] == 403
    assert api.put("/package-types/x", {"name": "x", "term_months": 0}, token=admin)[1]["field"] == "term_months"

    token, mother = new_patient(name="mother", conditions=["postpartum"], department="obstetrics")
    status, first = sell(api, staff, mother, "2025-09-01", sale_ref="HT-2025-001")
    assert status == 201, first
    assert first["package"]["end_date"] == "2026-08-31" and first["package"]["renewal_of"] is None
    status, err = sell(api, staff, mother, "2025-09-01", sale_ref="HT-2025-001")
    assert status == 409 and err["code"] == "package_exists"
    # a different kind is not a renewal; the same kind two weeks early is
    status, care = sell(api, staff, mother, "2026-08-20", package_id="postpartum-care")
    assert care["package"]["renewal_of"] is None and care["package"]["end_date"] == "2026-11-19"
    status, renewal = sell(api, staff, mother, "2026-08-17", headers={"Idempotency-Key": "sale-2"})
    assert status == 201 and renewal["package"]["renewal_of"] == first["package"]["sale_id"]
    status, again = sell(api, staff, mother, "2026-08-17", headers={"Idempotency-Key": "sale-2"})
    assert status == 201 and again == renewal  # a retried sale is answered, not recorded twice

    status, mine = api.get("/me/packages", token=token)
    rows = {r["sale_id"]: r for r in mine["items"]}
    assert len(rows) == 3
    assert rows[first["package"]["sale_id"]]["renewed_by"] == renewal["package"]["sale_id"]
    assert rows[first["package"]["sale_id"]]["state"] == "ended"
    assert rows[renewal["package"]["sale_id"]]["state"] == "active"
    assert rows[care["package"]["sale_id"]]["state"] == "ended"  # ended yesterday (today is 2026-11-20)
    assert api.get(f"/patients/{mother}/packages", token=staff)[1] == mine

    # a second mother whose pack lapsed (ended in March, window closed), a third still deciding
    lapsed = api.post("/patients", patient_record(phone="13900000001", conditions=["postpartum"]), token=staff)[1]
    sell(api, staff, lapsed["patient"]["patient_id"], "2025-03-10")
    deciding = api.post("/patients", patient_record(phone="13900000002", conditions=["postpartum"]), token=staff)[1]
    sell(api, staff, deciding["patient"]["patient_id"], "2025-11-10")
    status, rate = api.get("/packages/renewals?from=2026-01-01&to=2026-12-31", token=staff)
    assert status == 200, rate
    assert (rate["ended"], rate["renewed"], rate["lapsed"], rate["pending"]) == (4, 1, 1, 2)
    assert rate["rate"] == 0.5
    assert rate["by_package"][PACK]["ended"] == 3 and rate["by_package"]["postpartum-care"]["pending"] == 1
    status, err = api.get("/packages/renewals?from=2026-12-31&to=2026-01-01", token=staff)
    assert status == 400 and err["code"] == "invalid_period"
    assert api.get("/packages/renewals?from=2026-01-01", token=staff)[1]["field"] == "to"

    # wrong callers: the patient on staff routes, another clinic's staff
    assert api.get("/packages/renewals?from=2026-01-01&to=2026-12-31", token=token)[0] == 403
    assert api.get(f"/patients/{mother}/packages", token=token)[0] == 403
    assert api.get(f"/patients/{mother}/packages", token=other)[0] == 404
    assert sell(api, other, mother, "2026-09-01")[0] == 404
    status, theirs = api.get("/packages/renewals?from=2026-01-01&to=2026-12-31", token=other)
    assert theirs["ended"] == 0
    status, err = sell(api, staff, mother, "2026-09-01", package_id="no-such")
    assert status == 404 and err["code"] == "package_type_not_found"
    api.put("/package-types/postpartum-care", {"name": "产后康复包", "term_months": 3, "active": False}, token=admin)
    status, err = sell(api, staff, mother, "2026-11-20", package_id="postpartum-care")
    assert status == 409 and err["code"] == "package_type_inactive"
