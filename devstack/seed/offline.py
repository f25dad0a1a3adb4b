"""The first start's demo, built away from the server: the whole seed, the first sweep (reminders
in the inboxes), the risk training and the KPI refresh run against moto in this process (no
HTTP between the services and moto, bulk items put straight into moto's table), and the result is
saved as a snapshot that the runner loads into its moto server in a few seconds. Both cores work:
north-derm is built by a second process of this module and the risk training runs in a forked
copy of this one; their items are merged into the one snapshot.

    python -m devstack.seed.offline --state DIR [--patients N]   # the runner starts it

The runner passes the stack's settings in the environment (table and queue names, secrets, the
fake WeChat's address) without AWS_ENDPOINT_URL. Lines on stdout, for the runner:
`progress<TAB>what<TAB>done<TAB>total<TAB>unit` while it works, `done<TAB><json>` at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime
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


def _key(item: dict) -> str:
    return item["pk"]["S"] + "\n" + item["sk"]["S"]


def fork_step(state_dir: Path, name: str, job) -> tuple[int, Path]:
    """Run `job` in a forked copy of this process, on a copy of its in-process moto, while this
    process goes on. The copy writes what the job changed in the table to a file (each changed
    item before and after, the items deleted) and exits; merge_forked brings the changes in."""
    out = Path(state_dir) / f"{name}.changes.json"
    out.unlink(missing_ok=True)
    pid = os.fork()
    if pid:
        return pid, out
    code = 1
    try:
        before = {_key(item): item for item in table_items()}
        cpu, started = time.process_time(), time.monotonic()
        result = job()
        cpu, seconds = time.process_time() - cpu, time.monotonic() - started
        after = {_key(item): item for item in table_items()}
        changed = {key: item for key, item in after.items() if before.get(key) != item}
        document = {"changed": changed, "before": {key: before[key] for key in changed if key in before},
                    "deleted": {key: item for key, item in before.items() if key not in after},
                    "result": result, "cpu": round(cpu, 1), "seconds": round(seconds, 1)}
        document["cpu_all"] = round(time.process_time(), 1)  # a forked child's clock starts at zero
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False)
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def merge_forked(pid: int, out: Path) -> dict:
    """Wait for a forked step and apply its changes to this process's table, attribute by
    attribute: what the step changed is set (or removed) on the item as it is now, so changes made
    here meanwhile to other attributes of the same item stay. Both changing one attribute
    differently is a conflict (an error). Returns the step's result, CPU and wall-clock seconds."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    from chalicelib.config import settings

    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"a forked builder step failed (exit status {status})")
    try:
        document = json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region].get_table(settings().table_name)

    def current(item: dict) -> dict | None:
        found = table.get_item(DynamoType(item["pk"]), DynamoType(item["sk"]))
        return found.to_json()["Attributes"] if found is not None else None

    for key, item in document["changed"].items():
        base, now = document["before"].get(key), current(item)
        merged = dict(now if now is not None else {})
        for name in set(base or {}) | set(item):
            theirs, was = item.get(name), (base or {}).get(name)
            if theirs == was:
                continue
            if merged.get(name) not in (was, theirs):
                raise RuntimeError(f"a forked builder step and this one both changed {name} of {key!r}")
            if theirs is None:
                merged.pop(name, None)
            else:
                merged[name] = theirs
        table.put_item(merged, overwrite=True)
    for key, item in document["deleted"].items():
        now = current(item)
        if now is not None and now != item:
            raise RuntimeError(f"a forked builder step deleted {key!r}, changed here meanwhile")
        table.delete_item(DynamoType(item["pk"]), DynamoType(item["sk"]))
    return document


# The second core builds this clinic in a process of its own (its 36 patients all go through the
# services, a quarter of the seed's service path); its items join the snapshot at the end.
SECOND_CLINIC = "north-derm"
PART_FILE = "second-builder.json.gz"


