"""Roles in the admin site: an admin invites a health manager who sets a password at the first
sign-in, re-roles and disables colleagues; each role's navigation holds only the pages it may use,
and none of those pages shows a refusal; the platform's operator creates a clinic whose admin signs in."""

from __future__ import annotations

import re

from tests.e2e.test_admin_site import browser, page, sign_in  # noqa: F401  (fixtures)

playwright_api = __import__("pytest").importorskip("playwright.sync_api")
expect = playwright_api.expect

# what each role's navigation shows (nav test ids), beyond the dashboard
NAV = {
    "admin": {"patients", "segments", "reminders", "risk", "staff"},
    "front_desk": {"patients", "segments", "reminders"},
    "health_manager": {"patients", "risk"},
    "analyst": {"dashboard", "experiments"},
}
NEVER = {"front_desk": {"staff", "clinics"}, "health_manager": {"staff", "clinics"},
         "analyst": {"patients", "segments", "reminders", "staff", "clinics"}}


def nav_keys(page) -> set[str]:
    return {tid.removeprefix("nav-") for tid in page.locator("nav.side a").evaluate_all(
        "links => links.map(a => a.dataset.testid)")}


def sign_out(page) -> None:
    page.get_by_test_id("signout").click()
    expect(page).to_have_url(re.compile(r"#/login$"))


def test_each_role_sees_its_own_pages_without_refusals(page, local_stack, tmp_path):  # noqa: F811
    for role in ("admin", "front_desk", "health_manager", "analyst"):
        username = f"{role}@demo-dental"
        sign_in(page, local_stack, username=username, password=local_stack.password(username))
        expect(page).to_have_url(re.compile(r"#/dashboard$"))
        expect(page.get_by_test_id("user-role")).to_have_text({"admin": "管理员", "front_desk": "前台",
                                                               "health_manager": "健康管理师", "analyst": "数据分析"}[role])
        keys = nav_keys(page)
        assert NAV[role] <= keys, (role, keys)
        assert not (NEVER.get(role, set()) & keys), (role, keys)
        for key in sorted(keys):
            page.get_by_test_id("nav-" + key).click()
            page.wait_for_load_state("networkidle")
            text = page.locator("main").inner_text()
            assert "403" not in text and "wrong_role" not in text and "没有权限" not in text, (role, key, text[:400])
        page.screenshot(path=str(tmp_path / f"role-{role}.png"), full_page=True)
        sign_out(page)


def test_an_admin_invites_re_roles_and_disables_a_colleague(page, local_stack, tmp_path):  # noqa: F811
    sign_in(page, local_stack)
    page.get_by_test_id("nav-staff").click()
    expect(page.get_by_test_id("staff-table")).to_be_visible()
    page.get_by_test_id("staff-username").fill("xiaozhou@demo-dental")
    page.get_by_test_id("staff-role").select_option("health_manager")
    page.get_by_test_id("staff-invite-submit").click()
    shown = page.get_by_test_id("staff-temporary")
    expect(shown).to_contain_text("xiaozhou@demo-dental 的临时密码")
    temporary = re.search(r"临时密码：(\S+)（", shown.inner_text()).group(1)
    row = page.locator('[data-testid="staff-row"][data-username="xiaozhou@demo-dental"]')
    expect(row).to_contain_text("健康管理师")
    page.screenshot(path=str(tmp_path / "staff-invited.png"), full_page=True)
    sign_out(page)

    # the colleague's first sign-in asks for a new password
    sign_in(page, local_stack, username="xiaozhou@demo-dental", password=temporary, goto=False)
    expect(page.get_by_test_id("login-error")).to_have_text("首次登录，请设置新密码")
    page.get_by_test_id("login-new-password").fill("Zhou-Chosen-2026")
    page.get_by_test_id("login-new-password2").fill("Zhou-Chosen-2026")
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(r"#/dashboard$"))
    expect(page.get_by_test_id("user-role")).to_have_text("健康管理师")
    sign_out(page)

    # the admin makes them front desk, then disables the account
    sign_in(page, local_stack, goto=False)
    page.get_by_test_id("nav-staff").click()
    row = page.locator('[data-testid="staff-row"][data-username="xiaozhou@demo-dental"]')
    row.get_by_test_id("staff-row-role").select_option("front_desk")
    row.get_by_test_id("staff-row-apply").click()
    expect(page.get_by_test_id("staff-message")).to_contain_text("前台")
    expect(row).to_contain_text("前台")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_test_id("staff-row-toggle").click()
    expect(row).to_contain_text("已停用")
    # an admin cannot change their own account: the row has no controls
    own = page.locator('[data-testid="staff-row"][data-username="admin@demo-dental"]')
    expect(own.get_by_test_id("staff-row-toggle")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "staff-disabled.png"), full_page=True)
    sign_out(page)
    sign_in(page, local_stack, username="xiaozhou@demo-dental", password="Zhou-Chosen-2026", goto=False)
    expect(page.get_by_test_id("login-error")).to_be_visible()


def test_the_operator_creates_a_clinic_whose_admin_signs_in(page, local_stack, tmp_path):  # noqa: F811
    sign_in(page, local_stack, username="operator@platform", password=local_stack.password("operator@platform"))
    expect(page).to_have_url(re.compile(r"#/clinics$"))
    assert nav_keys(page) == {"clinics"}
    expect(page.get_by_test_id("clinics-table")).to_contain_text("demo-dental")
    page.get_by_test_id("clinic-id").fill("river-eye")
    page.get_by_test_id("clinic-name-input").fill("河畔眼科")
    page.get_by_test_id("clinic-admin").fill("boss@river-eye")
    page.get_by_test_id("clinic-submit").click()
    created = page.get_by_test_id("clinic-created")
    expect(created).to_contain_text("已创建 河畔眼科")
    temporary = re.search(r"临时密码：(\S+)（", created.inner_text()).group(1)
    expect(page.get_by_test_id("clinics-table")).to_contain_text("河畔眼科")
    page.screenshot(path=str(tmp_path / "clinic-created.png"), full_page=True)
    sign_out(page)
    sign_in(page, local_stack, username="boss@river-eye", password=temporary, goto=False)
    page.get_by_test_id("login-new-password").fill("River-Boss-2026")
    page.get_by_test_id("login-new-password2").fill("River-Boss-2026")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("clinic-name")).to_have_text("河畔眼科")
