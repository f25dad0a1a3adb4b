"""What a clinic month costs on AWS at list on-demand prices, measured from the code (docs/cost.md).

The app's own code (chalicelib, through app.py's entry points) runs over in-process moto on the
demo clinic of the local stack (devstack/seed), and every AWS call it makes is counted with a
botocore event hook. Nothing below is a per-call guess of what the code does:

- per event (a check-in, a home page, a dashboard view, a visit recorded, a reminder sent ...):
  a sample of each is run through the real route or handler and its DynamoDB calls are priced
  from the sizes of the items they touch (4 KB a read unit, 1 KB a write unit, transactions
  doubled, eventually consistent reads halved), its KMS and SQS requests counted, and its
  Lambda duration taken as the code's own CPU time plus a stated latency per AWS call;
- per scheduled job (every @app.schedule of app.py, at its rate): one run is measured in a demo
  clinic of SMALL and of LARGE patients, after a first run that drains what the seed left due;
  each job's cost is then taken as linear in the patients through those two points and
  extrapolated to 10,000 and 200,000 patients;
- the activity of a clinic month (ACTIVITY below) turns events into a month; the prices come
  from one file (bench/aws_prices.json).

    .venv/bin/python bench/cost_model.py            (COST_REGION=us-east-1 by default)

COST_SMALL and COST_LARGE change the two clinic sizes (600 and 3,000); COST_DEV_CACHE=<file> keeps
the measurements in that file and, when it exists, prices them again without measuring (to try
another activity or price table; delete the file after changing code).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PRICES_FILE = BENCH / "aws_prices.json"

# =============================================================================================
# The activity of a typical clinic month, per 10,000 patients (the one place it is stated)
# =============================================================================================
PER = 10_000  # patients the figures are given for
ACTIVITY = {
    "active_share": 0.30,             # patients who open the mini-program at least once in the month
    "home_views_per_active": 10,      # GET /me/home (the mini-program's first screen)
    "checkins_per_active": 8,         # POST /me/checkins (glucose, steps, tasks)
    "inbox_views_per_active": 2,      # GET /me/inbox
    "board_views_per_active": 1,      # GET /leaderboard
    "logins_per_active": 2,           # POST /auth/wechat/login (a new sign-in from wx.login)
    "token_refreshes_per_active": 4,  # POST /auth/refresh (the access token renewed)
    "redemptions_per_active": 0.05,   # POST /me/redemptions
    "new_patients_share": 0.02,       # POST /me/register, as a share of the patients
    "visits_per_patient": 0.15,       # POST /patients/{id}/visits at the desk
    "messages_per_patient": 0.10,     # reminders sent: sweep -> queue -> send_reminders
    "dashboard_views": 600,           # GET /dashboard (20 staff, once a working day)
    "admin_page_views": 3_000,        # other admin pages: patient lists and records, segments, risk, follow-ups
}
# How the activity scales: every figure above is per 10,000 patients, and a clinic 20 times
# larger has 20 times of each (its staff included). The deployment serves that one clinic:
# what it pays whatever the size (the KMS key, idle queue polls) is shown as `fixed`.

# =============================================================================================
# What is assumed rather than measured (docs/cost.md says why)
# =============================================================================================
REGION = os.environ.get("COST_REGION", "us-east-1")
STAGE = "prod"                     # the .chalice/config.json stage whose memory sizes are priced
DAYS = 30                          # a month
LATENCY_MS = {                     # one AWS call's round trip from a Lambda function in the region
    "dynamodb-item": 5.0,          # GetItem, PutItem, UpdateItem, DeleteItem
    "dynamodb-query": 8.0,         # a Query or Scan page
    "dynamodb-batch": 12.0,        # BatchGetItem, BatchWriteItem, TransactGetItems, TransactWriteItems
    "kms": 10.0,
    "sqs": 10.0,
    "other": 20.0,                 # any other AWS or HTTP call (Cognito, a channel's provider)
}
FULL_VCPU_MB = 1769                # Lambda gives a function one vCPU at 1,769 MB, a share of one below
COLD_START = {                     # containers started per month, each paying the init and a KMS unwrap
    "api_requests_per_cold_start": 50,
    "queue_invocations_per_cold_start": 10,
    "schedule_minutes_kept_warm": 60,  # a schedule every <= 5 min keeps one container about an hour
}
SQS_IDLE_POLLS = 5 * 3 * 60 * 24 * DAYS  # per queue with a Lambda trigger: 5 long polls of 20 s, always on
QUEUE_BATCH = 10                   # messages per send_reminders invocation at most (app.py batch_size)
WEEK_OF_RUNS = 7                   # a daily job is measured over a week of days: its days differ (docs/cost.md)

# The demo clinics the jobs are measured in (patients); per-event samples run in the smaller one.
SMALL, LARGE = int(os.environ.get("COST_SMALL", 600)), int(os.environ.get("COST_LARGE", 3_000))
SAMPLES = 12                       # samples of each event
TARGET_SIZES = (PER, 200_000)

READ_UNIT, WRITE_UNIT = 4096, 1024


# =============================================================================================
# Prices
# =============================================================================================
PRICES_USED = ("dynamodb_read_request_unit", "dynamodb_write_request_unit", "dynamodb_storage_gb_month",
               "dynamodb_streams_read_request_unit", "lambda_request", "lambda_gb_second",
               "apigateway_rest_request", "sqs_request", "eventbridge_scheduled_invocation", "kms_request",
               "kms_key_month")


def load_prices(region: str = REGION, path: Path = PRICES_FILE) -> dict[str, float]:
    """USD (or the region's currency) per single unit, for every price the model uses."""
    table = json.loads(path.read_text(encoding="utf-8"))["regions"][region]["prices"]
    return {name: float(table[name]["price"]) / float(table[name]["per"]) for name in PRICES_USED}


# Usage counters -> the price each is charged at, and the service it is shown under.
CHARGES = {
    "dynamodb_rru": ("dynamodb_read_request_unit", "dynamodb"),
    "dynamodb_wru": ("dynamodb_write_request_unit", "dynamodb"),
    "dynamodb_storage_gb_month": ("dynamodb_storage_gb_month", "dynamodb-storage"),
    "streams_rru": ("dynamodb_streams_read_request_unit", "dynamodb-streams"),
    "lambda_requests": ("lambda_request", "lambda"),
    "lambda_gb_seconds": ("lambda_gb_second", "lambda"),
    "apigw_requests": ("apigateway_rest_request", "apigateway"),
    "sqs_requests": ("sqs_request", "sqs"),
    "scheduled_invocations": ("eventbridge_scheduled_invocation", "eventbridge"),
    "kms_requests": ("kms_request", "kms"),
    "kms_keys": ("kms_key_month", "kms"),
}
SERVICES = ("dynamodb", "dynamodb-storage", "dynamodb-streams", "lambda", "apigateway", "sqs", "eventbridge", "kms")


def dollars(usage: dict[str, float], prices: dict[str, float]) -> dict[str, float]:
    """Usage counters priced, summed per service."""
    by_service = dict.fromkeys(SERVICES, 0.0)
    for counter, amount in usage.items():
        price, service = CHARGES[counter]
        by_service[service] += amount * prices[price]
    return by_service


# =============================================================================================
# DynamoDB's arithmetic: item sizes, request units
# =============================================================================================

def number_size(text: str) -> int:
    """Bytes DynamoDB counts for a number: one per two significant digits, plus one."""
    digits = text.lstrip("+-").replace(".", "").split("e")[0].split("E")[0].strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def value_size(value: dict) -> int:
    """Bytes of one attribute value in DynamoDB JSON ({"S": ...}, {"N": ...}, {"M": {...}} ...)."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return number_size(str(inner))
    if kind == "B":
        return len(inner) if isinstance(inner, (bytes, bytearray)) else len(inner) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(number_size(str(n)) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict | None) -> int:
    """Bytes of an item: each attribute's name and value (DynamoDB's item size)."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in (item or {}).items())


