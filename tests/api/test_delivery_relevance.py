"""A message too late to matter is closed as `stale`, never sent; no patient gets more than the
daily cap of messages across all purposes (on top of the weekly caps). Both through the real
sweep and sender."""

from datetime import date, timedelta

from chalicelib.domain.clock import iso
from tests.api.test_delivery import job_of, log_rows, plan_now, rule_body, run_schedule
from tests.conftest import T0

KNOWLEDGE = "postpartum-knowledge"  # the default weekly course: steps on days 0, 7, 14, 21 at 10:00
MOTHER = {"conditions": ["postpartum"], "department": "obstetrics", "persona_tags": ["knowledge_seeking"],
          "consents": {"service": True}}


def jobs(pid, kind=None):
    from chalicelib.store import keys
    from chalicelib.store.models import RecallJobItem, bind

    bind()
    found = RecallJobItem.query(keys.patient_pk("demo-dental", pid), RecallJobItem.sk.startswith("OUT#"))
    return sorted((j for j in found if kind is None or j.kind == kind), key=lambda j: j.due_at)


def inbox_titles(pid):
    from chalicelib.store import inbox as inbox_store

    return sorted(m.title for m in inbox_store.messages("demo-dental", pid))


def until_quiet(rounds=6):
    """The local runner sweeps every minute: run it until nothing more is queued."""
    for _ in range(rounds):
        if run_schedule()[0]["queued"] == 0:
            return
    raise AssertionError("the sweep kept finding work")


def test_a_content_step_ten_days_late_is_closed_stale_and_one_two_days_late_is_sent(api, new_patient, staff_token,
                                                                                   clock):
    clock.set(T0 - timedelta(days=10))
    _, late = new_patient(name="late-mum", **MOTHER)
    clock.set(T0 - timedelta(days=2))
    _, recent = new_patient(name="recent-mum", phone="13800003333", **MOTHER)
    clock.set(T0)
    run_schedule()
    stale = jobs(late, "content")[0]
    assert (stale.status, stale.stop_reason, stale.due_pk) == ("stale", "too_late", None)
    assert stale.due_at == iso(T0 - timedelta(days=10)) and not stale.channel
    sent = jobs(recent, "content")[0]
    assert (sent.status, sent.channel) == ("sent", "inbox")
    assert inbox_titles(recent) == ["第1课：母乳喂养的正确姿势"]
    assert inbox_titles(late) == []
    # the path goes on: the late mother's second step (due three days ago, the window's very end) is sent
    run_schedule()
    assert [(j.context["step"], j.status) for j in jobs(late, "content")][:2] == [(0, "stale"), (1, "sent")]
    assert inbox_titles(late) == ["第2课：新生儿疫苗接种时间表"]
    rows = log_rows(api, staff_token(role="front_desk"))
    row = next(r for r in rows if r["patient_id"] == late and r["status"] == "stale")
    assert row["stop_reason"] == "too_late" and row["kind"] == "content"


def test_first_start_with_months_of_overdue_steps_sends_only_what_is_still_timely(api, new_patient, staff_token,
                                                                                 clock):
    """The demo's first start: a mother who joined the weekly course 16 days ago gets the day-14
    step, not days 0, 7 and 14 within two minutes; with her day-30 recall also due she gets two
    messages that day at most."""
    clock.set(T0 - timedelta(days=16))
    _, pid = new_patient(name="first-start", **{**MOTHER, "conditions": ["postpartum", "eczema"]})
    clock.set(T0)
    admin = staff_token()
    assert api.post(f"/patients/{pid}/remissions", {"condition": "eczema", "date": "2026-10-21"},
                    token=admin)[0] == 201
    plan_now(pid, "eczema-remission-30", anchor_date="2026-10-22")  # a second reminder due: over the day's cap
    until_quiet()
    content = jobs(pid, "content")
    assert [(j.context["step"], j.status, j.stop_reason) for j in content[:2]] == [
        (0, "stale", "too_late"), (1, "stale", "too_late")]
    timely = [content[2]] + jobs(pid, "recall")  # the day-14 step (two days late) and the two reminders
    assert content[2].context["step"] == 2
    assert sorted(j.status for j in timely) == ["deferred", "sent", "sent"]
    assert len(inbox_titles(pid)) == 2
    waiting = next(j for j in timely if j.status == "deferred")
    assert (waiting.stop_reason, waiting.deferred_until) == ("daily_cap", "2026-11-21T00:00:00Z")  # 08:00 tomorrow
    clock.set(T0 + timedelta(hours=22))  # 08:00 next day in Shanghai
    until_quiet()
    assert [j.status for j in jobs(pid, "content")][:3] == ["stale", "stale", "sent"]
    assert sorted(j.status for j in jobs(pid, "recall")) == ["sent", "sent"]
    assert len(inbox_titles(pid)) == 3


