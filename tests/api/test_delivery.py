"""Recall rules in depth and the delivery rules: rule routes, anchors and offsets, channels
(WeChat quota, SMS through SNS), caps, quiet hours and consent withdrawal, end to end."""

from datetime import date, timedelta

import pytest

from chalicelib.jobs import send_reminders
from chalicelib.jobs.sweep import queue_url
from tests.test_helpers import sweep_lapses
from devstack.sqs_pump import drain
from tests.conftest import T0, wx_code

TEMPLATE = "{nickname}您好，{doctor}提醒您术后复查，{clinic}为您预留了{slot}。"


def run_schedule():
    return sweep_lapses(), drain(queue_url(), send_reminders.handle)


def rule_body(**changes):
    body = {"condition": "eczema", "anchor": "surgery", "offsets": [60, 30], "send_at": "10:00",
            "template": TEMPLATE, "purpose": "service"}
    body.update(changes)
    return body


def job_of(pid, kind, source, anchor_date, offset):
    from chalicelib.store import keys, recall

    return recall.get_job(keys.patient_pk("demo-dental", pid), recall.job_sk(kind, source, anchor_date, offset))


def plan_now(pid, source, *, purpose="service", anchor_date="2026-10-01", offset=30, due=None):
    """A recall job of an existing rule due now (or at `due`), planned through the outbound service."""
    from chalicelib.domain.clock import clock, iso
    from chalicelib.services import outbound

    assert outbound.plan("demo-dental", pid, kind="recall", source_id=source, anchor_date=anchor_date,
                         offset_days=offset, due_at=iso(due or clock.now()), purpose=purpose, anchor="surgery",
                         stop_on=["booked", "visited"])
    return job_of(pid, "recall", source, anchor_date, offset)


def log_rows(api, staff):
    return api.get("/reminders", token=staff)[1]["items"]


def test_rule_routes_validation_and_callers(api, staff_token, new_patient):
    admin, staff = staff_token(), staff_token(role="front_desk")
    status, listed = api.get("/recall-rules", token=staff)
    # the clinic has every condition, so both defaults: eczema (S5) and the package renewal (S8)
    assert status == 200 and [r["rule_id"] for r in listed["items"]] == ["eczema-remission-30", "package-renewal"]
    renewal = listed["items"][1]
    assert (renewal["anchor"], renewal["offsets"], renewal["stop_on"]) == ("package_end", [-30, -7], [])
    default = listed["items"][0]
    assert (default["anchor"], default["offsets"], default["send_at"], default["stop_on"]) == (
        "remission", [30], "10:00", ["booked", "visited"])
    assert "slot" in listed["options"]["variables"] and "package_end" in listed["options"]["anchors"]

    status, made = api.put("/recall-rules/eczema-surgery", rule_body(), token=admin)
    assert status == 200 and made["rule"]["offsets"] == [30, 60]
    assert api.put("/recall-rules/eczema-surgery", rule_body(), token=staff)[0] == 403
    patient, _ = new_patient(name="rulepeek")
    assert api.get("/recall-rules", token=patient)[0] == 403
    assert api.put("/recall-rules/x", rule_body(), token=patient)[0] == 403
    other_admin = staff_token("other-clinic")
    assert "eczema-surgery" not in [r["rule_id"] for r in api.get("/recall-rules", token=other_admin)[1]["items"]]
    assert api.delete("/recall-rules/eczema-surgery", token=other_admin)[0] == 404  # not theirs to see

    bad = {
        "unknown_condition": rule_body(condition="flu"),
        "unknown_department": rule_body(condition=None, department="astrology"),
        "condition_or_department": rule_body(department="dermatology"),
        "unknown_anchor": rule_body(anchor="birthday"),
        "empty_offsets": rule_body(offsets=[]),
        "offset_out_of_range": rule_body(offsets=[30, 1000]),
        "invalid_time": rule_body(send_at="25:00"),
        "unknown_template_variable": rule_body(template="{nickname}：{discount}"),
        "invalid_template": rule_body(template="{nickname"),
        "unknown_stop_condition": rule_body(stop_on=["moon"]),
    }
    for code, body in bad.items():
        status, err = api.put("/recall-rules/bad-rule", body, token=admin)
        assert (status, err["code"]) == (400, code), (code, err)
    assert api.put("/recall-rules/bad rule!", rule_body(), token=admin)[1]["code"] == "invalid_rule_id"
    assert api.put("/recall-rules/x", {**rule_body(), "clinic_id": "other"}, token=admin)[1]["code"] == "unknown_field"
    assert "bad-rule" not in [r["rule_id"] for r in api.get("/recall-rules", token=staff)[1]["items"]]

    status, off = api.put("/recall-rules/eczema-surgery/active", {"active": False}, token=admin)
    assert status == 200 and off["rule"]["active"] is False and off["rule"]["offsets"] == [30, 60]
    assert api.put("/recall-rules/eczema-surgery/active", {"active": True}, token=staff)[0] == 403
    assert api.delete("/recall-rules/eczema-surgery", token=staff)[0] == 403
    assert api.delete("/recall-rules/eczema-surgery", token=admin) == (200, {"deleted": "eczema-surgery"})
    assert api.delete("/recall-rules/eczema-surgery", token=admin)[1]["code"] == "rule_not_found"