def start_second(state_dir: Path, patients: int, now: str) -> subprocess.Popen:
    """The second builder process (same environment; it shares the local key, made before it starts).
    It is in this process's group, so whatever stops the builder stops it too."""
    from devstack import snapshot

    snapshot.local_key(state_dir)
    part = Path(state_dir) / PART_FILE
    part.unlink(missing_ok=True)
    command = [sys.executable, "-m", "devstack.seed.offline", "--state", str(state_dir), "--patients", str(patients),
               "--clinic", SECOND_CLINIC, "--now", now, "--part", str(part)]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=os.environ.copy())


def finish_second(state_dir: Path, second: subprocess.Popen, report) -> dict:
    """Wait for the second builder; its part (items, sealed data key, what it seeded, timings)."""
    from devstack import snapshot

    report(f"building {SECOND_CLINIC} (second process)")
    if second.wait() != 0:
        raise RuntimeError(f"the second builder ({SECOND_CLINIC}) failed with exit code {second.returncode}")
    part = Path(state_dir) / PART_FILE
    try:
        return snapshot.load(state_dir, part)
    finally:
        part.unlink(missing_ok=True)


def build(state_dir: Path, patients: int, report=None, clinic_ids: tuple[str, ...] | None = None,
          now: str | None = None, part: Path | None = None) -> dict:
    """Seed, sweep, train and refresh in an in-process moto; save the snapshot into state_dir.

    By default the clinic SECOND_CLINIC is built at the same time by a second process, and its
    items and sealed data key are merged into the snapshot. With `clinic_ids` only those clinics
    are built and, with `part`, saved there instead (the second process)."""
    from chalicelib.domain.clock import UTC, iso, parse_iso

    report = report or Reporter()
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # stdout is the runner's progress channel
    moment = parse_iso(now) if now else datetime.now(UTC)
    second = None
    if clinic_ids is None:
        second = start_second(state_dir, patients, iso(moment))
        clinic_ids = tuple(c for c in ("demo-dental", "north-derm") if c != SECOND_CLINIC)
    try:
        return _build(state_dir, patients, report, clinic_ids, moment, part, second)
    finally:
        if second is not None and second.poll() is None:
            second.kill()
            second.wait()


def sweep_before_quiet_hours(sweep):
    """Run `sweep` at the last minute before the quiet hours that hold now in any clinic of this
    table (clinic time, each clinic's own hours), as the minute schedule would have run it then;
    nothing when no clinic is in its quiet hours. Returns what the sweep returned, or None."""
    from chalicelib.domain.clock import clock
    from chalicelib.domain.delivery import last_allowed
    from chalicelib.services.outbound import settings_of
    from chalicelib.store import clinics

    now = clock.now()
    earliest = now
    for clinic_id in clinics.all_clinic_ids():
        rules = settings_of(clinic_id)
        earliest = min(earliest, last_allowed(now, clinics.get(clinic_id).tz, rules.quiet_start, rules.quiet_end))
    if earliest >= now:
        return None
    with clock.at(earliest):
        return sweep()


