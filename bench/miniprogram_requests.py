"""Requests the patient's phone makes: the mini-program's pages, compiled as DevTools compiles them
and rendered by WeChat's simulator (miniprogram-simulate) with a fake wx whose requests are counted
(miniprogram/bench/requests.bench.js).

Prints `home-requests` (the home page's first screen, target 1: one GET /me/home) and
`checkin-requests-from-tap` (a glucose check-in from the tap on 提交 to the answer shown, target 1).
The DynamoDB reads behind the home request are bench/home_reads.py's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from miniprogram_size import MINIPROGRAM, ensure_node_modules


def main() -> int:
    from _world import figure

    if shutil.which("node") is None or shutil.which("npm") is None:
        print("node and npm are needed (make test installs them)", file=sys.stderr)
        return 1
    ensure_node_modules()
    subprocess.run(["npm", "run", "--silent", "build"], cwd=MINIPROGRAM, check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "requests.json"
        run = subprocess.run(["npx", "jest", "--config", "bench/jest.config.js", "--silent"], cwd=MINIPROGRAM,
                             env={**os.environ, "REQUESTS_OUT": str(out)}, capture_output=True,
                             text=True)
        if run.returncode or not out.exists():
            print(run.stdout[-3000:] + run.stderr[-3000:], file=sys.stderr)
            return 1
        counted = json.loads(out.read_text())
    home, checkin = counted["home"], counted["checkin"]
    figure("home-requests", home["requests"], "<= 1", note=", ".join(home["routes"]))
    figure("checkin-requests-from-tap", checkin["requests"], "<= 1", note=", ".join(checkin["routes"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
