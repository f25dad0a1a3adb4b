"""The local stack in one command: moto, the fake WeChat server, the API (`chalice local`), the admin
site and the schedules that EventBridge and the SQS event source mapping would run in AWS.

    python -m devstack.run [--patients N] [--no-seed] [--reload]   # `make run`
    python -m devstack.run --sweep-once                            # `make sweep`

Ports come from API_PORT, SITE_PORT, MOTO_PORT, WECHAT_PORT, WECOM_PORT and SMS_PORT; data lives in REVISIT_LOCAL_DIR
(default .local). docs/local-stack.md describes the processes and how data survives a restart.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime

from devstack.environment import (
    REGION,
    WECHAT_APPID,
    WECHAT_SECRET,
    WECOM_AGENT_ID,
    WECOM_CORP_ID,
    WECOM_SECRET,
    app_env,
    child_env,
    ports,
    use_running_stack,
    use_settings,
)
from devstack.layout import ROOT, Layout, read_json, write_private
from devstack.progress import Progress
from devstack.schedules import (describe_tick, drain_imports, rebuild_counters, refresh_kpis, sweep_and_drain,
                                train_when_due)
from devstack.site import site_server, write_site_config
from devstack.supervisor import (
    Child,
    Stop,
    chalice_command,
    http_ok,
    pid_alive,
    port_open,
    reap_leftovers,
    spawn,
    wait_until,
)

DEFAULT_PATIENTS = 3000
IMPORT_DRAIN_PERIOD = 2.0  # seconds


@dataclass
class Stack:
    args: argparse.Namespace
    layout: Layout = field(default_factory=Layout.from_env)
    children: list[Child] = field(default_factory=list)
    servers: list = field(default_factory=list)
    started: bool = False
    ready: bool = False
    first_jobs_done: bool = False  # the demo builder already swept, trained and refreshed the KPIs
    progress: Progress | None = None

    def __post_init__(self):
        self.ports = ports()
        self.urls = {
            "api": f"http://127.0.0.1:{self.ports['API_PORT']}",
            "site": f"http://127.0.0.1:{self.ports['SITE_PORT']}",
            "moto": f"http://127.0.0.1:{self.ports['MOTO_PORT']}",
            "wechat": f"http://127.0.0.1:{self.ports['WECHAT_PORT']}",
            "wecom": f"http://127.0.0.1:{self.ports['WECOM_PORT']}",
            "sms": f"http://127.0.0.1:{self.ports['SMS_PORT']}",
        }

    def start(self) -> None:
        """Start every process; on a first start the demo is built by a worker process meanwhile
        (devstack/seed/offline.py) and loaded into moto when it is done; later starts load the
        snapshot. Ready (the banner) when the data is in and the API answers."""
        from devstack import fake_sms, fake_wechat, fake_wecom, snapshot

        self.layout.ensure()
        previous = read_json(self.layout.pids_file, {}) or {}
        running = previous.get("runner")
        if running and running != os.getpid() and pid_alive(running):
            raise SystemExit(f"a local stack (pid {running}) already runs from {self.layout.root}")
        reap_leftovers(previous)
        busy = [f"{name}={port}" for name, port in self.ports.items() if port_open(port)]
        if busy:
            raise SystemExit(f"ports already in use: {', '.join(busy)} (another stack running? set the "
                             "*_PORT variables to move this one)")
        progress = self.progress = Progress().start()
        self.started = True
        _, wechat = fake_wechat.serve(WECHAT_APPID, WECHAT_SECRET, port=self.ports["WECHAT_PORT"])
        self.servers.append(wechat)
        _, wecom = fake_wecom.serve(WECOM_CORP_ID, WECOM_SECRET, WECOM_AGENT_ID, port=self.ports["WECOM_PORT"])
        self.servers.append(wecom)
        _, sms = fake_sms.serve(port=self.ports["SMS_PORT"])
        self.servers.append(sms)

        restoring = snapshot.exists(self.layout.state)
        seeding = not restoring and not self.args.no_seed
        progress.update("starting moto" + (" and the demo builder" if seeding else ""))
        moto = spawn("moto", [sys.executable, "-m", "devstack.moto_server", "--port", str(self.ports["MOTO_PORT"])],
                     child_env({}), self.layout)
        self.children.append(moto)
        seed = None
        if seeding:
            from devstack.seed import demo

            # The staff logins are made now, so that data saved by the builder always has them.
            write_private(self.layout.staff_file, demo.demo_staff())
            seed = self._start_seed()
        self._write_pids()
        wait_until(lambda: port_open(self.ports["MOTO_PORT"]), "moto", moto)

        progress.update("creating the table, queues, key and user pool")
        use_settings(app_env(self.urls, self.layout))
        pool_id, client_id = self._bootstrap()
        self.settings = app_env(self.urls, self.layout, pool_id, client_id)
        use_settings(self.settings)

        # The API starts while the data is built or loaded; the stack is ready when both are done.
        command = chalice_command() + ["local", "--stage", "local", "--host", "127.0.0.1",
                                       "--port", str(self.ports["API_PORT"])]
        if not self.args.reload:
            command.append("--no-autoreload")
        api = spawn("api", command, child_env(self.settings, POWERTOOLS_LOG_LEVEL="INFO"), self.layout)
        self.children.append(api)
        self._write_pids()

        from devstack.seed import demo

        staff = read_json(self.layout.staff_file, [])
        if restoring:
            progress.update("loading the saved data into moto")
            restored = snapshot.restore_into_server(self.layout.state, self.urls["moto"])
            progress.update("building the KPI counters again from the restored data")
            rebuild_counters()
            progress.update("creating the staff accounts in the new user pool")
            demo.create_staff_accounts(pool_id, staff)
            progress.say(f"restored {restored['items']} items of {restored['clinics']} clinics from "
                         f"{snapshot.path(self.layout.state)} in {restored['seconds']:.1f}s")
            if self.args.patients is not None:
                progress.say("(--patients is ignored while saved data exists; `make reset` starts clean)")
        elif seed is not None:
            built = self._wait_for_seed(seed)
            progress.update("loading the demo data into moto")
            restored = snapshot.restore_into_server(self.layout.state, self.urls["moto"])
            progress.update("building the KPI counters from the demo data")
            rebuild_counters()
            progress.update("creating the staff accounts")
            demo.create_staff_accounts(pool_id, staff)
            seeded = built["seeded"]
            self.first_jobs_done = True
            timings = built.get("timings", {})
            progress.say(f"demo built: {seeded['patients'] + seeded['north_patients']} patients, "
                         f"{restored['items']} items (seed {timings.get('seed')}s, first sweep "
                         f"{timings.get('sweep')}s, risk training {timings.get('training')}s, KPIs "
                         f"{timings.get('kpis')}s; {timings.get('cpu_total')} CPU seconds in all: seed "
                         f"{timings.get('cpu_seed')}, first sweep {timings.get('cpu_sweep')}, risk training "
                         f"{timings.get('cpu_training')}, KPIs {timings.get('cpu_kpis')}, snapshot "
                         f"{timings.get('cpu_snapshot')}, north-derm in a second process "
                         f"{timings.get('cpu_second')} over {timings.get('second')}s); loaded into "
                         f"moto in {restored['seconds']:.1f}s")
        self.ready = True

        write_private(self.layout.env_file, self._env_document(pool_id, client_id))
        if not os.environ.get("REVISIT_LOCAL_DIR"):
            # The developer's stack points the built site at its API; stacks with a data directory
            # of their own (the e2e tests) leave the checkout alone: their site server answers
            # /config.js itself.
            write_site_config(self.urls["api"])
        self.servers.append(site_server(ROOT / "admin_site" / "dist", self.urls["api"], self.ports["SITE_PORT"]))
        progress.update("waiting for the API to answer")
        wait_until(lambda: http_ok(self.urls["api"] + "/health"), "the API (chalice local)", api, timeout=90)
        progress.stop()
        self.banner(staff, time.monotonic() - progress.started)

    def _start_seed(self) -> Child:
        """The worker that builds the demo in a moto of its own (devstack/seed/offline.py)."""
        patients = DEFAULT_PATIENTS if self.args.patients is None else self.args.patients
        env = child_env(app_env(self.urls, self.layout), POWERTOOLS_LOG_LEVEL="WARNING")
        env.pop("AWS_ENDPOINT_URL", None)  # its own in-process moto
        return self._add(spawn("seed", [sys.executable, "-m", "devstack.seed.offline", "--state",
                                        str(self.layout.state), "--patients", str(patients)],
                               env, self.layout, pipe=True))

    def _add(self, child: Child) -> Child:
        self.children.append(child)
        return child

    def _wait_for_seed(self, seed: Child) -> dict:
        """Relay the worker's progress until it is done; its result."""
        import json
        import threading

        result: dict = {}

        def read() -> None:
            assert seed.process.stdout is not None
            for line in seed.process.stdout:
                kind, _, rest = line.rstrip("\n").partition("\t")
                if kind == "progress":
                    what, done, total, unit = (rest.split("\t") + ["", "", ""])[:4]
                    self.progress.update(what, int(done) if done else None, int(total) if total else None, unit)
                elif kind == "done":
                    result.update(json.loads(rest))
                elif line.strip():
                    self.progress.say(line.rstrip())

        reader = threading.Thread(target=read, name="seed-output", daemon=True)
        reader.start()
        while seed.process.poll() is None:
            time.sleep(0.1)
            for child in self.children:
                if child is not seed and not child.alive():
                    raise SystemExit(f"{child.name} stopped unexpectedly (exit {child.process.returncode}); "
                                     f"see {child.log}")
        reader.join(5)
        self.children.remove(seed)
        self._write_pids()
        if seed.process.returncode != 0 or not result:
            raise SystemExit(f"building the demo failed (exit {seed.process.returncode}); see {seed.log}")
        return result

    def _bootstrap(self) -> tuple[str, str]:
        from devstack import bootstrap, snapshot

        bootstrap.create_table()
        bootstrap.create_queues()
        bootstrap.create_key()
        snapshot.prepare()
        return bootstrap.create_user_pool()

    def _env_document(self, pool_id: str, client_id: str) -> dict:
        return {
            "api_url": self.urls["api"], "site_url": self.urls["site"], "moto_url": self.urls["moto"],
            "wechat_url": self.urls["wechat"], "wecom_url": self.urls["wecom"], "sms_url": self.urls["sms"],
            "ports": self.ports, "region": REGION,
            "user_pool_id": pool_id, "user_pool_client_id": client_id,
            "table": self.settings["REVISIT_TABLE"], "queue": self.settings["REMINDER_QUEUE_NAME"],
            "runner_pid": os.getpid(), "started_at": datetime.now().isoformat(timespec="seconds"),
            "env": self.settings,
        }

    def _write_pids(self) -> None:
        write_private(self.layout.pids_file, {"runner": os.getpid(),
                                              **{child.name: child.pid for child in self.children}})

    def banner(self, staff: list[dict], seconds: float) -> None:
        demo = read_json(self.layout.demo_file, {}) or {}
        lines = [
            "",
            f"Revisit local stack is up ({seconds:.0f}s)",
            f"  admin site   {self.urls['site']}",
            f"  API          {self.urls['api']}   (OpenAPI: {self.urls['api']}/openapi.json)",
            f"  moto         {self.urls['moto']}   fake WeChat {self.urls['wechat']}",
            f"  fake WeCom   {self.urls['wecom']}   fake Tencent Cloud SMS {self.urls['sms']}",
            f"  data         {self.layout.root}   logs {self.layout.logs}",
        ]
        if staff:
            lines.append("  staff logins:")
            lines += [f"    {s['username']:<22} {s['password']}   ({s['role']}, {s['clinic_id']})" for s in staff]
        lines += [
            "  mini-program open miniprogram/ in WeChat DevTools (docs/miniprogram.md): `cd miniprogram && npm ci`,",
            "               工具 -> 构建 npm, 详情 -> 本地设置 -> 不校验合法域名; in miniprogram/config.ts set",
            f"               apiBaseUrl '{self.urls['api']}', clinicId and devLoginCode to a login below",
        ]
        logins = demo.get("patient_logins") or []
        if logins:
            lines.append("  patient logins for the mini-program client (a code works once; add .2, .3 ... "
                         "for the next login):")
            lines += [f"    {p['code']:<16} {p['clinic_id']:<12} {p['note']}" for p in logins]
            lines.append(f"    python scripts/miniprogram_client.py {self.urls['api']} --name {logins[0]['code'][3:]}")
        lines.append(f"  schedules: sweep + reminder queue every {self.args.sweep_period}s, KPIs every "
                     f"{self.args.kpi_period}s; snapshot every {self.args.snapshot_period}s and on exit")
        lines.append("  Ctrl-C stops everything (data is kept; `make reset` removes it)")
        print("\n".join(lines), flush=True)

    def loop(self) -> None:
        now = time.monotonic()
        next_sweep, next_kpi = now, now
        if self.first_jobs_done:  # the demo builder ran them a moment ago
            next_sweep, next_kpi = now + self.args.sweep_period, now + self.args.kpi_period
        next_snapshot = now + self.args.snapshot_period
        # the import job queue is drained every few seconds, as Lambda's event source mapping
        # would: the admin site polls a job's progress every 2 s
        next_imports = now + IMPORT_DRAIN_PERIOD
        while True:
            for child in self.children:
                if not child.alive():
                    raise SystemExit(f"{child.name} stopped unexpectedly (exit {child.process.returncode}); "
                                     f"see {child.log}")
            now = time.monotonic()
            # KPIs first (a first start's dashboard fills within a minute), then the sweep, then
            # the risk training that the KPI tick leaves (minutes on a first start)
            training_due = now >= next_kpi
            if training_due:
                next_kpi = now + self.args.kpi_period
                self._tick("kpis", lambda: refresh_kpis(train=False), quiet_unless=lambda r: False, describe=str)
            if now >= next_sweep:
                next_sweep = now + self.args.sweep_period
                self._tick("sweep", sweep_and_drain, quiet_unless=lambda r: r["sweep"].get("queued") or
                           r["queue"]["received"], describe=describe_tick)
            if now >= next_imports:
                next_imports = now + IMPORT_DRAIN_PERIOD
                self._tick("imports", drain_imports, quiet_unless=lambda r: r["received"],
                           describe=lambda r: f"imports: {r['processed']} chunks, {r['failed']} failed")
            if training_due:
                self._tick("training", train_when_due, quiet_unless=lambda r: r, describe=lambda r: f"trained {r}")
            if now >= next_snapshot:
                next_snapshot = now + self.args.snapshot_period
                from devstack import snapshot

                self._tick("snapshot", lambda: snapshot.take(self.layout.state), quiet_unless=lambda r: False,
                           describe=str)
            time.sleep(max(0.2, min(next_sweep, next_kpi, next_snapshot, next_imports) - time.monotonic()))

    @staticmethod
    def _tick(name: str, job, quiet_unless, describe) -> None:
        try:
            result = job()
        except (KeyboardInterrupt, Stop):
            raise
        except Exception as exc:  # a failing job is reported and retried at its next tick
            print(f"[{datetime.now():%H:%M:%S}] {name} failed: {type(exc).__name__}: {exc}", flush=True)
            return
        if quiet_unless(result):
            print(f"[{datetime.now():%H:%M:%S}] {describe(result)}", flush=True)

    def shutdown(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        if self.progress is not None:
            self.progress.stop()
        if not self.started:
            return
        print("\nstopping the local stack ...", flush=True)
        # Everything but moto first (the demo builder, the API), then the snapshot while moto
        # still runs, then moto.
        for child in [c for c in self.children if c.name != "moto"]:
            child.stop()
        moto = [c for c in self.children if c.name == "moto"]
        if self.ready and moto and moto[0].alive():
            try:
                from devstack import snapshot

                taken = snapshot.take(self.layout.state)
                print(f"saved {taken['items']} items to {snapshot.path(self.layout.state)}", flush=True)
            except Exception as exc:
                print(f"could not save a snapshot: {type(exc).__name__}: {exc}", flush=True)
        for child in moto:
            child.stop()
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for leftover in (self.layout.pids_file, self.layout.state / "table.json.gz.tmp"):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass
        print("stopped", flush=True)


def _raise_stop(signum, frame):
    raise Stop()


def run_stack(args: argparse.Namespace) -> int:
    # Ctrl-C is handled here rather than left to Python's default: a runner started where SIGINT is
    # ignored (a background job of a script, a test runner's worker) still stops on it
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _raise_stop)
    stack = Stack(args)
    try:
        stack.start()
        stack.loop()
    except (KeyboardInterrupt, Stop):
        return 0
    except SystemExit as exc:
        if exc.code not in (None, 0):
            print(exc.code, file=sys.stderr, flush=True)
        return 1
    finally:
        stack.shutdown()
    return 0


