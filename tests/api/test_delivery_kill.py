"""The sweep and the sender killed at every call they make, then run again after the lease:
nothing is sent twice, nothing is missed, every job ends closed.

A kill is a BaseException raised from a patched botocore call (DynamoDB, SQS, SNS) or from the
WeChat HTTP call, on the k-th call of a round, either before the call is made or after it
returned (its answer lost). One window cannot be exactly once over WeChat or SMS, neither of
which takes an idempotency key: after the job is marked in flight and before the request leaves.
A job found in that state is closed as sent, unconfirmed, so it is never sent twice; the test
checks it sent at most once there and exactly once everywhere else.
"""

from datetime import timedelta

from botocore.client import BaseClient

from chalicelib.channels import wechat
from chalicelib.jobs import send_reminders
from chalicelib.jobs.sweep import queue_url
from tests.test_helpers import sweep_lapses
from devstack.sqs_pump import drain
from tests.conftest import T0, wx_code

# a lost answer matters only for calls with an effect; a read's lost answer is the next call's kill
EFFECTS = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "SendMessageBatch", "ReceiveMessage",
           "DeleteMessageBatch", "Publish", "wechat"}


class Killed(BaseException):
    """The function's process died: nothing in the code may catch this."""


class Killer:
    def __init__(self):
        self.calls: list[str] = []
        self.kill_at: int | None = None
        self.mode = "before"
        self.killed: str | None = None

    def step(self, name: str, when: str) -> None:
        if when == "before":
            self.calls.append(name)
        if self.kill_at == len(self.calls) and self.mode == when:
            self.kill_at, self.killed = None, f"{when} {name}"
            raise Killed(f"{when} {name}")


def run_everything():
    sweep_lapses()
    drain(queue_url(), send_reminders.handle)


