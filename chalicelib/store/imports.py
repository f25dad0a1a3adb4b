"""Asynchronous CSV import jobs (POST /imports): the job item and its chunks of rows.

- Job: pk=<clinic>#IMPORTS sk=JOB#<job id> (job ids sort by creation time, so the clinic's
  recent jobs are one descending Query): kind, status (`running` -> `done`), the counts the
  chunks add as they finish (rows_done, recorded, duplicates, error_count, chunks_done), how
  many chunks reached the queue (chunks_queued) and the requeue sweep's re-sends (resends,
  resent_at; stalled_resends of them for a job without progress). While running, the job is
  also in gsi1 under <clinic>#IMPORTS#RUNNING (sparse: closing the job removes it), where the
  requeue sweep finds the clinic's unfinished jobs.
- Chunk: pk=<clinic>#IMPORT#<job id> sk=CHUNK#<n, 5 digits>: up to CHUNK_ROWS rows of the file,
  sealed with the clinic's data key (phones and exam flags are personal data), until the chunk is
  done; then the rows are removed and the chunk keeps its per-line errors (codes, no values) and
  its done_at marker. The marker is set with a condition (attribute_not_exists), in the same
  transaction as the job's counts: a chunk delivered twice adds its counts once.
Every item expires after RETENTION_DAYS (TTL).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib import crypto
from chalicelib.config import settings
from chalicelib.domain.clock import clock, iso
from chalicelib.store import db, keyring
from chalicelib.store.keys import (import_chunk_index, import_chunk_pk, import_chunk_sk, import_job_pk, import_job_sk,
                                   import_running_pk)
from chalicelib.store.schema import GSI1

RETENTION_DAYS = 30
_to = TypeSerializer()
_from = TypeDeserializer()


def _dynamo(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _to.serialize(v) for k, v in item.items() if v is not None}


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_number(v) for v in value]
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    return value


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _number(_from.deserialize(v)) for k, v in item.items()}


def _key(clinic_id: str) -> bytes:
    return keyring.data_key(clinic_id)


def _expires() -> int:
    return int(clock.now().timestamp()) + RETENTION_DAYS * 86400


def _client() -> Any:
    return db.connection().client


def create(clinic_id: str, job_id: str, *, kind: str, created_by: str, header: list[str],
           chunks: list[dict[str, Any]], rows: int) -> dict[str, Any]:
    """Write the job and its chunks (sealed); `chunks` are {"rows": [[cell, ...]], "lines": [n, ...]}."""
    key = _key(clinic_id)
    expires = _expires()
    table = settings().table_name
    job = {"pk": import_job_pk(clinic_id), "sk": import_job_sk(job_id), "job_id": job_id, "kind": kind,
           "status": "running",
           "created_by": created_by, "created_at": iso(clock.now()), "rows": rows, "chunks": len(chunks),
           "chunks_done": 0, "rows_done": 0, "recorded": 0, "duplicates": 0, "error_count": 0,
           "chunks_queued": 0, "resends": 0, "expires_at": expires,
           "gsi1pk": import_running_pk(clinic_id), "gsi1sk": import_job_sk(job_id)}
    puts = []
    for index, chunk in enumerate(chunks):
        sealed = crypto.encrypt(key, clinic_id, json.dumps({"header": header, **chunk}, ensure_ascii=False))
        puts.append({"pk": import_chunk_pk(clinic_id, job_id), "sk": import_chunk_sk(index), "rows_sealed": sealed,
                     "row_count": len(chunk["rows"]), "expires_at": expires})
    client = _client()
    for start in range(0, len(puts), 25):
        pending = [{"PutRequest": {"Item": _dynamo(item)}} for item in puts[start:start + 25]]
        while pending:
            reply = client.batch_write_item(RequestItems={table: pending})
            pending = reply.get("UnprocessedItems", {}).get(table, [])
    # the job last: a job that is listed has all its chunks
    client.put_item(TableName=table, Item=_dynamo(job))
    return _job(_plain(_dynamo(job)))


def _job(item: dict[str, Any]) -> dict[str, Any]:
    """The job without its index keys."""
    return {k: v for k, v in item.items() if k not in ("gsi1pk", "gsi1sk")}


def get(clinic_id: str, job_id: str) -> dict[str, Any] | None:
    reply = _client().get_item(TableName=settings().table_name, ConsistentRead=True,
                               Key=_dynamo({"pk": import_job_pk(clinic_id), "sk": import_job_sk(job_id)}))
    return _job(_plain(reply["Item"])) if "Item" in reply else None


def recent(clinic_id: str, limit: int = 20) -> list[dict[str, Any]]:
    reply = _client().query(TableName=settings().table_name, KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
                            ExpressionAttributeValues=_dynamo({":pk": import_job_pk(clinic_id), ":p": "JOB#"}),
                            ScanIndexForward=False, Limit=limit)
    return [_job(_plain(item)) for item in reply.get("Items", [])]


def running(clinic_id: str) -> list[dict[str, Any]]:
    """The clinic's jobs still running, oldest first (gsi1, sparse: done jobs are not in it)."""
    params: dict[str, Any] = {"TableName": settings().table_name, "IndexName": GSI1,
                              "KeyConditionExpression": "gsi1pk = :pk",
                              "ExpressionAttributeValues": _dynamo({":pk": import_running_pk(clinic_id)})}
    jobs: list[dict[str, Any]] = []
    while True:
        reply = _client().query(**params)
        jobs += [_job(_plain(item)) for item in reply.get("Items", [])]
        if "LastEvaluatedKey" not in reply:
            return jobs
        params["ExclusiveStartKey"] = reply["LastEvaluatedKey"]


