"""Every mini-program page the API names (the page a WeChat message opens, a content step's page,
the invite's share path) is a page of miniprogram/app.json: a link to a page the mini-program
does not have fails on the patient's phone."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# a mini-program page path (every page is a folder's index), maybe with a query; API routes such
# as /packages/renewals are not pages
PAGE = re.compile(r"""["'](?:/)?((?:pages|packages)/[a-z0-9_\-/]+/index)(?:\?[^"']*)?["']""")


def app_pages() -> set[str]:
    app = json.loads((ROOT / "miniprogram" / "app.json").read_text(encoding="utf-8"))
    pages = set(app["pages"])
    for package in app.get("subpackages", app.get("subPackages", [])):
        pages |= {f"{package['root'].strip('/')}/{page}" for page in package["pages"]}
    return pages


def named_pages() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for source in (ROOT / "chalicelib").rglob("*.py"):
        for match in PAGE.finditer(source.read_text(encoding="utf-8")):
            found.setdefault(match.group(1), []).append(str(source.relative_to(ROOT)))
    return found


def test_the_api_names_only_pages_the_miniprogram_has():
    named = named_pages()
    assert "pages/messages/index" in named and "pages/launch/index" in named  # the scan finds them
    missing = {page: where for page, where in named.items() if page not in app_pages()}
    assert not missing, missing
