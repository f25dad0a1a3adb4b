"""boto3 clients, created lazily once per container, with botocore's standard retries."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=None)
def client(service: str) -> Any:  # boto3 ships no type hints: its clients are untyped
    import boto3
    from botocore.config import Config

    from chalicelib.config import settings

    conf = settings()
    endpoint = conf.cognito_endpoint if service == "cognito-idp" else conf.aws_endpoint
    return boto3.client(
        service,
        region_name=conf.region,
        endpoint_url=endpoint,
        config=Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10),
    )


def reset_clients() -> None:
    client.cache_clear()


SQS_BATCH = 10  # SendMessageBatch's limit


def send_json_batches(queue_url: str, bodies: list[dict], *, attempts: int = 1) -> int:
    """Send each body as a JSON message, ten to a SendMessageBatch call; the entries a call refuses
    are sent again, up to `attempts` tries in all. Returns how many never reached the queue."""
    failed = 0
    for start in range(0, len(bodies), SQS_BATCH):
        chunk = {str(i): body for i, body in enumerate(bodies[start:start + SQS_BATCH])}
        for _ in range(attempts):
            reply = client("sqs").send_message_batch(QueueUrl=queue_url, Entries=[
                {"Id": key, "MessageBody": json.dumps(body)} for key, body in chunk.items()])
            chunk = {entry["Id"]: chunk[entry["Id"]] for entry in reply.get("Failed", [])}
            if not chunk:
                break
        failed += len(chunk)
    return failed
