"""SMS through Tencent Cloud SMS on a mainland stage (channels.sms_tencent), against the fake
Tencent endpoint the official SDK is pointed at: signature, approved template and its variables,
refusals, and delivery receipts recorded on the message's delivery record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.test_delivery import job_of, log_rows, plan_now, rule_body, run_schedule

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = {"recall": {"template_id": "2000001", "params": ["title", "body"], "max": 12}}


@pytest.fixture
def tencent_stage(api, sms_provider, monkeypatch):
    from chalicelib.config import reset_settings
    from devstack import fake_sms

    fake, endpoint = sms_provider
    for key, value in {"SMS_PROVIDER": "tencent", "TENCENT_SMS_ENDPOINT": endpoint,
                       "TENCENT_SMS_APP_ID": fake_sms.APP_ID, "TENCENT_SMS_SECRET_ID": fake_sms.SECRET_ID,
                       "TENCENT_SMS_SECRET_KEY": "any", "TENCENT_SMS_SIGN_NAME": fake_sms.SIGN_NAME,
                       "TENCENT_SMS_TEMPLATES": json.dumps(TEMPLATES)}.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    fake.sent.clear()
    fake.pending.clear()
    fake.undeliverable.clear()
    yield fake
    reset_settings()


def sms_patient(api, new_patient, name: str, phone: str):
    token, pid = new_patient(name=name, full_name="赵小雨", phone=phone)
    assert api.put("/me/channels", {"preferred": "sms"}, token=token)[0] == 200
    return token, pid


def test_a_recall_goes_out_with_the_signature_and_an_approved_template(api, staff_token, new_patient,
                                                                       tencent_stage, capsys, caplog):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    api.put("/recall-rules/eczema-surgery", rule_body(), token=staff_token())
    token, pid = sms_patient(api, new_patient, "cnfan", "13912345678")
    job = plan_now(pid, "eczema-surgery")
    run_schedule()
    assert len(tencent_stage.sent) == 1
    sent = tencent_stage.sent[0]
    assert sent["number"] == "+8613912345678" and sent["sign_name"] == "齿护口腔" and sent["template_id"] == "2000001"
    title, body = sent["params"]
    assert title == "齿护口腔" and len(body) <= 12 and body.startswith("赵女士您好")
    assert json.loads(sent["session_context"]) == {"c": "demo-dental", "p": pid, "j": job.sk}
    done = job_of(pid, "recall", "eczema-surgery", job.anchor_date, 30)
    assert (done.status, done.channel) == ("sent", "sms")
    assert done.deliveries[-1]["provider_id"] == sent["serial"]
    assert not sns_backends[DEFAULT_ACCOUNT_ID]["ap-east-1"].sms_messages  # nothing through SNS
    logged = capsys.readouterr().out + caplog.text
    assert "13912345678" not in logged and "赵" not in logged


def test_delivery_receipts_land_on_the_delivery_record(api, staff_token, new_patient, tencent_stage):
    from chalicelib.jobs.sms_receipts import pull_sms_receipts

    staff = staff_token()
    api.put("/recall-rules/eczema-surgery", rule_body(), token=staff)
    _, reached = sms_patient(api, new_patient, "reached", "13911110001")
    _, unreached = sms_patient(api, new_patient, "unreached", "13911110002")
    tencent_stage.undeliverable.add("+8613911110002")
    jobs = {pid: plan_now(pid, "eczema-surgery") for pid in (reached, unreached)}
    run_schedule()
    assert len(tencent_stage.sent) == 2
    assert pull_sms_receipts() == {"pulled": 2, "recorded": 2}
    for pid, expected in ((reached, "delivered"), (unreached, "undelivered")):
        entry = job_of(pid, "recall", "eczema-surgery", jobs[pid].anchor_date, 30).deliveries[-1]
        assert entry["channel"] == "sms" and entry["receipt"] == expected and entry["receipt_at"]
    rows = {r["patient_id"]: r for r in log_rows(api, staff)}
    assert rows[unreached]["deliveries"][-1]["receipt"] == "undelivered"
    assert rows[unreached]["deliveries"][-1]["receipt_code"] == "MK:0001"
    # each receipt is handed out once; a second run finds none and changes nothing
    assert pull_sms_receipts() == {"pulled": 0, "recorded": 0}


def test_a_receipt_for_another_patient_changes_nothing(api, staff_token, new_patient, tencent_stage):
    from chalicelib.store import sms_receipts

    api.put("/recall-rules/eczema-surgery", rule_body(), token=staff_token())
    _, pid = sms_patient(api, new_patient, "one", "13911110003")
    job = plan_now(pid, "eczema-surgery")
    run_schedule()
    serial = tencent_stage.sent[0]["serial"]
    assert not sms_receipts.record("other-clinic", pid, job.sk, serial, False, "x", None)
    assert not sms_receipts.record("demo-dental", pid, job.sk, "2433:not-ours", False, "x", None)
    assert "receipt" not in job_of(pid, "recall", "eczema-surgery", job.anchor_date, 30).deliveries[-1]


def test_a_refused_template_falls_back_to_the_next_channel(api, staff_token, new_patient, tencent_stage, monkeypatch):
    from chalicelib.config import reset_settings

    monkeypatch.setenv("TENCENT_SMS_TEMPLATES", json.dumps({"recall": {**TEMPLATES["recall"], "template_id": "999"}}))
    reset_settings()
    api.put("/recall-rules/eczema-surgery", rule_body(), token=staff_token())
    token, pid = sms_patient(api, new_patient, "refused", "13911110004")
    job = plan_now(pid, "eczema-surgery")
    run_schedule()
    done = job_of(pid, "recall", "eczema-surgery", job.anchor_date, 30)
    assert done.deliveries[0]["channel"] == "sms"
    assert done.deliveries[0]["error_code"] == "FailedOperation.TemplateIncorrectOrUnapproved"
    assert done.status == "sent" and done.channel != "sms"
    assert tencent_stage.sent == []


def test_a_kind_without_an_approved_template_is_not_sent_by_sms(api, staff_token, new_patient, tencent_stage,
                                                                 monkeypatch):
    from chalicelib.config import reset_settings

    monkeypatch.setenv("TENCENT_SMS_TEMPLATES", json.dumps({"content": TEMPLATES["recall"]}))
    reset_settings()
    api.put("/recall-rules/eczema-surgery", rule_body(), token=staff_token())
    token, pid = sms_patient(api, new_patient, "notemplate", "13911110005")
    job = plan_now(pid, "eczema-surgery")
    run_schedule()
    done = job_of(pid, "recall", "eczema-surgery", job.anchor_date, 30)
    assert done.status == "sent" and done.channel == "inbox"
    assert [d["channel"] for d in done.deliveries] == ["inbox"]
    assert tencent_stage.sent == []


def test_receipts_are_pulled_only_on_a_tencent_stage(api):
    from chalicelib.jobs.sms_receipts import pull_sms_receipts

    assert pull_sms_receipts() == {"pulled": 0, "recorded": 0}


def test_the_api_function_does_not_load_the_sms_sdk():
    """The SDK (and its HTTP stack) loads only when an SMS goes out through Tencent."""
    code = ("import sys, app; from chalicelib.channels import sms; "
            "print(sorted(m for m in sys.modules if m.startswith('tencentcloud')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "ap-east-1"}).stdout
    assert out.strip() == "[]"