def test_three_due_messages_for_one_patient_on_one_day_give_two_sends_and_one_for_tomorrow(api, new_patient,
                                                                                          staff_token, clock):
    api.put("/recall-rules/eczema-surgery", rule_body(), token=staff_token())
    _, pid = new_patient(name="busy")
    planned = [plan_now(pid, "eczema-surgery", anchor_date=f"2026-10-0{n}") for n in (1, 2, 3)]
    run_schedule()
    done = [job_of(pid, "recall", "eczema-surgery", j.anchor_date, 30) for j in planned]
    assert sorted(j.status for j in done) == ["deferred", "sent", "sent"]
    waiting = next(j for j in done if j.status == "deferred")
    assert (waiting.stop_reason, waiting.deferred_until, waiting.due_at) == (
        "daily_cap", "2026-11-21T00:00:00Z", iso(T0))  # the planned time stays
    assert run_schedule()[0]["queued"] == 0  # not before tomorrow
    clock.set(T0 + timedelta(hours=22))
    run_schedule()
    assert job_of(pid, "recall", "eczema-surgery", waiting.anchor_date, 30).status == "sent"
    from chalicelib.store import inbox as inbox_store

    assert len(inbox_store.messages("demo-dental", pid)) == 3


def test_the_daily_cap_counts_every_purpose_together(api, new_patient, staff_token, clock):
    admin = staff_token()
    api.put("/recall-rules/promo", rule_body(purpose="marketing", template="{nickname}：春季护肤讲座"), token=admin)
    api.put("/recall-rules/eczema-surgery", rule_body(), token=admin)
    _, pid = new_patient(name="both", consents={"service": True, "marketing": True})
    promos = [plan_now(pid, "promo", purpose="marketing", anchor_date=f"2026-10-0{n}") for n in (1, 2)]
    service = plan_now(pid, "eczema-surgery")
    run_schedule()
    done = [job_of(pid, "recall", j.rule_id, j.anchor_date, 30) for j in promos + [service]]
    # neither weekly cap is reached (marketing 2, service 5), yet the third message of the day waits
    assert sorted(j.status for j in done) == ["deferred", "sent", "sent"]
    assert next(j for j in done if j.status == "deferred").stop_reason == "daily_cap"
    # the admin raises the daily cap: the deferred one still waits for tomorrow, a new one goes today
    status, settings = api.put("/clinic/delivery", {"daily_cap": 3}, token=admin)
    assert status == 200 and settings["daily_cap"] == 3
    extra = plan_now(pid, "eczema-surgery", anchor_date="2026-10-05")
    run_schedule()
    assert job_of(pid, "recall", "eczema-surgery", extra.anchor_date, 30).status == "sent"