def test_anchor_with_two_offsets_visits_and_bookings(api, staff_token, new_patient, clock):
    admin = staff_token()
    api.put("/recall-rules/eczema-surgery", rule_body(), token=admin)
    api.put("/recall-rules/derm-visit-14", rule_body(condition=None, department="dermatology", anchor="visit",
                                                     offsets=[14], template="{nickname}：两周复诊"), token=admin)
    api.put("/recall-rules/eczema-delivery", rule_body(anchor="delivery", stop_on=["visited"], offsets=[10]),
            token=admin)
    token, pid = new_patient(name="surgery", full_name="王小明", sex="M")
    status, reply = api.post(f"/patients/{pid}/anchors", {"anchor": "surgery", "date": "2026-10-21",
                                                          "context": {"doctor": "李医生"}}, token=admin)
    assert status == 201
    assert [(p["offset_days"], p["due_at"], p["created"]) for p in reply["planned"]] == [
        (30, "2026-11-20T02:00:00Z", True), (60, "2026-12-20T02:00:00Z", True)]
    again = api.post(f"/patients/{pid}/anchors", {"anchor": "surgery", "date": "2026-10-21"}, token=admin)[1]
    assert [p["created"] for p in again["planned"]] == [False, False]  # planned once
    for body, code in (({"anchor": "visit", "date": "2026-10-21"}, "use_visit_route"),
                       ({"anchor": "party", "date": "2026-10-21"}, "unknown_anchor"),
                       ({"anchor": "surgery", "date": "2027-01-01"}, "invalid_date"),
                       ({"anchor": "surgery", "date": "2026-10-21", "condition": "diabetes"}, "unknown_condition")):
        assert api.post(f"/patients/{pid}/anchors", body, token=admin)[1]["code"] == code, body
    assert api.post(f"/patients/{pid}/anchors", {"anchor": "surgery", "date": "2026-10-21"},
                    token=new_patient(name="sneaky", phone="13800009999")[0])[0] == 403

    # day 30: the first offset's message, every variable filled in
    swept, _ = run_schedule()
    assert swept["queued"] == 1
    body = api.get("/me/inbox", token=token)[1]["items"][0]["body"]
    # a recall after surgery is health advice: it ends with the health notice
    assert body == "王先生您好，李医生提醒您术后复查，齿护口腔为您预留了11月23日（周一）09:00。\n仅供参考，不构成医疗诊断"

    # a visit on day 31: stops the day-60 job (stop_on visited) and plans the visit rule's day 14
    visit_day = date(2026, 11, 21)
    clock.set(T0 + timedelta(days=1))
    api.post(f"/patients/{pid}/visits", {"visit_date": visit_day.isoformat(), "department": "dermatology"},
             token=admin)
    assert job_of(pid, "recall", "eczema-surgery", "2026-10-21", 60).status == "stopped"
    first_visit_job = job_of(pid, "recall", "derm-visit-14", visit_day.isoformat(), 14)
    assert first_visit_job.due_pk and first_visit_job.due_at == "2026-12-05T02:00:00Z"
    # a later visit stops that one and plans its own
    clock.set(T0 + timedelta(days=5))
    api.post(f"/patients/{pid}/visits", {"visit_date": "2026-11-25", "department": "dermatology"}, token=admin)
    assert job_of(pid, "recall", "derm-visit-14", visit_day.isoformat(), 14).status == "stopped"
    assert job_of(pid, "recall", "derm-visit-14", "2026-11-25", 14).due_pk

    # a rule that stops on visits only is not stopped by a booking
    api.post(f"/patients/{pid}/anchors", {"anchor": "delivery", "date": "2026-11-25"}, token=admin)
    assert api.post(f"/patients/{pid}/bookings", {"date": "2026-12-01"}, token=admin)[1]["reminders_stopped"] == 1
    assert job_of(pid, "recall", "eczema-delivery", "2026-11-25", 10).due_pk
    assert job_of(pid, "recall", "derm-visit-14", "2026-11-25", 14).stop_reason == "booked"

    # package ends are planned ahead of time, through the same function other code calls
    from chalicelib.services.recall import plan_for_anchor

    api.put("/recall-rules/pack-renewal", rule_body(anchor="package_end", offsets=[1], purpose="marketing",
                                                    template="{nickname}：您的{clinic}服务包已到期"), token=admin)
    planned = plan_for_anchor("demo-dental", pid, "package_end", date(2027, 3, 1), context={"package": "孕产套餐"})
    assert [(p["rule_id"], p["due_at"], p["created"]) for p in planned] == [
        ("pack-renewal", "2027-03-02T02:00:00Z", True)]
    assert job_of(pid, "recall", "pack-renewal", "2027-03-01", 1).purpose == "marketing"


