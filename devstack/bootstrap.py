"""Creating the AWS resources on a local stand-in (moto): the table, queues, key and user pool.

In AWS the same resources come from infra/resources.json; both are built from
chalicelib/store/schema.py and the names in chalicelib/config.py.
"""

from __future__ import annotations

import json

from chalicelib.aws import client
from chalicelib.config import settings
from chalicelib.store import schema

from chalicelib.auth import ACCOUNT_ROLES, STAFF_ROLES

STAFF_GROUPS = ACCOUNT_ROLES  # the pool's groups: the clinic roles and the platform's operators
CLINIC_ROLES = STAFF_ROLES


def create_table() -> None:
    dynamodb = client("dynamodb")
    name = settings().table_name
    if name in dynamodb.list_tables()["TableNames"]:
        return
    dynamodb.create_table(**schema.create_table_request(name))
    dynamodb.get_waiter("table_exists").wait(TableName=name)
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE})


def _create_queue(name: str, visibility_timeout: int) -> str:
    sqs = client("sqs")
    dlq = sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(visibility_timeout),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
    })["QueueUrl"]


def create_queues() -> str:
    """The reminder queue, the import job queue and the clinic job queue (the schedules' fan-out),
    each with its dead-letter queue; returns the reminder queue's URL."""
    url = _create_queue(settings().reminder_queue_name, 360)
    _create_queue(settings().import_queue_name, 360)
    _create_queue(settings().clinic_job_queue_name, 360)
    return url


def create_key() -> str:
    kms = client("kms")
    alias = settings().kms_key_id
    for existing in kms.list_aliases()["Aliases"]:
        if existing["AliasName"] == alias and existing.get("TargetKeyId"):
            return existing["TargetKeyId"]
    key_id = kms.create_key(Description="Revisit patient field encryption")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id


def create_user_pool(name: str = "revisit-staff") -> tuple[str, str]:
    cognito = client("cognito-idp")
    pool_id = cognito.create_user_pool(
        PoolName=name,
        Schema=[{"Name": "clinic_id", "AttributeDataType": "String", "Mutable": True}],
        Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireUppercase": True, "RequireLowercase": True,
                                     "RequireNumbers": True, "RequireSymbols": False}},
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="admin-site", GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for group in STAFF_GROUPS:
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    return pool_id, client_id


def create_all() -> tuple[str, str]:
    """The table, queues, data key and user pool of a fresh account; returns the pool and client ids."""
    create_table()
    create_queues()
    create_key()
    return create_user_pool()


def create_staff_user(pool_id: str, username: str, password: str, clinic_id: str, role: str) -> None:
    """A staff account in the pool `pool_id` and its record (services.staff_accounts)."""
    if role not in STAFF_GROUPS:
        raise ValueError(f"role must be one of {STAFF_GROUPS}")
    from chalicelib.services import staff_accounts

    staff_accounts.create(username, password, clinic_id, role, pool_id=pool_id)