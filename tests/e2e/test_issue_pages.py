"""The recall-rules, segments, follow-ups & risk and experiments pages in headless Chromium against the
local stack: each loads real content without a page error, takes one write through its form, and a
staff (non-admin) account sees none of the admin forms. One browser page and sign-in for the file."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.test_admin_site import browser, sign_in  # noqa: F401  (fixture)
from tests.e2e.test_engagement_pages import _api, _staff_token

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ECZEMA = "[data-testid=recall-row][data-id=eczema-remission-30]"


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    where = os.environ.get("REVISIT_SCREENSHOT_DIR")
    path = Path(where) if where else tmp_path_factory.mktemp("screens")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def admin(browser, local_stack):  # noqa: F811
    """One signed-in admin page for the file; `page.problems` collects page errors and console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.problems = []
    page.on("pageerror", lambda err: page.problems.append(f"page error: {err}"))
    # a refused request logs "Failed to load resource" by itself; the forms show those, so they are not faults
    page.on("console", lambda msg: msg.type == "error" and "Failed to load resource" not in msg.text
            and page.problems.append(f"console: {msg.text}"))
    sign_in(page, local_stack)
    expect(page.get_by_test_id("kpi-patients")).to_be_visible()
    yield page
    context.close()


def _no_problems(page):
    problems, page.problems[:] = list(page.problems), []
    assert not problems, problems


def _token(stack):
    return _staff_token(stack)


