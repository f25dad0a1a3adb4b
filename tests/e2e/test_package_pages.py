"""Member packages in headless Chromium against the local stack: a sale and its renewal recorded on a
postpartum patient's page, the catalogue and the renewal rate on #/packages, and staff reading the
catalogue without its form. One browser page and sign-in for the file."""

from __future__ import annotations

import json
import random
import urllib.request
from datetime import date, timedelta

import pytest

from tests.e2e.test_admin_site import browser, sign_in  # noqa: F401  (fixture)
from tests.e2e.test_engagement_pages import _staff_token
from tests.e2e.test_issue_pages import _no_problems, admin, shots  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

MATERNITY = "[data-testid=type-row][data-id=maternity-pack]"


def _call(stack, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.api_url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {_staff_token(stack)}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


@pytest.fixture(scope="module")
def mother(local_stack) -> str:
    """A postpartum patient registered at the desk for this file, with no package yet."""
    record = {"name": "包测试妈妈", "phone": f"1396{random.randrange(10**7):07d}", "birth_year": 1992, "sex": "F",
              "conditions": ["postpartum"], "department": "obstetrics",
              "consents": {"service": True, "marketing": False, "analytics": True}, "consent_version": "v1"}
    return _call(local_stack, "POST", "/patients", record)["patient"]["patient_id"]


def test_a_sale_and_its_renewal_on_the_patients_page(admin, local_stack, mother, shots):  # noqa: F811
    page = admin
    page.goto(f"{local_stack.site_url}/#/patients/{mother}")
    section = page.get_by_test_id("packages-section")
    expect(section.get_by_test_id("packages-empty")).to_be_visible()
    expect(page.get_by_test_id("sale-package")).to_have_value("maternity-pack")
    today = page.get_by_test_id("sale-start").input_value()
    ref = f"E2E-{random.randrange(10**6):06d}"
    page.get_by_test_id("sale-ref").fill(ref)
    page.get_by_test_id("sale-submit").click()
    expect(page.get_by_test_id("sale-recorded")).to_contain_text("已登记")
    rows = section.get_by_test_id("package-row")
    expect(rows).to_have_count(1)
    sold = _call(local_stack, "GET", f"/patients/{mother}/packages")["items"]
    assert [(p["package_id"], p["start_date"], p["state"]) for p in sold] == [("maternity-pack", today, "active")]
    first = section.locator(f"[data-testid=package-row][data-id={sold[0]['sale_id']}]")
    expect(first).to_have_attribute("data-state", "active")
    expect(first).to_contain_text("孕产全程服务包")
    expect(first.get_by_test_id("package-state")).to_have_text("生效中")

    # the same contract number again is refused in the page's words, and nothing is added
    page.get_by_test_id("sale-ref").fill(ref)
    page.get_by_test_id("sale-submit").click()
    expect(page.get_by_test_id("sale-error")).to_contain_text("已登记过")
    expect(rows).to_have_count(1)

    # a pack starting the day after the first one's end renews it
    renewal_start = (date.fromisoformat(sold[0]["end_date"]) + timedelta(days=1)).isoformat()
    page.get_by_test_id("sale-ref").fill("")
    page.get_by_test_id("sale-start").fill(renewal_start)
    page.get_by_test_id("sale-submit").click()
    expect(page.get_by_test_id("sale-recorded")).to_contain_text("续约")
    expect(rows).to_have_count(2)
    expect(first.get_by_test_id("package-renewal")).to_contain_text("已续约")
    upcoming = section.locator("[data-testid=package-row][data-state=upcoming]")
    expect(upcoming.get_by_test_id("package-renewal")).to_contain_text("续约自")
    sold = {p["state"]: p for p in _call(local_stack, "GET", f"/patients/{mother}/packages")["items"]}
    assert sold["upcoming"]["renewal_of"] == sold["active"]["sale_id"]
    assert sold["active"]["renewed_by"] == sold["upcoming"]["sale_id"]
    section.screenshot(path=str(shots / "patient-packages.png"))
    _no_problems(page)


def test_the_catalogue_and_the_renewal_rate(admin, local_stack, shots):  # noqa: F811
    page = admin
    page.get_by_test_id("nav-packages").click()
    maternity = page.locator(MATERNITY)
    expect(maternity).to_contain_text("孕产全程服务包")
    expect(maternity.get_by_test_id("type-term-cell")).to_have_text("12")
    expect(maternity.get_by_test_id("type-window-cell")).to_have_text("30")
    expect(maternity.get_by_test_id("type-active-cell")).to_have_text("是")

    # the period defaults to the last twelve months, and the figures are the API's for it
    overall = page.get_by_test_id("rate-overall")
    expect(overall.get_by_test_id("rate-value")).not_to_be_empty()
    first, last = page.get_by_test_id("rate-from").input_value(), page.get_by_test_id("rate-to").input_value()
    assert date.fromisoformat(last) - date.fromisoformat(first) in (timedelta(days=364), timedelta(days=365))
    rate = _call(local_stack, "GET", f"/packages/renewals?from={first}&to={last}")
    for figure in ("ended", "renewed", "lapsed", "pending"):
        expect(overall.get_by_test_id(f"rate-{figure}")).to_have_text(f"{rate[figure]:,}")
    shown = overall.get_by_test_id("rate-value").inner_text()
    if rate["rate"] is None:
        assert shown == "—"
    else:
        assert abs(float(shown.rstrip("%")) - rate["rate"] * 100) < 0.051, shown
    if "maternity-pack" in rate["by_package"]:
        expect(page.locator("[data-testid=rate-row][data-id=maternity-pack]")).to_contain_text("孕产全程服务包")

    # a period the other way round is refused in the page's words
    page.get_by_test_id("rate-from").fill(last)
    page.get_by_test_id("rate-to").fill(first)
    page.get_by_test_id("rate-to").dispatch_event("change")
    expect(page.get_by_test_id("rate-error")).to_contain_text("结束日不能早于开始日")
    page.get_by_test_id("rate-from").fill(first)
    page.get_by_test_id("rate-from").dispatch_event("change")
    page.get_by_test_id("rate-to").fill(last)
    page.get_by_test_id("rate-to").dispatch_event("change")
    expect(overall.get_by_test_id("rate-value")).to_have_text(shown)

    # an admin loads a row into the form and saves it as it is
    maternity.click()
    expect(page.get_by_test_id("type-id")).to_have_value("maternity-pack")
    expect(page.get_by_test_id("type-term")).to_have_value("12")
    page.get_by_test_id("type-save").click()
    expect(page.get_by_test_id("type-saved")).to_be_visible()
    page.screenshot(path=str(shots / "packages.png"), full_page=True)
    types = {t["package_id"]: t for t in _call(local_stack, "GET", "/package-types")["items"]}
    assert types["maternity-pack"]["term_months"] == 12 and types["maternity-pack"]["active"]
    _no_problems(page)


def test_staff_read_the_catalogue_without_its_form(admin, local_stack, mother):  # noqa: F811
    page = admin
    page.get_by_test_id("signout").click()
    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    expect(page.get_by_test_id("kpi-patients")).to_be_visible()
    page.get_by_test_id("nav-packages").click()
    expect(page.locator(MATERNITY)).to_be_visible()
    expect(page.get_by_text("只有管理员可以修改目录")).to_be_visible()
    expect(page.get_by_test_id("type-form")).to_have_count(0)
    expect(page.get_by_test_id("rate-overall")).to_be_visible()
    # recording a sale is staff work: the form stays on a patient's page
    page.goto(f"{local_stack.site_url}/#/patients/{mother}")
    # the patient page reads a dozen sections at once from chalice local, which answers one at a time
    expect(page.get_by_test_id("package-row")).to_have_count(2, timeout=15_000)
    expect(page.get_by_test_id("sale-submit")).to_be_visible()
    _no_problems(page)
