"""A tenant's data key for sealing what the table keeps on its behalf (store.idempotency): a clinic's
wrapped key from its item, and the platform's own (its operators'), made on first use. Kept apart
from store.clinics so the modules below it (points, idempotency) can seal without importing it."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib import crypto
from chalicelib.errors import NotFound
from chalicelib.store import keys
from chalicelib.store.models import ClinicItem, bind

_CACHE_SECONDS = 300
_wrapped: dict[str, tuple[float, str]] = {}


def _read(clinic_id: str) -> str | None:
    try:
        item = ClinicItem.get(keys.clinic_pk(clinic_id), keys.CLINIC_SK, attributes_to_get=["wrapped_key"])
    except DoesNotExist:
        return None
    return item.wrapped_key


def _platform() -> str:
    """The platform is no clinic: its item holds only a key and is in no registry, so no schedule or
    list ever finds it."""
    item = ClinicItem(keys.clinic_pk(keys.PLATFORM_CLINIC), keys.CLINIC_SK, name="platform", tz="UTC",
                      wrapped_key=crypto.new_wrapped_key(keys.PLATFORM_CLINIC), earning_rules={}, conditions=[],
                      created_at=datetime.now(timezone.utc).isoformat())
    try:
        item.save(condition=ClinicItem.pk.does_not_exist())
    except PutError:
        pass  # a twin made it meanwhile
    wrapped = _read(keys.PLATFORM_CLINIC)
    assert wrapped is not None
    return wrapped


def data_key(clinic_id: str) -> bytes:
    """The tenant's plain data key (unwrapped by KMS once per container)."""
    bind()
    hit = _wrapped.get(clinic_id)
    if hit and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return crypto.unwrap_key(clinic_id, hit[1])
    wrapped = _read(clinic_id)
    if wrapped is None:
        if clinic_id != keys.PLATFORM_CLINIC:
            raise NotFound("clinic not found", code="clinic_not_found")
        wrapped = _platform()
    _wrapped[clinic_id] = (time.monotonic(), wrapped)
    return crypto.unwrap_key(clinic_id, wrapped)