def read_units(size: int, *, consistent: bool = False, transactional: bool = False) -> float:
    """Read request units of reading `size` bytes in one go: per started 4 KB, one (strongly
    consistent), a half (eventually consistent) or two (transactional). A read of nothing (a
    missing item, an empty page) still costs the first 4 KB."""
    blocks = max(1, math.ceil(size / READ_UNIT))
    return blocks * (2.0 if transactional else 1.0 if consistent else 0.5)


def write_units(size: int, *, transactional: bool = False) -> float:
    """Write request units of writing an item of `size` bytes: one per started 1 KB, doubled in
    a transaction. An update or a replacement is charged on the larger of the item before and after."""
    return max(1, math.ceil(size / WRITE_UNIT)) * (2.0 if transactional else 1.0)


def lambda_gb_seconds(milliseconds: float, memory_mb: int) -> float:
    """A Lambda invocation's billed duration (rounded up to the millisecond) times its memory."""
    return math.ceil(milliseconds) / 1000.0 * memory_mb / 1024.0


@dataclass
class Sized:
    """A DynamoDB call with the sizes of what it touched, as the meter saw them."""
    operation: str
    consistent: bool = False
    read_sizes: list[int] = field(default_factory=list)   # one per item read (Query: one total per page)
    write_sizes: list[int] = field(default_factory=list)  # one per item written: max(before, after)
    transactional: bool = False
    items: int = 0                                         # items read or written

    def units(self) -> tuple[float, float]:
        """(read request units, write request units) of the call."""
        rru = sum(read_units(s, consistent=self.consistent, transactional=self.transactional)
                  for s in (self.read_sizes or [0] if self.is_read else self.read_sizes))
        wru = sum(write_units(s, transactional=self.transactional) for s in self.write_sizes)
        return rru, wru

    @property
    def is_read(self) -> bool:
        return self.operation in ("GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan")


# =============================================================================================
# The meter: every AWS call the code makes, with what DynamoDB charges for it
# =============================================================================================

def latency_kind(service: str, operation: str) -> str:
    if service == "dynamodb":
        if operation in ("Query", "Scan"):
            return "dynamodb-query"
        if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
            return "dynamodb-item"
        return "dynamodb-batch"
    return service if service in ("kms", "sqs") else "other"


@dataclass
class Tally:
    """What one stretch of work cost: request units, calls by service, Lambda time."""
    rru: float = 0.0
    wru: float = 0.0
    calls: Counter = field(default_factory=Counter)      # service -> calls
    operations: Counter = field(default_factory=Counter)  # "dynamodb GetItem" -> calls
    items_read: int = 0
    items_written: int = 0
    latency_ms: float = 0.0
    aws_cpu: float = 0.0                                  # CPU seconds spent inside the calls (moto's)

    def scaled(self, factor: float) -> "Tally":
        """This tally times `factor` (the mean of several runs)."""
        return Tally(self.rru * factor, self.wru * factor, Counter({k: v * factor for k, v in self.calls.items()}),
                     Counter({k: v * factor for k, v in self.operations.items()}), self.items_read * factor,
                     self.items_written * factor, self.latency_ms * factor, self.aws_cpu * factor)

    def add(self, other: "Tally") -> None:
        self.rru += other.rru
        self.wru += other.wru
        self.calls.update(other.calls)
        self.operations.update(other.operations)
        self.items_read += other.items_read
        self.items_written += other.items_written
        self.latency_ms += other.latency_ms
        self.aws_cpu += other.aws_cpu


