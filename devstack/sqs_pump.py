"""What Lambda's SQS event source mapping does, for the local stack and tests.

Receives a batch, hands it to the handler as a Lambda SQS event, and deletes only the records
the handler did not report in `batchItemFailures`; the rest become visible again and are
retried, and after the queue's maxReceiveCount they move to the dead-letter queue.
"""

from __future__ import annotations

from typing import Callable

from chalicelib.aws import client
from chalicelib.config import settings


def _event(messages: list[dict], queue_arn: str) -> dict:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": settings().region,
            }
            for m in messages
        ]
    }


def drain(queue_url: str, handler: Callable[[dict], dict], *, batch_size: int = 10, max_batches: int = 1000) -> dict:
    sqs = client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    totals = {"received": 0, "failed": 0}
    for _ in range(max_batches):
        reply = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=batch_size, WaitTimeSeconds=0,
                                    AttributeNames=["All"])
        messages = reply.get("Messages", [])
        if not messages:
            break
        result = handler(_event(messages, arn)) or {}
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start:start + 10])])
        totals["received"] += len(messages)
        totals["failed"] += len(failed)
        if failed:
            break  # failed records stay invisible until their visibility timeout; try them on a later run
    return totals
