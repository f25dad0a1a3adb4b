"""Retried writes: the first answers of requests sent with an Idempotency-Key, as the routing
decorator uses them. How a key is claimed, answered and replayed: chalicelib/store/idempotency.py."""

from chalicelib.store.idempotency import claim, lookup, record, release

__all__ = ["claim", "lookup", "record", "release"]
