"""The front desk in headless Chromium against the local stack: a clerk (staff, not admin) registers
a patient with a hospital number and the consent the patient chose, makes the binding QR code, and
the code the page shows links a WeChat account through POST /me/bind; the search box then finds the
patient by hospital number and full name, and sends a redemption code to its desk."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from tests.e2e.test_admin_site import browser, page, sign_in  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


def _call(stack, method, path, token=None, body=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(stack.api_url + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def _visitor(stack, name: str) -> str:
    status, login = _call(stack, "POST", "/auth/wechat/login",
                          body={"clinic_id": "demo-dental", "code": f"wx-{name}.{uuid.uuid4().hex[:8]}"})
    assert status == 200 and login["registered"] is False, login
    return login["access_token"]


def test_a_clerk_registers_a_patient_and_the_qr_code_links_their_wechat(page, local_stack):  # noqa: F811
    problems = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    page.get_by_test_id("nav-patients").click()
    expect(page.get_by_test_id("patients-table")).to_be_visible()

    tail = uuid.uuid4().int % 10**8
    phone, number, name = f"139{tail:08d}", f"ZY{tail:08d}", "柏青" + "松竹梅兰"[tail % 4]
    page.get_by_test_id("register-toggle").click()
    form = page.get_by_test_id("register-form")
    expect(form.get_by_test_id("reg-consent-service")).to_be_visible()
    expect(page.get_by_test_id("reg-consents")).to_contain_text("同意书版本")
    page.get_by_test_id("reg-name").fill(name)
    page.get_by_test_id("reg-phone").fill(phone)
    page.get_by_test_id("reg-hospital-no").fill(number.lower())
    page.get_by_test_id("reg-sex").select_option("F")
    page.get_by_test_id("reg-birth-year").fill("1961")
    page.get_by_test_id("reg-department").select_option("dermatology")
    page.get_by_test_id("reg-condition-eczema").check()
    page.get_by_test_id("reg-consent-service").check()
    page.get_by_test_id("reg-consent-analytics").check()  # marketing left as the patient chose: no
    page.get_by_test_id("reg-submit").click()
    done = page.get_by_test_id("register-done")
    expect(done).to_contain_text(f"已为 {name} 建档")
    patient_id = done.get_by_test_id("register-open").get_attribute("href").rsplit("/", 1)[1]
    expect(done.get_by_test_id("hospital-no")).to_contain_text(number)  # stored in its normal form

    # the hospital number corrected by the clerk: a typo first, then the right one
    done.get_by_test_id("hospital-no-edit").click()
    done.get_by_test_id("hospital-no-input").fill("#")
    done.get_by_test_id("hospital-no-save").click()
    expect(done.get_by_test_id("hospital-no-error")).to_have_text("住院号只能包含字母和数字")
    number = f"MZ{tail:08d}"
    done.get_by_test_id("hospital-no-input").fill(number)
    done.get_by_test_id("hospital-no-save").click()
    expect(done.get_by_test_id("hospital-no")).to_contain_text(number)

    # 扫码绑定: the QR code and the code it holds
    done.get_by_test_id("bind-make").click()
    image = done.get_by_test_id("bind-qr-image")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") > 100  # the QR code drew
    # the QR code holds the mini-program path with the code (the image is drawn from this value)
    path = image.get_attribute("data-path")
    assert path.startswith("packages/bind/index?code=demo-dental.")
    shown = path.split("code=", 1)[1]
    assert "demo-dental" not in done.inner_text()  # no raw id on the page: the code is in the QR code only
    expect(done.get_by_test_id("bind-valid-until")).to_contain_text("有效期至")

    status, bound = _call(local_stack, "POST", "/me/bind", _visitor(local_stack, f"desk-{tail}"), {"code": shown})
    assert status == 200, bound
    assert bound["patient_id"] == patient_id and bound["patient"]["name"] == name
    assert bound["patient"]["conditions"] == ["eczema"]
    status, again = _call(local_stack, "POST", "/me/bind", _visitor(local_stack, f"desk2-{tail}"), {"code": shown})
    assert status == 409 and again["code"] == "bind_code_used"

    # what the desk recorded: the consent as chosen, the hospital number in its normal form
    staff = _call(local_stack, "POST", "/auth/staff/login",
                  body={"username": local_stack.staff_username, "password": local_stack.staff_password})[1]["id_token"]
    detail = _call(local_stack, "GET", f"/patients/{patient_id}", staff)[1]
    assert detail["patient"]["hospital_no"] == number and detail["patient"]["wechat_linked"] is True
    assert {p: (c or {}).get("granted") for p, c in detail["consents"].items()} == {
        "service": True, "marketing": False, "analytics": True}

    # the search box: by hospital number, by full name, and an unknown name
    search = page.get_by_test_id("search-input")
    search.fill(number)
    page.get_by_test_id("search-submit").click()
    row = page.get_by_test_id("search-row")
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-id", patient_id)
    expect(row).to_contain_text("已绑定")
    expect(row).to_contain_text("住院号")
    assert name not in row.inner_text() and phone not in row.inner_text()  # masked rows only
    search.fill(name)
    page.get_by_test_id("search-submit").click()
    expect(page.locator(f"[data-testid=search-row][data-id='{patient_id}']")).to_contain_text("姓名")
    search.fill("查无此人")
    page.get_by_test_id("search-submit").click()
    expect(page.get_by_test_id("search-empty")).to_have_text("没有找到匹配的患者")
    search.fill(number)
    page.get_by_test_id("search-submit").click()
    page.get_by_test_id("search-row").click()
    expect(page.get_by_test_id("patient-name")).to_have_text(name)
    assert not problems, problems


def test_a_redemption_code_typed_in_the_search_box_opens_its_desk(page, local_stack):  # noqa: F811
    staff = _call(local_stack, "POST", "/auth/staff/login",
                  body={"username": local_stack.staff_username, "password": local_stack.staff_password})[1]["id_token"]
    tail = uuid.uuid4().int % 10**8
    visitor = _visitor(local_stack, f"redeem-{tail}")
    status, made = _call(local_stack, "POST", "/me/register", visitor, {
        "name": "兑换者", "phone": f"137{tail:08d}", "consents": {"service": True}, "consent_version": "v1"})
    assert status == 201, made
    token, pid = made["access_token"], made["patient_id"]
    assert _call(local_stack, "POST", f"/patients/{pid}/points/adjustments", staff,
                 {"points": 200, "reason": "活动奖励"})[0] == 201
    status, redeemed = _call(local_stack, "POST", "/me/redemptions", token, {"reward_id": "teeth-cleaning"})
    assert status == 201, redeemed
    code = redeemed["redemption"]["code"]

    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    page.get_by_test_id("nav-patients").click()
    page.get_by_test_id("search-input").fill(code.lower().replace("-", " "))
    page.get_by_test_id("search-submit").click()
    expect(page).to_have_url(f"{local_stack.site_url}/#/rewards?code={code}")
    expect(page.get_by_test_id("redemption-card-code")).to_have_text(code)
    expect(page.get_by_test_id("redemption-status")).to_have_text("待领取")
