"""Cold-start import cost of the Chalice app against the floor its framework imports set.

The floor is what any function of this stack pays: chalice, pynamodb.models and Powertools'
Logger and Metrics. Each import is timed inside a fresh interpreter (so start-up and shutdown
are left out and nothing is cached in sys.modules), interleaving app and floor runs, and the
median is kept. When the ratio misses its target, `-X importtime` runs name the modules the app
loads beyond the floor that cost the most. Pass --why to print them whatever the ratio.

The app loads request models, auth, services and PynamoDB on first use (chalicelib.lazy), so
part of a function's cold start moves from the import into its first call. To keep that in
view, the imports of an API function's first check-in and of the sweep function's first run are
timed too (see first_call_imports).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "import chalice, pynamodb.models; from aws_lambda_powertools import Logger, Metrics"
APP = "import app"
RUNS = 11
WARM_UPS = 2
PROFILE_RUNS = 5
TARGET = 1.15
# App import plus a first call's imports against the floor; the sweep's first run has none yet.
FIRST_CALL_TARGETS = {"checkin": 1.5}
TOP = 5


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the repo root reaches sys.path as the working directory of `-c`
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    return env


def timed_import(statement: str) -> float:
    """Seconds spent in `statement` in a fresh interpreter started in the repo root."""
    code = f"import time\nt0 = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t0)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"`{statement}` failed:\n{out.stderr}")
    return float(out.stdout.strip().splitlines()[-1])


@dataclass
class Node:
    name: str
    self_us: int
    cumulative_us: int
    children: list["Node"] = field(default_factory=list)
    parent: "Node | None" = None


def import_tree(statement: str) -> list[Node]:
    """The import tree `-X importtime` prints for `statement` (children are printed before parents)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT, env=_env(),
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"`{statement}` failed:\n{out.stderr}")
    return _parse(out.stderr)


def _parse(report: str) -> list[Node]:
    pending: dict[int, list[Node]] = {}
    for line in report.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        head, cumulative_us, label = line.split("|", 2)
        self_us = head.split(":", 1)[1]
        depth = (len(label) - len(label.lstrip(" ")) - 1) // 2
        node = Node(label.strip(), int(self_us), int(cumulative_us))
        node.children = pending.pop(depth + 1, [])
        for child in node.children:
            child.parent = node
        pending.setdefault(depth, []).append(node)
    return pending.get(0, [])


def walk(nodes: list[Node]):
    for node in nodes:
        yield node
        yield from walk(node.children)


class _Refusing:
    """A loopback endpoint that turns down every AWS call at once with a client error (no retries),
    so that a first call runs every import on its way and stops at its first AWS request."""

    def __enter__(self) -> str:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b'{"__type": "com.amazon.coral.validate#ValidationException", "message": "bench"}'
                self.send_response(400)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_port}"

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


def _checkin_event() -> dict:
    import time

    import jwt  # the token is made here, so that the measured interpreter loads PyJWT only on its own

    now = int(time.time())
    token = jwt.encode({"iss": "revisit", "sub": "bench-patient", "tid": "bench-clinic", "role": "patient",
                        "wx": "bench", "iat": now, "exp": now + 3600, "typ": "access"}, JWT_SECRET, algorithm="HS256")
    body = {"type": "glucose", "value": 5.6, "client_time": "2026-11-20T02:00:00Z"}
    return {
        "resource": "/me/checkins", "path": "/me/checkins", "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        "multiValueHeaders": None, "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None, "isBase64Encoded": False, "body": json.dumps(body),
        "requestContext": {"resourcePath": "/me/checkins", "httpMethod": "POST", "stage": "api"},
    }


def _sweep_message_event() -> dict:
    """The clinic job queue's message that runs one clinic's lapse sweep (what the `sweep_lapses`
    schedule sends for each clinic; the schedule itself only fans out)."""
    body = {"job": "sweep_lapses", "clinic_id": "bench-clinic", "tick": "2026-11-20T02:00:00Z", "cursor": None,
            "hop": 0}
    return {"Records": [{"messageId": "bench", "receiptHandle": "bench", "body": json.dumps(body),
                         "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:ap-east-1:000000000000:revisit-clinic-jobs",
                         "awsRegion": "ap-east-1"}]}


