"""Forgetting per-process caches when the environment changes (tests, benchmarks, the runner)."""

from __future__ import annotations

# The settings the AWS clients and table connections were last made for (see keep_connections).
_connections_for: tuple | None = None


def reset_process_state(keep_connections: bool = False) -> None:
    """Forget the settings and every cache of data.

    With `keep_connections`, the boto3 clients and PynamoDB connections stay when the region,
    endpoints and table are those they were made for: they hold no data, and each costs a
    botocore session to make again (most of a test's setup). For a fresh in-process moto
    account under unchanged settings, as every test builds one.
    """
    global _connections_for
    from chalicelib import auth, aws, config, crypto
    from chalicelib.store import clinics, db, models

    config.reset_settings()
    target = None
    if keep_connections:
        conf = config.settings()
        target = (conf.region, conf.aws_endpoint, conf.cognito_endpoint, conf.table_name)
        config.reset_settings()  # read again on first use, as after any reset
    if target is None or target != _connections_for:
        aws.reset_clients()
        db.reset()
        models._bound = None
    _connections_for = target
    crypto.forget_keys()
    clinics.forget_cache()
    from chalicelib.store import channels
    from chalicelib.channels import wechat

    channels.forget_cache()
    wechat.forget_token()
    from chalicelib.services import wecom

    wecom.forget_token()
    from chalicelib.store import segments

    segments.forget_cache()
    auth._jwks_client.cache_clear()
    from devstack import stream_pump

    stream_pump.forget()
