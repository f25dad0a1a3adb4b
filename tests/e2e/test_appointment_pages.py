"""Appointments in headless Chromium against the local stack: the dashboard's show-rate cards; an admin
adds a doctor with a weekly session on #/schedule (and a broken session is refused in Chinese), saves and
removes a holiday and reads the page in English; the desk books two slots for a
patient from the patient's page, finds them on #/appointments, marks one arrived (the visit shows on
the patient's page) and cancels the other."""

from __future__ import annotations

import json
import random
import re
import urllib.request
from datetime import date, timedelta

import pytest

from tests.e2e.test_admin_site import browser, sign_in  # noqa: F401  (fixture)
from tests.e2e.test_issue_pages import shots  # noqa: F401  (fixture)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


def _token(stack, username, password) -> str:
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(stack.api_url + "/auth/staff/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())["id_token"]


def _call(stack, method, path, body=None, admin=False):
    token = _token(stack, stack.admin_username, stack.admin_password) if admin else \
        _token(stack, stack.staff_username, stack.staff_password)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.api_url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def _page(browser, stack, username, password):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.problems = []
    page.on("pageerror", lambda err: page.problems.append(f"page error: {err}"))
    sign_in(page, stack, username, password)
    expect(page.get_by_test_id("clinic-name")).not_to_be_empty()
    return context, page


def test_an_admin_adds_a_doctor_with_a_weekly_session(browser, local_stack, shots):  # noqa: F811
    context, page = _page(browser, local_stack, local_stack.admin_username, local_stack.admin_password)
    # the dashboard's appointment figures (the demo's arrivals of today), as GET /dashboard gives them
    kpis = _call(local_stack, "GET", "/dashboard", admin=True)["kpis"]
    shown = kpis["basis"]["show_rate_30"]
    expect(page.get_by_test_id("kpi-show-rate-card")).to_contain_text("预约到诊率")
    expect(page.get_by_test_id("kpi-show-rate-basis")).to_have_text(f"{shown['hits']:,} / {shown['decided']:,} 个预约")
    expect(page.get_by_test_id("kpi-no-show-rate-card")).to_contain_text("未到诊占已到诊与未到诊之和的比例")
    expect(page.get_by_test_id("kpi-reminder-to-booking-card")).to_contain_text(
        f"提醒后预约 {kpis.get('reminder_bookings') or 0:,} 个")
    page.get_by_test_id("nav-schedule").click()
    # the demo's doctors with their departments (the clinic's labels) and expert sessions
    demo = page.locator("[data-testid=doctor-row][data-id=dr-wang]")
    expect(demo.get_by_test_id("doctor-row-department")).to_have_text("口腔科")
    expect(demo.get_by_test_id("doctor-weekly")).to_contain_text("周四")
    expect(demo.get_by_test_id("doctor-weekly")).to_contain_text("专家")
    name = "测试医生" + "".join(random.choice("甲乙丙丁戊己庚辛") for _ in range(3))
    form = page.get_by_test_id("doctor-form")
    page.get_by_test_id("doctor-name").fill(name)
    page.get_by_test_id("doctor-department").select_option("dermatology")
    monday = page.get_by_test_id("weekday-mon")
    monday.get_by_test_id("session-add").click()
    monday.get_by_test_id("session-start").fill("10:00")
    monday.get_by_test_id("session-end").fill("09:00")  # ends before it starts
    page.get_by_test_id("doctor-save").click()
    expect(page.get_by_test_id("doctor-error")).to_contain_text("周一")
    expect(page.get_by_test_id("doctor-error")).to_contain_text("排班有误")
    monday.get_by_test_id("session-start").fill("08:00")
    monday.get_by_test_id("session-end").fill("12:00")
    monday.get_by_test_id("session-minutes").fill("30")
    monday.get_by_test_id("session-capacity").fill("3")
    monday.get_by_test_id("session-expert").check()
    page.get_by_test_id("doctor-save").click()
    expect(page.get_by_test_id("doctor-saved")).to_have_text("已保存")
    row = page.get_by_test_id("doctor-row").filter(has_text=name)
    expect(row.get_by_test_id("doctor-row-department")).to_have_text("皮肤科")
    expect(row.get_by_test_id("doctor-weekly")).to_contain_text("周一 08:00–12:00，每 30 分钟一个号，每号 3 人")
    expect(row.get_by_test_id("doctor-weekly")).to_contain_text("专家")
    expect(form).to_contain_text("修改医生：" + name)
    saved = [d for d in _call(local_stack, "GET", "/doctors")["items"] if d["name"] == name]
    assert [(d["department"], d["active"], d["weekly"]) for d in saved] == [("dermatology", True, {"mon": [
        {"start": "08:00", "end": "12:00", "slot_minutes": 30, "capacity": 3, "expert": True}]})]
    page.screenshot(path=str(shots / "schedule.png"), full_page=True)

    # a clinic holiday far ahead, saved and listed by the API, then removed again
    day = (date.today() + timedelta(days=200)).isoformat()
    holidays = page.get_by_test_id("holidays-form")
    expect(holidays).to_be_visible()  # the clinic's holidays have loaded
    before = holidays.get_by_test_id("holiday-row").count()
    page.get_by_test_id("holiday-add").click()
    holidays.get_by_test_id("holiday-date").last.fill(day)
    holidays.get_by_test_id("holiday-name").last.fill("院庆")
    page.get_by_test_id("holidays-save").click()
    expect(page.get_by_test_id("holidays-saved")).to_have_text("已保存")
    assert {"date": day, "name": "院庆"} in _call(local_stack, "GET", "/clinic/holidays")["days"]
    dates = holidays.get_by_test_id("holiday-date").evaluate_all("inputs => inputs.map(i => i.value)")
    holidays.get_by_test_id("holiday-remove").nth(dates.index(day)).click()
    expect(holidays.get_by_test_id("holiday-row")).to_have_count(before)
    page.get_by_test_id("holidays-save").click()
    expect(page.get_by_test_id("holidays-saved")).to_have_text("已保存")
    assert day not in {d["date"] for d in _call(local_stack, "GET", "/clinic/holidays")["days"]}

    # the page in English, and back
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("main h1")).to_have_text("Doctors & schedules")
    expect(demo.get_by_test_id("doctor-row-department")).to_have_text("Dentistry")
    expect(demo.get_by_test_id("doctor-weekly")).to_contain_text("Thu")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("main h1")).to_have_text("排班与医生")
    assert not page.problems, page.problems
    context.close()