def test_killed_at_every_call_sends_each_job_once(api, staff_token, new_patient, clock, clinics, monkeypatch):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    from chalicelib.aws import client
    from chalicelib.domain.clock import iso
    from chalicelib.services import outbound
    from chalicelib.store import channels as channel_store
    from chalicelib.store import keys, recall
    from chalicelib.store import inbox as inbox_store

    admin = staff_token()
    body = {"condition": "eczema", "anchor": "surgery", "offsets": [30], "send_at": "10:00",
            "template": "{nickname}：复查提醒", "purpose": "service"}
    assert api.put("/recall-rules/kill-test", body, token=admin)[0] == 200
    assert api.put("/clinic/delivery", {"caps": {"service": 50}}, token=admin)[0] == 200
    _, inbox_pid = new_patient(name="k-inbox", phone="13800000001")
    wx_token, wx_pid = new_patient(name="kwx", phone="13800000002")
    sms_token, sms_pid = new_patient(name="k-sms", phone="13800000003")
    api.post("/me/subscriptions", {"template_id": "revisit-recall", "code": wx_code("kwx")}, token=wx_token)
    api.put("/me/channels", {"preferred": "sms"}, token=sms_token)
    sqs = client("sqs")
    sqs.set_queue_attributes(QueueUrl=queue_url(), Attributes={"VisibilityTimeout": "0"})  # a dead receiver's batch returns at once
    sms_log = sns_backends[DEFAULT_ACCOUNT_ID]["ap-east-1"].sms_messages
    fake = clinics.fake_wechat

    killer = Killer()
    real_call, real_post = BaseClient._make_api_call, wechat._post

    def api_call(self, operation, params):
        killer.step(operation, "before")
        reply = real_call(self, operation, params)
        killer.step(operation, "after")
        return reply

    def post(url, data):
        killer.step("wechat", "before")
        reply = real_post(url, data)
        killer.step("wechat", "after")
        return reply

    # The settings caches expire on the wall clock; a round slowed by a busy machine would then
    # read them again and shift every later call, so here they hold for the whole test.
    from chalicelib.store import channels as channels_store, clinics as clinics_store, segments as segments_store
    for module, name in ((channels_store, "_CACHE_SECONDS"), (clinics_store, "_CACHE_SECONDS"),
                         (segments_store, "CACHE_SECONDS")):
        monkeypatch.setattr(module, name, 10**9)
    monkeypatch.setattr(BaseClient, "_make_api_call", api_call)
    monkeypatch.setattr(wechat, "_post", post)
    patients = {"inbox": inbox_pid, "wechat": wx_pid, "sms": sms_pid}
    rounds = {"n": 0}

    def new_round() -> dict:
        """Each round plans one fresh job per patient, due now, in a week of its own (caps stay clear)."""
        rounds["n"] += 1
        clock.set(T0 + timedelta(weeks=rounds["n"]))
        anchor = (T0.date() + timedelta(days=rounds["n"])).isoformat()
        jobs = {}
        for role, pid in patients.items():
            outbound.plan("demo-dental", pid, kind="recall", source_id="kill-test", anchor_date=anchor, offset_days=30,
                          due_at=iso(clock.now()), purpose="service", anchor="surgery", stop_on=["booked", "visited"])
            jobs[role] = (keys.patient_pk("demo-dental", pid), recall.job_sk("recall", "kill-test", anchor, 30))
        channel_store.add_quota("demo-dental", wx_pid, "revisit-recall", channel_store.state(
            "demo-dental", wx_pid).openid_enc, iso(clock.now()))
        return jobs

    def delivered(jobs: dict, wechat_before: int, sms_before: int) -> dict:
        got = {}
        for role, (pk, sk) in jobs.items():
            job = recall.get_job(pk, sk)
            from chalicelib.channels import inbox

            in_inbox = sum(1 for m in inbox_store.messages("demo-dental", patients[role]) if m.message_id == inbox.message_id(job))
            got[role] = in_inbox
        got["wechat"] += sum(1 for m in fake.sent[wechat_before:] if m["touser"] == "okwx")
        got["sms"] += sum(1 for phone, _ in list(sms_log.values())[sms_before:] if phone == "+8613800000003")
        return got

    # a clean round: how many calls there are to kill at
    jobs = new_round()
    wechat_before, sms_before = len(fake.sent), len(sms_log)
    killer.calls = []
    run_everything()
    clean_calls = list(killer.calls)
    assert delivered(jobs, wechat_before, sms_before) == {"inbox": 1, "wechat": 1, "sms": 1}
    assert {role: recall.get_job(*key).channel for role, key in jobs.items()} == {
        "inbox": "inbox", "wechat": "wechat", "sms": "sms"}
    calls = len(clean_calls)
    assert calls > 20 and "TransactWriteItems" in clean_calls and "wechat" in clean_calls
    windows, checked = [], 0
    points = [("before", k) for k in range(1, calls + 1)]
    points += [("after", k) for k in range(1, calls + 1) if clean_calls[k - 1] in EFFECTS]
    for mode, k in points:
        jobs = new_round()
        wechat_before, sms_before = len(fake.sent), len(sms_log)
        killer.calls, killer.kill_at, killer.mode, killer.killed = [], k, mode, None
        try:
            run_everything()
        except Killed:
            pass
        killer.kill_at = None
        in_flight = {role for role, key in jobs.items() if recall.get_job(*key).inflight}
        clock.advance(minutes=16)  # past the lease
        run_everything()
        got = delivered(jobs, wechat_before, sms_before)
        for role, key in jobs.items():
            job = recall.get_job(*key)
            assert job.due_pk is None and job.status == "sent", (mode, k, role, job.status)
            if role in in_flight and got[role] == 0:
                # died between the in-flight mark and the request: never sent twice, closed unconfirmed
                assert job.error_code == "unconfirmed", (mode, k, role)
                windows.append((mode, killer.killed, role))
            else:
                assert got[role] == 1, (mode, k, role, got, job.deliveries)
            checked += 1
    assert checked == len(points) * 3
    # only right after the in-flight mark (WeChat, SMS) or right before their requests
    assert sorted(label for _, label, _ in windows) == [
        "after TransactWriteItems", "after TransactWriteItems", "before Publish", "before wechat"], windows
