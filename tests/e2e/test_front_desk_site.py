"""The front desk in headless Chromium: a patient's page records a visit, a booking and persona tags,
shows the consent history and pages its lists; the imports page previews a visit file before it
records it. And every staff operation of the OpenAPI document is called by the built site or listed
in docs/admin-site.md as not in the site, with the reason."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.test_admin_site import browser, page, sign_in  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
STAFF_ROLES = {"admin", "staff", "front_desk", "health_manager", "analyst", "operator"}


def _call(stack, method, path, token=None, body=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(stack.api_url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())


def _staff_token(stack) -> str:
    return _call(stack, "POST", "/auth/staff/login", body={"username": stack.staff_username,
                                                           "password": stack.staff_password})["id_token"]


# --- reachability ------------------------------------------------------------------------------

def _bundle() -> str:
    bundle = ROOT / "admin_site" / "dist" / "app.js"
    if not bundle.exists():
        pytest.skip("the admin site is not built (cd admin_site && npm run build)")
    return bundle.read_text(encoding="utf-8")


def _pattern(path: str) -> re.Pattern:
    """A path template as the bundle may hold it: its literal pieces in order, each `{param}` any short
    expression between them (`${encodeURIComponent(e)}`, `"+n+"` ...), starting after a quote,
    a backtick or the API's base interpolated before it (`${apiBase()}/audit/export`), and ending
    before a quote, a query or an expression."""
    pieces = re.split(r"\{[^}]+\}", path)
    body = r"[^\s;]{1,120}?".join(re.escape(p) for p in pieces)
    return re.compile(r"(?:[\"'`]|\(\)\})" + body + r"(?=[\"'`?$])")


def _called(path: str, bundle: str) -> bool:
    """Whether the bundle calls this path: the whole template (`_pattern`), or, for a path the
    site composes from parts (`${base}/adjustments`, `/experiments/${id}/${action}`), its first
    literal piece and its last one each as a string of their own. The second is looser (a `/perks`
    of another route counts), so the table stays the place where a route is said to be missing."""
    if _pattern(path).search(bundle):
        return True
    pieces = [p for p in re.split(r"\{[^}]+\}", path) if p]
    last = "/" + path.rsplit("/", 1)[1]
    if len(pieces) < 2 or "{" in last:
        return False
    first = pieces[0]
    head = re.search(r"[\"'`]" + re.escape(first), bundle)
    tail = re.search(r"[\"'`}]" + re.escape(last) + r"[\"'`?]", bundle) or re.search(
        r"[\"'`]" + re.escape(last.lstrip("/")) + r"[\"'`]", bundle)
    return bool(head and tail)


def _not_in_site() -> dict[str, str]:
    """The "not in the site" table of docs/admin-site.md: `METHOD /path` -> reason."""
    text = (ROOT / "docs" / "admin-site.md").read_text(encoding="utf-8")
    start = text.index("## Not in the site")
    rows = {}
    for line in text[start:].splitlines()[1:]:
        if line.startswith("## "):
            break
        match = re.match(r"\|\s*`(GET|POST|PUT|DELETE|PATCH) ([^`]+)`\s*\|\s*(.+?)\s*\|\s*$", line)
        if match:
            rows[f"{match[1]} {match[2]}"] = match[3]
    return rows


def test_every_staff_operation_is_reachable_from_the_site_or_listed_with_a_reason():
    document = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    bundle = _bundle()
    listed = _not_in_site()
    missing, needless = [], []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or not STAFF_ROLES & set(operation.get("x-roles") or ()):
                continue
            name = f"{method.upper()} {path}"
            called = _called(path, bundle)
            if not called and name not in listed:
                missing.append(name)
            if name in listed and _pattern(path).search(bundle) and len(operations) == 1:
                needless.append(name)  # the whole template is in the bundle and it has no other method
    assert not missing, "staff operations neither called by the site nor listed in docs/admin-site.md: " + \
        ", ".join(missing)
    assert all(reason.strip(" -—") for reason in listed.values()), "each listed operation needs its reason"
    assert not needless, f"listed as not in the site but called by it: {needless}"


def test_the_reachability_check_sees_a_missing_call():
    assert _pattern("/patients/{patient_id}/visits").search('fetch(`/patients/${encodeURIComponent(e)}/visits`')
    assert _pattern("/patients/{patient_id}/visits").search('"/patients/"+n+"/visits?limit=20"')
    assert not _pattern("/patients/{patient_id}/visits").search('`/patients/${x}/visitsX`')
    assert not _pattern("/visits/import").search('"/patients/"+n+"/visits"')
    assert _called("/patients/{patient_id}/points/adjustments", 'x=`/patients/${e}/points`;post(`${x}/adjustments`)')
    assert not _called("/patients/{patient_id}/points/adjustments", 'x=`/patients/${e}/points`')


# --- the patient's page and the imports page ---------------------------------------------------

def test_the_desk_records_a_visit_booking_and_personas_and_pages_the_lists(page, local_stack):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.sync_api")
    expect = playwright_api.expect
    token = _staff_token(local_stack)
    patient_id = _call(local_stack, "GET", "/patients?limit=1", token)["items"][0]["patient_id"]
    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    expect(page.get_by_test_id("kpi-patients")).to_be_visible()
    page.goto(f"{local_stack.site_url}/#/patients/{patient_id}")
    expect(page.get_by_test_id("desk-section")).to_be_visible()
    # a visit with its next revisit day
    today = page.evaluate("() => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10)")
    page.get_by_test_id("visit-date").fill(today)
    page.get_by_test_id("visit-department").select_option("dermatology")
    page.get_by_test_id("visit-next-due").fill("2099-01-01")
    page.get_by_test_id("visit-submit").click()
    expect(page.get_by_test_id("desk-done")).to_contain_text("已登记就诊")
    expect(page.get_by_test_id("patient-revisit-due")).not_to_have_text("—")
    expect(page.get_by_test_id("visit-row").first).to_contain_text("皮肤科")
    expect(page.get_by_test_id("visit-row").first).to_contain_text("前台登记")
    # a booking
    page.get_by_test_id("booking-date").fill("2099-01-02")
    page.get_by_test_id("booking-submit").click()
    expect(page.get_by_test_id("desk-done")).to_contain_text("已登记预约")
    expect(page.get_by_test_id("patient-booking")).not_to_have_text("—")
    # persona tags, in Chinese
    for tag in ("anxious", "knowledge_seeking", "social"):
        page.get_by_test_id("persona-" + tag).set_checked(tag == "social")
    page.get_by_test_id("persona-submit").click()
    expect(page.get_by_test_id("patient-personas")).to_have_text("社交型")
    # the consent history says who and when
    expect(page.get_by_test_id("consent-log-row").first).to_be_visible()
    assert "patient" not in page.get_by_test_id("consent-log").inner_text()
    # the ledger and the check-ins page through the API's cursors
    detail = _call(local_stack, "GET", f"/patients/{patient_id}/points?limit=20", token)
    if detail["next_cursor"]:
        page.get_by_test_id("ledger-next").click()
        expect(page.get_by_test_id("ledger-page")).to_contain_text("2")
    assert page.locator("[data-testid=points-entry]").count() <= 20
    assert page.locator("[data-testid=checkin-row]").count() <= 20


def test_the_imports_page_previews_then_records(page, local_stack):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.sync_api")
    expect = playwright_api.expect
    token = _staff_token(local_stack)
    patient_id = _call(local_stack, "GET", "/patients?limit=1", token)["items"][0]["patient_id"]
    text = ("patient_id,visit_date,department,external_id\n"
            f"{patient_id},2026-01-05,dermatology,E2E-DESK-1\n"
            "nobody,2026-01-05,dermatology,E2E-DESK-2\n")
    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    page.get_by_test_id("nav-imports").click()
    page.get_by_test_id("import-file").set_input_files(
        {"name": "visits.csv", "mimeType": "text/csv", "buffer": text.encode()})
    page.get_by_test_id("import-preview").click()
    expect(page.get_by_test_id("import-to-record")).to_contain_text("将登记 1 行")
    expect(page.locator("[data-testid=import-problem][data-line='3']")).to_contain_text("找不到该患者")
    before = len(_call(local_stack, "GET", f"/patients/{patient_id}/visits?limit=100", token)["items"])
    page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-done")).to_contain_text("已导入 1 次就诊")
    after = _call(local_stack, "GET", f"/patients/{patient_id}/visits?limit=100", token)["items"]
    assert len(after) == before + 1


def test_the_imports_page_sends_a_large_file_as_a_job_and_follows_it(page, local_stack):  # noqa: F811
    """Over 500 rows the page imports through POST /imports and polls the job until it is done;
    the refused rows come back by line, in Chinese."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    expect = playwright_api.expect
    token = _staff_token(local_stack)
    patient_id = _call(local_stack, "GET", "/patients?limit=1", token)["items"][0]["patient_id"]
    lines = ["patient_id,visit_date,department,external_id",
             f"{patient_id},2026-01-07,dermatology,E2E-JOB-0"]
    lines += [f"nobody{n},2026-01-07,dermatology,E2E-JOB-{n}" for n in range(1, 520)]
    text = "\n".join(lines) + "\n"
    before = len(_call(local_stack, "GET", f"/patients/{patient_id}/visits?limit=100", token)["items"])
    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    page.get_by_test_id("nav-imports").click()
    page.get_by_test_id("import-file").set_input_files(
        {"name": "visits.csv", "mimeType": "text/csv", "buffer": text.encode()})
    page.get_by_test_id("import-preview").click()
    expect(page.get_by_test_id("import-to-record")).to_contain_text("将登记 1 行")
    page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-job")).to_be_visible()
    expect(page.get_by_test_id("import-job")).to_have_attribute("data-status", "done", timeout=60_000)
    expect(page.get_by_test_id("import-job-text")).to_contain_text("导入完成：共 520 行，登记 1 行")
    expect(page.locator("[data-testid=import-job] [data-testid=import-problem][data-line='3']")) \
        .to_contain_text("找不到该患者")
    expect(page.get_by_test_id("import-jobs")).to_contain_text("已完成")
    jobs = _call(local_stack, "GET", "/imports", token)["items"]
    assert jobs[0]["status"] == "done" and jobs[0]["rows"] == 520 and jobs[0]["error_count"] == 519
    after = _call(local_stack, "GET", f"/patients/{patient_id}/visits?limit=100", token)["items"]
    assert len(after) == before + 1


