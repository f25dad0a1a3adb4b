"""The audit trail: what is recorded (who, when, which patient, from where, why), who may read and
export it, paging over days, its retention (TTL) and that nothing can edit or delete it."""

import csv
import io

import pytest

from chalicelib.domain.privacy import mask_name

UA = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0) ClinicDesk/1.0"}


def trail(api, token, query=""):
    status, data = api.get("/audit" + query, token=token)
    assert status == 200, data
    return data


def test_a_view_of_a_patient_is_recorded_with_who_when_and_from_where(api, new_patient, staff_token, clock):
    _, pid = new_patient(name="au1", phone="13900000101")
    staff = staff_token("demo-dental", "front_desk")
    admin = staff_token("demo-dental", "admin")
    status, _ = api.get(f"/patients/{pid}", token=staff, headers=UA)
    assert status == 200

    events = trail(api, admin, f"?patient_id={pid}")["items"]
    views = [e for e in events if e["action"] == "view_patient"]
    assert len(views) == 1
    view = views[0]
    assert view["actor"] == "front_desk@demo-dental" and view["actor_role"] == "front_desk"
    assert view["patient_id"] == pid and view["at"] == "2026-11-20T02:00:00Z" and view["day"] == "2026-11-20"
    assert view["source_ip"] == "127.0.0.1" and view["user_agent"] == UA["User-Agent"]

    # a patient of no one, or of another clinic, is not found, and nothing is recorded
    other_admin = staff_token("other-clinic", "admin")
    assert api.get(f"/patients/{pid}", token=other_admin)[0] == 404
    assert not [e for e in trail(api, other_admin)["items"] if e["action"] == "view_patient"]
    assert len([e for e in trail(api, admin)["items"] if e["action"] == "view_patient"]) == 1
    # the row names the patient by masked name, never in clear
    name = api.get(f"/patients/{pid}", token=staff)[1]["patient"]["name"]
    assert view["patient_name_masked"] == mask_name(name) != name


def test_sign_in_exports_and_erasure_are_recorded_and_the_trail_outlives_the_patient(api, new_patient, staff_token,
                                                                                    clock):
    admin = staff_token("demo-dental", "admin")  # a sign-in
    token, pid = new_patient(name="au2", phone="13900000102")
    assert api.get("/me/export", token=token)[0] == 200
    status, segments = api.get("/segments", token=admin)
    segment_id = segments["items"][0]["segment_id"]
    assert api.get(f"/segments/{segment_id}/export", token=admin)[0] == 200
    assert api.delete("/me", token=token)[0] == 200

    events = trail(api, admin)["items"]
    actions = [e["action"] for e in events]
    assert "sign_in" in actions
    sign_in = next(e for e in events if e["action"] == "sign_in")
    assert sign_in["actor"] == "admin@demo-dental" and sign_in["actor_role"] == "admin"
    exports = [e for e in events if e["action"] == "export"]
    assert {(e["actor_role"], e["patient_id"]) for e in exports} == {("patient", pid), ("admin", None)}
    assert next(e for e in exports if e["actor_role"] == "admin")["detail"] == {"segment_id": segment_id}
    erase = next(e for e in events if e["action"] == "erase")
    assert erase["patient_id"] == pid and erase["actor"] == pid and erase["detail"]["items"] > 0
    # the patient's record is gone; their trail is not
    assert {e["action"] for e in trail(api, admin, f"?patient_id={pid}")["items"]} == {"export", "erase"}
    assert {e["patient_name_masked"] for e in trail(api, admin, f"?patient_id={pid}")["items"]} == {None}


def test_only_admins_read_and_export_the_trail_of_their_own_clinic(api, staff_token, clock):
    admin = staff_token("demo-dental", "admin")
    for role in ("front_desk", "health_manager", "analyst"):
        staff = staff_token("demo-dental", role)
        assert api.get("/audit", token=staff)[1]["code"] == "wrong_role"
        assert api.get("/audit/export", token=staff)[1]["code"] == "wrong_role"
    other = staff_token("other-clinic", "admin")
    assert {e["actor"] for e in trail(api, other)["items"]} == {"admin@other-clinic"}
    status, err = api.get("/audit?from=2026-11-21&to=2026-11-20", token=admin)
    assert status == 400 and err["code"] == "invalid_period"
    status, err = api.get("/audit?from=2025-01-01&to=2026-11-20", token=admin)
    assert status == 400 and err["code"] == "period_too_long"
    # nothing is recorded in the future: a period there is empty of days, refused, never a server error
    status, err = api.get("/audit?from=9999-12-30&to=9999-12-31&patient_id=p1", token=admin)
    assert status == 400 and err["code"] == "invalid_period"
    status, err = api.get("/audit?cursor=nonsense", token=admin)
    assert status == 400 and err["code"] == "invalid_cursor"