def test_a_recall_is_sent_late_within_its_window_and_closed_stale_after_it(api, new_patient, staff_token, clock):
    admin = staff_token()
    api.put("/recall-rules/eczema-surgery", rule_body(offsets=[10, 20]), token=admin)
    _, pid = new_patient(name="patient-late", conditions=["eczema", "postpartum"], persona_tags=[])
    # twenty days late, nothing stopped it and no later message replaced it: still worth sending
    long_delay = plan_now(pid, "eczema-surgery", anchor_date="2026-09-01", offset=30, due=T0 - timedelta(days=20))
    too_late = plan_now(pid, "eczema-surgery", anchor_date="2026-09-02", offset=30, due=T0 - timedelta(days=31))
    # planned on time through the planner: the day-10 reminder is replaced by the day-20 one once that is due
    from chalicelib.services.recall import plan_for_anchor

    clock.set(T0 - timedelta(days=25))
    planned = plan_for_anchor("demo-dental", pid, "surgery", date(2026, 10, 25))
    assert [(p["offset_days"], p["created"]) for p in planned] == [(10, True), (20, True)]
    # a renewal reminder a week before a package ends is pointless once it has ended
    clock.set(T0 - timedelta(days=19))
    renewal = plan_for_anchor("demo-dental", pid, "package_end", date(2026, 11, 15), context={"package": "孕产套餐"})
    assert [(p["offset_days"], p["created"]) for p in renewal if p["rule_id"] == "package-renewal"] == [
        (-30, False), (-7, True)]
    clock.set(T0)
    until_quiet()
    assert job_of(pid, "recall", "eczema-surgery", long_delay.anchor_date, 30).status == "sent"
    closed = job_of(pid, "recall", "eczema-surgery", too_late.anchor_date, 30)
    assert (closed.status, closed.stop_reason) == ("stale", "too_late")
    day10 = job_of(pid, "recall", "eczema-surgery", "2026-10-25", 10)
    assert (day10.status, day10.stop_reason) == ("stale", "superseded")
    assert job_of(pid, "recall", "eczema-surgery", "2026-10-25", 20).status == "sent"  # six days late
    before_end = job_of(pid, "recall", "package-renewal", "2026-11-15", -7)
    assert (before_end.status, before_end.stop_reason) == ("stale", "anchor_passed")
    reasons = {(r["status"], r["stop_reason"]) for r in log_rows(api, admin) if r["patient_id"] == pid}
    assert {("stale", "too_late"), ("stale", "superseded"), ("stale", "anchor_passed")} <= reasons


def test_relevance_windows_are_settings_and_bad_values_are_refused(api, new_patient, staff_token, clock):
    admin, staff = staff_token(), staff_token(role="front_desk")
    status, view = api.get("/clinic/delivery", token=staff)
    assert status == 200 and view["daily_cap"] == 2 and view["relevance_days"] == {"recall": 30, "content": 3}
    assert view["defaults"]["daily_cap"] == 2
    bad = [({"daily_cap": 0}, "daily_cap"), ({"daily_cap": 21}, "daily_cap"), ({"daily_cap": "two"}, "daily_cap"),
           ({"relevance_days": {"content": 0}}, "relevance_days.content"),
           ({"relevance_days": {"recall": 366}}, "relevance_days.recall"),
           ({"relevance_days": {"content": 1.5}}, "relevance_days.content"),
           ({"relevance_days": {"fax": 3}}, "relevance_days")]
    for body, field in bad:
        status, err = api.put("/clinic/delivery", body, token=admin)
        assert status == 400 and err["field"] == field, (body, err)
    assert api.put("/clinic/delivery", {"relevance_days": {"fax": 3}}, token=admin)[1]["code"] == "unknown_kind"
    assert api.put("/clinic/delivery", {"daily_cap": 3}, token=staff)[0] == 403
    status, view = api.put("/clinic/delivery", {"relevance_days": {"content": 12}}, token=admin)
    assert status == 200 and view["relevance_days"] == {"recall": 30, "content": 12} and view["daily_cap"] == 2

    # a longer content window: a step ten days late now goes out
    clock.set(T0 - timedelta(days=10))
    _, pid = new_patient(name="patient-mum", **MOTHER)
    clock.set(T0)
    run_schedule()
    assert jobs(pid, "content")[0].status == "sent"
