"""Sessions: refresh tokens rotate and a reused one ends its sign-in; an erased patient's tokens and
a disabled or re-roled staff account's tokens stop at once, on every route, and nothing is written
for an erased patient afterwards."""

import pytest

from tests.conftest import STAFF_PASSWORD, patient_record
from tests.test_helpers import pool_user, refresh, staff_sign_in, wechat_login



def test_refresh_tokens_rotate_and_a_reused_one_ends_the_sign_in(api, new_patient, clock):
    new_patient(name="rotor", phone="13700000001")
    phone_a = wechat_login(api, "rotor")
    phone_b = wechat_login(api, "rotor")  # the same patient signed in on a second device
    status, second = refresh(api, phone_a["refresh_token"])
    assert status == 200 and second["registered"], second
    assert second["refresh_token"] != phone_a["refresh_token"]
    assert api.get("/me", token=second["access_token"])[0] == 200
    status, third = refresh(api, second["refresh_token"])
    assert status == 200

    # the first refresh token again: a copy is in other hands
    status, err = refresh(api, phone_a["refresh_token"])
    assert status == 401 and err["code"] == "refresh_token_reused"
    # the whole family is revoked, and its access tokens stop at once
    status, err = refresh(api, third["refresh_token"])
    assert status == 401 and err["code"] == "session_revoked"
    status, err = api.get("/me", token=third["access_token"])
    assert status == 401 and err["code"] == "session_revoked"
    # the other device's sign-in goes on: its access token ends too, its refresh token does not
    assert api.get("/me", token=phone_b["access_token"])[0] == 401
    status, renewed = refresh(api, phone_b["refresh_token"])
    assert status == 200 and api.get("/me", token=renewed["access_token"])[0] == 200


def test_two_exchanges_of_one_refresh_token_at_once_count_as_reuse(api, new_patient, one_request_at_a_time):
    from concurrent.futures import ThreadPoolExecutor

    new_patient(name="twins", phone="13700000002")
    login = wechat_login(api, "twins")
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: refresh(api, login["refresh_token"]), range(4)))
    statuses = sorted(status for status, _ in answers)
    assert statuses[0] == 200 and statuses[1:] == [401, 401, 401], answers
    assert {data["code"] for status, data in answers if status == 401} <= {"refresh_token_reused", "session_revoked"}


def test_a_visitors_sign_in_ends_when_they_register(api):
    login = wechat_login(api, "newcomer")
    status, registered = api.post("/me/register", patient_record(phone="13700000003"), token=login["access_token"])
    assert status == 201
    status, err = refresh(api, login["refresh_token"])
    assert status == 401 and err["code"] == "session_revoked"
    status, renewed = refresh(api, registered["refresh_token"])
    assert status == 200 and renewed["registered"] and renewed["patient_id"] == registered["patient"]["patient_id"]


def test_a_refresh_token_from_before_sessions_must_log_in_again(api, new_patient):
    from chalicelib.auth import issue_patient_tokens

    _, pid = new_patient(name="legacy", phone="13700000004")
    old = issue_patient_tokens("demo-dental", "x" * 64, pid)  # no session family
    status, err = refresh(api, old["refresh_token"])
    assert status == 401 and err["code"] == "session_revoked"


def test_a_role_change_ends_the_old_roles_tokens(api, clock):
    from devstack import bootstrap
    from chalicelib.services import staff_accounts
    from chalicelib.config import settings

    bootstrap.create_staff_user(settings().cognito_user_pool_id, "climber@demo-dental", STAFF_PASSWORD,
                                "demo-dental", "admin")
    old = staff_sign_in(api, "climber@demo-dental")[1]["id_token"]
    assert api.put("/clinic/earning-rules", {"revisit_on_time": 10, "share": 5, "referral_registered": 15,
                                            "checkin": 1}, token=old)[0] == 200
    clock.advance(seconds=2)
    staff_accounts.set_role("demo-dental", "climber@demo-dental", "front_desk")
    status, err = api.get("/patients", token=old)
    # moto's user pool stamps tokens with the real time, the account with the test clock's:
    # whichever check answers first, the old token is refused
    assert status == 401 and err["code"] in ("session_revoked", "role_changed")
    clock.advance(seconds=2)
    status, login = staff_sign_in(api, "climber@demo-dental")
    assert status == 200 and login["roles"] == ["front_desk"], login
    assert api.get("/patients", token=login["id_token"])[0] == 200
    status, err = api.put("/clinic/earning-rules", {"revisit_on_time": 10, "share": 5, "referral_registered": 15,
                                                   "checkin": 1}, token=login["id_token"])
    assert status == 403


def test_a_staff_token_without_an_account_record_is_refused(api):
    pool_user("ghost@demo-dental", "demo-dental", "admin")
    status, err = staff_sign_in(api, "ghost@demo-dental")
    assert status == 401 and err["code"] == "account_unknown"


def test_erasure_stops_a_queued_reminder_from_writing(api, new_patient, staff_token, clock):
    """A reminder job already on the queue when the patient is erased writes nothing for them."""
    from chalicelib.jobs import send_reminders
    from chalicelib.jobs.sweep import queue_url
    from tests.test_helpers import sweep_lapses
    from devstack.sqs_pump import drain

    token, pid = new_patient(name="quitter", phone="13700000006")
    staff = staff_token("demo-dental", "front_desk")
    status, data = api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2026-10-21"},
                            token=staff)
    assert status in (200, 201), data
    swept = sweep_lapses()
    assert swept["queued"] >= 1, swept
    assert api.delete("/me", token=token)[0] == 200
    drain(queue_url(), send_reminders.handle)
    from chalicelib.store import db
    from chalicelib.store.keys import patient_pk

    assert db.query_partition(patient_pk("demo-dental", pid)) == []


def test_operators_record_accounts_made_before_records_and_manage_them(api, capsys):
    """`record-staff` adopts accounts an older stage made in the pool alone; `disable-staff`,
    `enable-staff` and `set-role` act on them from the command line."""
    import json

    from ops import admin

    pool_user("old@demo-dental", "demo-dental", "front_desk")
    assert staff_sign_in(api, "old@demo-dental")[1]["code"] == "account_unknown"

    assert admin.main(["record-staff", "--clinic", "demo-dental"]) == 0
    recorded = json.loads(capsys.readouterr().out)["recorded"]
    assert recorded == [{"username": "old@demo-dental", "role": "front_desk", "status": "active"}]
    token = staff_sign_in(api, "old@demo-dental")[1]["id_token"]
    assert api.get("/patients", token=token)[0] == 200

    assert admin.main(["disable-staff", "--clinic", "demo-dental", "--username", "old@demo-dental"]) == 0
    assert api.get("/patients", token=token)[1]["code"] == "account_disabled"
    assert admin.main(["enable-staff", "--clinic", "demo-dental", "--username", "old@demo-dental"]) == 0
    assert staff_sign_in(api, "old@demo-dental")[0] == 200
    assert admin.main(["disable-staff", "--clinic", "other-clinic", "--username", "old@demo-dental"]) == 1
    assert "account_not_found" in capsys.readouterr().err
