"""Rewards with stock and per-patient limits: never more than the stock, never over the allowance."""

from concurrent.futures import ThreadPoolExecutor

from chalicelib.auth import Principal
from chalicelib.errors import AppError


def _patients_with_points(count: int, points: int) -> list[Principal]:
    """Patients written through the store (fast), each credited through the ledger."""
    from types import SimpleNamespace

    from chalicelib.services.patients import register
    from chalicelib.store import points as ledger

    principals = []
    for i in range(count):
        data = SimpleNamespace(name=f"患者{i}", phone=f"1390000{i:04d}", birth_year=1990, sex="F", district=None,
                               conditions=["dental"], department="dentistry", persona_tags=[],
                               consents={"service": True}, consent_version="v1")
        patient = register("demo-dental", data)
        ledger.credit(patient, entry_id="grant:seed", points=points, reason="manual", at="2026-11-20T02:00:00Z")
        principals.append(Principal(role="patient", clinic_id="demo-dental", subject=patient.patient_id,
                                    patient_id=patient.patient_id, roles=("patient",)))
    return principals


def test_fifty_patients_racing_for_five_get_exactly_five(api, staff_token, one_request_at_a_time):
    from chalicelib.services import activity
    from chalicelib.store import clinics, patients

    status, reward = api.post("/rewards", {"reward_id": "fluoride-5", "name": "涂氟", "cost": 100, "stock": 5},
                              token=staff_token(role="admin"))
    assert status == 201 and reward["stock"] == 5
    principals = _patients_with_points(50, 100)

    def attempt(principal):
        try:
            activity.redeem(principal, "fluoride-5")
            return "ok"
        except AppError as err:
            return err.code

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, principals))
    assert outcomes.count("ok") == 5, outcomes
    assert set(outcomes) <= {"ok", "out_of_stock", "try_again"}
    assert clinics.get_reward("demo-dental", "fluoride-5").stock == 0
    balances = [patients.get("demo-dental", p.patient_id).balance for p in principals]
    assert sorted(balances).count(0) == 5 and sorted(balances).count(100) == 45


def test_per_patient_limit_and_out_of_stock_answers(api, new_patient, staff_token):
    admin = staff_token(role="admin")
    api.post("/rewards", {"reward_id": "family-card", "name": "家庭洁牙卡", "cost": 10, "per_patient_limit": 2,
                          "stock": 3}, token=admin)
    token, pid = new_patient()
    from chalicelib.store import patients, points

    points.credit(patients.get("demo-dental", pid), entry_id="grant:1", points=100, reason="manual",
                  at="2026-11-20T02:00:00Z")
    for _ in range(2):
        assert api.post("/me/redemptions", {"reward_id": "family-card"}, token=token)[0] == 201
    status, err = api.post("/me/redemptions", {"reward_id": "family-card"}, token=token)
    assert status == 409 and err["code"] == "reward_limit_reached"
    token2, pid2 = new_patient(name="second", phone="13800002222")
    points.credit(patients.get("demo-dental", pid2), entry_id="grant:1", points=100, reason="manual",
                  at="2026-11-20T02:00:00Z")
    assert api.post("/me/redemptions", {"reward_id": "family-card"}, token=token2)[0] == 201
    status, err = api.post("/me/redemptions", {"reward_id": "family-card"}, token=token2)
    assert status == 409 and err["code"] == "out_of_stock"
    assert api.get("/me/points", token=token2)[1]["balance"] == 90
    catalogue = {r["reward_id"]: r for r in api.get("/rewards", token=token2)[1]["items"]}
    assert catalogue["family-card"]["stock"] == 0
