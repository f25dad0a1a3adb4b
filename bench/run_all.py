"""Run every benchmark under bench/ and print its figures, one per line: `name: value (target ...)`.

Each benchmark runs in a subprocess of its own, so one's imports never flatter another's
timings. Files starting with an underscore are shared helpers, not benchmarks. The run ends
with how many targets were met; it fails when a benchmark fails (a broken check, such as a
due job that was not queued), and with --strict also when a target is missed.

    .venv/bin/python bench/run_all.py [--strict] [name ...]   (e.g. `write_calls`)
"""

from __future__ import annotations

import operator
import re
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ORDER = ("miniprogram_size", "miniprogram_requests", "import_time", "write_calls", "home_reads", "sweep_reads", "ab_power", "risk_auc")  # quickest first; the rest by name
LAST = ("first_start",)  # starts the whole local stack twice: alone at the end, after the others have let go
TIMEOUT_SECONDS = 600
TIMEOUTS = {"first_start": 1200, "recall_capacity": 1200, "kpi_reads": 1800,  # recall_capacity simulates six weeks of a clinic
            "cost_model": 2400, "risk_reads": 2400}  # seeds the demo clinic twice (600 and 3,000 patients): minutes on a busy machine

FIGURE = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+): (?P<value>\S+)(?: \((?P<note>.*)\))?$")
TARGET = re.compile(r"^target\s*(?P<op><=|>=|==|=|<|>)?\s*(?P<bound>-?[0-9][0-9,]*(?:\.[0-9]+)?)\b")
COMPARE = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "=": operator.eq,
           "==": operator.eq, None: operator.eq}


def scripts(selected: list[str]) -> list[Path]:
    found = {p.stem: p for p in BENCH.glob("*.py") if not p.name.startswith("_") and p.name != Path(__file__).name}
    names = ([n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER + LAST)
             + [n for n in LAST if n in found])
    if selected:
        unknown = [n for n in selected if n not in found]
        if unknown:
            raise SystemExit(f"no benchmark named {', '.join(unknown)}; there are {', '.join(names)}")
        names = [n for n in names if n in selected]
    return [found[n] for n in names]


def verdict(line: str) -> tuple[str, bool] | None:
    """(figure name, target met) for a figure line that states a numeric target, else None."""
    match = FIGURE.match(line)
    if not match or not match["note"]:
        return None
    target = TARGET.match(match["note"])
    if not target:
        return None
    try:
        value = float(match["value"].replace(",", ""))
    except ValueError:
        return None
    bound = float(target["bound"].replace(",", ""))
    return match["name"], COMPARE[target["op"]](round(value, 6), bound)


def run(script: Path) -> tuple[int, list[str], str, float]:
    started = time.perf_counter()
    timeout = TIMEOUTS.get(script.stem, TIMEOUT_SECONDS)
    process = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:  # pass figures on as they come
            line = line.rstrip("\n")
            if line:
                print(line, flush=True)
                lines.append(line)
        process.wait(timeout=timeout)
        errors = process.stderr.read() if process.stderr else ""
    except subprocess.TimeoutExpired:
        process.kill()
        return 1, lines, f"timed out after {timeout} s", time.perf_counter() - started
    return process.returncode, lines, errors, time.perf_counter() - started


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    selected = [a for a in argv if not a.startswith("--")]
    started = time.perf_counter()
    failed, met, missed = [], [], []
    for script in scripts(selected):
        print(f"# {script.relative_to(ROOT)}", flush=True)
        code, lines, errors, seconds = run(script)
        for line in lines:
            judged = verdict(line)
            if judged:
                (met if judged[1] else missed).append(judged[0])
        if code:
            failed.append(script.stem)
            print(f"# {script.name} failed (exit {code}) after {seconds:.1f} s:", flush=True)
            for line in errors.strip().splitlines()[-30:]:
                print(f"#   {line}", flush=True)
        else:
            print(f"# {script.name} took {seconds:.1f} s", flush=True)
    total = len(met) + len(missed)
    summary = f"bench-targets-met: {len(met)} (of {total}"
    summary += f"; missed: {', '.join(missed)})" if missed else ")"
    print(summary)
    print(f"bench-seconds: {time.perf_counter() - started:.1f}")
    if failed:
        print(f"bench-failed: {len(failed)} ({', '.join(failed)})")
        return 1
    return 1 if strict and missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
