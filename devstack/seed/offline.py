"""The first start's demo, built away from the server: the whole seed, the first sweep (reminders
in the inboxes), the risk training and the KPI refresh run against moto in this process (no
HTTP between the services and moto, bulk items put straight into moto's table), and the result is
saved as a snapshot that the runner loads into its moto server in a few seconds.

    python -m devstack.seed.offline --state DIR [--patients N]   # the runner starts it

The runner passes the stack's settings in the environment (table and queue names, secrets, the
fake WeChat's address) without AWS_ENDPOINT_URL. Lines on stdout, for the runner:
`progress<TAB>what<TAB>done<TAB>total<TAB>unit` while it works, `done<TAB><json>` at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPORT_EVERY = 0.5  # seconds between progress lines for the same step


class Reporter:
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.what = None
        self.last = 0.0

    def __call__(self, what: str, done: int | None = None, total: int | None = None, unit: str = "") -> None:
        now = time.monotonic()
        if what == self.what and now - self.last < REPORT_EVERY and done != total:
            return
        self.what, self.last = what, now
        fields = [what, "" if done is None else str(done), "" if total is None else str(total), unit]
        print("progress\t" + "\t".join(f.replace("\t", " ") for f in fields), file=self.stream, flush=True)


def table_writer():
    """Put DynamoDB-JSON items straight into the in-process moto table (what BatchWriteItem's puts do,
    without a request per 25 items)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.config import settings

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region].get_table(settings().table_name)

    def put_items(items: list[dict]) -> int:
        for item in items:
            table.put_item(item, overwrite=True)
        return len(items)

    return put_items


def table_items() -> list[dict]:
    """Every item of the in-process moto table, in DynamoDB JSON (what an export or a Scan reads)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.config import settings

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region].get_table(settings().table_name)
    return [item.to_json()["Attributes"] for item in table.all_items()]


def build(state_dir: Path, patients: int, report=None) -> dict:
    """Seed, sweep, train and refresh in an in-process moto; save the snapshot into state_dir."""
    from moto import mock_aws

    from devstack import bootstrap, moto_patches, snapshot
    from devstack.layout import write_private
    from devstack.schedules import refresh_kpis, sweep_and_drain, train_when_due
    from devstack.seed import demo
    from devstack.state import reset_process_state

    report = report or Reporter()
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # stdout is the runner's progress channel
    moto_patches.apply()
    with mock_aws():
        reset_process_state()
        report("preparing the demo's table")
        bootstrap.create_all()
        snapshot.prepare()
        cpu = time.process_time()
        seeded = demo.run(patients=patients, report=report, put_items=table_writer(), out=lambda *a, **k: None)
        seed_cpu = time.process_time() - cpu
        demo.set_quiet_hours(os.environ.get("DEMO_QUIET_HOURS"))
        timings: dict[str, float] = {"seed": seeded["seconds"]}

        def step(name: str, what: str, job):
            report(what)
            started, cpu_started = time.monotonic(), time.process_time()
            result = job()
            timings[name] = round(time.monotonic() - started, 1)
            timings["cpu_" + name] = round(time.process_time() - cpu_started, 1)
            return result

        # The first sweep puts the due reminders in the inboxes (and closes what fell due long ago),
        # the training scores every patient, then the KPIs count what both left.
        swept = step("sweep", "first sweep: reminders due now", sweep_and_drain)
        trained = step("training", "training the risk model on the demo history", train_when_due)
        step("kpis", "computing the dashboard KPIs", lambda: refresh_kpis(train=False))
        seeded.pop("staff", None)
        write_private(Path(state_dir) / "demo.json", seeded)  # the showcase logins the banner prints
        taken = step("snapshot", "saving the demo data", lambda: snapshot.take(state_dir, table_items()))
    reset_process_state()
    # CPU seconds say what the wall-clock times would be on cores of its own (the machine may be shared)
    timings["cpu_seed"] = round(seed_cpu, 1)
    timings["cpu_total"] = round(time.process_time(), 1)
    return {"seeded": seeded, "items": taken["items"], "sweep": swept, "trained": trained, "timings": timings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.seed.offline", description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, required=True, help="the stack's state directory")
    parser.add_argument("--patients", type=int, default=3000)
    args = parser.parse_args(argv)
    result = build(args.state, args.patients)
    print("done\t" + json.dumps(result, ensure_ascii=False, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
