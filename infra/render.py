"""Render the CloudFormation documents in infra/ from the table schema.

`resources.json` is the stack of long-lived resources (table, queues, key, secrets, site bucket,
user pool) and `resources-cn.json` its variant for the China regions (no user pool: staff sign in
through WeCom; no SNS SMS: Tencent Cloud SMS; the settings of both in one secret);
`chalice-merge.json` is merged into the template `chalice package` generates and wires the
functions to that stack through its exports, and `chalice-merge-cn.json` does the same for the
China regions. All four are generated here, never edited by hand:

    python infra/render.py           # rewrite the files that changed
    python infra/render.py --check   # exit 1 if a committed file differs from what would be written
    python infra/render.py --print resources.json
    python infra/render.py --chalice-config ap-east-1   # the config package.sh packages with
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
SCHEMA_PATH = ROOT / "chalicelib" / "store" / "schema.py"

# The SQS handler's Lambda timeout (lambda_timeout in chalice_config below). AWS asks for a
# visibility timeout of at least six times the function timeout, so a batch that is retried while
# Lambda throttles or scales does not become visible to a second poller mid-flight.
REMINDER_HANDLER_TIMEOUT_S = 60
REMINDER_VISIBILITY_TIMEOUT_S = 6 * REMINDER_HANDLER_TIMEOUT_S
REMINDER_MAX_RECEIVE_COUNT = 5

# Logical ids `chalice package` derives from app.py: `send_reminders` -> SendReminders, and its
# @app.on_sqs_message source -> SendRemindersSqsEventSource. The merge template patches these.
REMINDER_FUNCTION = "SendReminders"
REMINDER_EVENT = "SendRemindersSqsEventSource"

# The import job handler (app.py `import_chunks`): one chunk of a CSV import per invocation, a few
# hundred rows of about five table calls each. Its queue follows the same six-times rule.
IMPORT_HANDLER_TIMEOUT_S = 300
IMPORT_VISIBILITY_TIMEOUT_S = 6 * IMPORT_HANDLER_TIMEOUT_S
IMPORT_MAX_RECEIVE_COUNT = 5
IMPORT_FUNCTION = "ImportChunks"
IMPORT_EVENT = "ImportChunksSqsEventSource"

# The clinic job handler (app.py `clinic_jobs`): every schedule but the SMS receipt pull sends one
# message per clinic, and this handler runs the job for that clinic, one message per invocation.
# Its timeout is the longest job's (a clinic's daily risk training, which had 15 minutes and 1 GB
# when it ran as a schedule); the jobs that can stop between pages stop well before it and queue
# a continuation. The queue follows the six-times rule; a clinic's job that failed three times is
# parked (the next tick runs it afresh anyway), and a message older than a day is superseded.
CLINIC_JOB_HANDLER_TIMEOUT_S = 900
CLINIC_JOB_MEMORY_MB = 1024
CLINIC_JOB_VISIBILITY_TIMEOUT_S = 6 * CLINIC_JOB_HANDLER_TIMEOUT_S
CLINIC_JOB_MAX_RECEIVE_COUNT = 3
CLINIC_JOB_RETENTION_S = 86400
CLINIC_JOB_FUNCTION = "ClinicJobs"
CLINIC_JOB_EVENT = "ClinicJobsSqsEventSource"
# The table's stream handler (app.py `table_changes`): the KPI counters and the risk summaries follow
# every change (docs/kpis.md). A batch that fails is split and retried; a record that still fails
# after STREAM_MAX_RETRIES tries, or is older than a day, is named in the failure queue (its keys and
# sequence numbers only, as Lambda's on-failure destination sends them) and the shard moves on.
STREAM_FUNCTION = "TableChanges"
STREAM_EVENT = "TableChangesDynamodbEventSource"
STREAM_BATCH_SIZE = 100
STREAM_MAX_RETRIES = 10
STREAM_MAX_RECORD_AGE_S = 86400
CHALICE_ROLE = "DefaultRole"

WECHAT_API_BASE = "https://api.weixin.qq.com"

# CloudFront managed policies (same ids in every account).
CACHING_OPTIMIZED_POLICY = "658327ea-f89d-4fab-a63d-7e88639e58f6"
SECURITY_HEADERS_POLICY = "67f7725c-6f97-4210-82d7-5512b31e9d03"

CHINA_REGIONS = ["cn-north-1", "cn-northwest-1"]

# Values the resources stack exports as "<stack name>-<key>" and the app stack imports.
EXPORTS = (
    "Stage",
    "TableName",
    "TableArn",
    "ReminderQueueName",
    "ReminderQueueUrl",
    "ReminderQueueArn",
    "ImportQueueName",
    "ImportQueueUrl",
    "ImportQueueArn",
    "ClinicJobQueueName",
    "ClinicJobQueueUrl",
    "ClinicJobQueueArn",
    "TableStreamArn",
    "StreamFailureQueueArn",
    "DataKeyArn",
    "UserPoolId",
    "UserPoolClientId",
    "SiteBucketName",
    "SiteUrl",
    "JwtSecretArn",
    "HashSecretArn",
    "WechatSecretArn",
    "AlarmTopicArn",
)

# What only the China resources stack exports: the WeCom sign-in and Tencent Cloud SMS settings.
CHINA_EXPORTS = ("MainlandSecretArn",)
# The keys of that secret and the settings (chalicelib/config.py) each becomes.
MAINLAND_SETTINGS = {
    "WECOM_CORP_ID": "wecom_corp_id",
    "WECOM_AGENT_ID": "wecom_agent_id",
    "WECOM_SECRET": "wecom_secret",
    "TENCENT_SMS_APP_ID": "sms_app_id",
    "TENCENT_SMS_SIGN_NAME": "sms_sign_name",
    "TENCENT_SMS_SECRET_ID": "sms_secret_id",
    "TENCENT_SMS_SECRET_KEY": "sms_secret_key",
    "TENCENT_SMS_TEMPLATES": "sms_templates",
}

# What the resources stack exports for the user pool where Cognito user pools do not exist
# (the China partition); the app stack turns it into an empty setting there.
NO_USER_POOL = "none"


def load_schema():
    """Load chalicelib/store/schema.py by path: it is pure Python, and loading it this way keeps
    rendering independent of whatever the chalicelib packages import."""
    spec = importlib.util.spec_from_file_location("revisit_table_schema", SCHEMA_PATH)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


# -- small helpers for intrinsic functions ------------------------------------------------------


def ref(name: str) -> dict:
    return {"Ref": name}


def sub(text: str, variables: dict | None = None) -> dict:
    return {"Fn::Sub": [text, variables] if variables else text}


def get_att(resource: str, attribute: str) -> dict:
    return {"Fn::GetAtt": [resource, attribute]}


def if_(condition: str, when_true, when_false) -> dict:
    return {"Fn::If": [condition, when_true, when_false]}


def no_value() -> dict:
    return ref("AWS::NoValue")


def not_empty(parameter: str) -> dict:
    return {"Fn::Not": [{"Fn::Equals": [ref(parameter), ""]}]}


def in_china_regions() -> dict:
    """The China partition, spelled as its two regions rather than `AWS::Partition`, which
    cfn-lint can evaluate per region."""
    return {"Fn::Or": [{"Fn::Equals": [ref("AWS::Region"), region]} for region in CHINA_REGIONS]}


def import_value(key: str) -> dict:
    assert key in EXPORTS + CHINA_EXPORTS, key
    return {"Fn::ImportValue": sub("${ResourcesStack}-" + key)}


def tags(*pairs: tuple[str, object]) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in pairs]


def retained(resource: dict) -> dict:
    """Data we cannot rebuild survives stack deletion and replacement."""
    return {**resource, "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def disposable(resource: dict) -> dict:
    """State that may go with the stack: in-flight reminders are re-sent by the next sweep, and
    a new token key only signs everyone out."""
    return {**resource, "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}


# -- the resources stack ------------------------------------------------------------------------


def _parameters(china: bool) -> dict:
    parameters = {
        "Stage": {
            "Type": "String",
            "AllowedValues": ["dev", "prod"],
            "Default": "dev",
            "Description": "Deployment stage; prod turns on deletion protection.",
        },
        "TableName": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^[a-zA-Z0-9_.-]{0,255}$",
            "Description": "DynamoDB table name; empty means revisit-<Stage>.",
        },
        "ReminderQueueName": {
            "Type": "String",
            "Default": "revisit-reminders",
            "AllowedPattern": "^[a-zA-Z0-9_-]{1,76}$",
            "Description": "Reminder queue name (the dead-letter queue adds -dlq). Use a "
            "per-stage name when two stages share an account and region.",
        },
        "ImportQueueName": {
            "Type": "String",
            "Default": "revisit-imports",
            "AllowedPattern": "^[a-zA-Z0-9_-]{1,76}$",
            "Description": "Import job queue name (the dead-letter queue adds -dlq). Use a "
            "per-stage name when two stages share an account and region.",
        },
        "ClinicJobQueueName": {
            "Type": "String",
            "Default": "revisit-clinic-jobs",
            "AllowedPattern": "^[a-zA-Z0-9_-]{1,76}$",
            "Description": "Clinic job queue name: the schedules' per-clinic messages (the "
            "dead-letter queue adds -dlq). Use a per-stage name when two stages share an account "
            "and region.",
        },
        "KeyAliasName": {
            "Type": "String",
            "Default": "alias/revisit",
            "AllowedPattern": "^alias/[a-zA-Z0-9/_-]+$",
            "Description": "Alias of the KMS key for patient fields. Use a per-stage alias when "
            "two stages share an account and region.",
        },
    }
    if china:
        parameters["SiteDomainName"] = {
            "Type": "String",
            "MinLength": 1,
            "Description": "ICP-filed host name of the admin site (for example "
            "admin.example.com.cn): the default CloudFront domain cannot serve in China.",
        }
        parameters["SiteOriginAccessIdentity"] = {
            "Type": "String",
            "Default": "",
            "Description": "Id of the CloudFront origin access identity of the distribution that "
            "serves the admin site (created by hand, see docs/deploy.md); it may read the bucket.",
        }
    else:
        parameters["SiteDomainName"] = {
            "Type": "String",
            "Default": "",
            "Description": "Optional host name of the admin site (for example admin.example.com); "
            "empty serves it at the distribution's own domain.",
        }
        parameters["SiteCertificateArn"] = {
            "Type": "String",
            "Default": "",
            "Description": "ACM certificate in us-east-1 for SiteDomainName.",
        }
    parameters["AlarmEmail"] = {
        "Type": "String",
        "Default": "",
        "Description": "Optional e-mail address subscribed to the alarm topic.",
    }
    return parameters


def _conditions(china: bool) -> dict:
    conditions = {
        "IsProd": {"Fn::Equals": [ref("Stage"), "prod"]},
        "HasTableName": not_empty("TableName"),
        "HasAlarmEmail": not_empty("AlarmEmail"),
    }
    if china:
        conditions["GrantsOriginAccessIdentity"] = not_empty("SiteOriginAccessIdentity")
    else:
        conditions["HasSiteDomain"] = not_empty("SiteDomainName")
        conditions["HasCustomSiteDomain"] = {
            "Fn::And": [{"Condition": "HasSiteDomain"}, not_empty("SiteCertificateArn")]
        }
    return conditions


def _rules(china: bool) -> dict:
    if china:
        return {}
    return {
        "SiteDomainNeedsCertificate": {
            "RuleCondition": not_empty("SiteDomainName"),
            "Assertions": [
                {
                    "Assert": not_empty("SiteCertificateArn"),
                    "AssertDescription": "SiteDomainName needs SiteCertificateArn (ACM, us-east-1).",
                }
            ],
        },
    }


def _key() -> dict:
    return {
        "DataKey": retained(
            {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "Description": sub(
                        "Revisit ${Stage}: table encryption and patient field envelopes"
                    ),
                    "EnableKeyRotation": True,
                    "KeySpec": "SYMMETRIC_DEFAULT",
                    "KeyUsage": "ENCRYPT_DECRYPT",
                    "PendingWindowInDays": 30,
                    "KeyPolicy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "AccountAdministersAndGrantsThroughIam",
                                "Effect": "Allow",
                                "Principal": {
                                    "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
                                },
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        ],
                    },
                    "Tags": tags(("app", "revisit"), ("stage", ref("Stage"))),
                },
            }
        ),
        "DataKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": ref("KeyAliasName"), "TargetKeyId": ref("DataKey")},
        },
    }


def _table(schema) -> dict:
    request = schema.create_table_request("unused")
    return {
        "Table": retained(
            {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": if_("HasTableName", ref("TableName"), sub("revisit-${Stage}")),
                    "BillingMode": request["BillingMode"],
                    "AttributeDefinitions": request["AttributeDefinitions"],
                    "KeySchema": request["KeySchema"],
                    "GlobalSecondaryIndexes": request["GlobalSecondaryIndexes"],
                    "StreamSpecification": {"StreamViewType": request["StreamSpecification"]["StreamViewType"]},
                    "TimeToLiveSpecification": {
                        "AttributeName": schema.TTL_ATTRIBUTE,
                        "Enabled": True,
                    },
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "SSESpecification": {
                        "SSEEnabled": True,
                        "SSEType": "KMS",
                        "KMSMasterKeyId": get_att("DataKey", "Arn"),
                    },
                    "DeletionProtectionEnabled": if_("IsProd", True, False),
                    "Tags": tags(("app", "revisit"), ("stage", ref("Stage"))),
                },
            }
        )
    }


def _queues() -> dict:
    return {
        "ReminderDeadLetterQueue": disposable(
            {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": sub("${ReminderQueueName}-dlq"),
                    "MessageRetentionPeriod": 14 * 86400,
                    "SqsManagedSseEnabled": True,
                },
            }
        ),
        "ReminderQueue": disposable(
            {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": ref("ReminderQueueName"),
                    "VisibilityTimeout": REMINDER_VISIBILITY_TIMEOUT_S,
                    "MessageRetentionPeriod": 4 * 86400,
                    "SqsManagedSseEnabled": True,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": get_att("ReminderDeadLetterQueue", "Arn"),
                        "maxReceiveCount": REMINDER_MAX_RECEIVE_COUNT,
                    },
                },
            }
        ),
        # CSV import jobs (POST /imports): one message per chunk of an uploaded file; the rows
        # themselves are in the table (sealed), the message only names the chunk
        "ImportDeadLetterQueue": disposable(
            {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": sub("${ImportQueueName}-dlq"),
                    "MessageRetentionPeriod": 14 * 86400,
                    "SqsManagedSseEnabled": True,
                },
            }
        ),
        "ImportQueue": disposable(
            {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": ref("ImportQueueName"),
                    "VisibilityTimeout": IMPORT_VISIBILITY_TIMEOUT_S,
                    "MessageRetentionPeriod": 4 * 86400,
                    "SqsManagedSseEnabled": True,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": get_att("ImportDeadLetterQueue", "Arn"),
                        "maxReceiveCount": IMPORT_MAX_RECEIVE_COUNT,
                    },
                },
            }
        ),
        # The schedules' fan-out: one message per clinic and job (job, clinic, tick, cursor); no
        # patient data, only ids and, for a job that stopped between pages, where it stopped
        "ClinicJobDeadLetterQueue": disposable(
            {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": sub("${ClinicJobQueueName}-dlq"),
                    "MessageRetentionPeriod": 14 * 86400,
                    "SqsManagedSseEnabled": True,
                },
            }
        ),
        # the stream records the table handler could not apply (their keys and sequence numbers)
        "StreamFailureQueue": disposable(
            {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": sub("revisit-${Stage}-stream-failures"),
                    "MessageRetentionPeriod": 14 * 86400,
                    "SqsManagedSseEnabled": True,
                },
            }
        ),
        "ClinicJobQueue": disposable(
            {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": ref("ClinicJobQueueName"),
                    "VisibilityTimeout": CLINIC_JOB_VISIBILITY_TIMEOUT_S,
                    "MessageRetentionPeriod": CLINIC_JOB_RETENTION_S,
                    "SqsManagedSseEnabled": True,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": get_att("ClinicJobDeadLetterQueue", "Arn"),
                        "maxReceiveCount": CLINIC_JOB_MAX_RECEIVE_COUNT,
                    },
                },
            }
        ),
    }


def _alarms() -> dict:
    topic = [ref("AlarmTopic")]
    return {
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"DisplayName": sub("Revisit ${Stage} alarms")},
        },
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {
                "TopicArn": ref("AlarmTopic"),
                "Protocol": "email",
                "Endpoint": ref("AlarmEmail"),
            },
        },
        "ReminderDeadLetterAlarm": _dead_letter_alarm(
            "ReminderDeadLetterQueue", topic,
            "Reminders failed 5 times and were parked in the dead-letter "
            "queue. Inspect them, fix the cause, then redrive (docs/deploy.md)."),
        "ImportDeadLetterAlarm": _dead_letter_alarm(
            "ImportDeadLetterQueue", topic,
            "A chunk of a CSV import job failed 5 times and was parked in "
            "the dead-letter queue (its job stays running). Inspect it, fix the cause, then "
            "redrive (docs/deploy.md)."),
        "ClinicJobDeadLetterAlarm": _dead_letter_alarm(
            "ClinicJobDeadLetterQueue", topic,
            "A clinic's scheduled job failed 3 times and was parked in the dead-letter queue "
            "(the message names the job and the clinic; later ticks still run it). Inspect the "
            "handler's log, fix the cause, then redrive or purge (docs/deploy.md)."),
        "ClinicJobBacklogAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": "The oldest clinic job has waited more than 30 minutes: the "
                "clinic job handler is failing, throttled or short of concurrency.",
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [
                    {"Name": "QueueName", "Value": get_att("ClinicJobQueue", "QueueName")}
                ],
                "Statistic": "Maximum",
                "Period": 300,
                "EvaluationPeriods": 3,
                "Threshold": 1800,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": topic,
                "OKActions": topic,
            },
        },
        "ReminderBacklogAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": "The oldest reminder has waited more than an hour: the "
                "sender is failing or throttled.",
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [
                    {"Name": "QueueName", "Value": get_att("ReminderQueue", "QueueName")}
                ],
                "Statistic": "Maximum",
                "Period": 300,
                "EvaluationPeriods": 3,
                "Threshold": 3600,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": topic,
                "OKActions": topic,
            },
        },
    }


def _secret(description: str, template: str, key: str) -> dict:
    return {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Description": description,
            "GenerateSecretString": {
                "SecretStringTemplate": template,
                "GenerateStringKey": key,
                "PasswordLength": 64,
                "ExcludePunctuation": True,
            },
            "Tags": tags(("app", "revisit"), ("stage", ref("Stage"))),
        },
    }


def _mainland_secret() -> dict:
    """WeCom sign-in and Tencent Cloud SMS settings of a China deployment; the operator fills in
    the values (docs/deploy.md). The SecretKey and the corp secret can be fetched again."""
    placeholder = {key: "not-configured" for key in MAINLAND_SETTINGS.values() if key != "sms_secret_key"}
    placeholder["sms_templates"] = "{}"
    return {
        "MainlandSecret": disposable(
            _secret(
                "Revisit, China regions: WeCom sign-in (CorpID, AgentID, Secret) and Tencent Cloud SMS "
                "(SDK AppID, signature, SecretId, SecretKey, templates). Replace the placeholders.",
                json.dumps(placeholder, sort_keys=True),
                "sms_secret_key",
            )
        )
    }


def _secrets() -> dict:
    return {
        "JwtSecret": disposable(
            _secret("Revisit: signing key of the API's access and refresh tokens.", "{}", "value")
        ),
        # Keyed hashes of phone and ID numbers are the lookup keys in the table: a new value
        # orphans every lookup, so this one outlives the stack.
        "HashSecret": retained(
            _secret(
                "Revisit: key of the lookup hashes of phone and ID numbers. Never rotate.",
                "{}",
                "value",
            )
        ),
        # The AppSecret can be fetched again from the WeChat console.
        "WechatSecret": disposable(
            _secret(
                "Revisit: WeChat mini-program appid and AppSecret. Replace the placeholder.",
                json.dumps({"appid": "wx-not-configured"}),
                "secret",
            )
        ),
    }


def _site(china: bool) -> dict:
    bucket_objects = sub("${SiteBucket.Arn}/*")
    if china:
        # No origin access control in the China partition: the distribution, made by hand, reads
        # through a legacy origin access identity.
        reader = if_(
            "GrantsOriginAccessIdentity",
            {
                "Sid": "CloudFrontReadsThroughOriginAccessIdentity",
                "Effect": "Allow",
                "Principal": {
                    "AWS": sub(
                        "arn:${AWS::Partition}:iam::cloudfront:user/"
                        "CloudFront Origin Access Identity ${SiteOriginAccessIdentity}"
                    )
                },
                "Action": "s3:GetObject",
                "Resource": bucket_objects,
            },
            no_value(),
        )
    else:
        reader = {
            "Sid": "CloudFrontReadsThroughOriginAccessControl",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": bucket_objects,
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": sub(
                        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:"
                        "distribution/${SiteDistribution}"
                    )
                }
            },
        }
    resources = {
        "SiteBucket": retained(
            {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                        ]
                    },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "LifecycleConfiguration": {
                        "Rules": [
                            {
                                "Id": "ExpireReplacedAssets",
                                "Status": "Enabled",
                                "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                            }
                        ]
                    },
                    "Tags": tags(("app", "revisit"), ("stage", ref("Stage"))),
                },
            }
        ),
        "SiteBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("SiteBucket"),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyPlainHttp",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [get_att("SiteBucket", "Arn"), bucket_objects],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        reader,
                    ],
                },
            },
        },
    }
    if china:
        return resources
    resources |= {
        "SiteOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": sub("${AWS::StackName}-site"),
                    "Description": "Admin site: CloudFront signs its reads of the private bucket.",
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "SiteDistribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {
                "DistributionConfig": {
                    "Enabled": True,
                    "Comment": sub("Revisit ${Stage} admin site"),
                    "DefaultRootObject": "index.html",
                    "HttpVersion": "http2and3",
                    "IPV6Enabled": True,
                    "PriceClass": "PriceClass_All",
                    "Aliases": if_("HasCustomSiteDomain", [ref("SiteDomainName")], no_value()),
                    "ViewerCertificate": if_(
                        "HasCustomSiteDomain",
                        {
                            "AcmCertificateArn": ref("SiteCertificateArn"),
                            "SslSupportMethod": "sni-only",
                            "MinimumProtocolVersion": "TLSv1.2_2021",
                        },
                        {"CloudFrontDefaultCertificate": True},
                    ),
                    "Origins": [
                        {
                            "Id": "site-bucket",
                            "DomainName": get_att("SiteBucket", "RegionalDomainName"),
                            "OriginAccessControlId": get_att("SiteOriginAccessControl", "Id"),
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                    "DefaultCacheBehavior": {
                        "TargetOriginId": "site-bucket",
                        "ViewerProtocolPolicy": "redirect-to-https",
                        "AllowedMethods": ["GET", "HEAD"],
                        "CachedMethods": ["GET", "HEAD"],
                        "Compress": True,
                        "CachePolicyId": CACHING_OPTIMIZED_POLICY,
                        "ResponseHeadersPolicyId": SECURITY_HEADERS_POLICY,
                    },
                },
                "Tags": tags(("app", "revisit"), ("stage", ref("Stage"))),
            },
        },
    }
    return resources


def _user_pool(china: bool) -> dict:
    if china:
        return {}  # Cognito user pools are not offered in the China partition.
    return {
        "UserPool": retained(
            {
                "Type": "AWS::Cognito::UserPool",
                "Properties": {
                    "UserPoolName": sub("revisit-${Stage}"),
                    "DeletionProtection": if_("IsProd", "ACTIVE", "INACTIVE"),
                    # Staff accounts are created by clinic admins, never by sign-up.
                    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                    "UsernameConfiguration": {"CaseSensitive": False},
                    "Policies": {
                        "PasswordPolicy": {
                            "MinimumLength": 12,
                            "RequireLowercase": True,
                            "RequireUppercase": True,
                            "RequireNumbers": True,
                            "RequireSymbols": True,
                            "TemporaryPasswordValidityDays": 3,
                        }
                    },
                    "AccountRecoverySetting": {
                        "RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]
                    },
                    "Schema": [
                        {
                            "Name": "email",
                            "AttributeDataType": "String",
                            "Mutable": True,
                            "Required": False,
                        },
                        {
                            # The tenant of a staff member. Mutable only through the admin API:
                            # the app client below cannot write it.
                            "Name": "clinic_id",
                            "AttributeDataType": "String",
                            "Mutable": True,
                            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
                        },
                    ],
                    "UserPoolTags": {"app": "revisit", "stage": ref("Stage")},
                },
            }
        ),
        "UserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": ref("UserPool"),
                "ClientName": sub("revisit-admin-${Stage}"),
                "GenerateSecret": False,
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
                "EnableTokenRevocation": True,
                "AccessTokenValidity": 60,
                "IdTokenValidity": 60,
                "RefreshTokenValidity": 30,
                "TokenValidityUnits": {
                    "AccessToken": "minutes",
                    "IdToken": "minutes",
                    "RefreshToken": "days",
                },
                "ReadAttributes": ["email", "email_verified", "name", "custom:clinic_id"],
                "WriteAttributes": ["email", "name"],
            },
        },
        "AdminGroup": {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {
                "UserPoolId": ref("UserPool"),
                "GroupName": "admin",
                "Description": "Clinic administrators: settings, staff, rewards, campaigns.",
                "Precedence": 0,
            },
        },
        **{
            name: {
                "Type": "AWS::Cognito::UserPoolGroup",
                "Properties": {
                    "UserPoolId": ref("UserPool"),
                    "GroupName": group,
                    "Description": description,
                    "Precedence": precedence,
                },
            }
            for name, group, description, precedence in (
                ("HealthManagerGroup", "health_manager",
                 "Health managers: patients, follow-up calls, risk lists, phone numbers to call.", 10),
                ("FrontDeskGroup", "front_desk",
                 "Front-desk staff: registration, visits, check-ins, vouchers and gifts.", 20),
                ("AnalystGroup", "analyst",
                 "Analysts: dashboards and results, read-only, no personal data.", 30),
                ("OperatorGroup", "operator",
                 "The platform's operators: create clinics and their first admin; no clinic's data.", 40),
            )
        },
    }


def _dead_letter_alarm(queue: str, topic, description: str) -> dict:
    """An alarm as soon as a message is parked in the dead-letter queue `queue` (a resource name)."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": get_att(queue, "QueueName")}],
            "Statistic": "Maximum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": topic,
            "OKActions": topic,
        },
    }


