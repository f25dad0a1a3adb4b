"""Shared pieces of the benchmarks: an in-process moto account set up like the tests' fixtures,
and a recorder that sees every DynamoDB call the code makes (PynamoDB's and the raw client's).

Not a benchmark itself (run_all.py skips files starting with an underscore).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The same settings as tests/conftest.py, under a stage and table of the benchmarks' own.
BASE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-east-1",
    "REVISIT_STAGE": "bench",
    "REVISIT_TABLE": "revisit-bench",
    "REMINDER_QUEUE_NAME": "revisit-reminders-bench",
    "IMPORT_QUEUE_NAME": "revisit-imports-bench",
    "KMS_KEY_ID": "alias/revisit-bench",
    "JWT_SECRET": "bench-jwt-secret-0123456789abcdef0123456789",
    "HASH_SECRET": "bench-hash-secret-0123456789abcdef012345678",
    "WECHAT_APPID": "wx-bench-app",
    "WECHAT_SECRET": "wx-bench-secret",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}
UNSET = ("AWS_ENDPOINT_URL", "COGNITO_ENDPOINT_URL", "AWS_PROFILE")

CLINIC_ID = "bench-clinic"
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai, as in the tests

WRITE_OPS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
READ_OPS = ("GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan")


def set_environment() -> None:
    os.environ.update(BASE_ENV)
    for name in UNSET:
        os.environ.pop(name, None)


# Before anything imports chalicelib: the logger reads its level once, at import.
set_environment()


# ---------------------------------------------------------------------------------------------
# Seeing the DynamoDB calls
# ---------------------------------------------------------------------------------------------

@dataclass
class DynamoCall:
    operation: str
    params: dict
    response: dict = field(default_factory=dict)

    @property
    def is_write(self) -> bool:
        return self.operation in WRITE_OPS

    @property
    def is_read(self) -> bool:
        return self.operation in READ_OPS

    def items_read(self) -> int:
        """Items DynamoDB read to answer the call (what read capacity is charged on)."""
        reply = self.response
        if self.operation == "GetItem":
            return 1 if reply.get("Item") else 0
        if self.operation == "BatchGetItem":
            return sum(len(items) for items in reply.get("Responses", {}).values())
        if self.operation == "TransactGetItems":
            return sum(1 for r in reply.get("Responses", []) if r.get("Item"))
        if self.operation in ("Query", "Scan"):
            # ScannedCount is what was evaluated before any filter, which is what is paid for.
            return int(reply.get("ScannedCount", reply.get("Count", 0)))
        return 0

    def what(self) -> list[str]:
        """The kinds of items the call touched, named from their keys."""
        p = self.params
        if self.operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
            key = p.get("Key") or p.get("Item") or {}
            return [kind_of(key)]
        if self.operation == "TransactGetItems":
            return [kind_of(entry["Get"]["Key"]) for entry in p.get("TransactItems", [])]
        if self.operation == "TransactWriteItems":
            named = []
            for entry in p.get("TransactItems", []):
                (action, body), = entry.items()
                verb = {"Put": "put", "Update": "update", "Delete": "delete", "ConditionCheck": "check"}[action]
                named.append(f"{kind_of(body.get('Item') or body.get('Key') or {})} {verb}")
            return named
        if self.operation == "BatchGetItem":
            return [kind_of(k) for table in p.get("RequestItems", {}).values() for k in table.get("Keys", [])]
        if self.operation == "BatchWriteItem":
            return [kind_of(r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key") or {})
                    for table in p.get("RequestItems", {}).values() for r in table]
        if self.operation == "Query":
            return [query_scope(p)]
        if self.operation == "Scan":
            return ["whole table"]
        return [self.operation]

    def describe(self) -> str:
        kinds = self.what()
        if self.operation in ("TransactGetItems", "BatchGetItem"):
            return f"{'+'.join(dict.fromkeys(kinds))} {self.operation}"
        if self.operation in ("TransactWriteItems", "BatchWriteItem"):
            return f"{self.operation} of {', '.join(kinds)}"
        return f"{kinds[0]} {self.operation}"


# Names of item kinds by sort-key prefix, in the clinic's words (see chalicelib/store/models.py).
_SK_KINDS = {
    "PROFILE": "patient", "LEDGER": "ledger entry", "IDEM": "idempotency record", "CHECKIN": "check-in",
    "REDEEM": "redemption", "REWARD": "reward", "CLINIC": "clinic", "UNIQUE": "uniqueness claim",
    "RECALL": "recall job", "RECALLRULE": "recall rule", "COND": "condition entry", "CONSENTLOG": "consent log",
    "VISIT": "visit", "DUE": "revisit due", "INBOX": "inbox message", "KPI": "KPI",
    "PROG": "progress", "VOUCHER": "voucher", "VCODE": "voucher code", "CHALLENGE": "challenge",
}


def _s(value) -> str:
    return value.get("S", "") if isinstance(value, dict) else str(value or "")


def kind_of(item_or_key: dict) -> str:
    pk, sk = _s(item_or_key.get("pk")), _s(item_or_key.get("sk"))
    if pk == "CLINICS":
        return "clinic registry entry"
    prefix = sk.split("#", 1)[0]
    return _SK_KINDS.get(prefix, prefix.lower() or "item")


def query_scope(params: dict) -> str:
    index = params.get("IndexName")
    values = [_s(v) for v in (params.get("ExpressionAttributeValues") or {}).values()]
    if index:
        return f"{index} index"
    if "CLINICS" in values:
        return "clinic registry"
    prefixes = [v.rstrip("#") for v in values if v and "#" not in v.rstrip("#") and v.isupper()]
    return _SK_KINDS.get(prefixes[0], prefixes[0].lower()) if prefixes else "whole partition"


class DynamoRecorder:
    """Records DynamoDB calls through botocore's event system.

    PynamoDB makes a botocore session per connection (pynamodb.connection.base.get_session), so a
    handler on boto3's default session would miss its calls. Every new botocore session registers
    botocore.handlers.BUILTIN_HANDLERS (moto hooks in the same way), so handlers added there before
    the first connection is made see PynamoDB's calls, the raw client's and boto3's alike.
    `before-parameter-build` sees the API parameters, `after-call` the parsed reply; both get the
    same per-call context dict, which ties them together.
    """

    def __init__(self):
        self.calls: list[DynamoCall] | None = None

    def install(self) -> "DynamoRecorder":
        from botocore import handlers

        handlers.BUILTIN_HANDLERS.append(("before-parameter-build.dynamodb", self._before))
        handlers.BUILTIN_HANDLERS.append(("after-call.dynamodb", self._after))
        return self

    def _before(self, params, model, context=None, **_):
        if self.calls is not None and context is not None:
            call = DynamoCall(model.name, dict(params))
            context["bench_call"] = call
            self.calls.append(call)

    def _after(self, parsed=None, context=None, **_):
        call = (context or {}).get("bench_call")
        if call is not None:
            call.response = parsed or {}

    @contextmanager
    def recording(self):
        calls: list[DynamoCall] = []
        self.calls = calls
        try:
            yield calls
        finally:
            self.calls = None


# ---------------------------------------------------------------------------------------------
# The account: table, queues, key, user pool, one clinic, registered patients
# ---------------------------------------------------------------------------------------------

@contextmanager
def moto_account():
    """An in-process moto account with the resources bootstrap makes, and a fixed clock at T0."""
    set_environment()
    from moto import mock_aws

    from chalicelib.domain.clock import clock
    from devstack.state import reset_process_state

    reset_process_state()
    clock.set(T0)
    try:
        with mock_aws():
            from devstack import bootstrap

            pool_id, client_id = bootstrap.create_all()
            os.environ["COGNITO_USER_POOL_ID"] = pool_id
            os.environ["COGNITO_CLIENT_ID"] = client_id
            reset_process_state()
            yield
    finally:
        clock.release()
        reset_process_state()


def create_clinic(clinic_id: str = CLINIC_ID, name: str = "齿护口腔"):
    from chalicelib.services.clinics import create_clinic as create

    return create(clinic_id, name)


def patient_record(**overrides):
    from chalicelib.api.models import PatientRecord

    record = {
        "name": "张小红", "phone": "13800001111", "birth_year": 1988, "sex": "F", "district": "朝阳",
        "conditions": ["eczema"], "department": "dermatology", "persona_tags": ["anxious"],
        "consents": {"service": True, "marketing": False, "analytics": True}, "consent_version": "v1",
    }
    record.update(overrides)
    return PatientRecord.model_validate(record)


def openid_hash_for(clinic_id: str, openid: str) -> str:
    from chalicelib import crypto

    return crypto.keyed_hash("openid", clinic_id, openid)


def register_patient(clinic_id: str = CLINIC_ID, openid: str = "obench-1", **overrides) -> tuple[str, str]:
    """Register through the service, as /auth/wechat/login + /me/register do; returns (access token, id)."""
    from chalicelib.auth import issue_patient_tokens
    from chalicelib.services.patients import register

    openid_hash = openid_hash_for(clinic_id, openid)
    item = register(clinic_id, patient_record(**overrides), openid_hash=openid_hash)
    tokens = issue_patient_tokens(clinic_id, openid_hash, item.patient_id)
    return tokens["access_token"], item.patient_id


def figure(name: str, value, target: str | None = None, note: str | None = None) -> None:
    """Print one figure on a line of its own: `name: value (target ...)` or `name: value (note)`."""
    text = f"{value:.2f}" if isinstance(value, float) else str(value)
    tail = f"target {target}" if target else ""
    if note:
        tail = f"{tail}, {note}" if tail else note
    print(f"{name}: {text}" + (f" ({tail})" if tail else ""), flush=True)
