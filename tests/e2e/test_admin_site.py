"""The admin site in a real headless Chromium against the running local stack."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def sign_in(page, stack, username=None, password=None):
    page.goto(stack.site_url + "/#/login")
    page.get_by_test_id("login-username").fill(username or stack.admin_username)
    page.get_by_test_id("login-password").fill(password or stack.admin_password)
    page.get_by_test_id("login-submit").click()


def test_walk_through(page, local_stack, tmp_path):
    expect = playwright_api.expect
    # a wrong password shows the API's message and stays on the sign-in page
    sign_in(page, local_stack, password="Wrong-password-1")
    expect(page.get_by_test_id("login-error")).to_be_visible()
    assert "#/login" in page.url

    sign_in(page, local_stack)
    expect(page.get_by_test_id("kpi-patients")).not_to_have_text("—")
    patients = int(page.get_by_test_id("kpi-patients").inner_text().replace(",", ""))
    assert patients >= 60
    assert page.get_by_test_id("nav-dashboard").inner_text() == "数据概览"
    canvas = page.get_by_test_id("chart-last-visit")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box["width"] > 100 and box["height"] > 50
    # the chart really drew something: some canvas pixels are not transparent
    painted = page.evaluate("""() => {
        const c = document.querySelector('[data-testid=chart-last-visit]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert painted > 500
    # a picture for a person to look at: REVISIT_SCREENSHOT_DIR keeps it beyond the test run
    shots = Path(os.environ.get("REVISIT_SCREENSHOT_DIR") or tmp_path)
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

    # English and back
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-dashboard")).to_have_text("Dashboard")
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-dashboard")).to_have_text("数据概览")

    # patient list, next page, a patient's page
    page.get_by_test_id("nav-patients").click()
    expect(page.get_by_test_id("patient-row")).to_have_count(20)
    first_page = page.get_by_test_id("patient-row").first.inner_text()
    page.get_by_test_id("page-next").click()
    expect(page.get_by_test_id("page-number")).to_contain_text("2")
    expect(page.get_by_test_id("patient-row").first).not_to_have_text(first_page)
    page.get_by_test_id("patient-row").first.click()
    expect(page.get_by_test_id("patient-name")).not_to_be_empty()
    expect(page.get_by_test_id("consent-service")).to_be_visible()
    assert "****" in page.get_by_test_id("patient-phone").inner_text()

    # segment query: eczema patients without a visit for 90 days
    page.get_by_test_id("nav-segments").click()
    page.get_by_test_id("segment-condition").select_option("eczema")
    page.get_by_test_id("segment-days").fill("90")
    page.get_by_test_id("segment-submit").click()
    expect(page.get_by_test_id("segment-row").first).to_be_visible()

    # the reminder log shows the reminders the schedule sent
    page.get_by_test_id("nav-reminders").click()
    expect(page.get_by_test_id("reminder-row").first).to_be_visible()

    page.get_by_test_id("signout").click()
    expect(page.get_by_test_id("login-submit")).to_be_visible()


def test_an_invalid_session_returns_to_sign_in(page, local_stack):
    page.goto(local_stack.site_url + "/#/login")
    page.evaluate("""() => sessionStorage.setItem('revisit.session', JSON.stringify(
        {idToken: 'garbage', expiresAt: Date.now() + 3600000, clinicId: 'demo-dental'}))""")
    page.goto(local_stack.site_url + "/#/patients")
    expect = playwright_api.expect
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    assert "#/login" in page.url


def test_staff_of_another_clinic_sees_only_their_clinic(page, local_stack):
    sign_in(page, local_stack, local_stack.other_clinic_admin_username, local_stack.other_clinic_admin_password)
    expect = playwright_api.expect
    expect(page.get_by_test_id("clinic-name")).not_to_be_empty()
    assert "齿护" not in page.get_by_test_id("clinic-name").inner_text()
    page.get_by_test_id("nav-patients").click()
    expect(page.get_by_test_id("patients-table")).to_be_visible()