def _outputs(china: bool) -> dict:
    if china:
        site_url = sub("https://${SiteDomainName}")
        pool, client = NO_USER_POOL, NO_USER_POOL
    else:
        site_url = if_(
            "HasSiteDomain",
            sub("https://${SiteDomainName}"),
            sub("https://${SiteDistribution.DomainName}"),
        )
        pool, client = ref("UserPool"), ref("UserPoolClient")
    values = {
        "Stage": ("Deployment stage.", ref("Stage")),
        "TableName": ("The single DynamoDB table.", ref("Table")),
        "TableArn": ("ARN of the table (its indexes are <arn>/index/*).", get_att("Table", "Arn")),
        "ReminderQueueName": ("Reminder queue name.", get_att("ReminderQueue", "QueueName")),
        "ReminderQueueUrl": ("Reminder queue URL.", ref("ReminderQueue")),
        "ReminderQueueArn": ("Reminder queue ARN.", get_att("ReminderQueue", "Arn")),
        "ImportQueueName": ("Import job queue name.", get_att("ImportQueue", "QueueName")),
        "ImportQueueUrl": ("Import job queue URL.", ref("ImportQueue")),
        "ImportQueueArn": ("Import job queue ARN.", get_att("ImportQueue", "Arn")),
        "ClinicJobQueueName": ("Clinic job queue name.", get_att("ClinicJobQueue", "QueueName")),
        "ClinicJobQueueUrl": ("Clinic job queue URL.", ref("ClinicJobQueue")),
        "ClinicJobQueueArn": ("Clinic job queue ARN.", get_att("ClinicJobQueue", "Arn")),
        "TableStreamArn": ("The table's stream (new and old images).", get_att("Table", "StreamArn")),
        "StreamFailureQueueArn": ("Where the stream handler's failed records are named.",
                                  get_att("StreamFailureQueue", "Arn")),
        "DataKeyArn": (
            "KMS key for the table and patient-field envelopes.",
            get_att("DataKey", "Arn"),
        ),
        "UserPoolId": (
            "Cognito user pool of clinic staff ('none' where user pools do not exist).",
            pool,
        ),
        "UserPoolClientId": (
            "App client of the admin site ('none' where user pools do not exist).",
            client,
        ),
        "SiteBucketName": ("Bucket that holds admin_site/dist.", ref("SiteBucket")),
        "SiteUrl": ("Address of the admin site (the API's allowed CORS origin).", site_url),
        "JwtSecretArn": ("Secret: API token signing key.", ref("JwtSecret")),
        "HashSecretArn": ("Secret: lookup hash key.", ref("HashSecret")),
        "WechatSecretArn": ("Secret: WeChat appid and AppSecret.", ref("WechatSecret")),
        "AlarmTopicArn": ("SNS topic the alarms notify.", ref("AlarmTopic")),
    }
    if china:
        values["MainlandSecretArn"] = ("Secret: WeCom sign-in and Tencent Cloud SMS settings.",
                                       ref("MainlandSecret"))
    assert tuple(values) == EXPORTS + (CHINA_EXPORTS if china else ())
    outputs = {
        key: {
            "Description": description,
            "Value": value,
            "Export": {"Name": sub("${AWS::StackName}-" + key)},
        }
        for key, (description, value) in values.items()
    }
    outputs["ReminderDeadLetterQueueUrl"] = {
        "Description": "Dead-letter queue of the reminder queue.",
        "Value": ref("ReminderDeadLetterQueue"),
    }
    outputs["ImportDeadLetterQueueUrl"] = {
        "Description": "Dead-letter queue of the import job queue.",
        "Value": ref("ImportDeadLetterQueue"),
    }
    outputs["ClinicJobDeadLetterQueueUrl"] = {
        "Description": "Dead-letter queue of the clinic job queue.",
        "Value": ref("ClinicJobDeadLetterQueue"),
    }
    outputs["DataKeyAlias"] = {
        "Description": "Alias of the data key.",
        "Value": ref("DataKeyAlias"),
    }
    if not china:
        outputs["SiteDistributionId"] = {
            "Description": "CloudFront distribution of the admin site (for invalidations).",
            "Value": ref("SiteDistribution"),
        }
    return outputs


