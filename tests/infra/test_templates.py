"""The deployment templates: generated from the table schema, clean under cfn-lint in the global
and China regions, and the packaged app wired to them (the reminder handler's SQS event reports
partial batch failures, so one bad message is retried alone instead of with its whole batch).
The Lambda bundle holds the product only: no moto, development stack or operator tools.

The packaging tests run infra/package.sh on this repository's app.py, so they need app.py to
import and `chalice` + `cfn-lint` from requirements-dev.txt. The first run downloads Linux wheels
for requirements.txt into build/chalice-deployments/ (ignored by git); later runs reuse them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
GLOBAL_REGIONS = ["ap-east-1", "us-east-1", "eu-west-1"]
CHINA_REGIONS = ["cn-north-1", "cn-northwest-1"]
# The resources stack has one template per partition; the packaged app serves both.
TEMPLATE_REGIONS = {"resources.json": GLOBAL_REGIONS, "resources-cn.json": CHINA_REGIONS}
# The merge template packaged with each resources stack (infra/package.sh picks it by region).
MERGE_OF = {"resources.json": "chalice-merge.json", "resources-cn.json": "chalice-merge-cn.json"}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"infra_{name}", INFRA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load("render")
check_sam = _load("check_sam")


def _committed(name: str) -> dict:
    return json.loads((INFRA / name).read_text())


def _cfn_lint(path: Path, regions: list[str]) -> subprocess.CompletedProcess:
    """cfn-lint's exit code is a bit set: 2 errors, 4 warnings, 8 informational, 1 a crash."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; main()",
            "--format",
            "parseable",
            "--regions",
            *regions,
            "--",
            str(path),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _lint_report(proc: subprocess.CompletedProcess) -> str:
    return f"cfn-lint exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


def _imports(node) -> set[str]:
    """Export names a document imports, as the suffix after `${ResourcesStack}-`."""
    found = set()
    if isinstance(node, dict):
        if "Fn::ImportValue" in node:
            name = node["Fn::ImportValue"]["Fn::Sub"]
            assert name.startswith("${ResourcesStack}-"), name
            found.add(name.removeprefix("${ResourcesStack}-"))
        for value in node.values():
            found |= _imports(value)
    elif isinstance(node, list):
        for value in node:
            found |= _imports(value)
    return found


# -- the generated documents --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(render.DOCUMENTS))
def test_committed_document_is_what_render_generates(name):
    committed = (INFRA / name).read_text()
    assert committed == render.rendered()[name], (
        f"infra/{name} differs from what infra/render.py generates: run `python infra/render.py`"
    )


@pytest.mark.parametrize("name", sorted(TEMPLATE_REGIONS))
def test_table_follows_the_store_schema(name):
    schema = render.load_schema()
    table = _committed(name)["Resources"]["Table"]["Properties"]
    request = schema.create_table_request("any")
    assert table["KeySchema"] == request["KeySchema"]
    assert table["AttributeDefinitions"] == request["AttributeDefinitions"]
    assert table["GlobalSecondaryIndexes"] == schema.global_secondary_indexes()
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {
        schema.GSI1,
        schema.DUE_INDEX,
    }
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {
        "AttributeName": schema.TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"]["KMSMasterKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    # the stream the KPI counters and risk summaries follow: both images of every change
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert request["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


@pytest.mark.parametrize("name", sorted(TEMPLATE_REGIONS))
def test_reminder_queue_outlasts_its_handler_and_parks_poison_messages(name):
    resources = _committed(name)["Resources"]
    queue = resources["ReminderQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * 60
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["ReminderDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    alarm = resources["ReminderDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ReminderDeadLetterQueue", "QueueName"]}}
    ]


@pytest.mark.parametrize("name", sorted(TEMPLATE_REGIONS))
def test_import_queue_outlasts_its_handler_and_parks_poison_chunks(name):
    resources = _committed(name)["Resources"]
    queue = resources["ImportQueue"]["Properties"]
    assert queue["QueueName"] == {"Ref": "ImportQueueName"}
    assert queue["VisibilityTimeout"] >= 6 * render.IMPORT_HANDLER_TIMEOUT_S
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["ImportDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    alarm = resources["ImportDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ImportDeadLetterQueue", "QueueName"]}}
    ]


@pytest.mark.parametrize("name", sorted(TEMPLATE_REGIONS))
def test_clinic_job_queue_outlasts_its_handler_and_parks_poison_jobs(name):
    """The schedules' fan-out queue: its visibility covers six times the clinic job handler's
    timeout (the longest job, a clinic's training), and a job that keeps failing is parked."""
    resources = _committed(name)["Resources"]
    queue = resources["ClinicJobQueue"]["Properties"]
    assert queue["QueueName"] == {"Ref": "ClinicJobQueueName"}
    assert render.CLINIC_JOB_HANDLER_TIMEOUT_S == 900  # Lambda's limit: the training's old budget
    assert queue["VisibilityTimeout"] >= 6 * render.CLINIC_JOB_HANDLER_TIMEOUT_S
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["ClinicJobDeadLetterQueue", "Arn"]},
        "maxReceiveCount": render.CLINIC_JOB_MAX_RECEIVE_COUNT,
    }
    alarm = resources["ClinicJobDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ClinicJobDeadLetterQueue", "QueueName"]}}
    ]
    exported = {o["Export"]["Name"]["Fn::Sub"] for o in _committed(name)["Outputs"].values() if "Export" in o}
    assert {"${AWS::StackName}-ClinicJobQueueName", "${AWS::StackName}-ClinicJobQueueArn"} <= exported