def test_recall_rules_and_delivery_settings(admin, local_stack, shots):
    page = admin
    page.get_by_test_id("nav-recall").click()
    eczema = page.locator(ECZEMA)
    expect(eczema).to_contain_text("湿疹")
    expect(eczema).to_contain_text("病情缓解")
    expect(eczema.get_by_test_id("recall-offsets-cell")).to_have_text("第 30 天")
    expect(eczema).to_contain_text("10:00")
    expect(eczema).to_contain_text("已预约")
    expect(eczema.get_by_test_id("recall-active")).to_have_text("启用中")
    expect(page.get_by_test_id("recall-variables")).to_contain_text("{slot}")

    # click the row to load it; an offset out of range is refused in the page's words; a second one is saved
    eczema.click()
    expect(page.get_by_test_id("recall-id")).to_have_value("eczema-remission-30")
    expect(page.get_by_test_id("recall-offsets")).to_have_value("30")
    page.get_by_test_id("recall-offsets").fill("30, 900")
    page.get_by_test_id("recall-save").click()
    expect(page.get_by_test_id("recall-error")).to_have_text("发送时间点须在 1 至 730 天之间")
    page.get_by_test_id("recall-offsets").fill("30，60")
    page.get_by_test_id("recall-save").click()
    expect(page.get_by_test_id("recall-saved")).to_be_visible()
    expect(eczema.get_by_test_id("recall-offsets-cell")).to_have_text("第 30 天、第 60 天")
    rules = {r["rule_id"]: r for r in _api(local_stack, "GET", "/recall-rules", _token(local_stack))["items"]}
    assert rules["eczema-remission-30"]["offsets"] == [30, 60]
    assert rules["eczema-remission-30"]["template"]  # the template went back as it was

    # deactivate and activate again
    eczema.get_by_test_id("recall-toggle").click()
    expect(eczema).to_have_attribute("data-active", "false")
    expect(eczema.get_by_test_id("recall-active")).to_have_text("已停用")
    eczema.get_by_test_id("recall-toggle").click()
    expect(eczema).to_have_attribute("data-active", "true")

    # delivery settings as stored (the test stacks seed no quiet hours: DEMO_QUIET_HOURS), a cap
    # changed and saved, then put back
    stored = _api(local_stack, "GET", "/clinic/delivery", _token(local_stack))
    assert stored["quiet_hours"] == {"start": "00:00", "end": "00:00"}
    expect(page.get_by_test_id("quiet-start")).to_have_value(stored["quiet_hours"]["start"])
    expect(page.get_by_test_id("quiet-end")).to_have_value(stored["quiet_hours"]["end"])
    expect(page.get_by_test_id("cap-marketing")).to_have_value("2")
    expect(page.get_by_test_id("daily-cap")).to_have_value("2")
    expect(page.get_by_test_id("relevance-content")).to_have_value("3")
    expect(page.get_by_test_id("relevance-recall")).to_have_value("30")
    expect(page.get_by_test_id("relevance-note")).to_contain_text("已过时效")
    expect(page.get_by_test_id("capacity-days")).to_have_value("7")
    expect(page.get_by_test_id("capacity-share")).to_have_value("50")
    expect(page.get_by_test_id("capacity-note")).to_contain_text("没有排班的科室不受限制")
    # a daily cap or a number of days out of range is held by the form itself, before any request
    page.get_by_test_id("daily-cap").fill("0")
    page.get_by_test_id("relevance-content").fill("400")
    page.get_by_test_id("capacity-share").fill("2")
    page.get_by_test_id("delivery-save").click()
    assert page.get_by_test_id("daily-cap").evaluate("el => el.validity.rangeUnderflow")
    assert page.get_by_test_id("capacity-share").evaluate("el => el.validity.rangeUnderflow")
    assert page.get_by_test_id("relevance-content").evaluate("el => el.validity.rangeOverflow")
    expect(page.get_by_test_id("delivery-saved")).to_have_count(0)
    assert _api(local_stack, "GET", "/clinic/delivery", _token(local_stack))["daily_cap"] == 2
    page.get_by_test_id("cap-marketing").fill("3")
    page.get_by_test_id("daily-cap").fill("3")
    page.get_by_test_id("relevance-content").fill("5")
    page.get_by_test_id("open-day-6").check()
    page.get_by_test_id("capacity-days").fill("14")
    page.get_by_test_id("capacity-share").fill("30")
    page.get_by_test_id("delivery-save").click()
    expect(page.get_by_test_id("delivery-saved")).to_be_visible()
    settings = _api(local_stack, "GET", "/clinic/delivery", _token(local_stack))
    assert settings["caps"]["marketing"] == 3 and settings["opening"]["days"] == [0, 1, 2, 3, 4, 5, 6]
    assert (settings["capacity_days"], settings["capacity_share"]) == (14, 0.3)
    assert settings["daily_cap"] == 3 and settings["relevance_days"] == {"recall": 30, "content": 5}
    expect(page.get_by_test_id("cap-marketing")).to_have_value("3")
    page.screenshot(path=str(shots / "recall.png"), full_page=True)
    page.get_by_test_id("cap-marketing").fill("2")
    page.get_by_test_id("daily-cap").fill("2")
    page.get_by_test_id("relevance-content").fill("3")
    page.get_by_test_id("open-day-6").uncheck()
    page.get_by_test_id("capacity-days").fill("7")
    page.get_by_test_id("capacity-share").fill("50")
    page.get_by_test_id("delivery-save").click()
    expect(page.get_by_test_id("delivery-saved")).to_be_visible()
    settings = _api(local_stack, "GET", "/clinic/delivery", _token(local_stack))
    assert settings["caps"]["marketing"] == 2 and settings["daily_cap"] == 2
    assert (settings["capacity_days"], settings["capacity_share"]) == (7, 0.5)
    assert settings["relevance_days"]["content"] == 3

    # a marketing copy of the rule that targets by predicted uplift, with its threshold; a service
    # rule offers no targeting at all
    eczema.click()
    expect(page.get_by_test_id("recall-targeting")).to_have_count(0)
    page.get_by_test_id("recall-id").fill("uplift-promo")
    page.get_by_test_id("recall-purpose").select_option("marketing")
    page.get_by_test_id("recall-targeting").select_option("uplift")
    page.get_by_test_id("recall-threshold").fill("0.02")
    page.get_by_test_id("recall-save").click()
    expect(page.get_by_test_id("recall-saved")).to_be_visible()
    promo = page.locator("[data-testid=recall-row][data-id=uplift-promo]")
    expect(promo.get_by_test_id("recall-targeting-cell")).to_have_text("仅预测提醒有效的患者")
    rules = {r["rule_id"]: r for r in _api(local_stack, "GET", "/recall-rules", _token(local_stack))["items"]}
    assert (rules["uplift-promo"]["targeting"], rules["uplift-promo"]["uplift_threshold"]) == ("uplift", 0.02)
    assert rules["eczema-remission-30"]["targeting"] == "all"
    page.once("dialog", lambda dialog: dialog.accept())
    promo.get_by_test_id("recall-delete").click()
    expect(promo).to_have_count(0)

    # the same page in English
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("h1")).to_have_text("Recall rules & delivery")
    expect(eczema.get_by_test_id("recall-offsets-cell")).to_have_text("day 30、day 60")
    page.get_by_test_id("lang-switch").click()
    # the rule back to one offset, for the other tests on this stack
    eczema.click()
    page.get_by_test_id("recall-offsets").fill("30")
    page.get_by_test_id("recall-save").click()
    expect(eczema.get_by_test_id("recall-offsets-cell")).to_have_text("第 30 天")
    _no_problems(page)