def test_the_imports_page_says_when_a_job_waits_to_be_queued_again_or_has_stalled(page, local_stack):  # noqa: F811
    """The job's answer says when some of its chunks wait for the requeue sweep (chunks_queued <
    chunks) or when it has stalled (no chunk finished for 45 minutes): the page says so in Chinese
    instead of showing a bar that does not move. The stack finishes a job within seconds, so the
    job's answers are changed on their way to the page."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    expect = playwright_api.expect
    token = _staff_token(local_stack)
    patient_id = _call(local_stack, "GET", "/patients?limit=1", token)["items"][0]["patient_id"]
    lines = ["patient_id,visit_date,department,external_id"]
    lines += [f"{patient_id},2026-01-08,dermatology,E2E-STALL-{n}" for n in range(520)]
    shown = {"as": "waiting"}

    def answer(route):
        reply = route.fetch()
        job = {**reply.json(), "status": "running", "finished_at": None}
        if shown["as"] == "waiting":
            job.update(chunks_queued=1, stalled=False)
        else:
            job.update(stalled=True)
        route.fulfill(response=reply, json=job)

    sign_in(page, local_stack, local_stack.staff_username, local_stack.staff_password)
    page.route(re.compile(r".*/imports/[0-9a-f]{20,}$"), answer)
    page.get_by_test_id("nav-imports").click()
    page.get_by_test_id("import-file").set_input_files(
        {"name": "visits.csv", "mimeType": "text/csv", "buffer": ("\n".join(lines) + "\n").encode()})
    page.get_by_test_id("import-preview").click()
    page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-job-waiting")).to_contain_text("几分钟内会自动重新排队", timeout=15_000)
    expect(page.get_by_test_id("import-job-stalled")).to_have_count(0)
    shown["as"] = "stalled"
    expect(page.get_by_test_id("import-job-stalled")).to_have_text("部分数据处理失败，等待重试", timeout=15_000)
    expect(page.get_by_test_id("import-job-waiting")).to_have_count(0)
    expect(page.get_by_test_id("import-job")).to_have_attribute("data-status", "running")
