"""The health manager's day and the audit trail in headless Chromium against the local stack: an admin's
own calls today, a masked number revealed with one click, and the reveal read back on the audit page
in Chinese, then exported; a health manager claiming (认领) an unassigned plan, which then shows under
their own calls, and handing it to a colleague from the patient's page; an admin naming the default assignee in 诊所设置 › 随访."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest

from tests.e2e.test_admin_site import browser, sign_in  # noqa: F401  (fixture)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


def _call(stack, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.api_url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def _admin_token(stack, username=None) -> str:
    username = username or stack.admin_username
    password = stack.admin_password if username == stack.admin_username else stack.password(username)
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(stack.api_url + "/auth/staff/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())["id_token"]



def _desk_browser(browser):
    """A desk-sized zh-CN browser page, and the list its script errors go to."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    problems = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    return context, page, problems

def test_my_calls_a_revealed_number_and_the_audit_page(browser, local_stack):  # noqa: F811
    token = _admin_token(local_stack)
    patient = _call(local_stack, "GET", "/patients?limit=5", token)["items"][-1]["patient_id"]
    plan = _call(local_stack, "POST", f"/patients/{patient}/followup", token,
                 {"assignee": local_stack.admin_username})["plan"]
    assert plan["assignee"] == local_stack.admin_username and plan["status"] == "active"

    context, page, problems = _desk_browser(browser)
    sign_in(page, local_stack)
    page.get_by_test_id("nav-risk").click()
    page.get_by_test_id("calls-mine").click()
    row = page.locator(f"[data-testid=call-row][data-id='{patient}']")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("phone-masked")).to_have_text(re.compile(r"^\d{3}\*+\d{4}$"))
    row.get_by_test_id("reveal-phone").click()
    expect(row.get_by_test_id("phone-full")).to_have_text(re.compile(r"^\d{6,15}$"))

    page.get_by_test_id("nav-audit").click()
    reveal = page.locator("[data-testid=audit-row][data-action=reveal_phone]").first
    expect(reveal).to_contain_text("显示完整手机号")
    expect(reveal).to_contain_text("随访电话")
    expect(reveal.get_by_test_id("audit-patient")).to_have_text(re.compile(r"^\S+\*+$"))  # a masked name, not an id
    assert patient not in reveal.inner_text()
    table = page.get_by_test_id("audit-table").inner_text()
    assert not re.search(r"reveal_phone|view_patient|sign_in|audit_export", table), table
    with page.expect_download():
        page.get_by_test_id("audit-export").click()
    expect(page.get_by_test_id("audit-note")).to_contain_text("已导出")
    events = _call(local_stack, "GET", f"/audit?patient_id={patient}", token)["items"]
    assert any(e["action"] == "reveal_phone" and e["reason"] == "随访电话" for e in events)
    _call(local_stack, "POST", f"/patients/{patient}/followup/end", token)
    assert not problems, problems
    context.close()


def test_a_health_manager_claims_an_unassigned_plan(browser, local_stack):  # noqa: F811
    manager = "health_manager@demo-dental"
    token = _admin_token(local_stack)
    waiting = _call(local_stack, "GET", "/followups/due?unassigned=true", token)["items"]
    if waiting:  # a plan the demo's glucose challenge started: nobody is assigned to it
        patient, made = waiting[0]["patient_id"], False
    else:  # else one given back to nobody
        patient, made = _call(local_stack, "GET", "/patients?limit=5", token)["items"][-2]["patient_id"], True
        _call(local_stack, "POST", f"/patients/{patient}/followup", token, {})
        _call(local_stack, "PUT", f"/patients/{patient}/followup/assignee", token, {"assignee": None})

    context, page, problems = _desk_browser(browser)
    sign_in(page, local_stack, username=manager, password=local_stack.password(manager))
    page.get_by_test_id("nav-risk").click()
    page.get_by_test_id("calls-unassigned").click()
    expect(page.get_by_test_id("calls-unassigned")).to_have_text("未分配")
    row = page.locator(f"[data-testid=call-row][data-id='{patient}']")
    expect(row.get_by_test_id("call-assignee")).to_contain_text("未分配")
    row.get_by_test_id("call-claim").click()
    expect(page.get_by_test_id("call-recorded")).to_contain_text("已认领")
    expect(row).to_have_count(0)  # off the unassigned list

    page.get_by_test_id("calls-mine").click()
    mine = page.locator(f"[data-testid=call-row][data-id='{patient}']")
    expect(mine).to_have_count(1)
    expect(mine.get_by_test_id("call-assignee")).to_have_count(0)  # my own list names no assignee
    expect(mine.get_by_test_id("call-claim")).to_have_count(0)
    # the calls table fits the page at a desk's width (no sideways scrolling)
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.get_by_test_id("calls-all").click()
    expect(page.locator(f"[data-testid=call-row][data-id='{patient}']").get_by_test_id("call-assignee")) \
        .to_contain_text(manager)
    plan = _call(local_stack, "GET", f"/patients/{patient}/followup", token)["plan"]
    assert plan["assignee"] == manager

    # on the patient's page, handed to a colleague: only the assignee changes, the next call stays
    mine.locator("a").first.click()
    expect(page.get_by_test_id("followup-assignee-shown")).to_contain_text(manager)
    page.get_by_test_id("followup-assignee").fill(local_stack.admin_username)
    page.get_by_test_id("followup-start").click()
    expect(page.get_by_test_id("followup-done")).to_have_text("已保存")
    expect(page.get_by_test_id("followup-assignee-shown")).to_contain_text(local_stack.admin_username)
    moved = _call(local_stack, "GET", f"/patients/{patient}/followup", token)["plan"]
    assert moved["assignee"] == local_stack.admin_username
    assert (moved["next_due"], moved["started_by"], moved["calls"]) == (plan["next_due"], plan["started_by"], plan["calls"])
    if made:
        _call(local_stack, "POST", f"/patients/{patient}/followup/end", token)
    else:
        _call(local_stack, "PUT", f"/patients/{patient}/followup/assignee", token, {"assignee": None})
    assert not problems, problems
    context.close()


def test_an_admin_names_the_default_assignee_in_the_clinic_settings(browser, local_stack):  # noqa: F811
    manager = "health_manager@demo-dental"
    token = _admin_token(local_stack)
    context, page, problems = _desk_browser(browser)
    sign_in(page, local_stack)
    page.get_by_test_id("nav-settings").click()
    page.get_by_test_id("settings-tab-followups").click()
    expect(page.get_by_test_id("settings-tab-followups")).to_have_text("随访")
    expect(page.get_by_test_id("followup-default-current")).to_have_text("当前：未指定")
    choice = page.get_by_test_id("followup-default-assignee")
    expect(choice.locator(f"option[value='{manager}']")).to_have_text(f"{manager}（健康管理师）")
    assert choice.locator("option[value='front_desk@demo-dental']").count() == 0  # the desk makes no calls
    choice.select_option(manager)
    page.get_by_test_id("followup-default-save").click()
    expect(page.get_by_test_id("followup-default-saved")).to_have_text("已保存")
    expect(page.get_by_test_id("followup-default-current")).to_have_text(f"当前：{manager}")
    assert _call(local_stack, "GET", "/clinic", token)["followup_assignee"] == manager
    _call(local_stack, "PUT", "/clinic/followup-assignee", token, {"assignee": None})
    assert not problems, problems
    context.close()