class Meter:
    """Counts the AWS calls of the code under measurement through botocore's event system.

    Handlers go on botocore.handlers.BUILTIN_HANDLERS before any session exists, so PynamoDB's
    sessions, boto3's and the raw clients' all carry them (bench/_world.py explains why). Item
    sizes are read from moto's own table, outside the API, so the sizing costs no counted call:
    the item before a write (its old image), the item after, and the whole items a read touched
    (a projection or a filter returns less than DynamoDB reads and charges for).
    """

    def __init__(self):
        self.tally: Tally | None = None
        self.paused = False
        self.table = None  # moto's table, set once the account exists

    def install(self) -> "Meter":
        from botocore import handlers

        handlers.BUILTIN_HANDLERS.append(("before-parameter-build", self._before))
        handlers.BUILTIN_HANDLERS.append(("after-call", self._after))
        return self

    # -- the hooks --------------------------------------------------------------------------
    def _before(self, params, model, context=None, event_name="", **_):
        if self.tally is None or self.paused or context is None:
            return
        service = event_name.split(".")[1] if "." in event_name else "?"
        context["cost_call"] = {"service": service, "operation": model.name, "params": dict(params),
                                "cpu": time.process_time(), "before": self._old_images(service, model.name, params)}

    def _after(self, parsed=None, context=None, **_):
        call = (context or {}).get("cost_call")
        if call is None or self.tally is None:
            return
        context.pop("cost_call", None)
        tally, service, operation = self.tally, call["service"], call["operation"]
        tally.calls[service] += 1
        tally.operations[f"{service} {operation}"] += 1
        tally.latency_ms += LATENCY_MS[latency_kind(service, operation)]
        if service == "dynamodb":
            sized = self._size(operation, call["params"], parsed or {}, call["before"])
            rru, wru = sized.units()
            tally.rru += rru
            tally.wru += wru
            if sized.is_read:
                tally.items_read += sized.items
            else:
                tally.items_written += sized.items
        tally.aws_cpu += time.process_time() - call["cpu"]

    # -- sizes from moto's table --------------------------------------------------------------
    def _stored(self, key: dict) -> dict | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = self.table
        if table is None:
            return None
        try:
            item = table.get_item(DynamoType(key["pk"]), DynamoType(key["sk"]) if "sk" in key else None)
        except Exception:
            return None
        return item.to_json()["Attributes"] if item is not None else None

    def _old_images(self, service: str, operation: str, params: dict) -> list[dict | None]:
        if service != "dynamodb":
            return []
        return [self._stored(key) for key, _ in _written(operation, params)]

    def _size(self, operation: str, params: dict, reply: dict, before: list) -> Sized:
        sized = Sized(operation, consistent=bool(params.get("ConsistentRead")),
                      transactional=operation.startswith("Transact"))
        if operation == "GetItem":
            sized.read_sizes = [item_size(self._stored(params["Key"]))]
            sized.items = 1 if reply.get("Item") else 0
        elif operation == "TransactGetItems":
            sized.read_sizes = [item_size(self._stored(e["Get"]["Key"])) for e in params.get("TransactItems", [])]
            sized.items = len(sized.read_sizes)
        elif operation == "BatchGetItem":
            for table_reply in reply.get("Responses", {}).values():
                for got in table_reply:
                    sized.read_sizes.append(item_size(self._stored({"pk": got["pk"], "sk": got["sk"]})
                                                      if "pk" in got and "sk" in got else got))
            sized.consistent = any(t.get("ConsistentRead") for t in params.get("RequestItems", {}).values())
            sized.items = len(sized.read_sizes)
        elif operation in ("Query", "Scan"):
            total, count = self._page_bytes(operation, params, reply)
            sized.read_sizes, sized.items = [total], count
        else:
            written = _written(operation, params)
            for (key, new_image), old in zip(written, before):
                after = new_image if new_image is not None else self._stored(key)
                sized.write_sizes.append(max(item_size(old), item_size(after)))
            sized.items = len(written)
        return sized

    def _page_bytes(self, operation: str, params: dict, reply: dict) -> tuple[int, int]:
        """Bytes and items a Query or Scan page read before any filter or projection: the page
        asked again of moto with neither (same key condition, start key and limit), unmetered."""
        from chalicelib.store import schema

        scanned = int(reply.get("ScannedCount", reply.get("Count", 0)))
        items = reply.get("Items") or []
        plain = not params.get("FilterExpression") and not params.get("ProjectionExpression") \
            and params.get("Select") in (None, "ALL_ATTRIBUTES")
        if not plain and scanned:
            items = self._again(operation, params)
        index = params.get("IndexName")
        if index and schema.INDEXES.get(index, {}).get("projection") == "KEYS_ONLY":
            names = {"pk", "sk", *(name for name, _ in schema.INDEXES[index]["keys"])}
            return sum(item_size({k: v for k, v in item.items() if k in names}) for item in items), scanned
        return sum(item_size(item) for item in items), scanned

    def _again(self, operation: str, params: dict) -> list[dict]:
        from chalicelib.aws import client

        again = {k: v for k, v in params.items()
                 if k not in ("FilterExpression", "ProjectionExpression", "Select", "ReturnConsumedCapacity")}
        used = " ".join(str(again.get(k, "")) for k in ("KeyConditionExpression",))
        if "ExpressionAttributeNames" in again:
            again["ExpressionAttributeNames"] = {k: v for k, v in again["ExpressionAttributeNames"].items() if k in used}
            if not again["ExpressionAttributeNames"]:
                del again["ExpressionAttributeNames"]
        if "ExpressionAttributeValues" in again:
            again["ExpressionAttributeValues"] = {k: v for k, v in again["ExpressionAttributeValues"].items()
                                                  if k in used}
            if not again["ExpressionAttributeValues"]:
                del again["ExpressionAttributeValues"]
        self.paused = True
        try:
            reply = getattr(client("dynamodb"), "query" if operation == "Query" else "scan")(**again)
        finally:
            self.paused = False
        return reply.get("Items") or []

    # -- measuring a stretch of work ----------------------------------------------------------
    def measure(self, work) -> tuple[Tally, float, object]:
        """Run `work()`; returns what its calls cost, the CPU seconds of the code itself (all
        CPU less the time inside the calls, which is moto's), and what it returned."""
        tally = Tally()
        self.tally = tally
        started = time.process_time()
        try:
            result = work()
        finally:
            self.tally = None
        own = max(0.0, time.process_time() - started - tally.aws_cpu)
        return tally, own, result


def _written(operation: str, params: dict) -> list[tuple[dict, dict | None]]:
    """(key, new item or None) of each item a write call names; a ConditionCheck is charged as a write."""
    def key_of(item: dict) -> dict:
        return {"pk": item["pk"], "sk": item["sk"]}

    if operation == "PutItem":
        return [(key_of(params["Item"]), params["Item"])]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["Key"], None if operation == "UpdateItem" else {})]
    if operation == "BatchWriteItem":
        out = []
        for requests in params.get("RequestItems", {}).values():
            for request in requests:
                if "PutRequest" in request:
                    out.append((key_of(request["PutRequest"]["Item"]), request["PutRequest"]["Item"]))
                else:
                    out.append((request["DeleteRequest"]["Key"], {}))
        return out
    if operation == "TransactWriteItems":
        out = []
        for entry in params.get("TransactItems", []):
            (action, body), = entry.items()
            if action == "Put":
                out.append((key_of(body["Item"]), body["Item"]))
            elif action == "Delete":
                out.append((body["Key"], {}))
            else:  # Update, ConditionCheck: the stored item decides the size
                out.append((body["Key"], None))
        return out
    return []


# =============================================================================================
# Lambda: memory, duration, cold starts
# =============================================================================================

def memory_of(function: str) -> int:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    stage = config.get("stages", {}).get(STAGE, {})
    per_function = stage.get("lambda_functions", {}).get(function, {})
    return int(per_function.get("lambda_memory_size", stage.get("lambda_memory_size",
                                                                 config.get("lambda_memory_size", 128))))


def worker_of(job: str) -> str:
    """The function a schedule's work runs in: a schedule that fans out one message per clinic
    (chalicelib/jobs/clinic_jobs.py) has its jobs run by the `clinic_jobs` handler."""
    from chalicelib.jobs.clinic_jobs import JOBS

    return "clinic_jobs" if job in JOBS else job


def timeout_of(function: str) -> int:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    stage = config.get("stages", {}).get(STAGE, {})
    per_function = stage.get("lambda_functions", {}).get(function, {})
    return int(per_function.get("lambda_timeout", stage.get("lambda_timeout", config.get("lambda_timeout", 60))))


def lambda_ms(tally: Tally, own_cpu_seconds: float, memory_mb: int) -> float:
    """An invocation's duration in Lambda: the code's own CPU time, slowed to the vCPU share of the
    memory size, plus each AWS call's round trip."""
    slowdown = max(1.0, FULL_VCPU_MB / memory_mb)
    return own_cpu_seconds * 1000.0 * slowdown + tally.latency_ms


# =============================================================================================
# Costs of events and jobs
# =============================================================================================

@dataclass
class Measured:
    """One kind of work measured: per occurrence, averaged over its samples."""
    name: str
    function: str                  # the Lambda function it runs in (API: api_handler)
    rru: float
    wru: float
    kms: float
    sqs: float
    ms: float                      # Lambda duration of one invocation
    invocations: float = 1.0       # Lambda invocations per occurrence
    api: bool = False              # an API Gateway request
    calls: float = 0.0
    items: float = 0.0
    note: str = ""
    count_key: str = ""            # the ACTIVITY entry that says how often it happens
    cold_kms: float = 0.0          # KMS calls of an occurrence in a new container

    def usage(self, times: float) -> dict[str, float]:
        memory = memory_of(self.function)
        return {"dynamodb_rru": self.rru * times, "dynamodb_wru": self.wru * times,
                "kms_requests": self.kms * times, "sqs_requests": self.sqs * times,
                "lambda_requests": self.invocations * times,
                "lambda_gb_seconds": lambda_gb_seconds(self.ms, memory) * self.invocations * times,
                "apigw_requests": times if self.api else 0.0}


def average(name: str, function: str, samples: list[tuple[Tally, float]], **extra) -> Measured:
    n = max(1, len(samples))
    memory = memory_of(function)
    ms = sum(lambda_ms(t, own, memory) for t, own in samples) / n
    return Measured(name, function, rru=sum(t.rru for t, _ in samples) / n, wru=sum(t.wru for t, _ in samples) / n,
                    kms=sum(t.calls["kms"] for t, _ in samples) / n, sqs=sum(t.calls["sqs"] for t, _ in samples) / n,
                    ms=ms, calls=sum(sum(t.calls.values()) for t, _ in samples) / n,
                    items=sum(t.items_read + t.items_written for t, _ in samples) / n, **extra)


