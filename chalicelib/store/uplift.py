"""Uplift model storage and the reads its training and scoring make: model versions, the last run,
the recall reminders the reminder log holds for a period, and patients' list rows by id.

- model: pk=<clinic> sk=UPLIFTMODEL#<000001>; the last KEEP_VERSIONS are kept
- run: pk=<clinic> sk=UPLIFTRUN
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.store import db, keys
from chalicelib.store.models import RecallJobItem, UpliftModelItem, UpliftRunItem, bind
from chalicelib.store.records import optional_int

KEEP_VERSIONS = 3


@dataclass(frozen=True)
class UpliftModelRecord:
    """One trained version: the model (domain.uplift.UpliftModel.as_dict() with its feature space),
    the training counts and the evaluation on held-out patients."""

    version: int
    trained_at: str
    model: dict[str, Any]
    counts: dict[str, Any]
    evaluation: dict[str, Any]
    window_days: int


@dataclass(frozen=True)
class UpliftRun:
    at: str
    status: str  # trained | no_model
    reason: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    model_version: int | None = None


class HandledRecall(NamedTuple):
    """A reminder-log entry as the training reads it."""

    patient_id: str
    rule_id: str
    kind: str
    purpose: str
    status: str
    stop_reason: str | None
    processed_at: str


def _record(item: UpliftModelItem) -> UpliftModelRecord:
    return UpliftModelRecord(int(item.version), item.trained_at, item.model, dict(item.counts or {}),
                             dict(item.evaluation or {}), int(item.window_days))


def _versions(clinic_id: str, limit: int | None = None) -> list[UpliftModelItem]:
    bind()
    return list(UpliftModelItem.query(keys.clinic_pk(clinic_id), UpliftModelItem.sk.startswith(keys.UPLIFT_MODEL),
                                      scan_index_forward=False, limit=limit))


def current_model(clinic_id: str) -> UpliftModelRecord | None:
    found = _versions(clinic_id, limit=1)
    return _record(found[0]) if found else None


def model_versions(clinic_id: str) -> list[UpliftModelRecord]:
    return [_record(item) for item in _versions(clinic_id)]


def save_model(clinic_id: str, *, trained_at: str, model: dict[str, Any], counts: dict[str, Any],
               evaluation: dict[str, Any], window_days: int) -> UpliftModelRecord:
    """Store a new version (the latest + 1, written once) and drop versions beyond KEEP_VERSIONS."""
    bind()
    for _ in range(3):
        latest = current_model(clinic_id)
        version = latest.version + 1 if latest else 1
        item = UpliftModelItem(keys.clinic_pk(clinic_id), keys.uplift_model_sk(version), version=version,
                               trained_at=trained_at, model=model, counts=counts, evaluation=evaluation,
                               window_days=window_days)
        try:
            item.save(condition=UpliftModelItem.sk.does_not_exist())
            break
        except PutError:
            continue  # another run took this version number meanwhile
    else:
        raise RuntimeError("could not allocate an uplift model version")
    for old in _versions(clinic_id)[KEEP_VERSIONS:]:
        old.delete()
    return _record(item)


def save_run(clinic_id: str, *, at: str, status: str, reason: str | None, counts: dict[str, Any],
             model_version: int | None) -> None:
    bind()
    UpliftRunItem(keys.clinic_pk(clinic_id), keys.UPLIFT_RUN_SK, at=at, status=status, reason=reason, counts=counts,
                  model_version=model_version).save()


def last_run(clinic_id: str) -> UpliftRun | None:
    bind()
    try:
        item = UpliftRunItem.get(keys.clinic_pk(clinic_id), keys.UPLIFT_RUN_SK)
    except DoesNotExist:
        return None
    return UpliftRun(item.at, item.status, item.reason, dict(item.counts or {}), optional_int(item.model_version))


def handled_recalls(clinic_id: str, first_iso: str, last_iso: str) -> list[HandledRecall]:
    """Recall reminders the reminder log holds as handled between two UTC times (gsi1, page by page)."""
    bind()
    found = []
    for item in RecallJobItem.by_gsi1.query(keys.reminder_log_pk(clinic_id),
                                            RecallJobItem.gsi1sk.between(first_iso, last_iso + "~"), page_size=500):
        if (item.kind or "recall") == "recall" and item.processed_at:
            found.append(HandledRecall(item.patient_id, item.rule_id, "recall", item.purpose or "service",
                                       item.status, item.stop_reason, item.processed_at))
    return found


_ROW_FIELDS = ("patient_id", "conditions", "district", "created_at", "consents")


def patient_rows(clinic_id: str, patient_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The list-row fields of these patients' profiles (one BatchGetItem per 100); the erased are absent."""
    found = db.batch_get([(keys.patient_pk(clinic_id, pid), keys.PROFILE_SK) for pid in patient_ids],
                         attributes=_ROW_FIELDS)
    rows = (db.plain_item(item) for item in found.values())
    return {row["patient_id"]: row for row in rows if row.get("patient_id")}
