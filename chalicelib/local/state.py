"""Forgetting per-process caches when the environment changes (tests, benchmarks, the runner)."""

from __future__ import annotations


def reset_process_state() -> None:
    from chalicelib import auth, aws, config, crypto
    from chalicelib.store import clinics, db, models

    config.reset_settings()
    aws.reset_clients()
    db.reset()
    models._bound = None
    crypto.forget_keys()
    clinics.forget_cache()
    from chalicelib.store import channels
    from chalicelib.channels import wechat

    channels.forget_cache()
    wechat.forget_token()
    from chalicelib.store import segments

    segments.forget_cache()
    auth._jwks_client.cache_clear()