def _build(state_dir, patients, report, clinic_ids, moment, part, second) -> dict:
    from moto import mock_aws

    from devstack import bootstrap, moto_patches, snapshot
    from devstack.layout import write_private
    from devstack.schedules import STREAM, refresh_kpis, sweep_and_drain, train_when_due

    # The builder does not read the table's stream: a forked copy trains meanwhile and writes the
    # risk summaries the stream's consumer would also write (their changes could not be merged);
    # the KPI refresh builds the counters with the backfill, and the stack that loads the snapshot
    # skips the builder's records and builds its counters again (devstack.schedules.rebuild_counters).
    STREAM["paused"] = True
    from devstack.seed import demo
    from devstack.state import reset_process_state

    moto_patches.apply()
    with mock_aws():
        reset_process_state()
        report("preparing the demo's table")
        bootstrap.create_all()
        snapshot.prepare()
        forks: list[tuple[int, Path]] = []

        def start_training() -> None:
            # The training reads visits, check-ins, shares, read messages and calls: all written
            # once the flows are. It changes only scores, the model and its run (and memberships of
            # segments on the risk score), which the rest of the seed, the sweep and the KPIs neither
            # read nor write, so a forked copy trains on the other core meanwhile; its changes are
            # merged in after the KPIs.
            if part is None and not forks:
                forks.append(fork_step(state_dir, "training", train_when_due))

        cpu = time.process_time()
        seeded = demo.run(patients=patients, now=moment, report=report, put_items=table_writer(),
                          out=lambda *a, **k: None, clinic_ids=clinic_ids, after_flows=start_training)
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

        # What fell due before tonight's quiet hours a running stack would have sent before them:
        # a first start at night shows those reminders in the inboxes too. The first sweep then
        # puts what is due now in the inboxes (and closes what fell due long ago), the training
        # scores every patient, then the KPIs count what all of them left.
        step("sweep_before_quiet", "sending what fell due before the quiet hours",
             lambda: sweep_before_quiet_hours(sweep_and_drain))
        swept = step("sweep", "first sweep: reminders due now", sweep_and_drain)
        if forks:
            step("kpis", "computing the dashboard KPIs", lambda: refresh_kpis(train=False))
            forked = step("training_merge", "training the risk model on the demo history (other core)",
                          lambda: merge_forked(*forks[0]))
            trained = forked["result"]
            timings["training"], timings["cpu_training"] = forked["seconds"], forked["cpu"]
            timings["cpu_fork"] = forked["cpu_all"]  # the training, and the copy's reads of the table around it
        else:
            trained = step("training", "training the risk model on the demo history", train_when_due)
            step("kpis", "computing the dashboard KPIs", lambda: refresh_kpis(train=False))
        seeded.pop("staff", None)
        timings["cpu_seed"] = round(seed_cpu, 1)
        if part is not None:  # the second process: its part of the snapshot, for the first to merge
            items = table_items()
            snapshot.take(state_dir, items, target=part, extra={"seeded": seeded, "timings": timings,
                                                                "cpu": round(time.process_time(), 1),
                                                                "sweep": swept, "trained": trained})
            return {"items": len(items)}
        other = finish_second(state_dir, second, report) if second is not None else None
        if other is not None:
            theirs = other["seeded"]
            seeded["counts"].update(theirs["counts"])
            seeded["patient_logins"] += theirs["patient_logins"]
            trained = list(trained) + list(other["trained"])
            timings["cpu_second"] = other["cpu"]
            timings["second"] = round(sum(other["timings"].get(k, 0) for k in ("seed", "sweep", "training", "kpis")), 1)
        write_private(Path(state_dir) / "demo.json", seeded)  # the showcase logins the banner prints
        taken = step("snapshot", "saving the demo data",
                     lambda: snapshot.take(state_dir, table_items() + (other["items"] if other else []),
                                           sealed=other["data_keys"] if other else None))
    reset_process_state()
    # CPU seconds say what the wall-clock times would be on cores of its own (the machine may be shared)
    timings["cpu_total"] = round(time.process_time() + timings.get("cpu_fork", 0) + timings.get("cpu_second", 0), 1)
    return {"seeded": seeded, "items": taken["items"], "sweep": swept, "trained": trained, "timings": timings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.seed.offline", description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, required=True, help="the stack's state directory")
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--clinic", action="append", help="build only this clinic (the second process)")
    parser.add_argument("--now", help="the moment of seeding, UTC ISO (the second process takes the first's)")
    parser.add_argument("--part", type=Path, help="save the clinic's part here instead of the snapshot")
    args = parser.parse_args(argv)
    result = build(args.state, args.patients, clinic_ids=tuple(args.clinic) if args.clinic else None, now=args.now,
                   part=args.part)
    print("done\t" + json.dumps(result, ensure_ascii=False, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
