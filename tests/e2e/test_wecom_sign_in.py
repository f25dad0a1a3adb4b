"""Staff of a mainland stage sign in through WeCom: the local stack started with
STAFF_IDENTITY=wecom (its fake WeCom server stands in for WeCom's login page and API); the sign-in
page offers 企业微信扫码登录, the member confirms on WeCom's page, and the site signs them in to their
clinic. A member without an account in the clinic is told so in Chinese."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import start_stack
from tests.e2e.test_admin_site import browser, page  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def wecom_stack(tmp_path_factory):
    stack = start_stack(tmp_path_factory.mktemp("wecom-stack"), patients=20, extra_env={"STAFF_IDENTITY": "wecom"})
    yield stack
    stack.stop()


def scan_as(page, stack, userid: str, clinic: str = "demo-dental") -> None:
    page.goto(stack.site_url + "/#/login")
    expect(page.get_by_test_id("login-username")).to_have_count(0)  # no password form on this stage
    page.get_by_test_id("login-clinic").fill(clinic)
    page.get_by_test_id("wecom-login-button").click()
    # WeCom's page (the fake): the member confirms
    expect(page).to_have_url(re.compile(r"/wwlogin/sso/login\?login_type=CorpApp&appid=ww-local-corp&agentid=1000002"))
    page.get_by_label("扫码成员的 UserID").fill(userid)
    page.get_by_role("button", name="确认登录").click()


def test_a_member_signs_in_through_wecom(page, wecom_stack, tmp_path):  # noqa: F811
    page.goto(wecom_stack.site_url + "/#/login")
    expect(page.get_by_test_id("wecom-login-button")).to_have_text("企业微信扫码登录")
    scan_as(page, wecom_stack, "admin.demo-dental")
    expect(page).to_have_url(re.compile(r"#/dashboard$"))
    expect(page.get_by_test_id("clinic-name")).to_contain_text("齿护口腔")
    assert "code=" not in page.url  # the one-time code is dropped from the address
    page.screenshot(path=str(tmp_path / "wecom-signed-in.png"))
    page.get_by_test_id("signout").click()
    expect(page).to_have_url(re.compile(r"#/login$"))


def test_a_member_without_an_account_here_is_told_so(page, wecom_stack):  # noqa: F811
    scan_as(page, wecom_stack, "admin.north-derm")  # an admin of the other clinic
    expect(page.get_by_test_id("login-error")).to_have_text("该企业微信成员在此诊所没有账号，请联系诊所管理员")
    assert "#/login" in page.url
    scan_as(page, wecom_stack, "outsider-7")
    expect(page.get_by_test_id("login-error")).to_have_text("该企业微信用户不是本机构的成员")
