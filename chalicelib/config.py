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
    # how long audit items are kept (their TTL); chalicelib/services/audit.py, docs/audit.md
    audit_retention_days: int = 3 * 365


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"missing setting {name}")
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
        audit_retention_days=int(_env("AUDIT_RETENTION_DAYS", str(3 * 365))),
    )


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between cases)."""
    settings.cache_clear()
