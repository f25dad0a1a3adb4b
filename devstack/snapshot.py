"""Keeping the local stack's data across moto restarts: save the table and the clinics' data keys
to .local/state, put them back into a fresh moto.

moto holds everything in memory, and what a new moto process creates is random: KMS key material
and ids, Cognito pool ids. Replaying recorded requests would therefore rebuild clinics whose
wrapped data keys no KMS key can open. A snapshot instead stores the items as they are plus each
clinic's data key, unwrapped through KMS while moto still runs and sealed with a local file key
(.local/state/local.key, 0600). A restore puts the items back and wraps each data key again with
the new KMS key, in the format chalicelib/crypto.py reads (base64 of a KMS ciphertext blob bound
to EncryptionContext {"clinic": <id>}). Encrypted fields then decrypt exactly as before.

Local tooling only: it reads the whole table, which no request path may do.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import time
import urllib.error
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.aws import client
from chalicelib.config import settings

FORMAT = 1
SNAPSHOT_FILE = "table.json.gz"
LOCAL_KEY_FILE = "local.key"
EXPORT_BUCKET = "revisit-local-snapshots"
BATCH = 25


def path(state_dir: Path) -> Path:
    return Path(state_dir) / SNAPSHOT_FILE


def exists(state_dir: Path) -> bool:
    return path(state_dir).exists()


def local_key(state_dir: Path) -> bytes:
    """The file key that seals data keys at rest; made once, readable by the owner only."""
    key_path = Path(state_dir) / LOCAL_KEY_FILE
    try:
        raw = key_path.read_bytes()
    except FileNotFoundError:
        raw = os.urandom(32)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
    if len(raw) != 32:
        raise ValueError(f"{key_path} is not a 32-byte key")
    return raw


def seal(key: bytes, clinic_id: str, data_key: bytes) -> str:
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, data_key, clinic_id.encode())).decode()


def unseal(key: bytes, clinic_id: str, sealed: str) -> bytes:
    raw = base64.b64decode(sealed)
    return AESGCM(key).decrypt(raw[:12], raw[12:], clinic_id.encode())


# -- reading and writing the table ------------------------------------------------------------------


def prepare() -> None:
    """Let the table be exported (point-in-time recovery on, an export bucket). Local moto only."""
    table = settings().table_name
    client("dynamodb").update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    s3 = client("s3")
    try:
        s3.create_bucket(Bucket=EXPORT_BUCKET,
                         CreateBucketConfiguration={"LocationConstraint": settings().region})
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass


def _exported_items(timeout: float = 120) -> list[dict]:
    """All items through ExportTableToPointInTime into the local bucket.

    moto's Scan copies and sizes every item of each 1 MB page; for tens of thousands of items an
    export (one pass inside moto, one object to read) is an order of magnitude faster.
    """
    dynamodb, s3 = client("dynamodb"), client("s3")
    arn = dynamodb.describe_table(TableName=settings().table_name)["Table"]["TableArn"]
    prefix = f"snapshots/{uuid.uuid4().hex}"
    export = dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=EXPORT_BUCKET, S3Prefix=prefix,
                                                    ExportFormat="DYNAMODB_JSON")["ExportDescription"]
    deadline = time.monotonic() + timeout
    while export["ExportStatus"] == "IN_PROGRESS":
        if time.monotonic() > deadline:
            raise TimeoutError("the table export did not finish")
        time.sleep(0.05)
        export = dynamodb.describe_export(ExportArn=export["ExportArn"])["ExportDescription"]
    if export["ExportStatus"] != "COMPLETED":
        raise RuntimeError(f"table export failed: {export.get('FailureCode')} {export.get('FailureMessage')}")
    items: list[dict] = []
    objects = s3.list_objects_v2(Bucket=EXPORT_BUCKET, Prefix=prefix).get("Contents", [])
    for obj in objects:
        if obj["Key"].endswith(".gz"):
            body = gzip.decompress(s3.get_object(Bucket=EXPORT_BUCKET, Key=obj["Key"])["Body"].read())
            items.extend(json.loads(line)["Item"] for line in body.decode("utf-8").splitlines() if line.strip())
    if objects:
        s3.delete_objects(Bucket=EXPORT_BUCKET, Delete={"Objects": [{"Key": o["Key"]} for o in objects]})
    return items


def _scanned_items() -> list[dict]:
    dynamodb = client("dynamodb")
    items: list[dict] = []
    params = {"TableName": settings().table_name, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**params)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def read_items() -> list[dict]:
    try:
        return _exported_items()
    except client("dynamodb").exceptions.ClientError:
        return _scanned_items()  # an endpoint without exports (not moto): a plain Scan


def worth_keeping(item: dict) -> bool:
    """Not the marker of a stream record applied to the KPI counters: it matters only while the
    stream still holds its record (a day; moto does not expire items by their TTL), and a restored
    stack rebuilds its counters anyway (devstack.schedules.rebuild_counters)."""
    return "#STREAMEVT#" not in item["pk"]["S"]


def _put_batch(dynamodb, table: str, batch: list[dict]) -> None:
    pending = {table: [{"PutRequest": {"Item": item}} for item in batch]}
    for attempt in range(10):
        pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not pending:
            return
        time.sleep(0.05 * (attempt + 1))
    raise RuntimeError("BatchWriteItem kept returning unprocessed items")


def put_items(items: list[dict], workers: int = 3) -> int:
    """BatchWriteItem in chunks of 25 (a few in flight), resending unprocessed items.
    Items are in DynamoDB JSON."""
    from concurrent.futures import ThreadPoolExecutor

    dynamodb = client("dynamodb")
    table = settings().table_name
    batches = [items[start:start + BATCH] for start in range(0, len(items), BATCH)]
    if len(batches) <= 1 or workers <= 1:
        for batch in batches:
            _put_batch(dynamodb, table, batch)
        return len(items)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(lambda batch: _put_batch(dynamodb, table, batch), batches):
            pass
    return len(items)


# -- snapshot and restore -----------------------------------------------------------------------------


def _is_clinic(item: dict) -> bool:
    return item.get("sk", {}).get("S") == "CLINIC" and "wrapped_key" in item


def sealed_data_keys(state_dir: Path, items: list[dict], sealed: dict[str, str] | None = None) -> dict[str, str]:
    """Each clinic's data key (unwrapped through this endpoint's KMS) sealed by the local file key;
    clinics in `sealed` keep the sealed key given (a second builder process sealed it)."""
    key = local_key(Path(state_dir))
    kms = client("kms")
    data_keys = dict(sealed or {})
    for item in filter(_is_clinic, items):
        clinic_id = item["pk"]["S"]
        if clinic_id in data_keys:
            continue
        plain = kms.decrypt(CiphertextBlob=base64.b64decode(item["wrapped_key"]["S"]),
                            EncryptionContext={"clinic": clinic_id})["Plaintext"]
        data_keys[clinic_id] = seal(key, clinic_id, plain)
    return data_keys


def take(state_dir: Path, items: list[dict] | None = None, sealed: dict[str, str] | None = None,
         target: Path | None = None, extra: dict | None = None) -> dict:
    """Write the table (`items` if given, else read from the endpoint) and the sealed data keys to
    state_dir/table.json.gz, or `target` (atomically). `sealed` as for sealed_data_keys; `extra`
    adds fields to the document."""
    started = time.monotonic()
    state_dir = Path(state_dir)
    items = [item for item in (read_items() if items is None else items) if worth_keeping(item)]
    data_keys = sealed_data_keys(state_dir, items, sealed)
    document = {"format": FORMAT, "table": settings().table_name, "taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                time.gmtime()), "data_keys": data_keys, "items": items, **(extra or {})}
    target = Path(target) if target is not None else path(state_dir)
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as handle:
        handle.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    os.replace(tmp, target)
    return {"items": len(items), "clinics": len(data_keys), "seconds": time.monotonic() - started}


def load(state_dir: Path, source: Path | None = None) -> dict:
    with gzip.open(Path(source) if source is not None else path(state_dir), "rb") as handle:
        document = json.loads(handle.read().decode("utf-8"))
    if document.get("format") != FORMAT:
        raise ValueError(f"unknown snapshot format {document.get('format')!r}; `make reset` starts clean")
    return document


def restore(state_dir: Path) -> dict:
    """Put a snapshot into the (fresh, empty) table, wrapping each data key with the current KMS key."""
    from chalicelib import crypto
    from chalicelib.store import clinics

    started = time.monotonic()
    state_dir = Path(state_dir)
    document = load(state_dir)
    key = local_key(state_dir)
    kms = client("kms")
    plain_keys = {}
    items = document["items"]
    for item in filter(_is_clinic, items):
        clinic_id = item["pk"]["S"]
        sealed = document["data_keys"].get(clinic_id)
        if sealed is None:
            raise ValueError(f"the snapshot has no data key for clinic {clinic_id}")
        plain_keys[clinic_id] = unseal(key, clinic_id, sealed)
        blob = kms.encrypt(KeyId=settings().kms_key_id, Plaintext=plain_keys[clinic_id],
                           EncryptionContext={"clinic": clinic_id})["CiphertextBlob"]
        item["wrapped_key"] = {"S": base64.b64encode(blob).decode()}
    put_items(items)
    crypto.forget_keys()
    clinics.forget_cache()
    for clinic_id, plain in plain_keys.items():
        if crypto.unwrap_key(clinic_id, clinics.get(clinic_id, fresh=True).wrapped_key) != plain:
            raise RuntimeError(f"clinic {clinic_id}: the restored data key does not unwrap")
    return {"items": len(items), "clinics": len(plain_keys), "seconds": time.monotonic() - started}


def _rewrap_keys(state_dir: Path, data_keys: dict[str, str]) -> int:
    """Wrap each clinic's data key (sealed in the snapshot) with the current KMS key, write it on the
    clinic's item, and check that it unwraps."""
    from chalicelib import crypto
    from chalicelib.store import clinics

    key = local_key(state_dir)
    kms, dynamodb = client("kms"), client("dynamodb")
    plain_keys = {}
    for clinic_id, sealed in data_keys.items():
        plain_keys[clinic_id] = unseal(key, clinic_id, sealed)
        blob = kms.encrypt(KeyId=settings().kms_key_id, Plaintext=plain_keys[clinic_id],
                           EncryptionContext={"clinic": clinic_id})["CiphertextBlob"]
        dynamodb.update_item(TableName=settings().table_name, Key={"pk": {"S": clinic_id}, "sk": {"S": "CLINIC"}},
                             UpdateExpression="SET wrapped_key = :w", ConditionExpression="attribute_exists(pk)",
                             ExpressionAttributeValues={":w": {"S": base64.b64encode(blob).decode()}})
    crypto.forget_keys()
    clinics.forget_cache()
    for clinic_id, plain in plain_keys.items():
        if crypto.unwrap_key(clinic_id, clinics.get(clinic_id, fresh=True).wrapped_key) != plain:
            raise RuntimeError(f"clinic {clinic_id}: the restored data key does not unwrap")
    return len(plain_keys)