def test_the_checked_in_chalice_stages_are_the_packaged_ones():
    """.chalice/config.json serves `chalice local`; its dev and prod stages say what package.sh
    packages (render.chalice_config), so the clinic job handler's timeout is the same in both."""
    committed = json.loads((ROOT / ".chalice" / "config.json").read_text())
    packaged = render.chalice_config("ap-east-1")
    for stage in ("dev", "prod"):
        assert committed["stages"][stage] == packaged["stages"][stage], stage
    functions = packaged["stages"]["dev"]["lambda_functions"]
    assert functions["clinic_jobs"]["lambda_timeout"] == render.CLINIC_JOB_HANDLER_TIMEOUT_S
    # the schedules only fan out now: none keeps the long timeout the jobs had
    assert not {"refresh_kpis", "train_risk_models", "build_segments"} & set(functions)
    local = committed["stages"]["local"]["environment_variables"]
    assert local["CLINIC_JOB_QUEUE_NAME"] == "revisit-clinic-jobs"


def test_user_pool_client_is_public_and_cannot_write_the_tenant():
    resources = _committed("resources.json")["Resources"]
    client = resources["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert "custom:clinic_id" in client["ReadAttributes"]
    assert "custom:clinic_id" not in client["WriteAttributes"]
    groups = {
        resource["Properties"]["GroupName"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Cognito::UserPoolGroup"
    }
    assert groups == {"admin", "front_desk", "health_manager", "analyst", "operator"}


def test_china_template_names_no_type_the_china_regions_lack():
    types = {resource["Type"] for resource in _committed("resources-cn.json")["Resources"].values()}
    assert not {t for t in types if t.startswith("AWS::Cognito::") or "OriginAccessControl" in t}
    assert "AWS::CloudFront::Distribution" not in types  # made by hand there, see docs/deploy.md


@pytest.mark.parametrize("name", sorted(TEMPLATE_REGIONS))
def test_app_imports_only_what_the_resources_stack_exports(name):
    outputs = _committed(name)["Outputs"]
    exported = {
        output["Export"]["Name"]["Fn::Sub"].removeprefix("${AWS::StackName}-")
        for output in outputs.values()
        if "Export" in output
    }
    imported = _imports(_committed(MERGE_OF[name]))
    assert imported <= exported, imported - exported


def _service_principals(node) -> set[str]:
    """Service principals keep the `amazonaws.com` suffix in the China partition too (IAM refuses
    `.amazonaws.com.cn` for them); endpoints there end in `amazonaws.com.cn`."""
    found = set()
    if isinstance(node, dict):
        principal = node.get("Principal")
        if isinstance(principal, str) and principal.endswith(".amazonaws.com"):  # a Lambda permission
            found.add(principal)
        if isinstance(principal, dict) and "Service" in principal:
            service = principal["Service"]
            found |= set(service if isinstance(service, list) else [service])
        for value in node.values():
            found |= _service_principals(value)
    elif isinstance(node, list):
        for value in node:
            found |= _service_principals(value)
    return found


@pytest.mark.parametrize("name", ["resources-cn.json", "chalice-merge-cn.json"])
def test_china_documents_sign_in_through_wecom_and_send_sms_through_tencent(name):
    """No Cognito and no SNS SMS in the China partition: staff sign in through WeCom, SMS goes
    through Tencent Cloud SMS, both set up from the mainland secret of the China resources stack."""
    document = _committed(name)
    text = json.dumps(document)
    types = {resource.get("Type", "") for resource in document["Resources"].values()}
    assert not {t for t in types if t.startswith("AWS::Cognito::")}
    assert not {"UserPoolId", "UserPoolClientId"} & _imports(document)
    assert "sns:Publish" not in text
    assert not {p for p in _service_principals(document) if p.startswith("cognito")}
    if name == "chalice-merge-cn.json":
        variables = document["Globals"]["Function"]["Environment"]["Variables"]
        assert variables["STAFF_IDENTITY"] == "wecom" and variables["SMS_PROVIDER"] == "tencent"
        assert variables["COGNITO_USER_POOL_ID"] == "" and "WECOM_SECRET" in variables
        assert _imports(variables["WECOM_SECRET"]) == {"MainlandSecretArn"}
        assert "Conditions" not in document
    else:
        assert document["Resources"]["MainlandSecret"]["Type"] == "AWS::SecretsManager::Secret"


def test_global_documents_keep_cognito_and_sns():
    variables = _committed("chalice-merge.json")["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["STAFF_IDENTITY"] == "cognito" and variables["SMS_PROVIDER"] == "sns"
    assert "MainlandSecret" not in json.dumps(_committed("resources.json"))


@pytest.mark.parametrize("name", sorted(render.DOCUMENTS))
def test_arns_name_the_partition_instead_of_assuming_it(name):
    text = (INFRA / name).read_text()
    assert not re.search(r"arn:aws(-cn)?:", text), "use ${AWS::Partition} in ARNs"


@pytest.mark.parametrize("name", sorted(TEMPLATE_REGIONS))
def test_resources_template_lints_clean(name):
    proc = _cfn_lint(INFRA / name, TEMPLATE_REGIONS[name])
    assert proc.returncode == 0, _lint_report(proc)


def test_check_sam_reports_a_renamed_reminder_handler():
    template = {
        "Resources": {
            "DefaultRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "DeliverReminders": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Timeout": 60,
                    "Events": {"DeliverRemindersSqsEventSource": {"Type": "SQS", "Properties": {}}},
                },
            },
            # What the blind merge leaves behind for the old name.
            "SendReminders": {"Properties": {"Events": {}}},
        }
    }
    problems = "\n".join(check_sam.problems(template))
    assert "SendReminders has no Type" in problems
    assert "DeliverReminders.DeliverRemindersSqsEventSource does not report" in problems


# -- the packaged app ---------------------------------------------------------------------------


def _package(outdir: Path, *options: str) -> Path:
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("AWS_PROFILE", None)
    proc = subprocess.run(
        ["bash", str(INFRA / "package.sh"), *options, str(outdir)],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"infra/package.sh failed\n{proc.stdout}\n{proc.stderr}"
    return outdir / "sam.json"


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> Path:
    return _package(tmp_path_factory.mktemp("package"), "--stage", "dev", "--region", "ap-east-1")


# What runs from a checkout and never on Lambda: moto is a development requirement, the
# development stack (runner, moto patches, snapshot, fake provider servers, demo seed) and the
# operator's command line are tools for people, not for the functions.
NOT_IN_BUNDLE = {
    "moto": re.compile(r"^moto[-_/]|^moto$"),
    "the development stack": re.compile(r"^devstack/"),
    "the operator CLI": re.compile(r"^ops/"),
    "the former local stack package": re.compile(r"^chalicelib/local/"),
    "the demo seed": re.compile(r"(^|/)seed(/|\.py$)"),
    "a fake provider server": re.compile(r"(^|/)fake_[^/]*\.py$"),
    "the moto patches": re.compile(r"(^|/)moto_patches\.py$"),
}


def test_the_bundle_holds_the_app_and_no_development_tools(packaged):
    with zipfile.ZipFile(packaged.parent / "deployment.zip") as bundle:
        names = bundle.namelist()
    # what Lambda runs is there, so an empty or unreadable listing cannot pass
    assert {"app.py", "chalicelib/__init__.py", "chalicelib/store/db.py", "pynamodb/__init__.py"} <= set(names)
    found = {label: sorted(n for n in names if pattern.search(n)) for label, pattern in NOT_IN_BUNDLE.items()}
    assert not {label: hits for label, hits in found.items() if hits}


def test_packaged_app_lints_without_errors(packaged):
    proc = _cfn_lint(packaged, GLOBAL_REGIONS + CHINA_REGIONS)
    assert proc.returncode & 3 == 0, _lint_report(proc)


def test_reminder_handler_reports_partial_batch_failures(packaged):
    template = json.loads(packaged.read_text())
    function = template["Resources"][render.REMINDER_FUNCTION]
    assert function["Type"] == "AWS::Serverless::Function"
    event = function["Properties"]["Events"][render.REMINDER_EVENT]
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert _imports(event["Properties"]["Queue"]) == {"ReminderQueueArn"}
    assert check_sam.problems(template) == []


def test_import_handler_reports_partial_batch_failures_and_may_send(packaged):
    template = json.loads(packaged.read_text())
    function = template["Resources"][render.IMPORT_FUNCTION]
    assert function["Type"] == "AWS::Serverless::Function"
    assert function["Properties"]["Timeout"] == render.IMPORT_HANDLER_TIMEOUT_S
    event = function["Properties"]["Events"][render.IMPORT_EVENT]
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert _imports(event["Properties"]["Queue"]) == {"ImportQueueArn"}
    policy = template["Resources"][render.CHALICE_ROLE]["Properties"]["Policies"][0]["PolicyDocument"]
    statement = next(st for st in policy["Statement"] if st["Sid"] == "ImportQueue")
    assert {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"} <= set(statement["Action"])
    assert _imports(statement["Resource"]) == {"ImportQueueArn"}


def test_clinic_job_handler_reports_partial_batch_failures_and_may_send(packaged):
    template = json.loads(packaged.read_text())
    function = template["Resources"][render.CLINIC_JOB_FUNCTION]
    assert function["Type"] == "AWS::Serverless::Function"
    assert function["Properties"]["Timeout"] == render.CLINIC_JOB_HANDLER_TIMEOUT_S
    event = function["Properties"]["Events"][render.CLINIC_JOB_EVENT]
    assert event["Type"] == "SQS"
    assert event["Properties"]["BatchSize"] == 1  # one clinic's job per invocation
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert _imports(event["Properties"]["Queue"]) == {"ClinicJobQueueArn"}
    policy = template["Resources"][render.CHALICE_ROLE]["Properties"]["Policies"][0]["PolicyDocument"]
    statement = next(st for st in policy["Statement"] if st["Sid"] == "ClinicJobQueue")
    assert {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"} <= set(statement["Action"])
    assert _imports(statement["Resource"]) == {"ClinicJobQueueArn"}
    queue = _committed("resources.json")["Resources"]["ClinicJobQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * function["Properties"]["Timeout"]


def test_stream_handler_reports_failures_splits_batches_and_names_what_it_gives_up(packaged):
    template = json.loads(packaged.read_text())
    function = template["Resources"][render.STREAM_FUNCTION]
    assert function["Type"] == "AWS::Serverless::Function"
    event = function["Properties"]["Events"][render.STREAM_EVENT]
    assert event["Type"] == "DynamoDB"
    properties = event["Properties"]
    assert _imports(properties["Stream"]) == {"TableStreamArn"}
    assert properties["StartingPosition"] == "TRIM_HORIZON" and properties["BatchSize"] == render.STREAM_BATCH_SIZE
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["MaximumRetryAttempts"] == render.STREAM_MAX_RETRIES
    assert _imports(properties["DestinationConfig"]["OnFailure"]["Destination"]) == {"StreamFailureQueueArn"}
    [only] = properties["FilterCriteria"]["Filters"]
    assert json.loads(only["Pattern"]) == render.load_schema().stream_filter_pattern()
    policy = template["Resources"][render.CHALICE_ROLE]["Properties"]["Policies"][0]["PolicyDocument"]
    reads = next(st for st in policy["Statement"] if st["Sid"] == "TableStream")
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"} <= set(reads["Action"])
    assert _imports(reads["Resource"]) == {"TableStreamArn"}


def test_queue_visibility_covers_six_handler_timeouts(packaged):
    template = json.loads(packaged.read_text())
    timeout = template["Resources"][render.REMINDER_FUNCTION]["Properties"]["Timeout"]
    queue = _committed("resources.json")["Resources"]["ReminderQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * timeout


def test_every_function_gets_the_stack_settings(packaged):
    template = json.loads(packaged.read_text())
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert set(variables) == set(render.app_environment())
    for required in (
        "REVISIT_STAGE",
        "REVISIT_TABLE",
        "REMINDER_QUEUE_NAME",
        "CLINIC_JOB_QUEUE_NAME",
        "KMS_KEY_ID",
        "COGNITO_USER_POOL_ID",
        "COGNITO_CLIENT_ID",
        "JWT_SECRET",
        "HASH_SECRET",
        "WECHAT_APPID",
        "WECHAT_SECRET",
        "WECHAT_API_BASE",
        "ALLOWED_ORIGIN",
    ):
        assert required in variables
    role = template["Resources"]["DefaultRole"]
    assert role["Type"] == "AWS::IAM::Role"
    actions = {
        action
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    }
    assert {
        "dynamodb:Query",
        "dynamodb:ConditionCheckItem",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    } <= actions


def test_schedules_and_api_are_packaged(packaged):
    resources = json.loads(packaged.read_text())["Resources"]
    schedules = {
        name
        for name, resource in resources.items()
        if resource.get("Type") == "AWS::Serverless::Function"
        for event in resource["Properties"].get("Events", {}).values()
        if event["Type"] == "Schedule"
    }
    assert {"SweepLapses", "RefreshKpis", "ExpirePoints", "BuildSegments", "RefreshSegments", "TrainRiskModels",
            "RequeueImports", "MarkNoShows"} <= schedules
    assert resources["APIHandler"]["Type"] == "AWS::Serverless::Function"


def test_china_package_uses_a_regional_api(tmp_path):
    """API Gateway has no edge-optimised endpoints in the China regions. The packaged app is the
    China one throughout: the aws-cn partition in every ARN (through AWS::Partition, so no ARN
    names a partition), no endpoint of the global partition, WeCom and Tencent SMS settings, no
    SNS SMS, and it lints clean for both China regions."""
    sam = _package(tmp_path, "--stage", "prod", "--region", "cn-north-1")
    template = json.loads(sam.read_text())
    assert template["Resources"]["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert set(variables) == set(render.app_environment(china=True))
    assert variables["STAFF_IDENTITY"] == "wecom" and variables["SMS_PROVIDER"] == "tencent"
    text = json.dumps(template)
    assert "sns:Publish" not in text
    assert not re.search(r"arn:aws:", text), "an ARN names the global partition"
    hosts = set(re.findall(r"[a-z0-9.-]+\.amazonaws\.com(?:\.cn)?", text))
    assert not {h for h in hosts if not h.endswith(".cn") and h not in _service_principals(template)}, hosts
    proc = _cfn_lint(sam, CHINA_REGIONS)
    assert proc.returncode & 3 == 0, _lint_report(proc)


def test_gateway_refusals_answer_in_the_app_error_shape(packaged):
    """API Gateway's own refusals (no such route, body too large, throttling) use gateway
    responses whose templates render to the app's `{code, message, field}`."""
    resources = json.loads(packaged.read_text())["Resources"]
    assert resources["RestAPI"]["Type"] == "AWS::Serverless::Api"
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in resources.values()
                 if r.get("Type") == "AWS::ApiGateway::GatewayResponse"}
    assert {"MISSING_AUTHENTICATION_TOKEN", "REQUEST_TOO_LARGE", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    for response_type, properties in responses.items():
        assert properties["RestApiId"] == {"Ref": "RestAPI"}
        template = properties["ResponseTemplates"]["application/json"]
        # API Gateway substitutes messageString as a quoted JSON string
        rendered = json.loads(template.replace("$context.error.messageString", json.dumps('Missing "token"')))
        assert set(rendered) == {"code", "message", "field"} and rendered["message"] == 'Missing "token"'
        assert rendered["code"] == render.GATEWAY_RESPONSES[response_type][1]
