"""The engagement pages in headless Chromium: exam task rules and perks, exam import, a patient's
exam, tasks, staff sessions and points, the monthly board, the rewards catalogue, the new KPIs, and
what staff (not admins) see of them."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.e2e.test_admin_site import browser, number, page, sign_in  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api")


TIERS = {"bronze": "铜牌", "silver": "银牌", "gold": "金牌"}


def _api(stack, method, path, token=None):
    request = urllib.request.Request(stack.api_url + path, method=method,
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def _staff_token(stack) -> str:
    body = json.dumps({"username": stack.staff_username, "password": stack.staff_password}).encode()
    request = urllib.request.Request(stack.api_url + "/auth/staff/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())["id_token"]


def _first_patient(stack) -> str:
    return _api(stack, "GET", "/patients?limit=1", _staff_token(stack))["items"][0]["patient_id"]


def test_task_rules_perks_and_exam_import(page, local_stack):  # noqa: F811
    expect = playwright_api.expect
    sign_in(page, local_stack)
    # the new KPI cards show the figures GET /dashboard answers
    kpis = _api(local_stack, "GET", "/dashboard", _staff_token(local_stack))["kpis"]
    expect(page.get_by_test_id("kpi-new-patients")).not_to_have_text("—")
    assert number(page.get_by_test_id("kpi-new-patients").inner_text()) == kpis["new_patients_90"]
    share = page.get_by_test_id("kpi-referral-share").inner_text()
    if kpis["referral_share_90"] is None:
        assert share == "—"
    else:
        assert abs(float(share.rstrip("%")) - kpis["referral_share_90"] * 100) < 0.051, share
    expect(page.get_by_test_id("kpi-recheck-rate")).to_be_visible()
    page.get_by_test_id("nav-tasks").click()
    walk = page.locator("[data-testid=rule-row][data-flag=high_bmi][data-task=walk-8000]")
    expect(walk).to_contain_text("8,000")
    expect(walk).to_contain_text("健步达人")
    page.get_by_test_id("lang-switch").click()
    expect(walk).to_contain_text("High BMI")
    page.get_by_test_id("lang-switch").click()
    expect(walk).to_contain_text("BMI 偏高")

    # a threshold on glucose is refused in the page's words; a valid task is added, then removed
    page.get_by_test_id("rule-flag").select_option("high_glucose")
    page.get_by_test_id("rule-task-key").fill("e2e-glucose")
    page.get_by_test_id("rule-name").fill("血糖低于7")
    page.get_by_test_id("rule-type").select_option("glucose")
    page.get_by_test_id("rule-min").fill("7")
    page.get_by_test_id("rule-target").fill("5")
    page.get_by_test_id("rule-within").fill("10")
    page.get_by_test_id("rule-badge-id").fill("e2e-badge")
    page.get_by_test_id("rule-badge-name").fill("测试徽章")
    page.get_by_test_id("rule-save").click()
    expect(page.get_by_test_id("rule-error")).to_contain_text("不奖励临床数值")
    page.get_by_test_id("rule-min").fill("")
    page.get_by_test_id("rule-save").click()
    added = page.locator("[data-testid=rule-row][data-flag=high_glucose][data-task=e2e-glucose]")
    expect(added).to_contain_text("测试徽章")
    added.get_by_test_id("rule-remove").click()
    expect(added).to_have_count(0)

    perk = page.get_by_test_id("perk-row").first
    perk_id = perk.get_attribute("data-id")
    assert perk_id == "priority-booking"  # the default perk, with its early days for expert slots
    expect(perk.get_by_test_id("perk-priority")).to_have_text("提前 7 天")
    expect(page.get_by_test_id("perks-priority-note")).to_contain_text("前台代约不受此限制")
    page.locator(f"[data-testid=perk-edit][data-id={perk_id}] [data-testid=perk-badges]").fill("4")
    page.locator(f"[data-testid=perk-edit][data-id={perk_id}] [data-testid=perk-priority-days]").fill("14")
    page.get_by_test_id("perks-save").click()
    expect(page.get_by_test_id("perks-saved")).to_be_visible()
    expect(perk.get_by_test_id("perk-required")).to_have_text("4")
    expect(perk.get_by_test_id("perk-priority")).to_have_text("提前 14 天")
    perks = _api(local_stack, "GET", "/task-rules", _staff_token(local_stack))["perks"]
    assert [(p["badges_required"], p["priority_days"]) for p in perks if p["perk_id"] == perk_id] == [(4, 14)]

    patient_id = _first_patient(local_stack)
    page.get_by_test_id("exam-csv").fill("patient_id,taken_on,flags,exam_id\n"
                                         f"{patient_id},2026-01-05,high_bmi,E2E-1\n"
                                         "nobody,2026-01-05,high_bmi,E2E-2\n")
    page.get_by_test_id("exam-import-btn").click()
    expect(page.get_by_test_id("exam-import-result")).to_contain_text("新增体检 1 条")
    expect(page.get_by_test_id("exam-import-error-row")).to_have_count(1)
    expect(page.get_by_test_id("exam-import-error-row")).to_contain_text("3")  # the CSV's line
    expect(page.get_by_test_id("exam-import-error-row")).to_contain_text("找不到该患者")


def test_a_patients_exam_tasks_sessions_and_points(page, local_stack):  # noqa: F811
    expect = playwright_api.expect
    patient_id = _first_patient(local_stack)
    sign_in(page, local_stack)
    expect(page.get_by_test_id("kpi-patients")).to_be_visible()
    page.goto(f"{local_stack.site_url}/#/patients/{patient_id}")
    section = page.get_by_test_id("tasks-section")
    expect(section).to_be_visible()
    points = _api(local_stack, "GET", f"/patients/{patient_id}/points", _staff_token(local_stack))
    expect(page.get_by_test_id("points-tier")).to_have_text(TIERS[points["tier"]])
    expect(page.get_by_test_id("points-earned")).to_have_text(f"{points['earned_total']:,}")
    detail = _api(local_stack, "GET", f"/patients/{patient_id}", _staff_token(local_stack))["referral"]
    expect(page.get_by_test_id("patient-referred")).to_have_text(str(detail["referred"]))
    expect(page.get_by_test_id("patient-referred-by")).to_have_text(
        (detail["referred_by_name"] or "（记录已删除）") if detail["referred_by"] else "—")
    today = page.evaluate("() => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10)")
    page.get_by_test_id("exam-date").fill(today)
    page.get_by_test_id("exam-flag-high_bp").check()
    page.get_by_test_id("exam-submit").click()
    expect(page.get_by_test_id("exam-recorded")).to_be_visible()
    tcm = page.locator("[data-testid=task-row][data-key=tcm-3]")
    expect(tcm).to_contain_text("0/3")
    tcm.get_by_test_id("task-confirm").click()
    expect(tcm.get_by_test_id("task-progress")).to_have_text("1/3")
    # confirming again the same day is one session, not two
    tcm.get_by_test_id("task-confirm").click()
    expect(tcm.get_by_test_id("task-progress")).to_have_text("1/3")

    balance = number(page.get_by_test_id("points-balance").inner_text())
    page.get_by_test_id("adjust-points").fill("20")
    page.get_by_test_id("adjust-reason").fill("活动补发")
    page.get_by_test_id("adjust-submit").click()
    expect(page.get_by_test_id("points-balance")).to_have_text(f"{balance + 20:,}")
    expect(page.get_by_test_id("patient-balance")).to_have_text(f"{balance + 20:,}")  # the profile follows
    entry_id = page.locator("[data-testid=points-entry]").filter(has_text="活动补发").first.get_attribute("data-id")
    entry = page.locator(f"[data-testid=points-entry][data-id='{entry_id}']")
    entry.get_by_test_id("reverse-entry").click()
    expect(page.get_by_test_id("points-balance")).to_have_text(f"{balance:,}")
    expect(entry.get_by_test_id("entry-reversed")).to_be_visible()  # reversed once: no second button
    expect(entry.get_by_test_id("reverse-entry")).to_have_count(0)
    # a debit larger than the balance is refused: the balance never goes negative
    page.get_by_test_id("adjust-points").fill(str(-(balance + 1000)))
    page.get_by_test_id("adjust-submit").click()
    expect(page.get_by_test_id("points-error")).to_contain_text("积分不足")


def test_the_board_and_the_rewards_catalogue(page, local_stack):  # noqa: F811
    expect = playwright_api.expect
    sign_in(page, local_stack)
    expect(page.get_by_test_id("kpi-patients")).to_be_visible()
    page.get_by_test_id("nav-board").click()
    expect(page.get_by_test_id("board-row").first).to_be_visible()
    board = _api(local_stack, "GET", "/leaderboard?limit=20", _staff_token(local_stack))
    expect(page.get_by_test_id("board-table")).to_have_attribute("data-month", board["month"])
    names = page.get_by_test_id("board-name").all_inner_texts()
    scores = [number(t) for t in page.get_by_test_id("board-score").all_inner_texts()]
    assert names == [e["name_masked"] for e in board["items"]] and all("*" in n for n in names), names
    assert scores == [e["score"] for e in board["items"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    page.get_by_test_id("board-month").fill("2020-01")
    expect(page.get_by_test_id("board-empty")).to_be_visible()

    page.get_by_test_id("nav-rewards").click()
    expect(page.locator("[data-testid=reward-row][data-id=teeth-cleaning]")).to_contain_text("100")
    # earning limits and the points term: a day limit above the week's is refused in the page's words
    expect(page.get_by_test_id("limit-share-week")).to_have_value("10")
    page.get_by_test_id("limit-share-day").fill("12")
    page.get_by_test_id("limits-save").click()
    expect(page.get_by_test_id("settings-error")).to_contain_text("每天上限不能大于每周")
    page.get_by_test_id("limit-share-day").fill("2")
    page.get_by_test_id("limits-save").click()
    expect(page.get_by_test_id("settings-saved")).to_be_visible()
    expect(page.get_by_test_id("limit-share-day")).to_have_value("2")
    page.get_by_test_id("term-input").fill("9")
    page.get_by_test_id("term-save").click()
    expect(page.get_by_test_id("points-term")).to_have_text("9")
    # back to the defaults, for the other tests on this stack
    page.get_by_test_id("limit-share-day").fill("3")
    page.get_by_test_id("limits-save").click()
    expect(page.get_by_test_id("limit-share-day")).to_have_value("3")
    page.get_by_test_id("term-input").fill("12")
    page.get_by_test_id("term-save").click()
    expect(page.get_by_test_id("points-term")).to_have_text("12")
    page.get_by_test_id("reward-id").fill("e2e-floss")
    page.get_by_test_id("reward-name").fill("牙线一盒")
    page.get_by_test_id("reward-cost").fill("30")
    page.get_by_test_id("reward-stock-input").fill("5")
    page.get_by_test_id("reward-limit-input").fill("2")
    page.get_by_test_id("reward-save").click()
    floss = page.locator("[data-testid=reward-row][data-id=e2e-floss]")
    expect(floss.get_by_test_id("reward-stock")).to_have_text("5")
    expect(floss.get_by_test_id("reward-limit")).to_have_text("2")

    # staff read the catalogue and the rules but get no admin forms; the exam import stays theirs
    page.get_by_test_id("signout").click()
    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    page.get_by_test_id("nav-rewards").click()
    expect(floss.get_by_test_id("reward-stock")).to_have_text("5")
    expect(page.get_by_test_id("reward-form")).to_have_count(0)
    expect(page.get_by_test_id("limits-save")).to_have_count(0)
    page.get_by_test_id("nav-tasks").click()
    expect(page.get_by_test_id("rule-row").first).to_be_visible()
    expect(page.get_by_test_id("rule-form")).to_have_count(0)
    expect(page.get_by_test_id("perks-form")).to_have_count(0)
    expect(page.get_by_test_id("exam-import")).to_be_visible()
    # a session that claims the admin role still gets the API's 403, shown with its code
    page.evaluate("""() => { const s = JSON.parse(sessionStorage.getItem('revisit.session'));
        s.roles = ['admin']; sessionStorage.setItem('revisit.session', JSON.stringify(s)); }""")
    page.goto(local_stack.site_url + "/#/rewards")
    page.reload()
    page.get_by_test_id("reward-id").fill("e2e-staff")
    page.get_by_test_id("reward-name").fill("不该保存")
    page.get_by_test_id("reward-save").click()
    expect(page.get_by_test_id("reward-error")).to_have_text("只有管理员可以修改 (403 wrong_role)")
    expect(page.locator("[data-testid=reward-row][data-id=e2e-staff]")).to_have_count(0)


def _patient_login(stack, code: str) -> str:
    body = json.dumps({"clinic_id": "demo-dental", "code": code}).encode()
    request = urllib.request.Request(stack.api_url + "/auth/wechat/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())["access_token"]


def _post(stack, path, token, body=None, headers=None):
    request = urllib.request.Request(stack.api_url + path, data=json.dumps(body or {}).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                              **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def test_the_desk_hands_over_a_gift_by_its_redemption_code(page, local_stack):  # noqa: F811
    """A patient redeems in the mini-program and shows the code; a clerk (staff, not admin) finds it,
    typed loosely, checks the masked name and the gift, and confirms the hand-over once."""
    import uuid

    expect = playwright_api.expect
    staff = _staff_token(local_stack)
    seeded = next(login for login in local_stack.patient_logins if login["clinic_id"] == "demo-dental")
    patient = _patient_login(local_stack, f"{seeded['code'].split('.', 1)[0]}.desk-{uuid.uuid4().hex[:6]}")
    cheapest = min((r for r in _api(local_stack, "GET", "/rewards", staff)["items"] if r["active"]),
                   key=lambda r: r["cost"])
    _post(local_stack, f"/patients/{seeded['patient_id']}/points/adjustments", staff,
          {"points": cheapest["cost"], "reason": "门店活动补发积分"})
    code = _post(local_stack, "/me/redemptions", patient, {"reward_id": cheapest["reward_id"]},
                 {"Idempotency-Key": uuid.uuid4().hex})["redemption"]["code"]

    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    page.get_by_test_id("nav-rewards").click()
    desk = page.get_by_test_id("redemption-desk")
    expect(desk).to_contain_text("兑换码")
    page.get_by_test_id("redemption-code").fill("ZZZZ-ZZZZ")
    page.get_by_test_id("redemption-lookup").click()
    expect(page.get_by_test_id("redemption-error")).to_have_text("没有这个兑换码（请核对 8 位兑换码）")
    page.get_by_test_id("redemption-code").fill(code.lower().replace("-", " "))
    page.get_by_test_id("redemption-lookup").click()
    expect(page.get_by_test_id("redemption-card-code")).to_have_text(code)
    expect(page.get_by_test_id("redemption-gift")).to_have_text(cheapest["name"])
    expect(page.get_by_test_id("redemption-patient")).to_contain_text("*")
    expect(page.get_by_test_id("redemption-status")).to_have_text("待领取")
    page.get_by_test_id("redemption-fulfil").click()
    expect(page.get_by_test_id("redemption-result")).to_have_text("已确认领取")
    expect(page.get_by_test_id("redemption-status")).to_have_text("已领取")
    expect(page.get_by_test_id("redemption-fulfil")).to_be_disabled()
    # the hand-over is the API's: the patient's list says collected
    mine = _api(local_stack, "GET", "/me/redemptions", patient)["items"]
    assert next(r for r in mine if r["code"] == code)["status"] == "fulfilled"
