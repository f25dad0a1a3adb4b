"""Every error code the code raises is in chalicelib/api/codes.py under the status it is raised
with, so the OpenAPI document's lists of codes can be trusted (and a new code is not forgotten)."""

from __future__ import annotations

import ast
import pathlib

from chalicelib.api import codes

ROOT = pathlib.Path(__file__).resolve().parents[2] / "chalicelib"
STATUS = {"BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404, "Conflict": 409,
          "InsufficientPoints": 409, "RequestInProgress": 409, "PayloadTooLarge": 413, "UnsupportedMediaType": 415,
          "UpstreamError": 502, "AppError": 400}
# a domain check's own error class: its code reaches the API as a 400 with the field at fault
DOMAIN_ERRORS = {"RuleError", "DefinitionError", "TermsError"}
# raised with two statuses: 404 for an unknown flag in the path, 400 in a body
BOTH = {"unknown_flag"}


def raised_codes() -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            keywords = {k.arg: k.value for k in node.keywords}
            code = keywords.get("code")
            if name in DOMAIN_ERRORS and code is None and len(node.args) >= 2:
                code = node.args[1]
            if not isinstance(code, ast.Constant) or not isinstance(code.value, str):
                continue
            status = keywords.get("status")
            if isinstance(status, ast.Constant):
                found.setdefault(code.value, set()).add(status.value)
            elif name in STATUS:
                found.setdefault(code.value, set()).add(STATUS[name])
            elif name in DOMAIN_ERRORS:
                found.setdefault(code.value, set()).add(400)
    return found


def test_every_raised_code_is_in_the_table_with_its_status():
    wrong = {code: sorted(statuses) for code, statuses in raised_codes().items()
             if code != "internal_error" and (code not in codes.STATUS or (
                 code not in BOTH and statuses != {codes.STATUS[code]}))}
    assert not wrong, f"add these to chalicelib/api/codes.py with their status: {wrong}"


def test_the_scan_finds_codes():
    found = raised_codes()
    assert found["patient_not_found"] == {404} and found["unknown_flag"] == {400, 404}
    assert "rule_too_deep" in found  # a domain check's code
