"""The settings of a local stack: ports, the fake region and credentials, per-install secrets,
and the environment handed to `chalice local`, to the runner's own jobs and (through
.local/state/env.json) to `make sweep` and `python -m ops.admin --local`."""

from __future__ import annotations

import os
import secrets

from devstack.layout import ROOT, Layout, read_json, write_private
from devstack.supervisor import port_open

REGION = "ap-east-1"
WECHAT_APPID = "wx-local-app"
WECHAT_SECRET = "local-wechat-secret"
WECOM_CORP_ID = "ww-local-corp"
WECOM_SECRET = "local-wecom-secret"
WECOM_AGENT_ID = "1000002"
TENCENT_SMS_APP_ID = "1400000000"
TENCENT_SMS_SECRET_ID = "local-sms-secret-id"
TENCENT_SMS_SECRET_KEY = "local-sms-secret-key"
TENCENT_SMS_SIGN_NAME = "齿护口腔"
# the fake's approved templates (devstack/fake_sms.py): two variables each, the title and the text
TENCENT_SMS_TEMPLATES = ('{"recall": {"template_id": "2000001", "params": ["title", "body"]}, '
                         '"content": {"template_id": "2000002", "params": ["title", "body"]}}')
DEFAULT_PORTS = {"API_PORT": 8000, "SITE_PORT": 8080, "MOTO_PORT": 5000, "WECHAT_PORT": 8090, "WECOM_PORT": 8091,
                 "SMS_PORT": 8092}

# Settings that differ per run (ports, fresh user pool ids, per-install secrets). `chalice local`
# applies a stage's environment_variables over the process environment, so these must stay out
# of .chalice/config.json for the values below to reach the API.
PER_RUN_SETTINGS = (
    "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION",
    "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID", "WECHAT_API_BASE", "JWT_SECRET", "HASH_SECRET",
    "WECHAT_APPID", "WECHAT_SECRET", "ALLOWED_ORIGIN", "STAFF_IDENTITY", "WECOM_API_BASE", "WECOM_LOGIN_BASE",
    "WECOM_CORP_ID", "WECOM_SECRET", "WECOM_AGENT_ID", "SMS_PROVIDER", "TENCENT_SMS_ENDPOINT",
    "TENCENT_SMS_APP_ID", "TENCENT_SMS_SECRET_ID", "TENCENT_SMS_SECRET_KEY", "TENCENT_SMS_SIGN_NAME",
    "TENCENT_SMS_TEMPLATES",
)


def ports() -> dict[str, int]:
    return {name: int(os.environ.get(name) or default) for name, default in DEFAULT_PORTS.items()}


def local_secrets(layout: Layout) -> dict[str, str]:
    """JWT and hash secrets made once per data directory: the keyed hashes in the table depend on them."""
    known = read_json(layout.secrets_file)
    if not known:
        known = {"JWT_SECRET": secrets.token_urlsafe(32), "HASH_SECRET": secrets.token_urlsafe(32)}
        write_private(layout.secrets_file, known)
    return known


def config_stage_env(stage: str = "local") -> dict[str, str]:
    """The environment `chalice local --stage <stage>` adds from .chalice/config.json."""
    conf = read_json(ROOT / ".chalice" / "config.json", {}) or {}
    merged = dict(conf.get("environment_variables") or {})
    merged.update((conf.get("stages", {}).get(stage) or {}).get("environment_variables") or {})
    clash = sorted(set(merged) & set(PER_RUN_SETTINGS))
    if clash:
        raise SystemExit(f".chalice/config.json stage {stage!r} must not set {', '.join(clash)}: "
                         "chalice local would override the values this runner passes")
    return {key: str(value) for key, value in merged.items()}


def app_env(urls: dict[str, str], layout: Layout, pool_id: str = "", client_id: str = "") -> dict[str, str]:
    env = {
        "REVISIT_STAGE": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL": urls["moto"],
        "WECHAT_API_BASE": urls["wechat"],
        "WECHAT_APPID": WECHAT_APPID,
        "WECHAT_SECRET": WECHAT_SECRET,
        "COGNITO_USER_POOL_ID": pool_id,
        "COGNITO_CLIENT_ID": client_id,
        "ALLOWED_ORIGIN": "*",
        # Staff sign in through the user pool unless the runner is started with STAFF_IDENTITY=wecom
        # (the mainland setup: WeCom web login against the fake WeCom server); SMS goes through SNS
        # (moto) unless SMS_PROVIDER=tencent (the fake Tencent Cloud SMS endpoint).
        "STAFF_IDENTITY": os.environ.get("STAFF_IDENTITY") or "cognito",
        "WECOM_API_BASE": urls["wecom"],
        "WECOM_LOGIN_BASE": urls["wecom"],
        "WECOM_CORP_ID": WECOM_CORP_ID,
        "WECOM_SECRET": WECOM_SECRET,
        "WECOM_AGENT_ID": WECOM_AGENT_ID,
        "SMS_PROVIDER": os.environ.get("SMS_PROVIDER") or "sns",
        "TENCENT_SMS_ENDPOINT": urls["sms"].removeprefix("http://"),
        "TENCENT_SMS_APP_ID": TENCENT_SMS_APP_ID,
        "TENCENT_SMS_SECRET_ID": TENCENT_SMS_SECRET_ID,
        "TENCENT_SMS_SECRET_KEY": TENCENT_SMS_SECRET_KEY,
        "TENCENT_SMS_SIGN_NAME": TENCENT_SMS_SIGN_NAME,
        "TENCENT_SMS_TEMPLATES": TENCENT_SMS_TEMPLATES,
        "POWERTOOLS_METRICS_DISABLED": "true",
        **local_secrets(layout),
    }
    env.update(config_stage_env())
    return env


def child_env(settings: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "CHALICE_WORKER")}
    env.update(settings)
    env.update(extra)
    return env


def use_settings(settings: dict[str, str]) -> None:
    """Point this process's chalicelib at the stack (the runner calls the jobs in-process)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(settings)
    # The API logs each request; the runner only prints its own summaries.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    from devstack.state import reset_process_state

    reset_process_state()


def running_stack(layout: Layout) -> dict:
    """The settings document of the stack running from `layout`; SystemExit saying how to start
    one when there is none."""
    document = read_json(layout.env_file)
    if not document:
        raise SystemExit(f"no local stack found ({layout.env_file} is missing): start one with `make run`")
    if not port_open(int(document["ports"]["MOTO_PORT"])):
        raise SystemExit(f"the local stack is not running (nothing on {document['moto_url']}): "
                         "start it with `make run`")
    return document


def use_running_stack(layout: Layout | None = None) -> dict:
    """Point this process at the running local stack (`make sweep`, `ops.admin --local`)."""
    document = running_stack(layout or Layout.from_env())
    use_settings(document["env"])
    return document