def test_the_lasting_holdout_is_set_on_the_recall_page_and_measured_on_the_dashboard(admin, local_stack):
    page = admin
    page.get_by_test_id("nav-recall").click()
    expect(page.get_by_test_id("holdout-share")).to_have_text("5%")
    page.get_by_test_id("holdout-input").fill("8")
    page.get_by_test_id("holdout-save").click()
    expect(page.get_by_test_id("holdout-saved")).to_have_text("已保存")
    expect(page.get_by_test_id("holdout-share")).to_have_text("8%")
    assert _api(local_stack, "GET", "/clinic", _token(local_stack))["holdout_share"] == 0.08
    page.get_by_test_id("holdout-input").fill("5")
    page.get_by_test_id("holdout-save").click()
    expect(page.get_by_test_id("holdout-share")).to_have_text("5%")
    # the dashboard says what the marketing messages bring, against the holdout, in Chinese
    page.get_by_test_id("nav-dashboard").click()
    card = page.get_by_test_id("kpi-holdout-card")
    expect(card).to_contain_text("营销消息带来的复诊率提升")
    expect(page.get_by_test_id("kpi-holdout-groups")).to_contain_text("长期对照组")
    effect = _api(local_stack, "GET", "/dashboard", _token(local_stack))["kpis"]["holdout_effect"]
    if effect["difference"] is not None:
        expect(page.get_by_test_id("kpi-holdout-interval")).to_contain_text("95% 区间")
    _no_problems(page)


def test_segments_list_and_a_new_segment(admin, local_stack, shots):
    page = admin
    page.get_by_test_id("nav-groups").click()
    listed = {s["segment_id"]: s for s in _api(local_stack, "GET", "/segments", _token(local_stack))["items"]}
    silent = page.locator("[data-testid=seg-row][data-id=silent-180]")
    expect(silent).to_contain_text("沉默超过180天")
    expect(silent).to_contain_text("沉默天数 大于 180")
    expect(silent.get_by_test_id("seg-members-count")).to_have_text(f"{listed['silent-180']['members']:,}")
    for segment_id in ("postpartum-anxious", "postpartum-knowledge", "postpartum-social"):
        if segment_id in listed:
            row = page.locator(f"[data-testid=seg-row][data-id={segment_id}]")
            expect(row.get_by_test_id("seg-members-count")).to_have_text(f"{listed[segment_id]['members']:,}")
    expect(page.locator("[data-testid=seg-row][data-id=postpartum-anxious]")).to_contain_text("焦虑型")
    # members of a segment, with the day each joined
    silent.get_by_test_id("seg-view").click()
    if listed["silent-180"]["members"]:
        expect(page.get_by_test_id("seg-member-row").first).to_contain_text("年")

    # a new segment through the rule builder: building at once, with its progress
    page.get_by_test_id("seg-id").fill("e2e-silent-30")
    page.get_by_test_id("seg-name").fill("沉默超过30天")
    page.get_by_test_id("seg-rule-value").fill("30")
    page.get_by_test_id("seg-save").click()
    expect(page.get_by_test_id("seg-saved")).to_be_visible()
    created = page.locator("[data-testid=seg-row][data-id=e2e-silent-30]")
    expect(created).to_contain_text("沉默天数 大于 30")
    expect(created).to_have_attribute("data-status", re.compile("^(building|ready)$"))
    expect(created).to_contain_text(re.compile("计算中|已就绪"))
    detail = _api(local_stack, "GET", "/segments/e2e-silent-30", _token(local_stack))["segment"]
    assert detail["rule"] == {"all": [{"field": "silent_days", "gt": 30}]}, detail["rule"]
    # the same id again is refused in the page's words
    page.get_by_test_id("seg-id").fill("e2e-silent-30")
    page.get_by_test_id("seg-name").fill("重复")
    page.get_by_test_id("seg-save").click()
    expect(page.get_by_test_id("seg-error")).to_have_text("编号已存在")
    page.screenshot(path=str(shots / "segments.png"), full_page=True)
    _no_problems(page)


