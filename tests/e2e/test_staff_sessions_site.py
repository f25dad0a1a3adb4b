"""A clerk whose account is disabled while signed in: the admin site signs them out at their next
request and says why, in Chinese; signing in again is refused with the same words."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.e2e.conftest import ROOT
from tests.e2e.test_admin_site import browser, page, sign_in  # noqa: F401  (fixtures)

playwright_api = __import__("pytest").importorskip("playwright.sync_api")
expect = playwright_api.expect

PASSWORD = "Leaver-Pass-2026"


def admin_cli(stack, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "ops.admin", "--local", *args], cwd=ROOT,
                          env=stack.command_env(), input=stdin, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_a_disabled_clerk_is_signed_out_with_the_reason(page, local_stack, tmp_path):  # noqa: F811
    admin_cli(local_stack, "create-staff", "--clinic", "demo-dental", "--username", "leaver@demo-dental",
              "--role", "front_desk", "--password-stdin", stdin=PASSWORD + "\n")
    sign_in(page, local_stack, username="leaver@demo-dental", password="Wrong-password-1")
    expect(page.get_by_test_id("login-error")).to_have_text("用户名或密码错误")

    sign_in(page, local_stack, username="leaver@demo-dental", password=PASSWORD, goto=False)
    expect(page).to_have_url(re.compile(r"#/dashboard$"))
    expect(page.get_by_test_id("clinic-name")).not_to_be_empty()

    admin_cli(local_stack, "disable-staff", "--clinic", "demo-dental", "--username", "leaver@demo-dental")
    page.get_by_test_id("nav-patients").click()
    expect(page).to_have_url(re.compile(r"#/login$"))
    expect(page.get_by_test_id("login-error")).to_have_text("此账号已停用，请联系诊所管理员")
    page.screenshot(path=str(tmp_path / "disabled-clerk.png"))

    sign_in(page, local_stack, username="leaver@demo-dental", password=PASSWORD, goto=False)
    expect(page.get_by_test_id("login-error")).to_have_text(re.compile("已停用|用户名或密码错误"))
    assert "#/login" in page.url
