"""Pull SMS delivery receipts from the provider and record each on its message's delivery record.

Only Tencent Cloud SMS (the China regions) reports this way; on an SNS stage it does nothing.
A rerun is safe: the provider hands each receipt out once, and recording one twice changes nothing.
"""

from __future__ import annotations

from chalicelib.config import settings
from chalicelib.observability import logger

MAX_ROUNDS = 20  # receipts of one run: at most 20 pulls of 100


def pull_sms_receipts() -> dict:
    if settings().sms_provider != "tencent":
        return {"pulled": 0, "recorded": 0}
    from chalicelib.channels import sms_tencent
    from chalicelib.store import sms_receipts

    pulled = recorded = 0
    for _ in range(MAX_ROUNDS):
        receipts = sms_tencent.pull_receipts()
        pulled += len(receipts)
        for receipt in receipts:
            recorded += sms_receipts.record(receipt["clinic_id"], receipt["patient_id"], receipt["job_id"],
                                            receipt["serial"], receipt["delivered"], receipt["code"], receipt["at"])
        if len(receipts) < sms_tencent.PULL_LIMIT:
            break
    if pulled:
        logger.info("SMS receipts pulled", extra={"pulled": pulled, "recorded": recorded})
    return {"pulled": pulled, "recorded": recorded}