def linear(small: float, large: float, at: float) -> float:
    """The value at `at` patients on the line through (SMALL, small) and (LARGE, large), never below
    zero: each job's cost is taken as fixed plus proportional to the patients."""
    slope = (large - small) / (LARGE - SMALL)
    return max(0.0, small + slope * (at - SMALL))


def run_ms(small: "JobRun", large: "JobRun", patients: int) -> float:
    """A run's Lambda duration at `patients`: linear through the two measured runs, unless the run
    made the same calls and read the same items at both sizes; then its CPU time did not grow
    either, and the mean of the two is taken (a few milliseconds of timing noise, extrapolated
    over 200,000 patients, would otherwise look like growth)."""
    same = (small.tally.operations == large.tally.operations and small.tally.items_read == large.tally.items_read
            and small.tally.items_written == large.tally.items_written)
    return (small.ms + large.ms) / 2 if same else linear(small.ms, large.ms, patients)


def monthly_runs(rate) -> float:
    minutes = {"MINUTES": 1, "HOURS": 60, "DAYS": 1440}[rate.unit] * rate.value
    return DAYS * 1440 / minutes


# =============================================================================================
# The world: the demo clinic in moto, the app's entry points
# =============================================================================================

class Context:
    """What Lambda passes a handler, enough for Powertools."""
    function_name = "revisit-bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-east-1:123456789012:function:revisit-bench"
    aws_request_id = "cost-model"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def scheduled_event(name: str) -> dict:
    from chalicelib.domain.clock import clock, iso

    return {"version": "0", "id": f"cost-{name}", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": iso(clock.now()), "region": "ap-east-1",
            "resources": [f"arn:aws:events:ap-east-1:123456789012:rule/{name}"], "detail": {}}


def schedules() -> list[tuple[str, object]]:
    """(function name, Rate) of every schedule app.py registers."""
    import app as app_module

    return [(source.name, source.schedule_expression) for source in app_module.app.event_sources
            if type(source).__name__ == "ScheduledEventConfig"]


def stream_handlers() -> list[str]:
    import app as app_module

    return [source.name for source in app_module.app.event_sources if type(source).__name__ == "DynamoDBEventConfig"]


def forget_caches() -> None:
    """A new container: no data key, no clinic settings, no cached model (what a cold start knows)."""
    from chalicelib import crypto
    from chalicelib.store import clinics, keyring

    crypto.forget_keys()
    keyring._wrapped.clear()
    clinics.forget_cache()