def sweep_once() -> int:
    """One sweep + queue drain + KPI refresh against the running stack of REVISIT_LOCAL_DIR, each
    schedule through its fan-out to the clinic job queue and that queue drained, as in AWS."""
    try:
        use_running_stack()
    except SystemExit as exc:
        print(exc.code, file=sys.stderr)
        return 1
    started = time.monotonic()
    result = sweep_and_drain()
    kpis = refresh_kpis()
    swept, drained = result["sweep"], result["queue"]
    print(f"sweep: {swept['clinics']} clinics (one clinic job each), {swept.get('read', 0)} due, "
          f"{swept.get('queued', 0)} queued, {swept.get('failed', 0)} not queued")
    print(f"queue: {drained['received']} received, {drained['processed']} delivered, {drained['failed']} failed")
    print(f"imports: {result['imports']['processed']} chunks imported, {result['imports']['failed']} failed, "
          f"{result['requeued'].get('chunks', 0)} sent again")
    print("kpis: " + ", ".join(f"{clinic} {n} patients" for clinic, n in sorted(kpis.items())))
    print(f"done in {time.monotonic() - started:.1f}s")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack.run",
                                     description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--sweep-once", action="store_true",
                        help="fire the sweep, drain the reminder queue and refresh KPIs once on a running stack")
    parser.add_argument("--patients", type=int, default=None,
                        help=f"demo patients of demo-dental for a fresh seed (default {DEFAULT_PATIENTS})")
    parser.add_argument("--no-seed", action="store_true", help="start empty (no clinics, staff or patients)")
    parser.add_argument("--reload", action="store_true",
                        help="restart the API when code changes (chalice's stat() watcher; costs CPU)")
    parser.add_argument("--sweep-period", type=float, default=float(os.environ.get("SWEEP_PERIOD", "60")),
                        help="seconds between sweeps + queue drains (SWEEP_PERIOD, default 60)")
    parser.add_argument("--kpi-period", type=float, default=float(os.environ.get("KPI_PERIOD", "300")),
                        help="seconds between KPI refreshes (KPI_PERIOD, default 300)")
    parser.add_argument("--snapshot-period", type=float, default=float(os.environ.get("SNAPSHOT_PERIOD", "300")),
                        help="seconds between snapshots of the data (SNAPSHOT_PERIOD, default 300)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.sweep_once:
        return sweep_once()
    return run_stack(args)


if __name__ == "__main__":
    sys.exit(main())