def restore_into_server(state_dir: Path, moto_url: str) -> dict:
    """Restore through the local moto server's load route (devstack/moto_server.py): the server reads
    the snapshot file and puts its items into the (fresh, empty) table itself, then each clinic's
    data key is wrapped again with the server's new KMS key. Seconds where BatchWriteItem takes
    half a minute."""
    import urllib.request

    from devstack.moto_server import LOAD_PATH

    started = time.monotonic()
    state_dir = Path(state_dir)
    request = urllib.request.Request(
        moto_url.rstrip("/") + LOAD_PATH, method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"path": str(path(state_dir).resolve()), "table": settings().table_name,
                         "region": settings().region}).encode())
    try:
        with urllib.request.urlopen(request, timeout=600) as reply:
            document = json.loads(reply.read())
    except urllib.error.HTTPError as err:
        raise RuntimeError(f"moto could not load {path(state_dir)}: {err.read().decode(errors='replace')}") from None
    if document.get("format") != FORMAT:
        raise ValueError(f"unknown snapshot format {document.get('format')!r}; `make reset` starts clean")
    clinics = _rewrap_keys(state_dir, document.get("data_keys") or {})
    return {"items": document["loaded"], "clinics": clinics, "seconds": time.monotonic() - started,
            "load_seconds": document.get("load_seconds")}
