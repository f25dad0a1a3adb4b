"""The challenges page in a real headless Chromium: the default glucose guard, an admin defining a
challenge, and the voucher desk finding a voucher by its code and redeeming it once."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.e2e.test_admin_site import browser, page, sign_in  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api")

CODE = "KMNP2345"


def _api(stack, method, path, body=None, token=None):
    request = urllib.request.Request(stack.api_url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def _issue_voucher(stack) -> None:
    """A voucher as a completed streak leaves it (written straight into the stack's table)."""
    import boto3

    token = _api(stack, "POST", "/auth/staff/login",
                 {"username": stack.staff_username, "password": stack.staff_password})["id_token"]
    patient_id = _api(stack, "GET", "/patients?limit=1", token=token)["items"][0]["patient_id"]
    env = stack.env
    dynamodb = boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    voucher = {"pk": f"demo-dental#P#{patient_id}", "sk": "VOUCHER#e2e0000000000001", "voucher_id": "e2e0000000000001",
               "code": CODE, "kind": "glucose-test", "name": "免费血糖检测券", "name_en": "Free glucose test voucher",
               "source": "challenge:glucose-guard-365:2026-01-01", "issued_at": "2026-01-07T02:00:00Z",
               "valid_until": "2099-12-31", "expires_at": "2099-12-31T16:00:00Z", "status": "issued"}
    pointer = {"pk": f"demo-dental#VCODE#{CODE}", "sk": "VCODE", "patient_id": patient_id,
               "voucher_id": "e2e0000000000001"}
    for item in (voucher, pointer):
        dynamodb.put_item(TableName=env["REVISIT_TABLE"], Item={k: {"S": v} for k, v in item.items()})


def test_challenges_and_the_voucher_desk(page, local_stack):  # noqa: F811
    expect = playwright_api.expect
    _issue_voucher(local_stack)
    sign_in(page, local_stack)
    page.get_by_test_id("nav-challenges").click()
    assert "#/challenges" in page.url
    guard = page.locator("[data-testid=challenge-row][data-id=glucose-guard-365]")
    expect(guard).to_contain_text("365天血糖守护")
    expect(guard).to_contain_text("免费血糖检测券")

    # an admin defines a challenge
    rows = page.get_by_test_id("challenge-row").count()
    page.get_by_test_id("challenge-id").fill("e2e-steps")
    page.get_by_test_id("challenge-name").fill("万步走五天")
    page.get_by_test_id("challenge-type").select_option("steps")
    page.get_by_test_id("challenge-days").fill("5")
    page.get_by_test_id("challenge-reward-type").select_option("points")
    page.get_by_test_id("challenge-points").fill("30")
    page.get_by_test_id("challenge-submit").click()
    expect(page.get_by_test_id("challenge-saved")).to_be_visible()
    expect(page.get_by_test_id("challenge-row")).to_have_count(rows + 1)
    expect(page.locator("[data-testid=challenge-row][data-id=e2e-steps]")).to_contain_text("30")
    # the same id again is refused with the API's code, in the page's words
    page.get_by_test_id("challenge-id").fill("e2e-steps")
    page.get_by_test_id("challenge-name").fill("again")
    page.get_by_test_id("challenge-reward-type").select_option("points")
    page.get_by_test_id("challenge-submit").click()
    expect(page.get_by_test_id("challenge-error")).to_contain_text("编号已存在")

    # the desk: a malformed code, then the voucher typed loosely, redeemed once
    page.get_by_test_id("voucher-code").fill("ABCD-0OIL")
    page.get_by_test_id("voucher-lookup").click()
    expect(page.get_by_test_id("voucher-error")).to_contain_text("券码格式不对")
    page.get_by_test_id("voucher-code").fill(CODE.lower()[:4] + " " + CODE.lower()[4:])
    page.get_by_test_id("voucher-lookup").click()
    expect(page.get_by_test_id("voucher-status")).to_have_text("未使用")
    expect(page.get_by_test_id("voucher-card-code")).to_have_text("KMNP-2345")
    expect(page.get_by_test_id("voucher-patient")).to_contain_text("*")
    page.get_by_test_id("voucher-redeem").click()
    expect(page.get_by_test_id("voucher-result")).to_be_visible()
    expect(page.get_by_test_id("voucher-status")).to_have_text("已核销")
    expect(page.get_by_test_id("voucher-redeem")).to_be_disabled()
    page.get_by_test_id("voucher-lookup").click()
    expect(page.get_by_test_id("voucher-status")).to_have_text("已核销")
    expect(page.get_by_test_id("voucher-redeemed-at")).to_be_visible()


def test_staff_see_challenges_but_no_form_and_another_clinic_sees_none(page, local_stack):  # noqa: F811
    expect = playwright_api.expect
    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    page.get_by_test_id("nav-challenges").click()
    expect(page.locator("[data-testid=challenge-row][data-id=glucose-guard-365]")).to_be_visible()
    expect(page.get_by_test_id("challenge-form")).to_have_count(0)
    page.get_by_test_id("signout").click()
    sign_in(page, local_stack, local_stack.other_clinic_admin_username, local_stack.other_clinic_admin_password)
    page.get_by_test_id("nav-challenges").click()
    expect(page.get_by_test_id("challenges-empty")).to_be_visible()
    page.get_by_test_id("voucher-code").fill(CODE)
    page.get_by_test_id("voucher-lookup").click()
    expect(page.get_by_test_id("voucher-error")).to_contain_text("没有这个券码")
