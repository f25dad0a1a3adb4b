"""The engagement pages in headless Chromium: exam task rules and perks, exam import, a patient's
exam, tasks, staff sessions and points, the monthly board, the rewards catalogue, the new KPIs."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.e2e.test_admin_site import browser, number, page, sign_in  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api")


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
    expect(page.get_by_test_id("kpi-referral-share")).to_be_visible()
    expect(page.get_by_test_id("kpi-recheck-rate")).to_be_visible()
    page.get_by_test_id("nav-tasks").click()
    walk = page.locator("[data-testid=rule-row][data-flag=high_bmi][data-task=walk-8000]")
    expect(walk).to_contain_text("8,000")
    expect(walk).to_contain_text("健步达人")

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

    page.get_by_test_id("perk-badges").fill("4")
    page.get_by_test_id("perks-save").click()
    expect(page.get_by_test_id("perk-row")).to_contain_text("4")

    patient_id = _first_patient(local_stack)
    page.get_by_test_id("exam-csv").fill("patient_id,taken_on,flags,exam_id\n"
                                         f"{patient_id},2026-01-05,high_bmi,E2E-1\n"
                                         "nobody,2026-01-05,high_bmi,E2E-2\n")
    page.get_by_test_id("exam-import-btn").click()
    expect(page.get_by_test_id("exam-import-result")).to_contain_text("新增体检 1 条")
    expect(page.get_by_test_id("exam-import-error-row")).to_contain_text("找不到该患者")


def test_a_patients_exam_tasks_sessions_and_points(page, local_stack):  # noqa: F811
    expect = playwright_api.expect
    patient_id = _first_patient(local_stack)
    sign_in(page, local_stack)
    expect(page.get_by_test_id("kpi-patients")).to_be_visible()
    page.goto(f"{local_stack.site_url}/#/patients/{patient_id}")
    section = page.get_by_test_id("tasks-section")
    expect(section).to_be_visible()
    detail = _api(local_stack, "GET", f"/patients/{patient_id}", _staff_token(local_stack))["referral"]
    expect(page.get_by_test_id("patient-referred")).to_have_text(str(detail["referred"]))
    expect(page.get_by_test_id("patient-referred-by")).to_have_text(detail["referred_by"] or "—")
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
    entry = page.locator("[data-testid=points-entry]").filter(has_text="活动补发").first
    entry.get_by_test_id("reverse-entry").click()
    expect(page.get_by_test_id("points-balance")).to_have_text(f"{balance:,}")
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
    scores = [number(t) for t in page.locator("[data-testid=board-row] td:nth-child(3)").all_inner_texts()]
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
    page.get_by_test_id("reward-save").click()
    expect(page.locator("[data-testid=reward-row][data-id=e2e-floss] [data-testid=reward-stock]")).to_have_text("5")