def seed_demo(patients: int):
    """The demo clinic (devstack/seed, as `make run` builds it) with `patients` patients, its older
    history written straight into moto's table. Returns the seeded plans."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from _world import T0
    from chalicelib.config import settings
    from devstack.seed.demo import seed_clinic
    from devstack.seed.spec import DEMO_DENTAL

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]

    def put_direct(items: list[dict]) -> int:
        for item in items:
            backend.put_item(settings().table_name, item)
        return len(items)

    plans, _ = seed_clinic(DEMO_DENTAL, patients, T0, live=min(60, patients // 10), put_items=put_direct)
    return plans, backend.get_table(settings().table_name)


def table_bytes(table) -> int:
    """Bytes of every item in moto's table, as DynamoDB sizes them, plus 100 bytes an item (DynamoDB's
    per-item index overhead counts towards storage)."""
    total = 0
    for item in _all_items(table):
        total += item_size(item.to_json()["Attributes"]) + 100
    return total


def _all_items(table):
    for value in table.items.values():
        if isinstance(value, dict):
            yield from value.values()
        else:
            yield value


class StreamTap:
    """The table's stream records since the last look that the event source mapping's filter lets
    through (chalicelib.store.schema.streamed), in the shape Lambda hands a DynamoDB trigger; used
    only when app.py registers a stream handler."""

    def __init__(self, table):
        self.table, self.seen = table, 0
        if table.stream_shard is None:
            table.set_stream_specification({"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})

    def take(self) -> list[dict]:
        shard = self.table.stream_shard
        records = shard.items[self.seen:]
        self.seen = len(shard.items)
        from chalicelib.store import schema

        out = []
        for record in records:
            if not schema.streamed(record.record["dynamodb"]["Keys"]["sk"]["S"]):
                continue  # the event source mapping's filter drops it before any invocation
            body = json.loads(json.dumps(record.record, default=lambda v: v.timestamp() if hasattr(v, "timestamp")
                                         else str(v)))
            body["eventSourceARN"] = "arn:aws:dynamodb:ap-east-1:123456789012:table/revisit-bench/stream/cost"
            out.append(body)
        return out


# =============================================================================================
# Measuring: the jobs in two demo clinics, the events in the smaller one
# =============================================================================================

@dataclass
class JobRun:
    name: str
    rate: object
    tally: Tally
    own: float
    stream: list = field(default_factory=list)  # the stream handler over the run's writes (flush_stream)
    ms: float = 0.0                              # Lambda duration of the run
    longest: tuple | None = None                 # (tally, own) of its longest run, when several were measured
    longest_ms: float = 0.0                      # Lambda duration of that run (what must fit the timeout)
    per_run_at: dict = field(default_factory=dict)  # patients -> the run's cost extrapolated there


class Bench:
    def __init__(self, meter: Meter):
        self.meter = meter
        self.problems: list[str] = []
        self.tap: StreamTap | None = None
        self.stream: tuple[str, int] | None = None  # the stream handler's function name and batch size

    def watch_stream(self, table) -> None:
        """When app.py registers a DynamoDB stream handler, turn the table's stream on (moto keeps
        the records) and, after each measured piece of work, hand its records to the handler as
        Lambda's trigger would, in batches of the handler's size."""
        import app as app_module

        sources = [s for s in app_module.app.event_sources if type(s).__name__ == "DynamoDBEventConfig"]
        if not sources:
            self.tap, self.stream = None, None
            return
        self.tap = StreamTap(table)
        self.stream = (sources[0].name, int(getattr(sources[0], "batch_size", 100) or 100))

    def flush_stream(self) -> tuple[Tally, float, int, int]:
        """(cost, own CPU seconds, invocations, records) of the stream handler over what was
        written since the last call; nothing when there is no stream handler."""
        total, own_total, invocations = Tally(), 0.0, 0
        if self.tap is None or self.stream is None:
            return total, 0.0, 0, 0
        records = self.tap.take()
        name, size = self.stream
        handler = self.handler(name)
        for start in range(0, len(records), size):
            event = {"Records": records[start:start + size]}
            tally, own, _ = self.meter.measure(lambda: handler(event, Context()))
            total.add(tally)
            own_total += own
            invocations += 1
        return total, own_total, invocations, len(records)

    def stream_part(self, name: str, tally: Tally, own: float, invocations: int, occurrences: int,
                    count_key: str | None) -> "Measured | None":
        """The stream handler's work for `occurrences` of an event, per occurrence."""
        if self.stream is None or not invocations:
            return None
        m = Measured(f"{name}-stream", self.stream[0], rru=tally.rru / occurrences, wru=tally.wru / occurrences,
                     kms=tally.calls["kms"] / occurrences, sqs=tally.calls["sqs"] / occurrences,
                     ms=lambda_ms(tally, own, memory_of(self.stream[0])) / invocations,
                     invocations=invocations / occurrences, calls=sum(tally.calls.values()) / occurrences,
                     note="the stream handler's invocations over the event's writes")
        m.cold_kms, m.count_key = 0, count_key
        return m

    # -- the app's entry points --------------------------------------------------------------
    def handler(self, name: str):
        import app as app_module

        return getattr(app_module, name)

    def run_job(self, name: str, cold: bool) -> tuple[Tally, float]:
        """The schedule's handler, and the clinic jobs it queued through app.py's `clinic_jobs` (as
        the SQS event source mapping hands them on), measured together."""
        if cold:
            forget_caches()
        handler = self.handler(name)

        def scheduled() -> None:
            handler(scheduled_event(name), Context())
            self.drain_clinic_jobs()

        return self.meter.measure(scheduled)[:2]

    def drain_clinic_jobs(self) -> int:
        from chalicelib.aws import client
        from chalicelib.jobs.clinic_jobs import queue_url

        sqs, url, worker, done = client("sqs"), queue_url(), self.handler("clinic_jobs"), 0
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
            if not messages:
                return done
            record = {"messageId": messages[0]["MessageId"], "receiptHandle": messages[0]["ReceiptHandle"],
                      "body": messages[0]["Body"], "attributes": {}, "messageAttributes": {},
                      "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "ap-east-1"}
            reply = worker({"Records": [record]}, Context()) or {}
            if not reply.get("batchItemFailures"):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
            done += 1

    def measure_jobs(self, patients: int) -> tuple[dict[str, JobRun], dict]:
        """Every schedule of app.py in a demo clinic of `patients`: a first run at the seed's
        moment (what the seed left due, not counted), then one run one interval later, counted.
        Returns the counted runs, and what the first sweep queued (the messages, for the events)."""
        from datetime import timedelta

        from _world import T0
        from chalicelib.domain.clock import clock

        from chalicelib.services.kpi_counters import backfill
        from chalicelib.store import clinics

        # the seed writes the demo's history in bulk, past the stream: build each clinic's KPI counters
        # once, as a deployment does for a clinic older than its stream (docs/kpis.md), not counted
        for clinic_id in clinics.all_clinic_ids():
            backfill(clinic_id, restart=True)
        jobs = sorted(schedules(), key=lambda job: monthly_runs(job[1]), reverse=True)
        drained = {}
        clock.set(T0)  # the seed's moment (seeding moves the clock on)
        for name, _ in jobs:
            drained[name] = self.run_job(name, cold=False)
        self.flush_stream()  # what the first runs wrote is not counted
        runs = {}
        for name, rate in jobs:
            interval = timedelta(minutes=DAYS * 1440 / monthly_runs(rate))
            cold = monthly_runs(rate) <= DAYS * 24 * 60 / 15  # every 15 minutes or less often: a new container
            # a daily job does different work on different days (the risk run trains weekly and scores
            # whom the due index names that day): the mean of a week of runs, the longest kept for the timeout
            repeats = WEEK_OF_RUNS if interval >= timedelta(days=1) else 1
            total, own_total, stream, samples = Tally(), 0.0, [Tally(), 0.0, 0, 0], []
            for n in range(1, repeats + 1):
                clock.set(T0 + n * interval)
                tally, own = self.run_job(name, cold=cold)
                samples.append((tally, own))
                total.add(tally)
                own_total += own
                part = self.flush_stream()
                stream[0].add(part[0])
                stream[1:] = [a + b for a, b in zip(stream[1:], part[1:])]
            runs[name] = JobRun(name, rate, total.scaled(1 / repeats), own_total / repeats,
                                stream=[stream[0].scaled(1 / repeats), *(v / repeats for v in stream[1:])],
                                longest=max(samples, key=lambda sample: sample[0].latency_ms + sample[1] * 1000)
                                if repeats > 1 else None)
        clock.set(T0 + timedelta(days=1, minutes=1))
        return runs, drained

    # -- messages: the first sweep's queue through send_reminders ------------------------------
    def measure_messages(self, drained_sweep: tuple[Tally, float], idle_sweep: Tally) -> Measured | None:
        from chalicelib.aws import client
        from chalicelib.jobs.sweep import queue_url

        sqs, url = client("sqs"), queue_url()
        self.meter.paused = True
        batches, sent = [], 0
        try:
            while True:
                reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=QUEUE_BATCH, VisibilityTimeout=900)
                messages = reply.get("Messages", [])
                if not messages:
                    break
                batches.append(messages)
        finally:
            self.meter.paused = False
        if not batches:
            self.problems.append("the first sweep of the demo clinic queued no reminder: no message was measured")
            return None
        handler, samples = self.handler("send_reminders"), []
        outcomes: Counter = Counter()
        from chalicelib.services import outbound

        original = outbound.deliver

        def counting(message):
            outcome = original(message)
            outcomes[outcome] += 1
            return outcome

        outbound.deliver = counting
        stream = Tally()
        stream_own, stream_invocations = 0.0, 0
        self.flush_stream()
        try:
            for batch in batches:
                event = {"Records": [{
                    "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0", "SenderId": "cost",
                                   "ApproximateFirstReceiveTimestamp": "0"},
                    "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:revisit-reminders-bench",
                    "awsRegion": "ap-east-1"} for m in batch]}
                samples.append(self.meter.measure(lambda: handler(event, Context()))[:2])
                tally, own, invocations, _ = self.flush_stream()
                stream.add(tally)
                stream_own += own
                stream_invocations += invocations
        finally:
            outbound.deliver = original
        queued = sum(len(b) for b in batches)
        sent = outcomes.get("sent", 0)
        if not sent:
            self.problems.append(f"none of the {queued} queued reminders was sent ({dict(outcomes)})")
            return None
        # what the sweep did for them: its first run less an idle run, shared by the queued
        sweep, sweep_own = drained_sweep
        handler_total, own_total = Tally(), 0.0
        for tally, own in samples:
            handler_total.add(tally)
            own_total += own
        per = Measured(
            "message", "send_reminders",
            rru=(handler_total.rru + max(0.0, sweep.rru - idle_sweep.rru)) / sent,
            wru=(handler_total.wru + max(0.0, sweep.wru - idle_sweep.wru)) / sent,
            kms=handler_total.calls["kms"] / sent,
            # the sweep's sends, and the trigger's ReceiveMessage and DeleteMessageBatch per batch
            sqs=(max(0, sweep.calls["sqs"] - idle_sweep.calls["sqs"]) + 2 * len(batches)) / sent,
            ms=lambda_ms(handler_total, own_total, memory_of("send_reminders")) / len(batches),
            invocations=len(batches) / sent,
            calls=(sum(handler_total.calls.values()) + sum(sweep.calls.values())) / sent,
            note=f"{sent} sent of {queued} queued in {len(batches)} batches ({', '.join(f'{n} {k}' for k, n in outcomes.items())}); "
                 "the sweep's share is its first run less an idle run")
        per.cold_kms, per.count_key = 0, "messages_per_patient"
        self.message_stream = self.stream_part("message", stream, stream_own, stream_invocations, sent,
                                               "messages_per_patient")
        return per

    # -- API events ----------------------------------------------------------------------------
    def measure_events(self, plans) -> list[Measured]:
        from datetime import timedelta

        from chalice.test import Client

        from app import app
        from chalicelib import crypto
        from chalicelib.domain.clock import clock, iso, local_date
        from chalicelib.services import activity, login, staff_accounts
        from chalicelib.store import clinics, patients as patient_store, sessions as session_store
        from chalicelib.auth import issue_staff_tokens

        clinic_id = "demo-dental"
        clinic = clinics.get(clinic_id, fresh=True)
        today = local_date(clock.now(), clinic.tz)
        live = [p for p in plans if p.wechat and p.index < max(60, len(plans) // 10)]
        people = []
        for plan in live:
            try:
                record = patient_store.get(clinic_id, plan.patient_id)
            except Exception:
                continue
            people.append((plan, record))
        if len(people) < SAMPLES:
            self.problems.append(f"only {len(people)} demo patients with WeChat to sample")
        staff_accounts.create_wecom("cost.admin", clinic_id, "admin")
        account = session_store.staff_by_wecom(clinic_id, "cost.admin")
        staff = issue_staff_tokens(clinic_id, account.subject, account.username, "admin")["access_token"]
        rewards = sorted(activity.rewards(clinic_id), key=lambda r: r["cost"])

        original_code2session = login.code2session
        meter = self.meter

        def code2session(code: str) -> dict:
            if meter.tally is not None:  # WeChat's jscode2session: a call outside AWS
                meter.tally.calls["wechat"] += 1
                meter.tally.latency_ms += LATENCY_MS["other"]
            return {"openid": code.removeprefix("wx-").split(".")[0], "unionid": None}

        login.code2session = code2session
        measured: list[Measured] = []
        try:
            with Client(app) as client:
                def call(method: str, path: str, token: str | None = None, body=None):
                    headers = {"Content-Type": "application/json"}
                    if token:
                        headers["Authorization"] = f"Bearer {token}"
                    reply = getattr(client.http, method.lower())(
                        path, headers=headers, body=json.dumps(body) if body is not None else None)
                    data = json.loads(reply.body) if reply.body else None
                    return reply.status_code, data

                sessions = {}

                def patient_login(plan) -> tuple[Tally, float, tuple]:
                    return self.meter.measure(lambda: call("POST", "/auth/wechat/login", None,
                                                           {"clinic_id": clinic_id, "code": f"wx-o{plan.wechat}"}))

                def kind(name: str, count_key: str, make, ok=(200, 201), function="api_handler", warm=1) -> None:
                    """SAMPLES occurrences of one request, warm; then one more after forgetting the
                    container's caches, for what a cold start adds (its KMS unwrap). `warm` requests
                    go first, unmeasured: a route's first call in a container loads its modules and
                    builds its models, which a cold start pays once, not each request."""
                    samples, statuses = [], Counter()
                    stream, stream_own, stream_invocations = Tally(), 0.0, 0
                    for n in range(warm):  # warm the container for this route (or each of its routes)
                        make(-1 - n)
                    self.flush_stream()
                    for n in range(1, SAMPLES + 1):
                        tally, own, (status, _) = make(n)
                        statuses[status] += 1
                        written = self.flush_stream()
                        if status in ok:
                            samples.append((tally, own))
                            stream.add(written[0])
                            stream_own += written[1]
                            stream_invocations += written[2]
                    forget_caches()
                    cold, _, _ = make(SAMPLES + 1)
                    self.flush_stream()
                    if not samples:
                        self.problems.append(f"{name}: no sample answered {ok} ({dict(statuses)})")
                        return
                    m = average(name, function, samples, api=True,
                                note=f"{len(samples)} samples, answers {dict(statuses)}")
                    m.cold_kms = cold.calls["kms"]
                    m.count_key = count_key
                    measured.append(m)
                    streamed = self.stream_part(name, stream, stream_own, stream_invocations, len(samples), count_key)
                    if streamed is not None:
                        measured.append(streamed)

                def as_patient(n: int):
                    plan, _ = people[n % len(people)]
                    if plan.patient_id not in sessions:
                        _, _, (status, data) = patient_login(plan)
                        sessions[plan.patient_id] = data
                    return plan, sessions[plan.patient_id]

                kind("login", "logins_per_active", lambda n: patient_login(people[n % len(people)][0]))

                def refresh(n):
                    plan, tokens = as_patient(n)
                    tally, own, (status, data) = self.meter.measure(
                        lambda: call("POST", "/auth/refresh", None, {"refresh_token": tokens["refresh_token"]}))
                    if status == 200:
                        sessions[plan.patient_id] = data
                    return tally, own, (status, data)

                kind("token-refresh", "token_refreshes_per_active", refresh)
                for name, key, path in (("home", "home_views_per_active", "/me/home"),
                                        ("inbox", "inbox_views_per_active", "/me/inbox"),
                                        ("board", "board_views_per_active", "/leaderboard?limit=20")):
                    kind(name, key, lambda n, path=path: self.meter.measure(
                        lambda: call("GET", path, as_patient(n)[1]["access_token"])))
                kind("checkin", "checkins_per_active", lambda n: self.meter.measure(
                    lambda: call("POST", "/me/checkins", as_patient(n)[1]["access_token"],
                                 {"type": "glucose", "value": 5.6, "client_time": iso(clock.now())})))
                rich = [p for p in plans if p.wechat][:600]
                rich = [p for p in rich if patient_store.get(clinic_id, p.patient_id).balance >= rewards[0]["cost"]] \
                    if rewards else []
                if rich:
                    def redeem(n):
                        plan = rich[n % len(rich)]
                        if plan.patient_id not in sessions:
                            sessions[plan.patient_id] = patient_login(plan)[2][1]
                        token = sessions[plan.patient_id]["access_token"]
                        return self.meter.measure(lambda: call("POST", "/me/redemptions", token,
                                                               {"reward_id": rewards[0]["reward_id"]}))

                    kind("redemption", "redemptions_per_active", redeem, ok=(201,))
                else:
                    self.problems.append("no demo patient has the points for a reward: redemptions not measured")

                def register(n):
                    plan = people[n % len(people)][0]

                    def both():
                        status, visitor = call("POST", "/auth/wechat/login", None,
                                               {"clinic_id": clinic_id, "code": f"wx-ocostnew{n}"})
                        if status != 200:
                            return status, visitor
                        return call("POST", "/me/register", visitor["access_token"], {
                            "name": "张小红", "phone": f"1380000{n % 10_000:04d}", "birth_year": 1988, "sex": "F",
                            "district": "朝阳", "conditions": list(plan.conditions)[:1],
                            "department": plan.department, "persona_tags": [],
                            "consents": {"service": True, "marketing": True, "analytics": True},
                            "consent_version": "v1"})
                    return self.meter.measure(both)

                kind("registration", "new_patients_share", register)
                kind("visit", "visits_per_patient", lambda n: self.meter.measure(
                    lambda: call("POST", f"/patients/{people[n % len(people)][0].patient_id}/visits", staff,
                                 {"visit_date": today.isoformat(), "department": people[n % len(people)][0].department})))
                kind("dashboard", "dashboard_views", lambda n: self.meter.measure(
                    lambda: call("GET", "/dashboard", staff)))
                pages = ["/patients?limit=20", "/patients/{pid}", "/patients/{pid}/visits", "/segments",
                         "/risk/patients", "/followups/due", "/patients/{pid}/segments"]
                kind("admin-page", "admin_page_views", lambda n: self.meter.measure(
                    lambda: call("GET", pages[n % len(pages)].format(pid=people[n % len(people)][0].patient_id),
                                 staff)), warm=len(pages))
        finally:
            login.code2session = original_code2session
        return measured


# =============================================================================================
# The month
# =============================================================================================

def event_counts(patients: int) -> dict[str, float]:
    """How many of each event a month brings at `patients` (ACTIVITY is per 10,000)."""
    scale = patients / PER
    active = ACTIVITY["active_share"] * PER
    counts = {key: value * active * scale for key, value in ACTIVITY.items() if key.endswith("_per_active")}
    counts["new_patients_share"] = ACTIVITY["new_patients_share"] * patients
    counts["visits_per_patient"] = ACTIVITY["visits_per_patient"] * patients
    counts["messages_per_patient"] = ACTIVITY["messages_per_patient"] * patients
    counts["dashboard_views"] = ACTIVITY["dashboard_views"] * scale
    counts["admin_page_views"] = ACTIVITY["admin_page_views"] * scale
    return counts


def add(total: dict[str, float], usage: dict[str, float]) -> None:
    for key, value in usage.items():
        total[key] = total.get(key, 0.0) + value


def month(patients: int, events: list[Measured], message: Measured | None, small: dict, large: dict,
          storage: tuple[int, int], init_ms: float, queues: int) -> tuple[dict, dict, dict]:
    """(usage by counter, usage by part (event or job), notes) of a clinic month at `patients`."""
    counts = event_counts(patients)
    parts: dict[str, dict[str, float]] = {}
    api_requests = 0.0
    cold_kms = []
    for m in events:
        times = counts[m.count_key]
        parts[f"event-{m.name}"] = m.usage(times)
        if m.api:
            api_requests += times
            cold_kms.append(m.cold_kms)
    if message is not None:
        parts["event-message"] = message.usage(counts["messages_per_patient"])
    cold: dict[str, float] = {}
    # API containers started, each importing the app (billed init) and unwrapping the clinic's key
    api_cold = api_requests / COLD_START["api_requests_per_cold_start"]
    add(cold, {"kms_requests": api_cold * (max(cold_kms) if cold_kms else 0),
               "lambda_gb_seconds": api_cold * lambda_gb_seconds(init_ms, memory_of("api_handler"))})
    if message is not None:
        queue_cold = message.invocations * counts["messages_per_patient"] / COLD_START["queue_invocations_per_cold_start"]
        add(cold, {"kms_requests": queue_cold * message.kms,
                   "lambda_gb_seconds": queue_cold * lambda_gb_seconds(init_ms, memory_of("send_reminders"))})
    for name, run in small.items():
        runs = monthly_runs(run.rate)
        per_run = {"rru": linear(run.tally.rru, large[name].tally.rru, patients),
                   "wru": linear(run.tally.wru, large[name].tally.wru, patients),
                   "kms": linear(run.tally.calls["kms"], large[name].tally.calls["kms"], patients),
                   "sqs": linear(run.tally.calls["sqs"], large[name].tally.calls["sqs"], patients),
                   "ms": run_ms(run, large[name], patients),
                   "longest_ms": linear(run.longest_ms, large[name].longest_ms, patients)
                   if run.longest else run_ms(run, large[name], patients)}
        warm_hours = runs > DAYS * 24 * 60 / 15
        starts = DAYS * 24 * 60 / COLD_START["schedule_minutes_kept_warm"] if warm_hours else runs
        parts[f"job-{name}"] = {
            "dynamodb_rru": per_run["rru"] * runs, "dynamodb_wru": per_run["wru"] * runs,
            "kms_requests": per_run["kms"] * (starts if warm_hours else runs),
            "sqs_requests": per_run["sqs"] * runs, "lambda_requests": runs, "scheduled_invocations": runs,
            "lambda_gb_seconds": runs * lambda_gb_seconds(per_run["ms"], memory_of(worker_of(name)))
            + starts * lambda_gb_seconds(init_ms, memory_of(worker_of(name)))}
        if run.stream and run.stream[2]:
            # the stream handler over the run's writes, taken as proportional to them
            small_stream, large_stream = run.stream, large[name].stream or [Tally(), 0.0, 0, 0]
            function = stream_handlers()[0]
            invocations = linear(small_stream[2], large_stream[2], patients)
            add(parts[f"job-{name}"], {
                "dynamodb_rru": runs * linear(small_stream[0].rru, large_stream[0].rru, patients),
                "dynamodb_wru": runs * linear(small_stream[0].wru, large_stream[0].wru, patients),
                "lambda_requests": runs * invocations,
                "lambda_gb_seconds": runs * lambda_gb_seconds(
                    linear(lambda_ms(small_stream[0], small_stream[1], memory_of(function)),
                           lambda_ms(large_stream[0], large_stream[1], memory_of(function)), patients)
                    / max(1.0, invocations), memory_of(function)) * invocations})
        run.per_run_at[patients] = per_run
    parts["cold-starts"] = cold
    per_byte = (storage[1] - storage[0]) / (LARGE - SMALL)
    gigabytes = max(0.0, storage[0] + per_byte * (patients - SMALL)) / 1e9
    parts["storage"] = {"dynamodb_storage_gb_month": gigabytes}
    parts["fixed"] = {"kms_keys": 1.0, "sqs_requests": SQS_IDLE_POLLS * queues}
    total: dict[str, float] = {}
    for usage in parts.values():
        add(total, usage)
    return total, parts, counts


def init_milliseconds() -> float:
    """What importing app.py takes in a fresh interpreter (a cold start's init), median of 3."""
    import subprocess

    code = "import time; t = time.perf_counter(); import app; print((time.perf_counter() - t) * 1000)"
    times = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            times.append(float(out.stdout.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            pass
    return sorted(times)[len(times) // 2] if times else 500.0


# =============================================================================================
# Running it
# =============================================================================================

def world(patients: int, meter: Meter, bench: Bench, with_events: bool):
    import _world
    from devstack import moto_patches

    with _world.moto_account():
        if not moto_patches.applied():
            moto_patches.apply()
        started = time.perf_counter()
        plans, table = seed_demo(patients)
        seeded = time.perf_counter() - started
        meter.table = table
        bench.watch_stream(table)
        runs, drained = bench.measure_jobs(patients)
        for run in runs.values():
            run.ms = lambda_ms(run.tally, run.own, memory_of(worker_of(run.name)))
            run.longest_ms = lambda_ms(*run.longest, memory_of(worker_of(run.name))) if run.longest else run.ms
        events, message = [], None
        if with_events:
            bench.message_stream = None
            message = bench.measure_messages(drained["sweep_lapses"], runs["sweep_lapses"].tally)
            events = bench.measure_events(plans)
            if bench.message_stream is not None:
                events.append(bench.message_stream)
        stored = table_bytes(table)
        meter.table = None
    return runs, events, message, stored, seeded


def main(argv: list[str]) -> int:
    from _world import figure

    os.environ.update({"STAFF_IDENTITY": "wecom", "WECOM_CORP_ID": "ww-cost", "WECOM_AGENT_ID": "1000001",
                       "WECOM_SECRET": "cost-secret"})
    prices = load_prices()
    meter = Meter().install()
    bench = Bench(meter)
    if argv[:1] == ["--large-world"]:  # the second process of a run (below)
        import pickle

        large, _, _, large_bytes, large_seconds = world(LARGE, meter, bench, with_events=False)
        Path(argv[1]).write_bytes(pickle.dumps((large, large_bytes, large_seconds, bench.problems)))
        return 0
    started = time.perf_counter()
    cache = os.environ.get("COST_DEV_CACHE")
    if cache and Path(cache).exists():
        import pickle

        small, events, message, small_bytes, small_seconds, large, large_bytes, large_seconds = pickle.loads(
            Path(cache).read_bytes())
    else:
        # the larger clinic in a second process, on the second core, while this one measures the smaller
        import pickle
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "large.pickle"
            other = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--large-world", str(out)],
                                     cwd=ROOT)
            small, events, message, small_bytes, small_seconds = world(SMALL, meter, bench, with_events=True)
            if other.wait() != 0 or not out.exists():
                raise SystemExit(f"measuring the clinic of {LARGE:,} patients failed (exit {other.returncode})")
            large, large_bytes, large_seconds, problems = pickle.loads(out.read_bytes())
            bench.problems += problems
        if cache:
            import pickle

            Path(cache).write_bytes(pickle.dumps((small, events, message, small_bytes, small_seconds, large,
                                                  large_bytes, large_seconds)))
    init_ms = init_milliseconds()
    queues = sum(1 for s in __import__("app").app.event_sources if type(s).__name__ == "SQSEventConfig")

    results = {}
    for patients in TARGET_SIZES:
        total, parts, counts = month(patients, events, message, small, large, (small_bytes, large_bytes), init_ms,
                                     queues)
        per10k = PER / patients
        results[patients] = (sum(dollars(total, prices).values()) * per10k,
                             {s: v * per10k for s, v in dollars(total, prices).items()},
                             {p: sum(dollars(u, prices).values()) * per10k for p, u in parts.items()}, total)
    base, at_large = results[PER][0], results[200_000][0]
    activity = ", ".join(f"{k} {v}" for k, v in ACTIVITY.items())
    figure("cost-usd-per-10k-patients-month", round(base, 2),
           note=f"informational: {REGION} list prices, a one-clinic deployment of 10,000 patients; activity: {activity}")
    figure("cost-usd-per-10k-patients-month-at-200000", round(at_large, 2), f"<= {base:.2f}",
           note="the same activity per patient in a clinic of 200,000; jobs extrapolated linearly "
                f"from runs measured at {SMALL:,} and {LARGE:,} patients")
    for service in SERVICES:
        figure(f"cost-{service}-usd-per-10k-patients-month", round(results[PER][1][service], 4),
               note=f"at 200,000: {results[200_000][1][service]:.4f}")
    for part in results[PER][2]:
        figure(f"cost-{part}-usd-per-10k-patients-month", round(results[PER][2][part], 4),
               note=f"at 200,000: {results[200_000][2][part]:.4f}")
    for m in events + ([message] if message else []):
        figure(f"cost-event-{m.name}-per-occurrence", f"{m.rru:.2f}",
               note=f"read units; {m.wru:.2f} write units, {m.calls:.1f} AWS calls, {m.kms:.2f} KMS, {m.sqs:.2f} SQS, "
                    f"{m.ms:.0f} ms in Lambda x {m.invocations:.2f} invocations; {m.note}")
    for name, run in sorted(small.items()):
        big = large[name]
        ms200 = run.per_run_at[200_000]["longest_ms"]
        limit = timeout_of(worker_of(name))
        figure(f"cost-job-{name}-read-units-per-run", f"{run.tally.rru:.1f}",
               note=f"at {SMALL:,} patients; {big.tally.rru:.1f} at {LARGE:,}; {run.per_run_at[200_000]['rru']:.0f} "
                    f"at 200,000 (linear); write units {run.tally.wru:.1f} / {big.tally.wru:.1f}; AWS calls "
                    f"{sum(run.tally.calls.values()):.0f} / {sum(big.tally.calls.values()):.0f}; items read "
                    f"{run.tally.items_read:.0f} / {big.tally.items_read:.0f}; {monthly_runs(run.rate):.0f} runs a month"
                    + (f"; the mean of {WEEK_OF_RUNS} daily runs" if run.longest else ""))
        mean = (f"; the mean of its {WEEK_OF_RUNS} days, {run.per_run_at[200_000]['ms'] / 1000:.1f} s at 200,000, is "
                "what is priced") if run.longest else ""
        figure(f"cost-job-{name}-lambda-seconds-at-200000", f"{ms200 / 1000:.1f}",
               note=f"{'the longest of a week of runs: ' if run.longest else ''}"
                    f"{run.longest_ms / 1000:.2f} s at {SMALL:,}, {big.longest_ms / 1000:.2f} s at {LARGE:,}{mean}; "
                    "the function's timeout "
                    f"is {limit} s" + (" (EXCEEDED: the run would not finish)" if ms200 / 1000 > limit else ""))
    growing = []
    for name, run in sorted(small.items()):
        per_patient = (large[name].tally.items_read - run.tally.items_read) / (LARGE - SMALL)
        if per_patient > 0.05:
            growing.append(f"{name} {per_patient:.2f} items read per patient a run, "
                           f"{run.per_run_at[200_000]['rru'] * monthly_runs(run.rate) / 20:,.0f} read units "
                           "per 10,000 patients a month at 200,000")
    figure("cost-jobs-reading-per-patient", len(growing),
           note="; ".join(growing) or "no scheduled job reads more as the clinic grows")
    over = [f"{name} {run.per_run_at[200_000]['longest_ms'] / 1000:,.0f} s against {timeout_of(worker_of(name))} s"
            for name, run in sorted(small.items())
            if run.per_run_at[200_000]["longest_ms"] / 1000 > timeout_of(worker_of(name))]
    figure("cost-jobs-over-timeout-at-200000", len(over), "0",
           note="; ".join(over) + (": a run cut at its timeout is retried and never finishes, so its cost above "
                                   "is what finishing it would take" if over else "every run fits its function's timeout"))
    cold = {m.name: m.cold_kms for m in events if m.api}
    figure("cost-kms-requests-month", f"{results[PER][3].get('kms_requests', 0.0):.0f}",
           note="at 10,000 patients; the data key is unwrapped once per container (chalicelib/crypto.py), so KMS "
                "calls come from cold starts: per cold request " + ", ".join(f"{k} {v:.0f}" for k, v in cold.items()))
    figure("cost-storage-bytes-per-patient", f"{(large_bytes - small_bytes) / (LARGE - SMALL):.0f}",
           note=f"the demo clinic's table at {SMALL:,} and {LARGE:,} patients")
    figure("cost-init-ms", f"{init_ms:.0f}", note="importing app.py in a fresh interpreter: a cold start's billed init")
    figure("cost-model-seconds", f"{time.perf_counter() - started:.0f}",
           note=f"seeding {small_seconds:.0f} s ({SMALL:,}) and {large_seconds:.0f} s ({LARGE:,}, "
                "in a second process at the same time)")
    for problem in bench.problems:
        print(f"cost-problem: {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    sys.exit(main(sys.argv[1:]))