def mark_queued(clinic_id: str, job_id: str, queued: int) -> None:
    """Record that the job's first `queued` chunks reached the queue (never lowers the count)."""
    try:
        _client().update_item(
            TableName=settings().table_name, Key=_dynamo({"pk": import_job_pk(clinic_id), "sk": import_job_sk(job_id)}),
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(chunks_queued) OR chunks_queued < :n)",
            UpdateExpression="SET chunks_queued = :n",
            ExpressionAttributeValues=_dynamo({":n": queued}))
    except _client().exceptions.ConditionalCheckFailedException:
        pass


def claim_resend(clinic_id: str, job_id: str, resends_seen: int, *, stalled: bool) -> bool:
    """Count one re-send of the job's chunks (and, for a stalled job, one in `stalled_resends`),
    conditional on the count the sweep read and on the job still running: of two sweeps that read
    the same job, one re-sends it."""
    try:
        _client().update_item(
            TableName=settings().table_name, Key=_dynamo({"pk": import_job_pk(clinic_id), "sk": import_job_sk(job_id)}),
            ConditionExpression="#s = :running AND (attribute_not_exists(resends) OR resends = :seen)",
            UpdateExpression="SET resends = :next, resent_at = :now" + (" ADD stalled_resends :one" if stalled else ""),
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=_dynamo({":running": "running", ":seen": resends_seen,
                                               ":next": resends_seen + 1, ":now": iso(clock.now()),
                                               **({":one": 1} if stalled else {})}))
    except _client().exceptions.ConditionalCheckFailedException:
        return False
    return True


def chunks_not_done(clinic_id: str, job_id: str) -> list[int]:
    """The numbers of the job's chunks without a done marker (Query of the job's chunk
    partition projecting the key and the marker)."""
    params: dict[str, Any] = {"TableName": settings().table_name, "KeyConditionExpression": "pk = :pk",
                              "ExpressionAttributeValues": _dynamo({":pk": import_chunk_pk(clinic_id, job_id)}),
                              "ProjectionExpression": "#k, #d", "ExpressionAttributeNames": {"#k": "sk", "#d": "done_at"},
                              "ConsistentRead": True}
    pending: list[int] = []
    while True:
        reply = _client().query(**params)
        pending += [import_chunk_index(item["sk"]["S"]) for item in reply.get("Items", []) if "done_at" not in item]
        if "LastEvaluatedKey" not in reply:
            return pending
        params["ExclusiveStartKey"] = reply["LastEvaluatedKey"]


