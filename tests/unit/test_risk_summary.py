"""The risk feature summary (chalicelib.domain.risk_summary): what one change does to it, that
changes applied twice or in another order give the same summary, and that the History read back
from it is the one the partition gives."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

from chalicelib.domain import risk
from chalicelib.domain import risk_summary as summary

PROFILE = {"created_at": "2025-01-05T02:00:00Z", "conditions": ["eczema"], "district": "静安区",
           "name_masked": "张*", "consents": {"analytics": {"granted": True, "version": "v1", "at": "x"}}}


def _visit(day: str, due: str | None, vid: str) -> tuple[str, dict]:
    return f"VISIT#{day}#{vid}", {"visit_date": day, "next_due_date": due, "visit_id": vid}


def _changes() -> list[tuple[str, dict | None, dict | None]]:
    """(sk, old, new) of one patient's items: a profile, visits (one moved, one removed),
    check-ins, a share, an inbox message read later, a follow-up call."""
    v1, v2, v3 = _visit("2026-03-01", "2026-05-01", "a"), _visit("2026-06-10", "2026-08-10", "b"), \
        _visit("2026-09-01", None, "c")
    moved = {**v2[1], "next_due_date": "2026-07-01"}
    inbox = {"message_id": "m1", "read_at": None}
    return [
        ("PROFILE", None, PROFILE),
        (v1[0], None, v1[1]), (v2[0], None, v2[1]), (v2[0], v2[1], moved), (v3[0], None, v3[1]), (v3[0], v3[1], None),
        ("CHECKIN#2026-09-02#glucose#c1", None, {"local_date": "2026-09-02"}),
        ("CHECKIN#2026-09-02#weight#c2", None, {"local_date": "2026-09-02"}),
        ("CHECKIN#2026-10-31#glucose#c3", None, {"local_date": "2026-10-31"}),
        ("LEDGER#share:abc", None, {"entry_id": "share:abc", "at": "2026-10-01T16:30:00Z"}),
        ("LEDGER#checkin:abc", None, {"entry_id": "checkin:abc", "at": "2026-10-01T16:30:00Z"}),
        ("INBOX#01", None, inbox), ("INBOX#01", inbox, {**inbox, "read_at": "2026-10-02T01:00:00Z"}),
        ("FUOUT#2026-10-03T02:00:00Z#o1", None, {"day": "2026-10-03", "outcome": "reached"}),
    ]


def _fold(changes) -> dict:
    facts = None
    for sk, old, new in changes:
        facts = summary.apply(facts, sk, old, new)
    return facts


def test_a_summary_holds_what_the_features_read():
    facts = _fold(_changes())
    assert facts["p"] == {"registered": "2025-01-05T02:00:00Z", "conditions": ["eczema"], "district": "静安区",
                          "name_masked": "张*", "analytics": True}
    assert summary.visits(facts) == [(date(2026, 3, 1), date(2026, 5, 1)), (date(2026, 6, 10), date(2026, 7, 1))]
    assert summary.days(facts, "c") == [date(2026, 9, 2), date(2026, 10, 31)]
    assert summary.days(facts, "s") == [date(2026, 10, 1)]  # the UTC day of the share
    assert summary.days(facts, "r") == [date(2026, 10, 2)]
    assert summary.calls(facts) == [(date(2026, 10, 3), "reached")]


def test_applied_twice_or_in_another_order_the_summary_is_the_same():
    changes = _changes()
    once = _fold(changes)
    # every change delivered twice (a retried batch), each right after itself or the whole batch again
    assert _fold([c for c in changes for _ in (0, 1)]) == once
    assert _fold(changes + changes[3:]) == once
    # changes of different items in any order; one item's changes keep their order (the stream's guarantee)
    by_item: dict[str, list] = {}
    for change in changes:
        by_item.setdefault(change[0], []).append(change)
    rng = random.Random(7)
    for _ in range(50):
        queues = [list(q) for q in by_item.values()]
        mixed = []
        while any(queues):
            queue = rng.choice([q for q in queues if q])
            mixed.append(queue.pop(0))
        assert _fold(mixed) == once
    for order in itertools.islice(itertools.permutations(list(by_item)), 200):
        assert _fold([c for sk in order for c in by_item[sk]]) == once


def test_only_changes_that_matter_are_applied():
    assert not summary.matters("PROFILE", PROFILE, {**PROFILE, "balance": 30, "risk_score": 0.4})
    assert summary.matters("PROFILE", PROFILE, {**PROFILE, "conditions": ["eczema", "diabetes"]})
    assert summary.matters("PROFILE", PROFILE, None)  # erasure
    withdrawn = {**PROFILE, "consents": {"analytics": {"granted": False}}}
    assert summary.matters("PROFILE", PROFILE, withdrawn) and summary.changes_features("PROFILE", PROFILE, withdrawn)
    renamed = {**PROFILE, "name_masked": "李*"}
    assert summary.matters("PROFILE", PROFILE, renamed) and not summary.changes_features("PROFILE", PROFILE, renamed)
    assert not summary.matters("LEDGER#checkin:1", None, {"entry_id": "checkin:1", "at": "2026-01-01T00:00:00Z"})
    assert not summary.matters("INBOX#1", None, {"message_id": "1", "read_at": None})
    assert not summary.matters("SEG#x", None, {"joined_at": "2026-01-01"})


def test_a_busy_patient_keeps_a_small_bounded_summary():
    facts = None
    start = date(2024, 1, 1)
    for i in range(900):
        day = (start + timedelta(days=i)).isoformat()
        facts = summary.apply(facts, f"CHECKIN#{day}#glucose#c{i}", None, {"local_date": day})
        facts = summary.apply(facts, f"LEDGER#share:{i}", None, {"entry_id": f"share:{i}", "at": f"{day}T01:00:00Z"})
        facts = summary.apply(facts, f"INBOX#{i}", None, {"read_at": f"{day}T02:00:00Z"})
        facts = summary.apply(facts, f"FUOUT#{day}#{i}", None, {"day": day, "outcome": "declined"})
        if i % 5 == 0:
            facts = summary.apply(facts, f"VISIT#{day}#v{i}", None, {"visit_date": day, "next_due_date": day})
    assert len(facts["v"]) == summary.KEEP_VISITS
    assert all(len(facts[family]) == summary.MONTHS for family in ("c", "s", "r", "fd"))
    assert max(d for d, _ in summary.visits(facts)) == start + timedelta(days=895)
    import json

    # at every bound at once, still below one 4 KB read unit
    assert len(json.dumps(facts, ensure_ascii=False, separators=(",", ":"))) < 4000


def test_the_history_from_a_summary_gives_the_partitions_features():
    """A patient whose history fits in the bounds: the summary's History has the same features
    at every cut-off as the History built from the items."""
    from chalicelib.services.histories import history_of_summary

    changes = _changes()
    facts = _fold(changes)
    h = history_of_summary("p1", facts, "Asia/Shanghai")
    direct = risk.History("p1", date(2025, 1, 5), ("eczema",), "静安区",
                          visits=[(date(2026, 3, 1), date(2026, 5, 1)), (date(2026, 6, 10), date(2026, 7, 1))],
                          checkins=[date(2026, 9, 2), date(2026, 10, 31)], shares=[date(2026, 10, 1)],
                          inbox_reads=[date(2026, 10, 2)], calls=[(date(2026, 10, 3), "reached")])
    for day in (date(2026, 6, 1), date(2026, 10, 1), date(2026, 11, 20)):
        assert risk.base_features(h, day) == risk.base_features(direct, day)


def test_the_next_rescore_day_is_a_time_boundary():
    h = risk.History("p", date(2025, 1, 1), visits=[(date(2026, 10, 1), date(2026, 11, 1))])
    today = date(2026, 11, 20)  # 19 days overdue: next bucket 21
    assert risk.next_rescore(h, today) == date(2026, 11, 22)
    far = risk.History("p", date(2025, 1, 1), visits=[(date(2026, 11, 1), date(2027, 11, 1))])
    # not expected within the horizon: scored again when the horizon reaches the revisit date
    assert risk.next_rescore(far, today) == date(2027, 11, 1) - timedelta(days=risk.HORIZON_DAYS - 1)
    assert not risk.due_within(far, risk.next_rescore(far, today) - timedelta(days=1))
    assert risk.due_within(far, risk.next_rescore(far, today))
    # a check-in leaving the 90-day window: at most weekly
    busy = risk.History("p", date(2025, 1, 1), visits=[(date(2026, 11, 1), date(2027, 1, 1))],
                        checkins=[date(2026, 8, 23)])
    assert risk.next_rescore(busy, today) == date(2026, 11, 27)
