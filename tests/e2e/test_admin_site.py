"""The admin site in a real headless Chromium against the running local stack."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

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


def sign_in(page, stack, username=None, password=None, goto=True):
    if goto:
        page.goto(stack.site_url + "/#/login")
    page.get_by_test_id("login-username").fill(username or stack.admin_username)
    page.get_by_test_id("login-password").fill(password or stack.admin_password)
    page.get_by_test_id("login-submit").click()


def number(text: str) -> int:
    """A figure as the zh-CN or en page shows it ("1,269")."""
    return int(re.sub(r"[^\d-]", "", text))


def test_walk_through(page, local_stack, tmp_path):
    # a wrong password shows the API's message and stays on the sign-in page
    sign_in(page, local_stack, password="Wrong-password-1")
    expect(page.get_by_test_id("login-error")).to_be_visible()
    assert page.get_by_test_id("login-error").inner_text().strip()
    assert "#/login" in page.url
    expect(page.get_by_test_id("login-password")).to_be_visible()

    sign_in(page, local_stack, goto=False)
    expect(page).to_have_url(re.compile(r"#/dashboard$"))
    expect(page.get_by_test_id("clinic-name")).not_to_be_empty()
    expect(page.get_by_test_id("kpi-patients")).not_to_have_text("—")
    assert number(page.get_by_test_id("kpi-patients").inner_text()) >= 60
    rate = re.compile(r"^(\d+(\.\d)?%|—|统计中)$")  # a rate, no data, or a window still open
    expect(page.get_by_test_id("kpi-revisit-30")).to_have_text(rate)
    assert page.get_by_test_id("nav-dashboard").inner_text() == "数据概览"
    canvas = page.get_by_test_id("chart-silence")
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box["width"] > 100 and box["height"] > 50
    # the chart really drew bars: many canvas pixels are painted in the bar colour
    painted = page.evaluate("""() => {
        const c = document.querySelector('[data-testid=chart-silence]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] === 15 && d[i+1] === 118 && d[i+2] === 110) n++;
        return n; }""")
    assert painted > 500
    # the KPIs of silence and reminders, and the department bars drawn in their colour (#2563eb)
    expect(page.get_by_test_id("kpi-silent-share")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    expect(page.get_by_test_id("kpi-reminder-conversion")).to_have_text(rate)
    # every rate card shows what it is out of, and what is still inside its window; every card says
    # what it counts, in Chinese
    dashboard = _dashboard(local_stack)
    kpis = dashboard["kpis"]
    silent_basis = page.get_by_test_id("kpi-silent-share-basis").inner_text()
    assert silent_basis == f"{kpis['silent_patients']:,} / {kpis['patients']:,} 人", silent_basis
    conversion = kpis["basis"]["reminder_conversion_90"]
    card = page.get_by_test_id("kpi-reminder-conversion-card")
    expect(card).to_contain_text(f"{conversion['hits']:,} / {conversion['decided']:,} 条")
    if conversion["pending"]:
        expect(page.get_by_test_id("kpi-reminder-conversion-pending")).to_have_text(f"统计中 {conversion['pending']:,} 条")
    if kpis["reminder_conversion_90"] is None and conversion["pending"]:
        expect(page.get_by_test_id("kpi-reminder-conversion")).to_have_text("统计中")
    recheck = kpis["basis"]["annual_recheck_rate"]
    expect(page.get_by_test_id("kpi-recheck-rate-basis")).to_contain_text(f"{recheck['hits']:,} / {recheck['decided']:,} 人")
    expect(page.get_by_test_id("kpi-silent-share-card")).to_contain_text(f"超过 {kpis['silent_days']} 天没有任何互动")
    for what in page.locator(".card .what").all_inner_texts():
        assert re.search(r"[\u4e00-\u9fff]", what) and not re.search(r"[A-Za-z_]{4,}", what), what
    expect(page.get_by_test_id("silence-note")).to_contain_text(f"共 {kpis['silent_patients']:,} 人")
    if any(w["pending"] for w in dashboard["charts"]["weekly_revisit"]):
        expect(page.get_by_test_id("weekly-revisit-pending")).to_contain_text("统计中")
    for chart in ("chart-weekly-revisit", "chart-weekly-reminders", "chart-daily"):
        expect(page.get_by_test_id(chart)).to_be_visible()
    blue = page.evaluate("""() => {
        const c = document.querySelector('[data-testid=chart-departments]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] === 37 && d[i+1] === 99 && d[i+2] === 235) n++;
        return n; }""")
    assert blue > 200
    # a picture for a person to look at: REVISIT_SCREENSHOT_DIR keeps it beyond the test run
    shots = Path(os.environ.get("REVISIT_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
    assert (shots / "dashboard.png").stat().st_size > 10_000

    # English, kept across a reload, and back to Chinese
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-dashboard")).to_have_text("Dashboard")
    expect(page.get_by_test_id("signout")).to_have_text("Sign out")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    expect(page.get_by_test_id("nav-patients")).to_have_text("Patients")
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-dashboard")).to_have_text("数据概览")
    expect(page.get_by_test_id("signout")).to_have_text("退出")

    # patient list: next page, previous page, next again
    page.get_by_test_id("nav-patients").click()
    rows = page.get_by_test_id("patient-row")
    expect(rows).to_have_count(20)
    first_page = rows.first.get_attribute("data-id")
    page.get_by_test_id("page-next").click()
    expect(page.get_by_test_id("page-number")).to_contain_text("2")
    expect(rows.first).not_to_have_attribute("data-id", first_page)
    second_page = rows.first.get_attribute("data-id")
    assert first_page not in rows.evaluate_all("rs => rs.map(r => r.dataset.id)")
    page.get_by_test_id("page-prev").click()
    expect(page.get_by_test_id("page-number")).to_contain_text("1")
    expect(rows.first).to_have_attribute("data-id", first_page)
    page.get_by_test_id("page-next").click()
    expect(rows.first).to_have_attribute("data-id", second_page)

    # a patient who has been seen: profile, consent per purpose, visits
    seen = rows.filter(has_not_text="从未就诊").first
    patient_id = seen.get_attribute("data-id")
    seen.click()
    expect(page).to_have_url(re.compile(r"#/patients/" + re.escape(patient_id) + "$"))
    expect(page.get_by_test_id("patient-name")).not_to_be_empty()
    assert "*" not in page.get_by_test_id("patient-name").inner_text()  # the full name, on this page only
    assert "****" in page.get_by_test_id("patient-phone").inner_text()
    expect(page.get_by_test_id("consent-service")).to_be_visible()
    expect(page.get_by_test_id("consent-marketing")).to_be_visible()
    expect(page.get_by_test_id("consent-service")).to_contain_text(re.compile("已同意|未同意"))
    expect(page.get_by_test_id("visit-row").first).to_be_visible()
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page.get_by_test_id("visit-row").first.inner_text())
    # back to the list: still on the second page
    page.get_by_test_id("patient-back").click()
    expect(page.get_by_test_id("page-number")).to_contain_text("2")
    expect(rows.first).to_have_attribute("data-id", second_page)
    # the side nav starts the list afresh
    page.get_by_test_id("nav-dashboard").click()
    page.get_by_test_id("nav-patients").click()
    expect(page.get_by_test_id("page-number")).to_contain_text("1")
    expect(rows.first).to_have_attribute("data-id", first_page)

    # segment query: eczema patients without a visit for 90 days
    page.get_by_test_id("nav-segments").click()
    page.get_by_test_id("segment-condition").select_option("eczema")
    page.get_by_test_id("segment-days").fill("90")
    page.get_by_test_id("segment-submit").click()
    expect(page.get_by_test_id("segment-row").first).to_be_visible()
    for row in page.get_by_test_id("segment-row").all():
        days_since = row.locator("td").nth(2).inner_text()
        assert days_since == "—" or number(days_since) >= 90, row.inner_text()
    # a lapsed patient's page, and the browser's back button returns to the same result
    lapsed = page.get_by_test_id("segment-row").first.get_attribute("data-id")
    page.get_by_test_id("segment-row").first.click()
    expect(page).to_have_url(re.compile(r"#/patients/" + re.escape(lapsed) + "$"))
    expect(page.get_by_test_id("patient-name")).not_to_be_empty()
    page.go_back()
    expect(page.get_by_test_id("segment-row").first).to_have_attribute("data-id", lapsed)
    expect(page.get_by_test_id("segment-condition")).to_have_value("eczema")
    expect(page.get_by_test_id("segment-days")).to_have_value("90")

    # the reminder log shows the reminders the schedule sent
    page.get_by_test_id("nav-reminders").click()
    expect(page.get_by_test_id("reminders-table")).to_be_visible()
    expect(page.get_by_test_id("reminder-row").first).to_be_visible()
    statuses = page.get_by_test_id("reminder-status").all_inner_texts()
    assert "已发送" in statuses, statuses
    # each entry leads to its patient
    reminded = page.get_by_test_id("reminder-patient").first.get_attribute("href")
    assert reminded.startswith("#/patients/")
    page.get_by_test_id("reminder-patient").first.click()
    expect(page).to_have_url(re.compile(re.escape(reminded) + "$"))
    expect(page.get_by_test_id("patient-name")).not_to_be_empty()
    expect(page.get_by_test_id("consent-service")).to_contain_text("已同意")  # it was sent: service consent

    # sign-out forgets the session: the dashboard asks for a sign-in again
    page.get_by_test_id("signout").click()
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    page.goto(local_stack.site_url + "/#/dashboard")
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    assert "#/login" in page.url


def _call(stack, method: str, path: str, body: dict | None = None, admin: bool = False) -> dict:
    """One API call as the demo clinic's staff (or admin), outside the browser."""
    import json
    import urllib.request

    def send(url, data, headers):
        request = urllib.request.Request(url, data=json.dumps(data).encode() if data is not None else None,
                                         method="POST" if url.endswith("/login") else method, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read())

    who = (stack.admin_username, stack.admin_password) if admin else (stack.staff_username, stack.staff_password)
    token = send(stack.api_url + "/auth/staff/login", {"username": who[0], "password": who[1]},
                 {"Content-Type": "application/json"})["id_token"]
    return send(stack.api_url + path, body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


def _dashboard(stack) -> dict:
    return _call(stack, "GET", "/dashboard")


def test_the_clinics_silent_days_drive_the_silent_segment_and_the_dashboard(page, local_stack):
    sign_in(page, local_stack)
    page.get_by_test_id("nav-groups").click()
    setting = page.get_by_test_id("silent-setting")
    expect(setting.get_by_test_id("silent-days")).to_have_text("180")
    silent = page.locator("[data-testid=seg-row][data-id=silent-180]")
    expect(silent.get_by_test_id("seg-follows-setting")).to_have_text("跟随上方的沉默天数")
    expect(silent.get_by_test_id("seg-edit")).to_have_count(0)  # its rule is the setting's
    try:
        setting.get_by_test_id("silent-days-input").fill("20")  # below the range: the browser holds it back
        setting.get_by_test_id("silent-days-save").click()
        expect(setting.get_by_test_id("silent-days")).to_have_text("180")
        setting.get_by_test_id("silent-days-input").fill("120")
        setting.get_by_test_id("silent-days-save").click()
        expect(setting.get_by_test_id("silent-days-saved")).to_contain_text("120 天")
        expect(setting.get_by_test_id("silent-days")).to_have_text("120")
        expect(silent).to_contain_text("沉默超过120天")
        expect(silent).to_contain_text("沉默天数 大于 120")
        swept = local_stack.sweep_once()  # the KPI refresh the schedule would run
        assert swept.returncode == 0, swept.stdout + swept.stderr
        page.get_by_test_id("nav-dashboard").click()
        kpis = _dashboard(local_stack)["kpis"]
        assert kpis["silent_days"] == 120
        expect(page.get_by_test_id("kpi-silent-share-card")).to_contain_text("超过 120 天没有任何互动")
        expect(page.get_by_test_id("kpi-silent-share-basis")).to_have_text(
            f"{kpis['silent_patients']:,} / {kpis['patients']:,} 人")
        expect(page.get_by_test_id("silence-note")).to_contain_text("超过 120 天")
    finally:  # the other browser tests expect the default
        _call(local_stack, "PUT", "/clinic/silent-days", {"days": 180}, admin=True)
        local_stack.sweep_once()


def test_an_invalid_session_returns_to_sign_in(page, local_stack):
    page.goto(local_stack.site_url + "/#/login")
    page.evaluate("""() => sessionStorage.setItem('revisit.session', JSON.stringify(
        {idToken: 'garbage', expiresAt: Date.now() + 3600000, clinicId: 'demo-dental'}))""")
    page.goto(local_stack.site_url + "/#/patients")
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    assert "#/login" in page.url
    assert page.evaluate("sessionStorage.getItem('revisit.session')") is None
    # signing in again lands where the person was going
    sign_in(page, local_stack, goto=False)
    expect(page).to_have_url(re.compile(r"#/patients$"))
    expect(page.get_by_test_id("patient-row").first).to_be_visible()


def test_staff_sign_in_sees_the_clinic(page, local_stack):
    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    expect(page.get_by_test_id("kpi-patients")).not_to_have_text("—")
    page.get_by_test_id("nav-reminders").click()
    expect(page.get_by_test_id("reminders-table")).to_be_visible()


def test_staff_of_another_clinic_sees_only_their_clinic(page, local_stack):
    sign_in(page, local_stack)
    expect(page.get_by_test_id("clinic-name")).not_to_be_empty()
    demo_clinic = page.get_by_test_id("clinic-name").inner_text()
    page.get_by_test_id("signout").click()

    sign_in(page, local_stack, local_stack.other_clinic_admin_username, local_stack.other_clinic_admin_password,
            goto=False)
    expect(page.get_by_test_id("clinic-name")).not_to_be_empty()
    assert page.get_by_test_id("clinic-name").inner_text() != demo_clinic
    page.get_by_test_id("nav-patients").click()
    expect(page.get_by_test_id("patients-table")).to_be_visible()