def test_followups_and_risk(admin, local_stack, shots):
    from tests.e2e.test_care_pages import _admin_token

    page = admin
    token = _admin_token(local_stack)  # the calls and risk lists are for admins and health managers
    due = _api(local_stack, "GET", "/followups/due", token)["items"]
    page.get_by_test_id("nav-risk").click()
    if due:
        expect(page.get_by_test_id("call-row")).to_have_count(len(due))
        first = due[0]
        row = page.locator(f"[data-testid=call-row][data-id='{first['patient_id']}']")
        expect(row).to_contain_text(first["name_masked"])
        if first["risk_factors"]:
            expect(row).to_contain_text(first["risk_factors"][0]["label_zh"])
        row.get_by_test_id("call-reached").click()
        expect(page.get_by_test_id("call-recorded")).to_contain_text("已接通")
        expect(row).to_have_count(0)  # next due a cadence later: off today's list
        plan = _api(local_stack, "GET", f"/patients/{first['patient_id']}/followup", token)
        assert plan["outcomes"][0]["outcome"] == "reached"
    else:
        expect(page.get_by_test_id("no-calls")).to_be_visible()

    model = _api(local_stack, "GET", "/risk/model", token)
    if model["model"]:
        m = model["model"]
        card = page.get_by_test_id("model-card")
        expect(page.get_by_test_id("model-version")).to_have_text(str(m["version"]))
        expect(page.get_by_test_id("model-auc")).not_to_have_text("—")
        # the card says what a score means, how often patients lapse, how far off the scores are
        expect(page.get_by_test_id("model-label")).to_contain_text("天内不来就诊的可能")
        expect(page.get_by_test_id("model-base-rate")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
        expect(page.get_by_test_id("model-brier")).not_to_have_text("—")
        expect(page.get_by_test_id("calibration-row")).to_have_count(len(m["calibration"]))
        # each factor in a sentence, in Chinese, never a raw feature code
        used = [c for c in m["coefficients"] if c["used"]]
        expect(page.get_by_test_id("model-factor")).to_have_count(len(used))
        if any(c["feature"] == "days_overdue" for c in used):
            expect(page.locator("[data-testid=model-factor][data-feature=days_overdue]")).to_have_text(
                "超过约定复诊日越久，流失风险越高")
        text = card.inner_text()
        assert not re.search(r"days_|checkin_|visits_365|condition:|district:|raises|lowers", text), text
    else:
        expect(page.get_by_test_id("no-model")).to_contain_text("暂无模型")
    # the uplift model card: what it found, or why there is none, in words, never a raw code
    uplift = _api(local_stack, "GET", "/risk/uplift-model", token)
    if uplift["model"]:
        expect(page.get_by_test_id("uplift-version")).to_have_text(str(uplift["model"]["version"]))
        expect(page.get_by_test_id("uplift-qini")).not_to_have_text("—")
    else:
        expect(page.get_by_test_id("no-uplift-model")).to_contain_text("暂无提升模型")
    expect(page.get_by_test_id("uplift-rules")).to_be_visible()
    text = page.get_by_test_id("uplift-card").inner_text()
    assert not re.search(r"clinic_holdout|experiment:|too_few|one_outcome|not_trained|qini_", text), text
    scored = _api(local_stack, "GET", "/risk/patients?limit=20", token)["items"]
    if scored:
        expect(page.get_by_test_id("at-risk-row")).to_have_count(len(scored))
        shown = page.get_by_test_id("at-risk-score").all_inner_texts()
        assert all(t.endswith("%") and t != "100%" for t in shown), shown
        assert all(0 < r["risk_score"] < 1 for r in scored)
    curves = _api(local_stack, "GET", "/risk/dropout", token)["conditions"]
    if curves:
        expect(page.get_by_test_id("dropout-row")).to_have_count(len(curves))
        if "eczema" in curves:
            expect(page.locator("[data-testid=dropout-row][data-condition=eczema]")).to_contain_text("湿疹")
        box = page.get_by_test_id("dropout-chart").bounding_box()
        assert box and box["height"] > 100
    page.screenshot(path=str(shots / "risk.png"), full_page=True)
    _no_problems(page)


def test_an_experiment_defined_through_the_form(admin, local_stack, shots):
    page = admin
    page.get_by_test_id("nav-experiments").click()
    expect(page.get_by_test_id("experiment-target")).to_have_value("eczema-remission-30")
    expect(page.get_by_test_id("experiment-form")).to_contain_text("{nickname}")
    page.get_by_test_id("experiment-name").fill("验收 湿疹文案")
    page.get_by_test_id("experiment-submit").click()
    expect(page.get_by_test_id("experiment-saved")).to_have_text("已保存为草稿")
    row = page.get_by_test_id("experiment-row").filter(has_text="验收 湿疹文案")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("experiment-status")).to_have_text("草稿")
    expect(row).to_contain_text("10%")  # the holdout share
    expect(page.get_by_test_id("experiment-results")).to_contain_text("验收 湿疹文案")
    expect(page.get_by_test_id("experiment-group")).to_have_count(3)  # holdout and two arms
    listed = _api(local_stack, "GET", "/experiments", _token(local_stack))["items"]
    mine = [e for e in listed if e["name"] == "验收 湿疹文案"]
    assert len(mine) == 1 and mine[0]["status"] == "draft" and mine[0]["target_id"] == "eczema-remission-30"
    assert row.get_attribute("data-id") == mine[0]["experiment_id"]
    page.screenshot(path=str(shots / "experiments.png"), full_page=True)
    _no_problems(page)


