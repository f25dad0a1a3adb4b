"""Forgetting process state between tests: data caches always go, clients only when their settings change."""

from __future__ import annotations

from tests.conftest import BASE_ENV


def test_clients_are_kept_only_for_the_settings_they_were_made_for(monkeypatch):
    from chalicelib import aws, crypto
    from devstack.state import reset_process_state

    for key, value in BASE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("COGNITO_ENDPOINT_URL", raising=False)
    try:
        reset_process_state(keep_connections=True)
        first = aws.client("sqs")
        crypto._plain_keys["demo-dental"] = b"k" * 32
        reset_process_state(keep_connections=True)
        assert aws.client("sqs") is first
        assert crypto._plain_keys == {}  # data caches go whatever the flag

        reset_process_state()
        assert aws.client("sqs") is not first
        kept = aws.client("sqs")
        reset_process_state(keep_connections=True)  # a full reset leaves nothing known to keep
        assert aws.client("sqs") is not kept

        kept = aws.client("sqs")
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
        reset_process_state(keep_connections=True)
        moved = aws.client("sqs")
        assert moved is not kept and moved.meta.endpoint_url == "http://127.0.0.1:4566"
    finally:
        monkeypatch.undo()
        reset_process_state()
