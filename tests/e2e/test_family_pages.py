"""The 家庭 section of a patient's page in headless Chromium against the local stack: a mother and her
husband linked by an invite, an infant registered through the mother's account; the section shows
masked names linking to each member's page, relations and carer marks in Chinese, and the family card
granted, used once (Idempotency-Key) and counted for the household."""

from __future__ import annotations

import random

import pytest

from tests.e2e.test_admin_site import browser, sign_in  # noqa: F401  (fixture)
from tests.e2e.test_attacks import as_json, new_patient, send
from tests.e2e.test_issue_pages import _no_problems, admin, shots  # noqa: F401  (fixtures)

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def household(local_stack):
    tail = f"{random.randrange(10**6):06d}"
    mother = new_patient(local_stack, f"fam-mother-{tail}", f"1357{tail}0")
    father = new_patient(local_stack, f"fam-father-{tail}", f"1357{tail}1")
    status, invite, _ = send(local_stack.api_url, "POST", "/me/family/invites", as_json({"relation": "spouse"}),
                             token=mother["access_token"])
    assert status == 201, invite
    status, joined, _ = send(local_stack.api_url, "POST", "/me/family/join",
                             as_json({"code": invite["code"], "consent": True}), token=father["access_token"])
    assert status == 200, joined
    status, infant, _ = send(local_stack.api_url, "POST", "/me/family/dependants",
                             as_json({"name": "测试宝宝", "birth_date": "2026-11-01", "sex": "F", "relation": "child"}),
                             token=mother["access_token"])
    assert status == 201, infant
    return mother["patient"]["patient_id"], father["patient"]["patient_id"], infant["member_id"]


def test_the_family_section_shows_members_and_uses_the_card_once(admin, local_stack, household, shots):  # noqa: F811
    mother, father, infant = household
    page = admin
    page.goto(f"{local_stack.site_url}/#/patients/{mother}")
    section = page.get_by_test_id("family-section")
    expect(section).to_be_visible()
    expect(section.get_by_test_id("family-member")).to_have_count(3)
    baby = section.locator(f"[data-testid=family-member][data-id=\"{infant}\"]")
    expect(baby.get_by_test_id("family-relation")).to_have_text("子女")
    expect(baby.get_by_test_id("family-marks")).to_contain_text("未成年")
    expect(baby.get_by_test_id("family-marks")).to_contain_text("由本患者照护")
    husband = section.locator(f"[data-testid=family-member][data-id=\"{father}\"]")
    expect(husband.get_by_test_id("family-relation")).to_have_text("配偶")
    expect(husband.get_by_test_id("family-member-link")).to_have_text("测***")
    expect(section).not_to_contain_text("测试宝宝")
    expect(section.get_by_test_id("family-card-none")).to_be_visible()

    page.get_by_test_id("family-card-uses-input").fill("3")
    page.get_by_test_id("family-card-grant-submit").click()
    expect(page.get_by_test_id("family-card-left")).to_contain_text("剩余 3 / 3 次")
    page.get_by_test_id("family-card-use").click()
    expect(page.get_by_test_id("family-card-left")).to_contain_text("剩余 2 / 3 次")
    expect(page.get_by_test_id("family-card-uses")).to_contain_text("测***")

    # the husband's page shows the same card, counted once for the household
    husband.get_by_test_id("family-member-link").click()
    expect(page).to_have_url(f"{local_stack.site_url}/#/patients/{father}")
    expect(page.get_by_test_id("family-card-left")).to_contain_text("剩余 2 / 3 次")
    expect(page.locator(f"[data-testid=family-member][data-id=\"{mother}\"] [data-testid=family-relation]")) \
        .to_have_text("配偶")
    _no_problems(page)