def resources_template(china: bool = False) -> dict:
    """The long-lived resources. The China partition gets its own template rather than
    conditions: CloudFormation rejects a template that names a resource type the region lacks
    (Cognito user pools, CloudFront origin access control) even when a condition skips it."""
    schema = load_schema()
    parts = (
        _key(),
        _table(schema),
        _queues(),
        _alarms(),
        _secrets(),
        _site(china),
        _user_pool(china),
        _mainland_secret() if china else {},
    )
    resources: dict = {}
    for part in parts:
        resources.update(part)
    if china:
        description = (
            "Revisit, China regions: long-lived resources (table, queues, KMS key, secrets "
            "including the WeCom sign-in and Tencent Cloud SMS settings, admin site bucket). "
            "Generated by infra/render.py; do not edit."
        )
    else:
        description = (
            "Revisit: long-lived resources (table, queues, KMS key, secrets, admin site "
            "bucket and distribution, staff user pool). Generated by infra/render.py; do not edit."
        )
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description,
        "Parameters": _parameters(china),
        "Rules": _rules(china),
        "Conditions": _conditions(china),
        "Resources": resources,
        "Outputs": _outputs(china),
    }
    if not template["Rules"]:
        del template["Rules"]
    return template


# -- the merge into `chalice package` output ----------------------------------------------------


