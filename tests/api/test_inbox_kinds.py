"""The inbox tells a reminder from a content path's step, and gives an article's or audio's
address, so the mini-program can open or play it."""

from chalicelib.jobs import send_reminders
from chalicelib.jobs.sweep import queue_url
from tests.test_helpers import sweep_lapses
from devstack.sqs_pump import drain

AUDIO = "https://media.example-clinic.cn/rehab/week1.mp3"
PATH = {"cadence_days": 7, "purpose": "service", "send_at": "10:00",
        "steps": [{"kind": "audio", "title": "康复课第一讲", "url": AUDIO, "health": True,
                   "body": "本周的康复操，跟着音频做十分钟。"},
                  {"kind": "link", "title": "湿疹护理小贴士", "url": "https://media.example-clinic.cn/eczema-care",
                   "health": True, "body": "春季护肤要点。"}]}


def test_inbox_messages_say_their_kind_media_and_address(api, new_patient, staff_token):
    admin = staff_token()
    status, made = api.post("/segments", {"segment_id": "rehab-audio", "name": "康复课堂",
                                          "rule": {"field": "persona", "in": ["anxious"]}, "content_path": PATH},
                            token=admin)
    assert status == 201, made
    token, pid = new_patient(name="kinds", consents={"service": True})
    assert api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2026-10-21"},
                    token=admin)[0] == 201
    sweep_lapses()
    drain(queue_url(), send_reminders.handle)

    status, inbox = api.get("/me/inbox", token=token)
    assert status == 200 and len(inbox["items"]) == 2, inbox
    content = next(m for m in inbox["items"] if m["kind"] == "content")
    reminder = next(m for m in inbox["items"] if m["kind"] == "reminder")
    assert (content["title"], content["media"], content["link"]) == ("康复课第一讲", "audio", AUDIO)
    assert (reminder["media"], reminder["link"]) == (None, None)
    assert "湿疹" in reminder["body"]
    status, read = api.post(f"/me/inbox/{content['message_id']}/read", token=token)
    assert status == 200 and read["message"]["link"] == AUDIO and read["message"]["kind"] == "content"