def test_wechat_quota_once_then_inbox_and_refusal_never_retried(api, staff_token, new_patient, clinics):
    from chalicelib.store import channels as channel_store

    staff = staff_token(role="front_desk")
    api.put("/recall-rules/eczema-surgery", rule_body(), token=staff_token())
    fake = clinics.fake_wechat
    token, pid = new_patient(name="wxfan")
    status, err = api.post("/me/subscriptions", {"template_id": "revisit-recall", "code": wx_code("someoneelse")},
                           token=token)
    assert (status, err["code"]) == (403, "wechat_account_mismatch")
    assert api.post("/me/subscriptions", {"template_id": "nope", "code": wx_code("wxfan")},
                    token=token)[1]["code"] == "unknown_template"
    status, view = api.post("/me/subscriptions", {"template_id": "revisit-recall", "code": wx_code("wxfan")},
                            token=token)
    assert status == 201 and view["wechat_quota"] == {"revisit-recall": 1} and view["order"] == ["wechat", "inbox"]
    assert api.post("/me/subscriptions", {"template_id": "revisit-recall", "code": wx_code("wxfan")},
                    token=staff)[0] == 403

    refuser_token, refuser = new_patient(name="wxrefuser", phone="13800002222")
    api.post("/me/subscriptions", {"template_id": "revisit-recall", "code": wx_code("wxrefuser")},
             token=refuser_token)
    fake.refusing_openids.add("owxrefuser")
    sent_before = len(fake.sent)
    first = plan_now(pid, "eczema-surgery", anchor_date="2026-10-01")
    second = plan_now(pid, "eczema-surgery", anchor_date="2026-10-02")
    refused = plan_now(refuser, "eczema-surgery")
    run_schedule()
    run_schedule()
    wechat_sends = fake.sent[sent_before:]
    assert [m["touser"] for m in wechat_sends] == ["owxfan"]  # the one opt-in allowed one send
    assert wechat_sends[0]["template_id"] == "revisit-recall" and wechat_sends[0]["page"] == "pages/messages/index"
    assert wechat_sends[0]["data"]["thing2"]["value"].startswith("张女士")  # the name filled in for WeChat
    channels = sorted(job_of(pid, "recall", "eczema-surgery", j.anchor_date, 30).channel for j in (first, second))
    assert channels == ["inbox", "wechat"]
    assert len(api.get("/me/inbox", token=token)[1]["items"]) == 1
    assert channel_store.state("demo-dental", pid).quotas == {"revisit-recall": 0}

    # 43101: recorded as refused, quota zeroed, the inbox took over; nothing retried later
    done = job_of(refuser, "recall", "eczema-surgery", refused.anchor_date, 30)
    assert (done.status, done.channel) == ("sent", "inbox")
    assert [(d["channel"], d["status"], d["error_code"]) for d in done.deliveries] == [
        ("wechat", "refused", "43101"), ("inbox", "sent", None)]
    assert channel_store.state("demo-dental", refuser).quotas == {"revisit-recall": 0}
    assert len(api.get("/me/inbox", token=refuser_token)[1]["items"]) == 1
    row = next(r for r in log_rows(api, staff) if r["patient_id"] == refuser)
    assert row["channel"] == "inbox" and row["deliveries"][0]["error_code"] == "43101"
    run_schedule()
    assert len(fake.sent) == sent_before + 1


