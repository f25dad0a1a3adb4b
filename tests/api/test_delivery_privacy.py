"""No patient name in clear in the table: messages are stored with the nickname left as a
placeholder and personalised when the patient reads them (or when WeChat or SMS carries them)."""

import json

from chalicelib.jobs import send_reminders
from chalicelib.jobs.sweep import queue_url
from tests.test_helpers import sweep_lapses
from devstack.sqs_pump import drain

FULL_NAME, SURNAME, GIVEN = "秦守仁", "秦", "守仁"
PHONE = "13957246810"
PATH = {"cadence_days": 7, "purpose": "service", "send_at": "10:00",
        "steps": [{"kind": "text", "title": "{nickname}，欢迎加入康复课堂", "health": False,
                   "body": "{nickname}您好，{clinic}每周为您准备一节康复课。"}]}


def table_items() -> list[dict]:
    """Every item of the table, raw (a Scan: fine in a test, never on a request path)."""
    from chalicelib.aws import client
    from chalicelib.config import settings

    items, start = [], None
    while True:
        page = client("dynamodb").scan(TableName=settings().table_name, **({"ExclusiveStartKey": start}
                                                                            if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def strings(value, path=()):
    """(attribute path, text) of every string inside a raw DynamoDB value."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from strings(inner, path + (key,))
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner, path)


def test_no_name_or_phone_in_clear_anywhere_while_the_inbox_greets_by_name(api, new_patient, staff_token, capsys,
                                                                            caplog):
    from chalicelib.domain.privacy import mask_name

    admin = staff_token()
    status, made = api.post("/segments", {"segment_id": "rehab-path", "name": "康复课堂",
                                          "rule": {"field": "persona", "in": ["anxious"]}, "content_path": PATH},
                            token=admin)
    assert status == 201, made
    token, pid = new_patient(name="qin", full_name=FULL_NAME, sex="M", phone=PHONE, consents={"service": True})
    assert "rehab-path" in {s["segment_id"] for s in api.get(f"/patients/{pid}/segments", token=admin)[1]["segments"]}
    # a recall (the eczema day-30 reminder, due now) and the content path's first step (due now)
    assert api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2026-10-21"},
                    token=admin)[0] == 201
    sweep_lapses()
    drain(queue_url(), send_reminders.handle)

    # the patient reads both, greeted by name
    status, inbox = api.get("/me/inbox", token=token)
    assert status == 200
    by_kind = {m["title"]: m for m in inbox["items"]}
    assert len(inbox["items"]) == 2, inbox
    assert "秦先生，欢迎加入康复课堂" in by_kind
    assert by_kind["秦先生，欢迎加入康复课堂"]["body"] == "秦先生您好，齿护口腔每周为您准备一节康复课。"
    recall = next(m for m in inbox["items"] if m["title"] == "齿护口腔")
    assert recall["body"].startswith("秦先生您好：湿疹缓解一个月后")
    status, read = api.post(f"/me/inbox/{recall['message_id']}/read", token=token)
    assert status == 200 and read["message"]["body"].startswith("秦先生您好")
    log = api.get("/reminders", token=admin)[1]["items"]
    assert {(r["kind"], r["status"]) for r in log if r["patient_id"] == pid} == {("recall", "sent"),
                                                                                ("content", "sent")}
    # the log names the patient by the masked name lists show, never the full one
    assert {r["name_masked"] for r in log if r["patient_id"] == pid} == {"秦**"}

    # the table: neither the full name, the given name, the greeting nor the phone, anywhere; the
    # surname only as the masked name lists show (秦**, docs/architecture.md)
    found = []
    for item in table_items():
        for path, text in strings(item):
            if FULL_NAME in text or GIVEN in text or PHONE in text or "秦先生" in text:
                found.append((item["sk"]["S"], path, text))
            elif SURNAME in text and not (path[-2:] == ("name_masked", "S") and text == mask_name(FULL_NAME)):
                found.append((item["sk"]["S"], path, text))
    assert not found, found
    out = capsys.readouterr()
    logged = out.out + out.err + caplog.text
    assert SURNAME not in logged and PHONE not in logged
    assert json.dumps(inbox, ensure_ascii=False).count("秦先生") == 3
