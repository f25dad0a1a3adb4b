"""The admin site's TypeScript types come from the OpenAPI document: admin_site/src/api-types.d.ts
is what openapi-typescript makes of docs/openapi.json (`npm run types` in admin_site/), and the
site's API client (src/api.js, typed through JSDoc) passes tsc. Both fail when the types are
stale: a changed reply model changes docs/openapi.json (test_openapi_document), then this file.

They need admin_site's npm packages (`npm ci` in admin_site/, which `make test` runs)."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SITE = ROOT / "admin_site"
TYPES = SITE / "src" / "api-types.d.ts"


def _tool(name: str) -> pathlib.Path:
    tool = SITE / "node_modules" / ".bin" / name
    if shutil.which("node") is None or not tool.exists():
        pytest.skip(f"admin_site's npm packages are not installed (no {name}); run `npm ci` in admin_site/")
    return tool


def test_generated_types_are_those_of_the_document(tmp_path):
    tool = _tool("openapi-typescript")
    fresh = tmp_path / "api-types.d.ts"
    run = subprocess.run([str(tool), str(ROOT / "docs" / "openapi.json"), "--output", str(fresh)], cwd=SITE,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert TYPES.exists(), "admin_site/src/api-types.d.ts is missing: run `npm run types` in admin_site/"
    assert TYPES.read_text() == fresh.read_text(), (
        "admin_site/src/api-types.d.ts is stale against docs/openapi.json: run `npm run types` in admin_site/")


def test_the_api_client_type_checks_against_them():
    tool = _tool("tsc")
    run = subprocess.run([str(tool), "-p", "tsconfig.json"], cwd=SITE, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