def test_sms_through_sns_keeps_the_phone_out_of_logs(api, staff_token, new_patient, capsys, caplog):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    api.put("/recall-rules/eczema-surgery", rule_body(), token=staff_token())
    token, pid = new_patient(name="smsfan", full_name="赵小雨", phone="13912345678")
    assert api.put("/me/channels", {"preferred": "fax"}, token=token)[0] == 400
    status, view = api.put("/me/channels", {"preferred": "sms"}, token=token)
    assert status == 200 and view["order"] == ["sms", "wechat", "inbox"]
    job = plan_now(pid, "eczema-surgery")
    run_schedule()
    messages = list(sns_backends[DEFAULT_ACCOUNT_ID]["ap-east-1"].sms_messages.values())
    assert [phone for phone, _ in messages] == ["+8613912345678"]
    assert messages[0][1].startswith("【齿护口腔】赵女士您好")
    done = job_of(pid, "recall", "eczema-surgery", job.anchor_date, 30)
    assert (done.status, done.channel) == ("sent", "sms")
    assert api.get("/me/inbox", token=token)[1]["items"] == []
    logged = capsys.readouterr().out + caplog.text
    assert "channel answered" in logged and "13912345678" not in logged and "赵" not in logged


def test_caps_quiet_hours_and_withdrawal(api, staff_token, new_patient, clock):
    from chalicelib.domain.clock import iso

    admin = staff_token()
    # the weekly caps alone: the daily cap (2 across purposes, tests/api/test_delivery_relevance.py) out of the way
    assert api.put("/clinic/delivery", {"daily_cap": 10}, token=admin)[0] == 200
    api.put("/recall-rules/promo", rule_body(purpose="marketing", template="{nickname}：春季护肤讲座"), token=admin)
    api.put("/recall-rules/eczema-surgery", rule_body(), token=admin)
    token, pid = new_patient(name="capped", consents={"service": True, "marketing": True})
    promos = [plan_now(pid, "promo", purpose="marketing", anchor_date=f"2026-10-0{n}") for n in (1, 2, 3)]
    service = plan_now(pid, "eczema-surgery")
    run_schedule()
    statuses = sorted(job_of(pid, "recall", "promo", j.anchor_date, 30).status for j in promos)
    assert statuses == ["deferred", "sent", "sent"]  # two marketing messages a week; the third waits
    assert job_of(pid, "recall", "eczema-surgery", service.anchor_date, 30).status == "sent"  # counted apart
    waiting = next(j for j in (job_of(pid, "recall", "promo", p.anchor_date, 30) for p in promos)
                   if j.status == "deferred")
    assert waiting.deferred_until == "2026-11-23T00:00:00Z" and waiting.stop_reason == "frequency_cap"
    assert waiting.due_at == iso(T0)  # the planned time stays, only the due index moves
    clock.set(T0 + timedelta(days=3))  # Monday 10:00 in Shanghai, a new week
    run_schedule()
    assert job_of(pid, "recall", "promo", waiting.anchor_date, 30).status == "sent"
    from chalicelib.store import inbox as inbox_store

    assert len(inbox_store.messages("demo-dental", pid)) == 4

    # admins set the caps and quiet hours; staff may read them
    staff = staff_token(role="front_desk")
    assert api.put("/clinic/delivery", {"caps": {"service": 1}}, token=staff)[0] == 403
    assert api.put("/clinic/delivery", {"quiet_hours": {"start": "24:00", "end": "08:00"}},
                   token=admin)[1]["code"] == "invalid_time"
    status, settings = api.put("/clinic/delivery", {"caps": {"service": 1},
                                                    "quiet_hours": {"start": "20:00", "end": "09:00"}}, token=admin)
    assert status == 200 and settings["caps"] == {"marketing": 2, "service": 1}
    assert api.get("/clinic/delivery", token=staff)[1]["quiet_hours"] == {"start": "20:00", "end": "09:00"}
    # Monday 22:00 is quiet now (20:00-09:00): the job waits for 09:00 and is sent then
    clock.set(T0 + timedelta(days=3, hours=12))
    late = plan_now(pid, "eczema-surgery", anchor_date="2026-10-05")
    run_schedule()
    moved = job_of(pid, "recall", "eczema-surgery", late.anchor_date, 30)
    assert (moved.status, moved.deferred_until, moved.stop_reason) == ("deferred", "2026-11-24T01:00:00Z",
                                                                       "quiet_hours")
    clock.set(T0 + timedelta(days=3, hours=22, minutes=59))  # 08:59: still quiet, not due yet
    assert run_schedule()[0]["queued"] == 0
    clock.set(T0 + timedelta(days=3, hours=23))  # 09:00
    run_schedule()
    assert job_of(pid, "recall", "eczema-surgery", late.anchor_date, 30).status == "sent"
    # the service cap of 1 is used up this week; a job capped until past its relevance window (a recall:
    # 30 days after its planned time) is dropped as `capped`
    stale = plan_now(pid, "eczema-surgery", anchor_date="2026-10-06", due=T0 - timedelta(days=25))
    run_schedule()
    dropped = job_of(pid, "recall", "eczema-surgery", stale.anchor_date, 30)
    assert (dropped.status, dropped.stop_reason) == ("capped", "frequency_cap")

    # withdrawing marketing consent closes the open marketing journeys at once, service ones stay
    open_promo = plan_now(pid, "promo", purpose="marketing", anchor_date="2026-10-07", due=T0 + timedelta(days=30))
    open_service = plan_now(pid, "eczema-surgery", anchor_date="2026-10-07", due=T0 + timedelta(days=30))
    token = api.post("/auth/wechat/login", {"clinic_id": "demo-dental", "code": wx_code("capped")})[1]["access_token"]
    assert api.post("/me/consents/withdraw", {"purposes": ["marketing"]}, token=token)[0] == 200
    closed = job_of(pid, "recall", "promo", open_promo.anchor_date, 30)
    assert (closed.status, closed.stop_reason, closed.due_pk) == ("stopped", "consent_withdrawn", None)
    assert job_of(pid, "recall", "eczema-surgery", open_service.anchor_date, 30).due_pk


