"""A patient's risk feature summary: the few facts of their history the lapse-risk model reads
(chalicelib.domain.risk), kept in one small item and brought up to date one table change at a time.

Pure: no AWS. The stream consumer (chalicelib.services.risk_summaries) passes each change's sort
key and old and new images to `apply`; the backfill builds the same facts from a partition's items
with `from_items`. Both give the same summary for the same items.

The facts, as plain values (they are stored as one JSON attribute):

- `p`: the profile's part: `registered` (created_at), `conditions`, `district`, `name_masked`,
  `analytics` (the analytics consent is granted)
- `v`: visits, `{key: "<visit day>|<requested revisit day or empty>"}`
- `c`: check-in days, `{"<YYYY-MM>": bitmask of the month's days with a check-in (bit d-1)}`
- `s`: shares that earned points, `{key: "<UTC time>"}`
- `r`: inbox messages read, `{key: "<UTC read time>"}`
- `f`: follow-up calls, `{key: "<day>|<outcome>"}`

Each entry's key is a short hash of the item's sort key, so a change sets or removes exactly its
own entry: applying a change twice gives what applying it once did, and changes to different
items commute (DynamoDB Streams keeps the changes of one item in order). Lists are bounded (the
most recent `KEEP` entries, check-in months within `CHECKIN_MONTHS` of the newest), which keeps a
summary to about 1 KB for a very active patient; a bound keeps "the newest N" of everything ever
inserted whatever the order, so it commutes too, except that an entry removed after an older one
was dropped by the bound leaves one fewer (docs/risk.md says why that does not matter here).
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

KEEP = {"v": 40, "s": 30, "r": 30, "f": 20}
CHECKIN_MONTHS = 16  # the check-in feature reaches 90 days back from cut-offs up to 300 days ago

VISIT = "VISIT#"
CHECKIN = "CHECKIN#"
LEDGER = "LEDGER#"
INBOX = "INBOX#"
FOLLOWUP_OUTCOME = "FUOUT#"
PROFILE = "PROFILE"

PROFILE_FIELDS = ("registered", "conditions", "district", "name_masked", "analytics")
FEATURE_PROFILE_FIELDS = ("registered", "conditions", "district", "analytics")


def empty() -> dict[str, Any]:
    return {"p": {}, "v": {}, "c": {}, "s": {}, "r": {}, "f": {}}


def entry_key(sk: str) -> str:
    """A short stable key for one item's entry (10 hex characters of a hash of its sort key)."""
    return hashlib.sha256(sk.encode()).hexdigest()[:10]


def profile_part(image: dict[str, Any] | None) -> dict[str, Any]:
    """What the summary keeps of a profile image (or a patient list row)."""
    if not image:
        return {}
    consent = (image.get("consents") or {}).get("analytics") or {}
    return {"registered": image.get("created_at"), "conditions": sorted(image.get("conditions") or []),
            "district": image.get("district"), "name_masked": image.get("name_masked"),
            "analytics": bool(isinstance(consent, dict) and consent.get("granted"))}


def _entry(sk: str, image: dict[str, Any] | None) -> tuple[str, Any] | None:
    """(family, value) of an activity item the model reads, or None (not one, or not yet: an unread message)."""
    if not image:
        return None
    if sk.startswith(VISIT) and image.get("visit_date"):
        return "v", f"{image['visit_date']}|{image.get('next_due_date') or ''}"
    if sk.startswith(CHECKIN) and image.get("local_date"):
        return "c", str(image["local_date"])
    if sk.startswith(LEDGER) and str(image.get("entry_id", "")).startswith("share:") and image.get("at"):
        return "s", str(image["at"])
    if sk.startswith(INBOX) and image.get("read_at"):
        return "r", str(image["read_at"])
    if sk.startswith(FOLLOWUP_OUTCOME) and image.get("day") and image.get("outcome"):
        return "f", f"{image['day']}|{image['outcome']}"
    return None


