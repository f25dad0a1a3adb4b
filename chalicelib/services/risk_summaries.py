"""Keeping each patient's risk feature summary current (docs/risk.md, "The feature summary").

`on_change` is a consumer of the table's stream (chalicelib.jobs.changes): a change of a visit,
check-in, share, inbox read, follow-up call or of the profile's conditions, district,
registration or analytics consent updates the patient's summary item from the change's images
alone, and puts the patient in the due index so that the next daily run scores them again.
Idempotent by `change.event_id` (the summary remembers the last few applied) and, since each
change sets or removes only its own entry, the same in any order. An erased patient's summary
keeps only a marker (no facts, score or index entry), so late changes of their items do nothing.

Without analytics consent a summary keeps only the profile's part. When consent is granted the
summary is marked to be rebuilt: the next daily run reads that one patient's partition once
(`rebuild`), since the changes made meanwhile were not kept.

`backfill_page` builds the summaries of a clinic that existed before them, from each patient's
partition, a page of the patient list at a time (resumable by its key).
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain import risk_summary as facts_of
from chalicelib.domain.clock import clock, iso
from chalicelib.observability import logger
from chalicelib.store import risk as store
from chalicelib.store.changes import Change

ATTEMPTS = 6


def on_change(change: Change) -> None:
    """Apply one change of the table to the patient's risk feature summary, if it is one that matters."""
    if store.is_summary(change.sk) or not facts_of.matters(change.sk, change.old, change.new):
        return
    owner = change.owner
    if owner is None:
        return
    clinic_id, patient_id = owner
    erasing = change.sk == facts_of.PROFILE and change.new is None
    now = iso(clock.now())
    # due from the change's time (a record read late is not due later; a clock behind it, as in a
    # replayed stream, not later than now)
    due_at = min(iso(change.at), now) if facts_of.changes_features(change.sk, change.old, change.new) else None
    for _ in range(ATTEMPTS):
        current = store.get_summary(clinic_id, patient_id)
        if current is not None and (current.erased or change.event_id in current.applied):
            return
        expect = current.rev if current is not None else None
        applied = [*(current.applied if current else ()), change.event_id]
        if erasing:
            done = store.erase_summary(clinic_id, patient_id, expect_rev=expect, applied=applied, at=now)
        else:
            before = current.facts if current is not None else None
            after = facts_of.apply(before, change.sk, change.old, change.new)
            rebuild = (bool(current and current.rebuild) or facts_of.granted(change.old, change.new)) \
                and not facts_of.refused(after)
            if current is not None and after == facts_of.copy(before) and rebuild == current.rebuild:
                return  # nothing the model reads moved (e.g. a removal the bound had already dropped)
            due = due_at
            if due is not None and current is not None and current.due_at:
                due = min(due, current.due_at)  # an earlier due time stays
            done = store.write_summary(clinic_id, patient_id, after, expect_rev=expect, applied=applied, at=now,
                                       due_at=due, bucket=facts_of.sample_bucket(patient_id), rebuild=rebuild)
        if done:
            return
    raise RuntimeError("risk summary kept changing under its consumer")  # the batch is retried


def rebuild(clinic_id: str, summary: store.Summary) -> store.Summary | None:
    """A summary whose patient just granted analytics consent: its facts built from the
    partition (one Query; what the stream dropped while there was no consent). Returns the
    summary as written, or None if it changed meanwhile (the next run tries again)."""
    facts = facts_of.from_items(None, store.history_items(clinic_id, summary.patient_id))
    facts["p"] = dict(summary.facts.get("p") or {})
    now = iso(clock.now())
    if not store.write_summary(clinic_id, summary.patient_id, facts, expect_rev=summary.rev, applied=summary.applied,
                               at=now, due_at=None, bucket=facts_of.sample_bucket(summary.patient_id)):
        return None
    return store.get_summary(clinic_id, summary.patient_id)


def _score_of(row: dict[str, Any]) -> tuple[float | None, int | None, list | None]:
    """The score a profile carries (the summary starts from it, so an unchanged score is not rewritten)."""
    score = row.get("risk_score")
    version = row.get("risk_model_version")
    return (float(score) if score is not None else None, int(version) if version is not None else None,
            row.get("risk_factors"))


def backfill_page(clinic_id: str, start_key: dict[str, Any] | None,
                  page_size: int = 200) -> tuple[int, dict[str, Any] | None]:
    """Build the summaries of one page of the clinic's patients from their partitions (one Query
    each) and mark them due; returns how many were written and where the next page starts.

    A summary the stream consumer has written meanwhile is merged with, not replaced: its
    entries stay and the partition's are added (both describe items that exist)."""
    rows, next_key = store.patient_rows_page(clinic_id, start_key, page_size)
    now = iso(clock.now())
    written = 0
    for row in rows:
        patient_id = row["patient_id"]
        consented = facts_of.profile_part(row)["analytics"]
        built = facts_of.from_items(row, store.history_items(clinic_id, patient_id) if consented else [])
        for _ in range(ATTEMPTS):
            current = store.get_summary(clinic_id, patient_id)
            if current is not None and current.erased:
                break
            merged = built
            if current is not None:
                merged = facts_of.copy(built)
                for family, entries in current.facts.items():
                    if family == "p":
                        merged["p"] = dict(entries) or merged["p"]
                    elif family == "c":
                        for month, bits in entries.items():
                            merged["c"][month] = int(merged["c"].get(month, 0)) | int(bits)
                    else:
                        merged[family].update(entries)
                facts_of.bound(merged)
                merged = facts_of.keep_consented(merged)
            if store.write_summary(clinic_id, patient_id, merged, expect_rev=current.rev if current else None,
                                   applied=current.applied if current else (), at=now, due_at=now,
                                   bucket=facts_of.sample_bucket(patient_id),
                                   score=None if current is not None else _score_of(row)):
                written += 1
                break
    logger.info("risk summaries built", extra={"patients": written})
    return written, next_key