def test_the_export_is_a_csv_of_the_period_and_is_audited_itself(api, new_patient, staff_token, clock):
    admin = staff_token("demo-dental", "admin")
    _, pid = new_patient(name="au3", phone="13900000103")
    api.get(f"/patients/{pid}", token=admin)
    reply = api.client.http.get("/audit/export?from=2026-11-20&to=2026-11-20",
                                headers={"Authorization": f"Bearer {admin}"})
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/csv")
    text = reply.body.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {"sign_in", "view_patient", "audit_export"} <= {r["action"] for r in rows}
    assert next(r for r in rows if r["action"] == "view_patient")["patient_id"] == pid
    exported = [e for e in trail(api, admin)["items"] if e["action"] == "audit_export"]
    assert len(exported) == 1 and exported[0]["detail"] == {"from": "2026-11-20", "to": "2026-11-20"}


def test_pages_run_across_days_newest_first_and_filter_by_actor(api, new_patient, staff_token, clock):
    admin = staff_token("demo-dental", "admin")
    _, pid = new_patient(name="au4", phone="13900000104")
    seen = []
    for day in range(5):  # one view a day by staff, one by the admin on the third day
        staff = staff_token("demo-dental", "front_desk")
        api.get(f"/patients/{pid}", token=staff)
        seen.append(f"2026-11-{20 + day}")
        if day == 2:
            api.get(f"/patients/{pid}", token=staff_token("demo-dental", "admin"))
        clock.advance(days=1)
    admin = staff_token("demo-dental", "admin")
    query = "?from=2026-11-20&to=2026-11-24&actor=front_desk@demo-dental&limit=3"
    first = trail(api, admin, query)
    assert [e["day"] for e in first["items"]] == ["2026-11-24"] * 2 + ["2026-11-23"]  # a sign-in and a view
    rows, cursor = list(first["items"]), first["next_cursor"]
    while cursor:
        more = trail(api, admin, query + "&cursor=" + cursor)
        rows += more["items"]
        cursor = more["next_cursor"]
    views = [e for e in rows if e["action"] == "view_patient"]
    assert [e["day"] for e in views] == sorted(seen, reverse=True)
    assert all(e["actor"] == "front_desk@demo-dental" for e in rows)
    assert [e["at"] for e in rows] == sorted((e["at"] for e in rows), reverse=True)
    by_patient = trail(api, admin, f"?from=2026-11-20&to=2026-11-24&patient_id={pid}")["items"]
    assert len(by_patient) == 6 and {e["actor"] for e in by_patient} == {"front_desk@demo-dental", "admin@demo-dental"}
    # a cursor belongs to its query
    status, err = api.get("/audit?from=2026-11-20&to=2026-11-24&limit=3&cursor=" + first["next_cursor"], token=admin)
    assert status == 400 and err["code"] == "invalid_cursor"


def test_events_expire_after_the_configured_retention(api, new_patient, staff_token, clock, monkeypatch):
    from chalicelib.config import reset_settings
    from chalicelib.store.models import AuditItem

    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "400")
    reset_settings()
    admin = staff_token("demo-dental", "admin")
    items = list(AuditItem.query("demo-dental#AUDIT#2026-11-20"))
    assert items and all(int(i.expires_at) == int(clock.now().timestamp()) + 400 * 86400 for i in items)
    from chalicelib.store.schema import TTL_ATTRIBUTE

    assert TTL_ATTRIBUTE == "expires_at"
    assert admin


def test_no_route_changes_or_deletes_the_trail_and_the_store_never_overwrites(api, staff_token, clock):
    import app  # noqa: F401  (registers every route)
    from chalicelib.api.routing import REGISTRY
    from chalicelib.store import audit as store
    from chalicelib.store.models import AuditItem

    audit_routes = {(r["method"], r["path"]) for r in REGISTRY if r["path"].startswith("/audit")}
    assert audit_routes == {("get", "/audit"), ("get", "/audit/export")}
    admin = staff_token("demo-dental", "admin")
    for method in ("put", "delete", "post", "patch"):
        status, _ = api.call(method.upper(), "/audit", body={}, token=admin)
        assert status in (403, 405)
    event = next(iter(AuditItem.query("demo-dental#AUDIT#2026-11-20")))
    original = store.AuditEvent("demo-dental", event.event_id, event.at, event.day, event.action, event.actor,
                                event.actor_role)
    forged = original._replace(actor="someone-else", action="view_patient")
    with pytest.raises(store.AuditExists):
        store.append(forged, expires_at=1)
    again = AuditItem.get(event.pk, event.sk)
    assert again.actor == event.actor and again.action == event.action and int(again.expires_at) == int(event.expires_at)


def test_role_changes_and_disabling_from_the_site_name_the_admin(api, staff_token, clock):
    admin = staff_token("demo-dental", "admin")
    status, _ = api.put("/staff/analyst@demo-dental/role", {"role": "front_desk"}, token=admin)
    assert status == 200
    status, _ = api.post("/staff/front_desk@demo-dental/disable", token=admin)
    assert status == 200
    events = {e["action"]: e for e in trail(api, admin)["items"]}
    change = events["role_change"]
    assert change["actor"] == "admin@demo-dental" and change["actor_role"] == "admin"
    assert change["detail"] == {"username": "analyst@demo-dental", "from": "analyst", "to": "front_desk"}
    assert change["source_ip"] == "127.0.0.1"
    disabled = events["staff_disable"]
    assert disabled["actor_role"] == "admin" and disabled["detail"] == {"username": "front_desk@demo-dental"}
