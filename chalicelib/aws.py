"""boto3 clients, created lazily once per container, with botocore's standard retries."""

from __future__ import annotations

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