@pytest.fixture(scope="module")
def desk_doctor(local_stack) -> dict:
    """A dermatologist on duty all day every day (5-minute slots, one place each), so the desk can
    book a slot of today whenever the test runs."""
    doctor_id = f"e2e-desk-{random.randrange(10**6):06d}"
    day = [{"start": "00:00", "end": "24:00", "slot_minutes": 5, "capacity": 1, "expert": False}]
    body = {"name": "全天测试医生", "department": "dermatology",
            "weekly": {d: day for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
    return _call(local_stack, "PUT", f"/doctors/{doctor_id}", body, admin=True)["doctor"]


def test_the_desk_books_arrives_and_cancels(browser, local_stack, desk_doctor, shots):  # noqa: F811
    record = {"name": "预约测试", "phone": f"1397{random.randrange(10**7):07d}", "birth_year": 1980, "sex": "M",
              "conditions": ["eczema"], "department": "dermatology",
              "consents": {"service": True, "marketing": False, "analytics": True}, "consent_version": "v1"}
    patient = _call(local_stack, "POST", "/patients", record)["patient"]["patient_id"]
    doctor = desk_doctor["doctor_id"]
    context, page = _page(browser, local_stack, local_stack.staff_username, local_stack.staff_password)
    page.goto(f"{local_stack.site_url}/#/patients/{patient}")
    section = page.get_by_test_id("appointments-section")
    expect(section.get_by_test_id("appointments-empty")).to_have_text("暂无预约")
    expect(page.get_by_test_id("slot-department")).to_have_value("dermatology")
    page.get_by_test_id("slot-doctor").select_option(doctor)
    today = page.get_by_test_id("slot-from").input_value()
    page.get_by_test_id("slot-to").fill(today)
    page.get_by_test_id("slot-find").click()
    slots = page.locator(f"[data-testid=slot][data-doctor={doctor}]")
    expect(slots.first).to_contain_text("余 1")
    count = slots.count()
    assert count >= 2, "fewer than two slots left today"
    first = slots.nth(1 if count >= 3 else 0).get_attribute("data-start")  # not one about to start
    later = slots.nth(min(12, count - 1)).get_attribute("data-start")  # an hour later, so still cancellable
    for start in (first, later):
        page.locator(f"[data-testid=slot][data-doctor={doctor}][data-start='{start}']").click()
        expect(page.get_by_test_id("slot-chosen")).to_contain_text(start)
        page.get_by_test_id("slot-book").click()
        expect(section.get_by_test_id("appointments-done")).to_contain_text("已预约")
        expect(section.get_by_test_id("appointments-done")).to_contain_text(start)
        # the booked slot has no place left now
        expect(page.locator(f"[data-testid=slot][data-doctor={doctor}][data-start='{start}']")).to_be_disabled()
    rows = section.get_by_test_id("appointment-row")
    expect(rows).to_have_count(2)
    expect(rows.get_by_test_id("appointment-status")).to_have_text(["已预约", "已预约"])
    expect(page.get_by_test_id("patient-booking")).not_to_have_text("—")
    booked = _call(local_stack, "GET", f"/patients/{patient}/appointments")["items"]
    assert sorted(a["start"] for a in booked) == sorted([first, later])
    assert {a["booked_by"] for a in booked} == {f"staff:{local_stack.staff_username}"}
    page.screenshot(path=str(shots / "patient-appointments.png"), full_page=True)

    # the desk's day: today by default, the doctor's bookings with the masked name linking to the patient
    page.get_by_test_id("nav-appointments").click()
    expect(page.get_by_test_id("day-date")).to_have_value(today)
    page.get_by_test_id("day-department").select_option("dermatology")
    page.get_by_test_id("day-doctor").select_option(doctor)
    day = page.locator(f"[data-testid=day-row]:has([href='#/patients/{patient}'])")
    expect(day).to_have_count(2)
    expect(page.get_by_test_id("day-total")).to_have_text("共 2 个预约")
    expect(page.get_by_test_id("day-count-booked")).to_have_text("已预约 2")
    name = day.first.get_by_test_id("day-patient").inner_text()
    assert "*" in name and "预约测试" not in name
    page.screenshot(path=str(shots / "appointments-day.png"), full_page=True)
    arriving = day.filter(has=page.get_by_test_id("day-time").filter(has_text=re.compile("^" + first)))
    arriving.get_by_test_id("appointment-arrive").click()
    expect(page.get_by_test_id("day-done")).to_contain_text("已登记到诊")
    expect(arriving.get_by_test_id("day-status")).to_have_text("已到诊")
    cancelling = day.filter(has=page.get_by_test_id("day-time").filter(has_text=re.compile("^" + later)))
    cancelling.get_by_test_id("appointment-cancel").click()
    expect(cancelling.get_by_test_id("cancel-confirm")).to_contain_text("确认取消这个预约？")
    cancelling.get_by_test_id("cancel-yes").click()
    expect(page.get_by_test_id("day-done")).to_have_text("已取消，号源已退回")
    expect(cancelling.get_by_test_id("day-status")).to_have_text("已取消")
    expect(page.get_by_test_id("day-count-arrived")).to_have_text("已到诊 1")
    expect(page.get_by_test_id("day-count-cancelled")).to_have_text("已取消 1")
    expect(page.get_by_test_id("day-count-booked")).to_have_text("已预约 0")

    # the patient's page: the visit the arrival recorded, the bookings' states
    day.first.get_by_test_id("day-patient").click()
    expect(page.get_by_test_id("visit-row").first).to_contain_text("预约到诊")
    expect(page.get_by_test_id("patient-last-visit")).not_to_have_text("从未就诊")
    # the section loads after the page: wait for its rows before reading their states
    expect(page.get_by_test_id("appointment-row").first).to_be_visible()
    statuses = {r.get_attribute("data-status") for r in page.get_by_test_id("appointment-row").all()}
    assert statuses == {"arrived", "cancelled"}
    expect(page.get_by_test_id("appointment-arrive")).to_have_count(0)
    # the place given back is open again
    page.get_by_test_id("slot-doctor").select_option(doctor)
    page.get_by_test_id("slot-to").fill(today)
    page.get_by_test_id("slot-find").click()
    expect(page.locator(f"[data-testid=slot][data-doctor={doctor}][data-start='{later}']")).to_be_enabled()
    assert not page.problems, page.problems
    context.close()