def _secret_value(export: str, key: str) -> dict:
    """A Secrets Manager dynamic reference, resolved by CloudFormation at deploy time."""
    return sub(
        "{{resolve:secretsmanager:${Arn}:SecretString:" + key + "}}",
        {"Arn": import_value(export)},
    )


def app_environment(china: bool = False) -> dict:
    """Environment of every function (chalicelib/config.py reads it). In the China regions staff
    sign in through WeCom and SMS goes through Tencent Cloud SMS, set up from the mainland secret."""
    if china:
        return {**_common_environment(), "COGNITO_USER_POOL_ID": "", "COGNITO_CLIENT_ID": "",
                "STAFF_IDENTITY": "wecom", "SMS_PROVIDER": "tencent",
                **{name: _secret_value("MainlandSecretArn", key) for name, key in MAINLAND_SETTINGS.items()}}
    return {**_common_environment(),
            "COGNITO_USER_POOL_ID": if_("HasUserPool", import_value("UserPoolId"), ""),
            "COGNITO_CLIENT_ID": if_("HasUserPool", import_value("UserPoolClientId"), ""),
            "STAFF_IDENTITY": "cognito", "SMS_PROVIDER": "sns"}


def _common_environment() -> dict:
    return {
        "REVISIT_STAGE": import_value("Stage"),
        "REVISIT_TABLE": import_value("TableName"),
        "REMINDER_QUEUE_NAME": import_value("ReminderQueueName"),
        "REMINDER_QUEUE_URL": import_value("ReminderQueueUrl"),
        "IMPORT_QUEUE_NAME": import_value("ImportQueueName"),
        "CLINIC_JOB_QUEUE_NAME": import_value("ClinicJobQueueName"),
        "KMS_KEY_ID": import_value("DataKeyArn"),
        "ALLOWED_ORIGIN": import_value("SiteUrl"),
        "JWT_SECRET": _secret_value("JwtSecretArn", "value"),
        "HASH_SECRET": _secret_value("HashSecretArn", "value"),
        "WECHAT_APPID": _secret_value("WechatSecretArn", "appid"),
        "WECHAT_SECRET": _secret_value("WechatSecretArn", "secret"),
        "WECHAT_API_BASE": WECHAT_API_BASE,
        # Changing it changes every function, which makes CloudFormation resolve the secret
        # references again (it does not notice a new secret value by itself).
        "REVISIT_SECRETS_REVISION": ref("SecretsRevision"),
        "POWERTOOLS_SERVICE_NAME": "revisit",
        "POWERTOOLS_METRICS_NAMESPACE": "Revisit",
    }



