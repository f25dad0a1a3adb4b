"""Settings read once from the environment into a typed object.

Every other module asks `settings()` instead of reading os.environ, so a test can
swap the whole configuration with `reset_settings()`.
"""

from __future__ import annotations

from typing import NamedTuple
import os
from functools import lru_cache


class Settings(NamedTuple):
    stage: str
    region: str
    aws_endpoint: str | None
    table_name: str
    reminder_queue_name: str
    kms_key_id: str
    jwt_secret: str
    hash_secret: str
    access_token_ttl: int
    refresh_token_ttl: int
    wechat_api_base: str
    wechat_appid: str
    wechat_secret: str
    cognito_user_pool_id: str
    cognito_client_id: str
    cognito_endpoint: str | None
    cognito_jwks_url: str | None
    allowed_origin: str
    default_tz: str
    # Staff sign-in: `cognito` (a user pool) or `wecom` (WeCom web login, where Cognito does not
    # exist: the China regions). WeCom staff get our own session tokens (auth.issue_staff_tokens).
    staff_identity: str = "cognito"
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    wecom_login_base: str = "https://login.work.weixin.qq.com"
    wecom_corp_id: str = ""
    wecom_agent_id: str = ""
    wecom_secret: str = ""
    staff_token_ttl: int = 3600
    staff_refresh_ttl: int = 12 * 3600
    # SMS: `sns` (Amazon SNS) or `tencent` (Tencent Cloud SMS, for mainland numbers from the China regions)
    sms_provider: str = "sns"
    tencent_sms_endpoint: str = "sms.tencentcloudapi.com"
    tencent_sms_region: str = "ap-guangzhou"
    tencent_sms_app_id: str = ""
    tencent_sms_sign_name: str = ""
    tencent_sms_secret_id: str = ""
    tencent_sms_secret_key: str = ""
    tencent_sms_templates: str = "{}"  # JSON: message kind -> {"template_id": ..., "params": [field, ...]}
    # how long audit items are kept (their TTL); chalicelib/services/audit.py, docs/audit.md
    audit_retention_days: int = 3 * 365
    # the queue of the asynchronous CSV import jobs (POST /imports; chalicelib/jobs/imports.py)
    import_queue_name: str = "revisit-imports"
    # the queue of the per-clinic scheduled jobs (a schedule sends one message per clinic;
    # chalicelib/jobs/clinic_jobs.py), and how long one such job may run before a job that can stop
    # between pages hands the rest on in a continuation message (capped by the invocation's time left)
    clinic_job_queue_name: str = "revisit-clinic-jobs"
    clinic_job_seconds: float = 600.0


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"missing setting {name}")
    return value


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    value = _env(name, allowed[0]).strip().lower()
    if value not in allowed:
        raise RuntimeError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


@lru_cache(maxsize=1)
def settings() -> Settings:
    stage = _env("REVISIT_STAGE", "local")
    region = _env("AWS_DEFAULT_REGION", "ap-east-1")
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    return Settings(
        stage=stage,
        region=region,
        aws_endpoint=endpoint,
        table_name=_env("REVISIT_TABLE", f"revisit-{stage}"),
        reminder_queue_name=_env("REMINDER_QUEUE_NAME", "revisit-reminders"),
        kms_key_id=_env("KMS_KEY_ID", "alias/revisit"),
        jwt_secret=_env("JWT_SECRET", "local-only-jwt-secret-change-me-0123456789"),
        hash_secret=_env("HASH_SECRET", "local-only-hash-secret-change-me-0123456789"),
        access_token_ttl=int(_env("ACCESS_TOKEN_TTL", "900")),
        refresh_token_ttl=int(_env("REFRESH_TOKEN_TTL", str(30 * 86400))),
        wechat_api_base=_env("WECHAT_API_BASE", "https://api.weixin.qq.com"),
        wechat_appid=_env("WECHAT_APPID", "wx-local-app"),
        wechat_secret=_env("WECHAT_SECRET", "local-wechat-secret"),
        cognito_user_pool_id=_env("COGNITO_USER_POOL_ID", ""),
        cognito_client_id=_env("COGNITO_CLIENT_ID", ""),
        cognito_endpoint=os.environ.get("COGNITO_ENDPOINT_URL") or endpoint,
        cognito_jwks_url=os.environ.get("COGNITO_JWKS_URL") or None,
        allowed_origin=_env("ALLOWED_ORIGIN", "*"),
        default_tz=_env("DEFAULT_TZ", "Asia/Shanghai"),
        staff_identity=_choice("STAFF_IDENTITY", ("cognito", "wecom")),
        wecom_api_base=_env("WECOM_API_BASE", "https://qyapi.weixin.qq.com"),
        wecom_login_base=_env("WECOM_LOGIN_BASE", "https://login.work.weixin.qq.com"),
        wecom_corp_id=_env("WECOM_CORP_ID", ""),
        wecom_agent_id=_env("WECOM_AGENT_ID", ""),
        wecom_secret=_env("WECOM_SECRET", ""),
        staff_token_ttl=int(_env("STAFF_TOKEN_TTL", "3600")),
        staff_refresh_ttl=int(_env("STAFF_REFRESH_TTL", str(12 * 3600))),
        sms_provider=_choice("SMS_PROVIDER", ("sns", "tencent")),
        tencent_sms_endpoint=_env("TENCENT_SMS_ENDPOINT", "sms.tencentcloudapi.com"),
        tencent_sms_region=_env("TENCENT_SMS_REGION", "ap-guangzhou"),
        tencent_sms_app_id=_env("TENCENT_SMS_APP_ID", ""),
        tencent_sms_sign_name=_env("TENCENT_SMS_SIGN_NAME", ""),
        tencent_sms_secret_id=_env("TENCENT_SMS_SECRET_ID", ""),
        tencent_sms_secret_key=_env("TENCENT_SMS_SECRET_KEY", ""),
        tencent_sms_templates=_env("TENCENT_SMS_TEMPLATES", "{}"),
        audit_retention_days=int(_env("AUDIT_RETENTION_DAYS", str(3 * 365))),
        import_queue_name=_env("IMPORT_QUEUE_NAME", "revisit-imports"),
        clinic_job_queue_name=_env("CLINIC_JOB_QUEUE_NAME", "revisit-clinic-jobs"),
        clinic_job_seconds=float(_env("CLINIC_JOB_SECONDS", "600")),
    )


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    settings.cache_clear()