JWT_SECRET = "bench-jwt-secret-0123456789abcdef0123456789"

# First calls measured: (figure label, what it is, attribute of app.py that Lambda invokes,
# event, a module the call must have loaded to count as having run).
FIRST_CALLS = (
    ("checkin", "API function's first check-in", "app", _checkin_event, "chalicelib.services.activity"),
    ("sweep", "clinic job handler's first sweep", "clinic_jobs", _sweep_message_event, "chalicelib.jobs.sweep"),
)


def _first_call_env(endpoint: str, entry: str, event: dict) -> dict:
    env = _env() | {
        "JWT_SECRET": JWT_SECRET, "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "ap-east-1",
        "POWERTOOLS_LOG_LEVEL": "CRITICAL", "BENCH_ENTRY": entry, "BENCH_EVENT": json.dumps(event),
    }
    env.pop("AWS_SESSION_TOKEN", None)
    return env


# Lists the modules a function's first call loads after `import app`, in the order their imports
# finish, with each one's own time (its body, less the imports it starts). A finder in front of
# the others wraps each loader to time its exec_module; it is used only here, never while the
# total is timed.
_DISCOVER = """import json, os, sys, time
finished, own, nested = [], {}, []

class Timed:
    def __init__(self, loader):
        self._loader = loader

    def __getattr__(self, attr):
        return getattr(self._loader, attr)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        nested.append(0.0)
        t0 = time.perf_counter()
        try:
            self._loader.exec_module(module)
        finally:
            spent = time.perf_counter() - t0
            own[module.__name__] = spent - nested.pop()
            if nested:
                nested[-1] += spent
            finished.append(module.__name__)

class Finder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is cls or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                if hasattr(spec.loader, "exec_module"):
                    spec.loader = Timed(spec.loader)
                return spec
        return None

import app
before = set(sys.modules)
sys.meta_path.insert(0, Finder)
try:
    getattr(app, os.environ["BENCH_ENTRY"])(json.loads(os.environ["BENCH_EVENT"]), None)
except Exception:
    pass  # the refused AWS call; every import before it has happened
sys.meta_path.remove(Finder)
new = [name for name in sys.modules if name not in before]
print(json.dumps({"modules": new, "own": {name: own[name] for name in finished if name in new}}))
"""

# Imports a list of modules in order in a fresh interpreter (after `import app` when BENCH_AFTER_APP
# is set) and prints the seconds spent on the list.
_LOAD = """import importlib, json, os, sys, time
if os.environ.get("BENCH_AFTER_APP"):
    import app
names = json.loads(os.environ["BENCH_MODULES"])
t0 = time.perf_counter()
for name in names:
    if name not in sys.modules:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # an alias some package registers under another name; its parent has loaded it
print(time.perf_counter() - t0)
"""


def timed_load(names: list[str], env: dict, *, after_app: bool, what: str) -> float:
    """Milliseconds a fresh interpreter spends importing `names` (_LOAD)."""
    env = env | {"BENCH_MODULES": json.dumps(names)} | ({"BENCH_AFTER_APP": "1"} if after_app else {})
    run = subprocess.run([sys.executable, "-c", _LOAD], cwd=ROOT, env=env, capture_output=True, text=True)
    if run.returncode:
        raise SystemExit(f"{what} failed:\n{run.stderr[-2000:]}")
    return float(run.stdout.strip().splitlines()[-1]) * 1000


def loaded_by(statement: str) -> list[str]:
    """The modules `statement` loads, in the order they were entered in sys.modules."""
    code = f"import sys, json\n{statement}\nprint(json.dumps(list(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@dataclass
class FirstCall:
    median_ms: float
    runs_ms: list[float]
    modules: int
    beyond_floor_ms: float
    beyond_floor_modules: int
    top: list[tuple[str, float, int]]
    loaded: list[str] = field(default_factory=list)