def _queue_statement(sid: str, export: str) -> dict:
    """The API role's rights on one of the stack's queues: send, take, delete and extend."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": [
            "sqs:SendMessage",
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
        ],
        "Resource": import_value(export),
    }

def app_policy(china: bool = False) -> dict:
    table_arn = import_value("TableArn")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"),
            },
            {
                "Sid": "Tracing",
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Resource": "*",
            },
            {
                # TransactWriteItems has no IAM action of its own: each Put/Update/Delete in it
                # needs the item action and each ConditionCheck needs ConditionCheckItem.
                "Sid": "Table",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem",
                ],
                "Resource": [table_arn, sub("${TableArn}/index/*", {"TableArn": table_arn})],
            },
            _queue_statement("ReminderQueue", "ReminderQueueArn"),
            # POST /imports queues the chunks of a file; import_chunks takes them
            _queue_statement("ImportQueue", "ImportQueueArn"),
            # the schedules send one message per clinic (and a job its continuation); clinic_jobs takes them
            _queue_statement("ClinicJobQueue", "ClinicJobQueueArn"),
            {
                # the stream's event source mapping reads with the function's role
                "Sid": "TableStream",
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                           "dynamodb:ListStreams"],
                "Resource": import_value("TableStreamArn"),
            },
            {
                # the mapping names a record it gave up on in the failure queue
                "Sid": "StreamFailures",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"],
                "Resource": import_value("StreamFailureQueueArn"),
            },
            {
                # SMS reminders publish to a phone number, which has no ARN to name
                "Sid": "SmsReminders",
                "Effect": "Allow",
                "Action": ["sns:Publish"],
                "Resource": "*",
            },
            {
                "Sid": "PatientFieldEnvelopes",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                "Resource": import_value("DataKeyArn"),
            },
        ],
    }
    if china:
        # SNS does not deliver SMS to mainland numbers from the China regions: Tencent Cloud SMS does
        policy["Statement"] = [st for st in policy["Statement"] if st["Sid"] != "SmsReminders"]
    return policy


# Refusals API Gateway makes itself (no route, a body over its limit, throttling, its own
# failures) answer in the app's error shape `{code, message, field}`. The app has no
# gateway-level authoriser, so MISSING_AUTHENTICATION_TOKEN means "no such route".
GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": ("404", "route_not_found"),
    "REQUEST_TOO_LARGE": ("413", "body_too_large"),
    "THROTTLED": ("429", "throttled"),
    "DEFAULT_4XX": (None, "gateway_refused"),
    "DEFAULT_5XX": (None, "gateway_error"),
}


def gateway_response_template(code: str) -> str:
    """The mapping template of one gateway response: `messageString` is already a JSON string."""
    return '{"code": "' + code + '", "message": $context.error.messageString, "field": null}'


def gateway_responses() -> dict:
    resources = {}
    for response_type, (status, code) in GATEWAY_RESPONSES.items():
        name = "ErrorShape" + "".join(part.title() for part in response_type.split("_"))
        properties = {
            "RestApiId": {"Ref": "RestAPI"},
            "ResponseType": response_type,
            "ResponseTemplates": {"application/json": gateway_response_template(code)},
            # the admin site reads refusals from another origin
            "ResponseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin":
                                   {"Fn::Sub": ["'${Origin}'", {"Origin": import_value("SiteUrl")}]}},
        }
        if status:
            properties["StatusCode"] = status
        resources[name] = {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": properties}
    return resources


def chalice_merge_template(china: bool = False) -> dict:
    """Deep-merged by `chalice package --merge-template` (dicts merge key by key; lists and
    scalars replace). So the role's policy list is replaced outright, and the queue of the SQS
    event is replaced by giving its `Fn::Sub` a list value, which overwrites Chalice's string."""
    schema = load_schema()
    merge = {
        "Description": "Revisit API, schedules, clinic jobs and queue handlers. Packaged by infra/package.sh.",
        "Parameters": {
            "ResourcesStack": {
                "Type": "String",
                "AllowedPattern": "^[A-Za-z][A-Za-z0-9-]*$",
                "Description": "Name of the stack deployed from infra/"
                + ("resources-cn.json." if china else "resources.json."),
            },
            "SecretsRevision": {
                "Type": "String",
                "Default": "1",
                "Description": "Bump after changing a secret so the functions pick up its value.",
            },
        },
        "Conditions": {"HasUserPool": {"Fn::Not": [in_china_regions()]}},
        "Globals": {"Function": {"Environment": {"Variables": app_environment(china)}}},
        "Resources": {
            CHALICE_ROLE: {
                "Properties": {
                    "Policies": [{"PolicyName": "RevisitApp", "PolicyDocument": app_policy(china)}]
                }
            },
            # Chalice 1.34 names the API function APIHandler but points its log group at
            # ${ApiHandler}, a resource that does not exist; name the real one.
            "ApiHandlerLogGroup": {
                "Properties": {"LogGroupName": sub("/aws/lambda/${APIHandler}")}
            },
            **gateway_responses(),
            REMINDER_FUNCTION: {
                "Properties": {
                    "Events": {
                        REMINDER_EVENT: {
                            "Properties": {
                                "Queue": sub(
                                    "${QueueArn}", {"QueueArn": import_value("ReminderQueueArn")}
                                ),
                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            }
                        }
                    }
                }
            },
            IMPORT_FUNCTION: {
                "Properties": {
                    "Events": {
                        IMPORT_EVENT: {
                            "Properties": {
                                "Queue": sub(
                                    "${QueueArn}", {"QueueArn": import_value("ImportQueueArn")}
                                ),
                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            }
                        }
                    }
                }
            },
            STREAM_FUNCTION: {
                "Properties": {
                    "Events": {
                        STREAM_EVENT: {
                            "Properties": {
                                "Stream": sub("${StreamArn}", {"StreamArn": import_value("TableStreamArn")}),
                                # only the changes the consumers read (schema.STREAM_SORT_KEYS)
                                "FilterCriteria": {"Filters": [
                                    {"Pattern": json.dumps(schema.stream_filter_pattern(), separators=(",", ":"))}]},
                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                                "BisectBatchOnFunctionError": True,
                                "MaximumRetryAttempts": STREAM_MAX_RETRIES,
                                "MaximumRecordAgeInSeconds": STREAM_MAX_RECORD_AGE_S,
                                "DestinationConfig": {"OnFailure": {
                                    "Type": "SQS",
                                    "Destination": sub("${QueueArn}",
                                                       {"QueueArn": import_value("StreamFailureQueueArn")})}},
                            }
                        }
                    }
                }
            },
            CLINIC_JOB_FUNCTION: {
                "Properties": {
                    "Events": {
                        CLINIC_JOB_EVENT: {
                            "Properties": {
                                "Queue": sub(
                                    "${QueueArn}", {"QueueArn": import_value("ClinicJobQueueArn")}
                                ),
                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            }
                        }
                    }
                }
            },
        },
    }
    if china:
        del merge["Conditions"]  # no user pool to choose
    return merge


