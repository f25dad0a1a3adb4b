"""Size of the mini-program's main package, as WeChat counts it against its 2 MB limit.

The mini-program is compiled as DevTools compiles it (miniprogram/scripts/build.js: each .ts to
one .js, wxml/wxss/json/wxs as they are, and under miniprogram_npm/ only the tdesign-miniprogram
components the pages use with what those reach, as 构建 npm plus "过滤无依赖文件" leave them). The
main package is every file of that build outside the subpackage roots app.json names. Our target
is half of WeChat's limit, to leave room for the pages still to come.

Prints `miniprogram-main-package-kb: N (target <= 1024)` and, without a target, the share of it
that is the component library and the subpackages' size.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINIPROGRAM = ROOT / "miniprogram"
STAMP = MINIPROGRAM / "node_modules" / ".revisit-lock-sha256"


def ensure_node_modules() -> None:
    digest = hashlib.sha256((MINIPROGRAM / "package-lock.json").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=MINIPROGRAM, check=True,
                   stdout=subprocess.DEVNULL)
    STAMP.write_text(digest)


def sizes(build: Path) -> tuple[int, int, int]:
    """(main package bytes, of which library components, subpackage bytes)."""
    app = json.loads((build / "app.json").read_text())
    roots = [p["root"].strip("/") + "/" for p in app.get("subpackages", app.get("subPackages", []))]
    main = library = sub = 0
    for file in build.rglob("*"):
        if not file.is_file():
            continue
        rel = file.relative_to(build).as_posix()
        size = file.stat().st_size
        if any(rel.startswith(root) for root in roots):
            sub += size
            continue
        main += size
        if rel.startswith("miniprogram_npm/"):
            library += size
    return main, library, sub


def main() -> int:
    if shutil.which("node") is None or shutil.which("npm") is None:
        print("node and npm are needed (make test installs them)", file=sys.stderr)
        return 1
    ensure_node_modules()
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build"
        subprocess.run(["node", "scripts/build.js", str(build)], cwd=MINIPROGRAM, check=True, stdout=subprocess.DEVNULL)
        main_bytes, library, sub = sizes(build)
    print(f"miniprogram-main-package-kb: {main_bytes / 1024:.1f} (target <= 1024)")
    print(f"miniprogram-library-kb: {library / 1024:.1f} (tdesign-miniprogram components in the main package)")
    print(f"miniprogram-subpackages-kb: {sub / 1024:.1f} (loaded on demand, not in the main package)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