def test_staff_read_the_pages_without_admin_forms(admin, local_stack):
    page = admin
    page.get_by_test_id("signout").click()
    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    expect(page.get_by_test_id("kpi-patients")).to_be_visible()
    page.get_by_test_id("nav-recall").click()
    expect(page.locator(ECZEMA)).to_contain_text("第 30 天")
    expect(page.get_by_test_id("cap-marketing")).to_have_text("2")
    expect(page.get_by_test_id("daily-cap")).to_have_text("2")
    expect(page.get_by_test_id("relevance-content")).to_have_text("3")
    expect(page.get_by_test_id("capacity-share")).to_have_text("50")
    for admin_only in ("recall-form", "recall-toggle", "recall-delete", "delivery-save", "quiet-start"):
        expect(page.get_by_test_id(admin_only)).to_have_count(0)
    page.get_by_test_id("nav-groups").click()
    expect(page.locator("[data-testid=seg-row][data-id=silent-180]")).to_be_visible()
    for admin_only in ("seg-form", "seg-edit", "seg-delete"):
        expect(page.get_by_test_id(admin_only)).to_have_count(0)
    page.get_by_test_id("nav-experiments").click()
    expect(page.get_by_test_id("experiment-row").filter(has_text="验收 湿疹文案")).to_have_count(1)
    expect(page.get_by_test_id("experiment-form")).to_have_count(0)
    page.get_by_test_id("experiment-row").filter(has_text="验收 湿疹文案").get_by_test_id("experiment-open").click()
    expect(page.get_by_test_id("experiment-results")).to_be_visible()
    expect(page.get_by_test_id("experiment-start")).to_have_count(0)
    # the follow-up calls and the risk lists are the health manager's work: not in the desk's navigation
    expect(page.get_by_test_id("nav-risk")).to_have_count(0)
    _no_problems(page)