def matters(sk: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    """Whether a change of this item can change the summary: decided from its images alone,
    so the consumer reads nothing for the many changes that do not (points, sessions, counters)."""
    if sk == PROFILE:
        return new is None or profile_part(old) != profile_part(new)
    return _entry(sk, old) != _entry(sk, new)


def changes_features(sk: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    """Whether the change can move the patient's score (the masked name alone cannot)."""
    if sk == PROFILE:
        before, after = profile_part(old), profile_part(new)
        return any(before.get(f) != after.get(f) for f in FEATURE_PROFILE_FIELDS)
    return matters(sk, old, new)


def _month_bit(day: str) -> tuple[str, int]:
    return day[:7], 1 << (int(day[8:10]) - 1)


def bound(facts: dict[str, Any]) -> None:
    for family, keep in KEEP.items():
        entries = facts[family]
        if len(entries) > keep:
            newest = sorted(entries.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:keep]
            facts[family] = dict(newest)
    months = facts["c"]
    if months:
        last = max(months)
        year, month = int(last[:4]), int(last[5:7])
        index = year * 12 + month - 1 - (CHECKIN_MONTHS - 1)
        first = f"{index // 12:04d}-{index % 12 + 1:02d}"
        facts["c"] = {m: bits for m, bits in months.items() if m >= first}


def copy(facts: dict[str, Any] | None) -> dict[str, Any]:
    base = empty()
    for family, values in (facts or {}).items():
        base[family] = dict(values)
    return base


def apply(facts: dict[str, Any] | None, sk: str, old: dict[str, Any] | None,
          new: dict[str, Any] | None) -> dict[str, Any]:
    """The summary after one change of the patient's item `sk` (old and new image; None for an
    insert's old or a removal's new). A removed profile is an erasure: handled by the caller."""
    out = copy(facts)
    if sk == PROFILE:
        if new is not None:
            out["p"] = profile_part(new)
        return out
    before, after = _entry(sk, old), _entry(sk, new)
    if before == after:
        return out
    if before is not None and before[0] == "c" and (after is None or after[1] != before[1]):
        month, bit = _month_bit(before[1])
        left = int(out["c"].get(month, 0)) & ~bit
        if left:
            out["c"][month] = left
        else:
            out["c"].pop(month, None)
    elif before is not None:
        out[before[0]].pop(entry_key(sk), None)
    if after is not None and after[0] == "c":
        month, bit = _month_bit(after[1])
        out["c"][month] = int(out["c"].get(month, 0)) | bit
    elif after is not None:
        out[after[0]][entry_key(sk)] = after[1]
    bound(out)
    return out


def from_items(profile: dict[str, Any] | None, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary of a patient from their profile and their own items (the backfill)."""
    facts = apply(None, PROFILE, None, profile) if profile else empty()
    for item in items:
        sk = str(item.get("sk", ""))
        if sk != PROFILE:
            facts = apply(facts, sk, None, item)
    return facts


# -- reading it back ----------------------------------------------------------------------------


def visits(facts: dict[str, Any]) -> list[tuple[date, date | None]]:
    out = []
    for value in (facts.get("v") or {}).values():
        day, _, due = str(value).partition("|")
        out.append((date.fromisoformat(day), date.fromisoformat(due) if due else None))
    return sorted(out, key=lambda v: (v[0], v[1] or v[0]))


def checkin_days(facts: dict[str, Any]) -> list[date]:
    out = []
    for month, bits in (facts.get("c") or {}).items():
        year, number = int(month[:4]), int(month[5:7])
        bits = int(bits)
        day = 1
        while bits:
            if bits & 1:
                out.append(date(year, number, day))
            bits >>= 1
            day += 1
    return sorted(out)


def times(facts: dict[str, Any], family: str) -> list[str]:
    return sorted(str(v) for v in (facts.get(family) or {}).values())


def calls(facts: dict[str, Any]) -> list[tuple[date, str]]:
    out = []
    for value in (facts.get("f") or {}).values():
        day, _, outcome = str(value).partition("|")
        out.append((date.fromisoformat(day), outcome))
    return sorted(out)


def sample_bucket(patient_id: str, buckets: int = 10_000) -> int:
    """A patient's place in the training sample order: a hash of their id, 0 .. buckets - 1."""
    digest = hashlib.sha256(f"risk-sample:{patient_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % buckets
