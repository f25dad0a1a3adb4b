"""诊所设置 in headless Chromium: an admin adds a condition and sees its label across the site, edits
the earning amounts and a WeChat template; the segment builder takes the clinic's Chinese labels."""

from __future__ import annotations

import pytest

from tests.e2e.test_admin_site import browser, page, sign_in  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api")


def test_an_admin_edits_the_clinics_settings_and_the_builder_takes_labels(page, local_stack):  # noqa: F811
    expect = playwright_api.expect
    sign_in(page, local_stack)
    page.get_by_test_id("nav-settings").click()
    expect(page.get_by_test_id("settings-page")).to_contain_text("诊所设置")
    conditions = page.get_by_test_id("cat-conditions")
    expect(conditions.locator("[data-testid=cat-row][data-code=hypertension] input").first).to_have_value("高血压")
    rows = conditions.get_by_test_id("cat-row").count()
    conditions.get_by_test_id("cat-add").click()
    conditions.get_by_test_id(f"cat-code-{rows}").fill("asthma")
    conditions.get_by_test_id(f"cat-label-{rows}").fill("哮喘")
    conditions.get_by_test_id(f"cat-label_en-{rows}").fill("Asthma")
    conditions.get_by_test_id("cat-save").click()
    expect(conditions.get_by_test_id("cat-saved")).to_be_visible()
    expect(conditions.locator("[data-testid=cat-row][data-code=asthma] code")).to_have_text("asthma")

    # blood pressure is a check-in type with two ranges
    page.get_by_test_id("settings-tab-checkin_types").click()
    bp = page.locator("[data-testid=cat-row][data-code=blood_pressure]")
    expect(bp.get_by_test_id("cat-unit-3")).to_have_value("mmHg")

    # earning amounts are on the same page
    page.get_by_test_id("settings-tab-earning").click()
    page.get_by_test_id("earning-share").fill("6")
    page.get_by_test_id("earning-save").click()
    expect(page.get_by_test_id("earning-saved")).to_be_visible()

    # a WeChat template whose phrase key would break WeChat's limit is refused in Chinese
    page.get_by_test_id("settings-tab-templates").click()
    recall = page.get_by_test_id("templates-recall")
    recall.get_by_test_id("tpl-wechat-id").fill("clinic-recall-2")
    recall.get_by_test_id("tpl-field-add").click()
    recall.get_by_test_id("tpl-field-name-0").fill("phrase1")
    recall.get_by_test_id("tpl-field-source-0").select_option("body")
    recall.get_by_test_id("tpl-save").click()
    expect(recall.get_by_test_id("tpl-error")).to_contain_text("模板字段不符合微信的限制")
    recall.get_by_test_id("tpl-field-name-0").fill("thing1")
    recall.get_by_test_id("tpl-save").click()
    expect(page.get_by_test_id("templates-recall").get_by_test_id("tpl-saved")).to_be_visible()

    # the segment builder offers the clinic's labels and takes 高血压 as typed
    page.get_by_test_id("nav-groups").click()
    form = page.get_by_test_id("seg-form")
    form.get_by_test_id("seg-name").fill("高血压患者")
    form.get_by_test_id("seg-rule-field").first.select_option("condition")
    expect(form.get_by_test_id("seg-rule-options").first).to_contain_text("哮喘")
    form.get_by_test_id("seg-rule-value").first.fill("高血压")
    form.get_by_test_id("seg-save").click()
    expect(page.get_by_text("病种 属于 高血压").first).to_be_visible()
