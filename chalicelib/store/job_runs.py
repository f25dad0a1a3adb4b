"""Run records of the per-clinic scheduled jobs that must not run twice for one message (Powertools
idempotency): pk=<clinic>#JOBRUN, sk=<job>#<hash of job, clinic, tick, cursor>, expiring through the
table's TTL attribute. Only a job's outcome is stored (counts, a model version), never patient data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.store import keys, schema

if TYPE_CHECKING:  # types only
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer


def persistence(clinic_id: str) -> DynamoDBPersistenceLayer:
    """Where Powertools keeps the run records of one clinic's jobs (the one table, tenant first)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from chalicelib.aws import client
    from chalicelib.config import settings

    return DynamoDBPersistenceLayer(table_name=settings().table_name, key_attr="pk", sort_key_attr="sk",
                                    static_pk_value=keys.job_runs_pk(clinic_id),
                                    expiry_attr=schema.TTL_ATTRIBUTE, boto3_client=client("dynamodb"))