# -- the Chalice project configuration used for packaging --------------------------------------


def chalice_config(region: str) -> dict:
    """.chalice/config.json for `chalice package`. Deployment settings live here, next to the
    queue whose visibility timeout depends on them; package.sh writes this into a staged copy of
    the project, so a .chalice/config.json in the work tree (if any) only serves local use."""
    # API Gateway has no edge-optimised endpoints in the China regions.
    endpoint_type = "REGIONAL" if region in CHINA_REGIONS else "EDGE"
    stage = {
        "api_gateway_stage": "api",
        "lambda_memory_size": 512,
        "lambda_timeout": REMINDER_HANDLER_TIMEOUT_S,
        # API Gateway gives up on an integration after 29 s; the API function need not outlive it.
        "lambda_functions": {
            "api_handler": {"lambda_timeout": 29},
            # the schedules only fan out (one message per clinic); the jobs themselves run in
            # clinic_jobs, one clinic per invocation (its queue's visibility is six times this)
            "clinic_jobs": {"lambda_timeout": CLINIC_JOB_HANDLER_TIMEOUT_S,
                            "lambda_memory_size": CLINIC_JOB_MEMORY_MB},
            # one chunk of a CSV import job per invocation (its queue's visibility is six times this)
            "import_chunks": {"lambda_timeout": IMPORT_HANDLER_TIMEOUT_S},
        },
    }
    return {
        "version": "2.0",
        "app_name": "revisit",
        "api_gateway_endpoint_type": endpoint_type,
        "stages": {
            "dev": {**stage, "log_retention_in_days": 30},
            "prod": {**stage, "log_retention_in_days": 365},
        },
    }