def chunk(clinic_id: str, job_id: str, index: int) -> dict[str, Any] | None:
    """A chunk with its rows opened ({"header", "rows", "lines"}), or with `done_at` when it is done."""
    reply = _client().get_item(TableName=settings().table_name, ConsistentRead=True,
                               Key=_dynamo({"pk": import_chunk_pk(clinic_id, job_id), "sk": import_chunk_sk(index)}))
    if "Item" not in reply:
        return None
    item = _plain(reply["Item"])
    if item.get("done_at"):
        return item
    opened = json.loads(crypto.decrypt(_key(clinic_id), clinic_id, item["rows_sealed"]))
    return {**item, **opened}


def errors(clinic_id: str, job_id: str, cap: int) -> list[dict[str, Any]]:
    """The per-line errors of the job's done chunks, in line order, at most `cap`."""
    found: list[dict[str, Any]] = []
    params = {"TableName": settings().table_name, "KeyConditionExpression": "pk = :pk",
              "ExpressionAttributeValues": _dynamo({":pk": import_chunk_pk(clinic_id, job_id)}),
              "ProjectionExpression": "#e", "ExpressionAttributeNames": {"#e": "errors"}, "ConsistentRead": True}
    while len(found) < cap:
        reply = _client().query(**params)
        for item in reply.get("Items", []):
            found += _plain(item).get("errors") or []
        if "LastEvaluatedKey" not in reply:
            break
        params["ExclusiveStartKey"] = reply["LastEvaluatedKey"]
    found.sort(key=lambda e: e["line"])
    return found[:cap]


def finish_chunk(clinic_id: str, job_id: str, index: int, *, rows: int, recorded: int, duplicates: int,
                 problems: list[dict[str, Any]]) -> bool:
    """Mark the chunk done and add its counts to the job, in one transaction; False when the chunk
    was already done (a second delivery of its message): nothing is added twice."""
    table = settings().table_name
    now = iso(clock.now())
    try:
        _client().transact_write_items(TransactItems=[
            {"Update": {
                "TableName": table,
                "Key": _dynamo({"pk": import_chunk_pk(clinic_id, job_id), "sk": import_chunk_sk(index)}),
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(done_at)",
                "UpdateExpression": "SET done_at = :now, #e = :errors REMOVE rows_sealed",
                "ExpressionAttributeNames": {"#e": "errors"},
                "ExpressionAttributeValues": _dynamo({":now": now, ":errors": problems}),
            }},
            {"Update": {
                "TableName": table, "Key": _dynamo({"pk": import_job_pk(clinic_id), "sk": import_job_sk(job_id)}),
                "ConditionExpression": "attribute_exists(pk)",
                "UpdateExpression": "ADD chunks_done :one, rows_done :rows, recorded :rec, duplicates :dup, "
                                    "error_count :err SET updated_at = :now",
                "ExpressionAttributeValues": _dynamo({":one": 1, ":rows": rows, ":rec": recorded,
                                                      ":dup": duplicates, ":err": len(problems), ":now": now}),
            }},
        ])
    except _client().exceptions.TransactionCanceledException as exc:
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        raise
    return True


def close_if_complete(clinic_id: str, job_id: str) -> bool:
    """The job becomes `done` once every chunk is (a conditional update: only the last chunk's
    handler succeeds, and only once); it leaves the running jobs' index."""
    try:
        _client().update_item(
            TableName=settings().table_name, Key=_dynamo({"pk": import_job_pk(clinic_id), "sk": import_job_sk(job_id)}),
            ConditionExpression="chunks_done >= chunks AND #s = :running",
            UpdateExpression="SET #s = :done, finished_at = :now REMOVE gsi1pk, gsi1sk",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=_dynamo({":running": "running", ":done": "done", ":now": iso(clock.now())}))
    except _client().exceptions.ConditionalCheckFailedException:
        return False
    return True