def first_call_imports(entry: str, event: dict, must_load: str, floor: set[str], endpoint: str) -> FirstCall:
    """What importing the modules a function's first call loads on use costs, after `import app`.

    An interpreter imports the app, invokes `entry` with the event and notes the modules that
    appear, with their own times; AWS answers every call with an immediate error, so the call
    stops at its first request, every import on the way done. Fresh interpreters then import
    the app and time importing that list as a whole. -X importtime cannot do this: it does not
    see importlib.import_module, which the lazy loading uses.
    """
    env = _first_call_env(endpoint, entry, event)
    own: dict[str, list[float]] = {}
    loaded: list[str] = []
    for _ in range(PROFILE_RUNS):
        out = subprocess.run([sys.executable, "-c", _DISCOVER], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
        try:
            found = json.loads(out.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise SystemExit(f"the first call of {entry} could not be run:\n{out.stderr[-2000:]}")
        if must_load not in found["modules"]:
            raise SystemExit(f"the first call of {entry} did not load {must_load}:\n{out.stderr[-2000:]}")
        loaded = loaded or found["modules"]
        for name, seconds in found["own"].items():
            own.setdefault(name, []).append(seconds * 1000)
    totals = [timed_load(loaded, env, after_app=True, what=f"loading the modules of {entry}'s first call")
              for _ in range(RUNS)]
    beyond = {name: statistics.median(values) for name, values in own.items() if name not in floor}
    groups: dict[str, list[float]] = {}
    for name, ms in beyond.items():
        groups.setdefault(_group(name), []).append(ms)
    top = sorted(((key, sum(ms), len(ms)) for key, ms in groups.items()), key=lambda g: -g[1])[:TOP]
    return FirstCall(statistics.median(totals), totals, len(loaded), sum(beyond.values()), len(beyond), top, loaded)


def libraries_alone(app_modules: list[str], first: list[str]) -> tuple[float, float]:
    """(median ms, ratio to the floor) of the libraries the app's import and a first call load,
    without a line of the project's code: the lowest the call's ratio can go with these libraries.
    Floor runs alternate with these, as in the import ratio."""
    names = [name for name in [*app_modules, *first] if not _own(name)]
    runs, floor_runs = [], []
    for _ in range(RUNS):
        floor_runs.append(timed_import(FLOOR) * 1000)
        runs.append(timed_load(names, _env(), after_app=False, what="importing the libraries alone"))
    return statistics.median(runs), statistics.median(runs) / statistics.median(floor_runs)


def _own(name: str) -> bool:
    return name == "app" or name.startswith("chalicelib")


def _group(name: str) -> str:
    """Project modules stand alone; a third-party module counts towards its top-level package."""
    return name if _own(name) else name.split(".")[0]


def _via(node: Node) -> str | None:
    """The nearest project module above `node` in the import tree: who to change to defer it."""
    up = node.parent
    while up is not None and not _own(up.name):
        up = up.parent
    return up.name if up is not None else None


def costs_beyond_floor() -> tuple[float, int, list[tuple[str, float, float, str]]]:
    """(total ms, modules, top groups) of what the app imports that the floor does not."""
    floor_names = set()
    for _ in range(2):
        floor_names |= {node.name for node in walk(import_tree(FLOOR))}
    runs = [import_tree(APP) for _ in range(PROFILE_RUNS)]
    self_by_name: dict[str, list[int]] = {}
    for roots in runs:
        for node in walk(roots):
            self_by_name.setdefault(node.name, []).append(node.self_us)
    median_self = {name: statistics.median(values) for name, values in self_by_name.items()}
    beyond = {name for name in median_self if name not in floor_names}

    nodes = {node.name: node for node in walk(runs[0])}

    def pulled_in(node: Node) -> float:
        """Self time of the node and of everything under it that the floor does not load."""
        own = median_self.get(node.name, 0) if node.name in beyond else 0
        return own + sum(pulled_in(child) for child in node.children)

    groups: dict[str, dict] = {}
    for name in beyond:
        node = nodes.get(name)
        if node is None:
            continue
        key = _group(name)
        entry = groups.setdefault(key, {"self": 0.0, "first": node, "modules": 0})
        entry["self"] += median_self[name]
        entry["modules"] += 1
        if _depth(node) < _depth(entry["first"]):
            entry["first"] = node
    ranked = sorted(groups.items(), key=lambda kv: -kv[1]["self"])[:TOP]
    top = [
        (key, entry["self"] / 1000, pulled_in(entry["first"]) / 1000, _via(entry["first"]), entry["modules"])
        for key, entry in ranked
    ]
    total = sum(median_self[name] for name in beyond) / 1000
    return total, len(beyond), top


def _depth(node: Node) -> int:
    depth = 0
    while node.parent is not None:
        node, depth = node.parent, depth + 1
    return depth


def main() -> int:
    from _world import figure

    for _ in range(WARM_UPS):  # compile and cache bytecode, warm the file cache
        timed_import(APP), timed_import(FLOOR)
    app_runs, floor_runs = [], []
    for _ in range(RUNS):
        app_runs.append(timed_import(APP))
        floor_runs.append(timed_import(FLOOR))
    app_ms, floor_ms = statistics.median(app_runs) * 1000, statistics.median(floor_runs) * 1000
    ratio = app_ms / floor_ms
    spread = lambda runs: f"{min(runs) * 1000:.0f}-{max(runs) * 1000:.0f} ms"  # noqa: E731
    figure("import-app-ms", app_ms, note=f"median of {RUNS} fresh interpreters, range {spread(app_runs)}")
    figure("import-floor-ms", floor_ms, note=f"chalice + pynamodb.models + Powertools Logger/Metrics, "
                                             f"median of {RUNS}, range {spread(floor_runs)}")
    figure("import-ratio", ratio, f"<= {TARGET}")
    floor = set(loaded_by(FLOOR))
    app_modules = loaded_by(APP)
    with _Refusing() as endpoint:
        for label, what, entry, make_event, must_load in FIRST_CALLS:
            first = first_call_imports(entry, make_event(), must_load, floor, endpoint)
            figure(f"import-first-{label}-ms", first.median_ms,
                   note=f"the {first.modules} modules a fresh {what} loads on use, on top of import-app-ms; "
                        f"median of {RUNS}, range {min(first.runs_ms):.0f}-{max(first.runs_ms):.0f} ms")
            bound = FIRST_CALL_TARGETS.get(label)
            figure(f"import-first-{label}-ratio", (app_ms + first.median_ms) / floor_ms,
                   f"<= {bound}" if bound is not None else None,
                   note=(f"app import plus the imports of the {what}, against the floor" if bound is not None
                         else f"no target: app import plus the imports of the {what}, against the floor"))
            if bound is not None:
                alone, alone_ratio = libraries_alone(app_modules, first.loaded)
                figure(f"import-first-{label}-libraries-ratio", alone_ratio,
                       note=f"no target: the libraries the app and the {what} load ({alone:.0f} ms), without the "
                            "project's own modules, against the floor: the lowest the ratio above can go")
            figure(f"import-first-{label}-beyond-floor-ms", first.beyond_floor_ms,
                   note=f"own time of the {first.beyond_floor_modules} of them the floor does not load; "
                        "the costliest:")
            for rank, (name, ms, modules) in enumerate(first.top, 1):
                figure(f"import-first-{label}-top-{rank}", name,
                       note=f"{ms:.1f} ms own" + (f" in {modules} modules" if modules > 1 else ""))
    if ratio > TARGET or "--why" in sys.argv[1:]:
        total, count, top = costs_beyond_floor()
        figure("import-beyond-floor-ms", total,
               note=f"-X importtime self time of the {count} modules the app loads and the floor does not")
        for rank, (name, self_ms, with_children_ms, via, modules) in enumerate(top, 1):
            own = f"{self_ms:.1f} ms own" + (f" in {modules} modules" if modules > 1 else "")
            figure(f"import-top-{rank}", name, note=(
                f"{own}, {with_children_ms:.1f} ms with what it pulls in beyond the floor"
                + (f", imported by {via}" if via else "")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