def test_a_first_start_at_night_sends_what_fell_due_before_the_quiet_hours(api, staff_token, new_patient, clock):
    """The demo builder's step: at 03:00 in Shanghai a reminder due at 10:00 the day before goes out
    as the minute schedule would have sent it, at 20:59; one due now still waits for the morning."""
    from chalicelib.domain.clock import iso
    from chalicelib.store import inbox as inbox_store
    from devstack.seed.offline import sweep_before_quiet_hours

    api.put("/recall-rules/eczema-surgery", rule_body(), token=staff_token())
    _, pid = new_patient(name="night", consents={"service": True})
    earlier = plan_now(pid, "eczema-surgery", anchor_date="2026-10-01")  # due at T0, 10:00 Shanghai
    night = T0 + timedelta(hours=17)  # 03:00 the next day
    clock.set(night)
    assert sweep_before_quiet_hours(run_schedule) is not None
    sent = job_of(pid, "recall", "eczema-surgery", earlier.anchor_date, 30)
    assert (sent.status, sent.processed_at) == ("sent", iso(T0 + timedelta(hours=10, minutes=59)))
    assert len(inbox_store.messages("demo-dental", pid)) == 1
    assert clock.now() == night  # the clock reads what it read before
    waiting = plan_now(pid, "eczema-surgery", anchor_date="2026-10-02")
    run_schedule()
    assert job_of(pid, "recall", "eczema-surgery", waiting.anchor_date, 30).status == "deferred"
    # in the daytime no clinic is in its quiet hours: nothing to send before them
    clock.set(T0 + timedelta(days=1))
    assert sweep_before_quiet_hours(run_schedule) is None