# -- files --------------------------------------------------------------------------------------

DOCUMENTS = {
    "resources.json": resources_template,
    "resources-cn.json": lambda: resources_template(china=True),
    "chalice-merge.json": chalice_merge_template,
    "chalice-merge-cn.json": lambda: chalice_merge_template(china=True),
}


def serialise(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def rendered() -> dict[str, str]:
    return {name: serialise(build()) for name, build in DOCUMENTS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a committed file is stale")
    parser.add_argument(
        "--print", dest="show", choices=sorted(DOCUMENTS), help="print one document"
    )
    parser.add_argument(
        "--chalice-config", metavar="REGION", help="print .chalice/config.json for packaging"
    )
    args = parser.parse_args(argv)
    if args.chalice_config:
        sys.stdout.write(serialise(chalice_config(args.chalice_config)))
        return 0
    documents = rendered()
    if args.show:
        sys.stdout.write(documents[args.show])
        return 0
    stale = [
        name
        for name, text in documents.items()
        if not (INFRA / name).exists() or (INFRA / name).read_text() != text
    ]
    if args.check:
        for name in stale:
            print(f"infra/{name} is out of date: run python infra/render.py", file=sys.stderr)
        return 1 if stale else 0
    for name in stale:
        (INFRA / name).write_text(documents[name])
        print(f"wrote infra/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
