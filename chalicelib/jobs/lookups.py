"""Backfill of the front desk's name lookups: records made before name lookups existed (or written
in bulk by tools that do not make them) get their name hash and lookup entry, page by page.

Run it once per deployment that has such records: `python -m chalicelib.jobs.lookups [clinic ...]`
(every clinic when none is named). It prints the cursor after each page; `--from CLINIC CURSOR`
goes on where a stopped run left off. Starting again from the beginning is safe too: every write
is conditional on the record having no hash yet, so nothing is written twice.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

from chalicelib.observability import count, logger
from chalicelib.services import desk
from chalicelib.store import clinics


def backfill_names(clinic_ids: Iterable[str] | None = None, *, start: tuple[str, str] | None = None,
                   limit: int = 100, progress: Callable[[str, str | None, int], None] | None = None) -> dict:
    """Give every record of these clinics (all when None) its name lookup; `start` = (clinic, cursor)
    skips the clinics before that one and starts it at the cursor. Returns the totals."""
    totals = {"clinics": 0, "given": 0}
    ids = list(clinic_ids) if clinic_ids is not None else clinics.all_clinic_ids()
    if start is not None:
        ids = ids[ids.index(start[0]):] if start[0] in ids else [start[0]] + ids
    for clinic_id in ids:
        cursor = start[1] if start is not None and clinic_id == start[0] else None
        while True:
            given, cursor = desk.backfill_page(clinic_id, cursor, limit)
            totals["given"] += given
            if progress is not None:
                progress(clinic_id, cursor, given)
            if cursor is None:
                break
        totals["clinics"] += 1
    count("NameLookupsBackfilled", totals["given"])
    logger.info("name lookups backfilled", extra=totals)
    return totals


def main(argv: list[str]) -> int:
    start = None
    if argv[:1] == ["--from"]:
        start, argv = (argv[1], argv[2]), argv[3:]
    totals = backfill_names(argv or None, start=start,
                            progress=lambda clinic, cursor, given: print(f"{clinic} {cursor or '-'} +{given}", flush=True))
    print(f"done: {totals['given']} records in {totals['clinics']} clinics")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
