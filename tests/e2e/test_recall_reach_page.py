"""The recall page's reach and backfill in headless Chromium against the local stack: a new rule on
surgeries shows, before and after saving, how many patients it reaches from the anchors the clinic
recorded; the admin plans it for the patients already inside its window (confirmed, counted, once);
the range of learned send days is saved; a learned rule is marked as such. All in Chinese."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.test_admin_site import browser, sign_in  # noqa: F401  (fixture)
from tests.e2e.test_issue_pages import admin  # noqa: F401  (fixture: one signed-in admin page for the file)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

RULE_ID = "e2e-post-op"
RULE = {"condition": "eczema", "anchor": "surgery", "offsets": [14, 60], "send_at": "10:00",
        "template": "您好：术后两周请回诊所复查。", "purpose": "service"}


def _call(stack, method, path, token, body=None, headers=None):
    request = urllib.request.Request(stack.api_url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                              **(headers or {})})
    with urllib.request.urlopen(request, timeout=20) as reply:
        return json.loads(reply.read())


def _admin_token(stack) -> str:
    body = json.dumps({"username": stack.admin_username, "password": stack.admin_password}).encode()
    request = urllib.request.Request(stack.api_url + "/auth/staff/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())["id_token"]




def test_reach_and_backfill_of_a_new_rule(admin, local_stack):
    page = admin
    token = _admin_token(local_stack)
    # two eczema patients operated ten days ago: the new rule's day 14 is four days ahead of them
    shanghai = timezone(timedelta(hours=8))
    day = (datetime.now(shanghai) - timedelta(days=10)).date().isoformat()
    for n in range(2):
        patient = _call(local_stack, "POST", "/patients", token, {
            "name": f"术后{n}", "phone": f"1390077{n:04d}", "conditions": ["eczema"], "department": "dermatology",
            "consents": {"service": True, "marketing": False, "analytics": True}, "consent_version": "v1"})
        pid = patient["patient"]["patient_id"]
        _call(local_stack, "POST", f"/patients/{pid}/anchors", token,
              {"anchor": "surgery", "date": day, "condition": "eczema"})
    expected = _call(local_stack, "POST", "/recall-rules/preview", token, RULE)
    assert expected["already_in_window"] >= 2 and expected["next_30_days"] >= 2

    page.get_by_test_id("nav-recall").click()
    expect(page.get_by_test_id("recall-form")).to_be_visible()
    page.get_by_test_id("recall-id").fill(RULE_ID)
    page.get_by_test_id("recall-scope").select_option("condition")
    page.get_by_test_id("recall-condition").select_option("eczema")
    page.get_by_test_id("recall-anchor").select_option("surgery")
    page.get_by_test_id("recall-offsets").fill("14, 60")
    page.get_by_test_id("recall-template").fill(RULE["template"])
    # learned timing is offered for a condition's rule, with what it means
    page.get_by_test_id("recall-timing").select_option("learned")
    expect(page.get_by_test_id("recall-timing-hint")).to_contain_text("流失曲线")
    page.get_by_test_id("recall-timing").select_option("fixed")

    # before saving: the reach, and no planning until the rule is saved
    page.get_by_test_id("recall-preview").click()
    reach = page.get_by_test_id("recall-reach")
    expect(reach.get_by_test_id("recall-reach-text")).to_have_text(
        f"现在即到期 {expected['now']} 位患者，未来 30 天内到期 {expected['next_30_days']} 位；"
        f"起算日已在发送窗口内、尚未安排提醒的 {expected['already_in_window']} 位。")
    expect(reach).to_contain_text("保存规则后可为窗口内的患者安排提醒")
    expect(page.get_by_test_id("recall-backfill")).to_have_count(0)

    # saved: the reach again, and the offer to plan it for the patients in the window
    page.get_by_test_id("recall-save").click()
    expect(page.get_by_test_id("recall-saved")).to_be_visible()
    expect(page.locator(f"[data-testid=recall-row][data-id={RULE_ID}]")).to_contain_text("手术")
    button = page.get_by_test_id("recall-backfill")
    n = expected["already_in_window"]
    expect(button).to_have_text(f"为窗口内的 {n} 位患者安排提醒")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    button.click()
    expect(page.get_by_test_id("recall-backfilled")).to_contain_text("位患者安排")
    assert dialogs and f"{n} 位患者" in dialogs[0]
    done = page.get_by_test_id("recall-backfilled").inner_text()
    assert done.startswith(f"已为 {n} 位患者安排 ")
    # planned once: the window holds nobody unplanned any more, and a second backfill plans nothing
    expect(page.get_by_test_id("recall-reach-text")).to_contain_text("尚未安排提醒的 0 位")
    expect(page.get_by_test_id("recall-backfill")).to_have_count(0)
    again = _call(local_stack, "POST", f"/recall-rules/{RULE_ID}/backfill", token, headers={"Idempotency-Key": "e2e-2"})
    assert again == {"rule_id": RULE_ID, "planned": 0, "patients": 0}

    # the range of learned days: refused out of range by the form, saved in range
    page.get_by_test_id("timing-earliest").fill("21")
    page.get_by_test_id("timing-latest").fill("120")
    page.get_by_test_id("timing-save").click()
    expect(page.get_by_test_id("timing-saved")).to_be_visible()
    assert _call(local_stack, "GET", "/clinic/recall-timing", token)["earliest_day"] == 21
    # a learned rule is marked in the table
    _call(local_stack, "PUT", f"/recall-rules/{RULE_ID}", token, {**RULE, "timing": "learned"})
    page.reload()
    expect(page.locator(f"[data-testid=recall-row][data-id={RULE_ID}]").get_by_test_id("recall-learned")).to_have_text("学习")
    _call(local_stack, "PUT", "/clinic/recall-timing", token, {"earliest_day": 14, "latest_day": 180})
    _call(local_stack, "DELETE", f"/recall-rules/{RULE_ID}", token)
    problems = list(page.problems)
    assert not problems, problems
