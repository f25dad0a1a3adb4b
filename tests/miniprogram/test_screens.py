"""The mini-program's page pictures (miniprogram/scripts/screens.js): every page of app.json is drawn
into a PNG 375 px wide and at least 667 px tall (full page: long pages are taller), and each shows
something between the navigation bar and the tab bar. A page without demo data stops the script
with a message naming it."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_node_suite import ensure_node_modules  # noqa: E402

pytest.importorskip("playwright.sync_api")

NAVBAR, TABBAR = 44, 50  # drawn by the script around the page


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (0, 2, 4, 6), header
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def grey_variance(rows: list[bytes], channels: int) -> float:
    values = [row[i] for row in rows for i in range(0, len(row), channels)]  # first channel is enough
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


def app_pages() -> list[str]:
    app = json.loads((MINIPROGRAM / "app.json").read_text())
    pages = list(app["pages"])
    for sub in app.get("subpackages", []):
        pages += [f"{sub['root'].rstrip('/')}/{page}" for page in sub["pages"]]
    return pages


def shot_name(page: str) -> str:
    name = page.removesuffix("/index").removeprefix("pages/").removeprefix("packages/")
    return name.replace("/", "-")


@pytest.fixture(scope="module")
def npm():
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed for the mini-program's pictures: install nodejs and npm")
    ensure_node_modules(npm)
    return npm


def test_every_page_gives_a_picture(npm, tmp_path):
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(["node", "scripts/screens.js", str(tmp_path)], cwd=MINIPROGRAM, env=env,
                          capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    pages = app_pages()
    assert len(pages) >= 8
    for page in pages:
        png = tmp_path / f"{shot_name(page)}.png"
        assert png.exists(), f"no picture of {page}"
        width, height, rows = decode_png(png.read_bytes())
        assert width == 375 and height >= 667, (page, width, height)
        channels = len(rows[0]) // width
        body = rows[NAVBAR:height - TABBAR]
        assert grey_variance(body[::3], channels) > 20, f"{page}: the page area is blank"
    # the care-mode pictures are there too, and differ from the standard ones
    for name in ("home", "checkin"):
        assert (tmp_path / f"{name}-care.png").read_bytes() != (tmp_path / f"{name}.png").read_bytes()


def test_a_page_without_demo_data_stops_the_script(npm):
    script = ("const s = require('./scripts/screens'); "
              "s.plan(['pages/home/index', 'pages/new-thing/index'], require('./screens/fixtures'))")
    done = subprocess.run(["node", "-e", script], cwd=MINIPROGRAM, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "no demo data for pages/new-thing/index" in done.stderr
    assert "screens/fixtures.js" in done.stderr
    assert "pages/home/index" not in done.stderr.split("no demo data for")[1].split(".")[0]


def test_a_blank_picture_is_told_apart():
    # the variance check itself: one colour everywhere is blank, a line of text is not
    flat = [bytes([245, 246, 247] * 10) for _ in range(5)]
    assert grey_variance(flat, 3) == 0
    assert grey_variance(flat + [bytes([0, 0, 0] * 10)], 3) > 20
