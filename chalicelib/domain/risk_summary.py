"""A patient's risk feature summary: the few facts of their history the lapse-risk model reads
(chalicelib.domain.risk), kept in one small item and brought up to date one table change at a time.

Pure: no AWS. The stream consumer (chalicelib.services.risk_summaries) passes each change's sort
key and old and new images to `apply`; the backfill builds the same facts from a partition's items
with `from_items`. Both give the same summary for the same items.

The facts, as plain values (they are stored as one JSON attribute):

- `p`: the profile's part: `registered` (created_at), `conditions`, `district`, `name_masked`,
  `analytics` (the analytics consent is granted)
- `v`: visits, `{key: "<visit day>|<requested revisit day or empty>"}`, the key a short hash of
  the visit item's sort key
- days as bitmasks by month, `{"<YYYY-MM>": bit d-1 set for each day d with one}`: `c` check-ins
  (clinic-local days, as stored), `s` shares that earned points and `r` inbox messages read (UTC
  days of their times), `fr` follow-up calls reached or booked and `fd` declined or wrong number

A change sets or clears exactly its own entry or bit: applying it twice gives what applying it
once did, and changes to different items commute (DynamoDB Streams keeps the changes of one item
in order). Sizes are bounded: the newest `KEEP_VISITS` visits, and for each day family the months
within `MONTHS` of its newest; a summary at every bound at once stays below 4 KB (one read unit),
a typical one is a few hundred bytes. "The newest N of everything inserted" does not depend on the
order either; what the bounds and day bits give up is in docs/risk.md.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

KEEP_VISITS = 64
MONTHS = 16  # 90-day counts at cut-offs up to 300 days back reach 13 months; the curves a little more
DAY_FAMILIES = ("c", "s", "r", "fr", "fd")
REACHED = ("reached", "booked")
DECLINED = ("declined", "wrong_number")

VISIT = "VISIT#"
CHECKIN = "CHECKIN#"
LEDGER = "LEDGER#"
INBOX = "INBOX#"
FOLLOWUP_OUTCOME = "FUOUT#"
PROFILE = "PROFILE"

# the stream records the summary reads (chalicelib.store.schema.STREAM_SORT_KEYS holds the union)
SORT_KEYS = (PROFILE,)
SORT_KEY_PREFIXES = (VISIT, CHECKIN, LEDGER, INBOX, FOLLOWUP_OUTCOME)
PROFILE_FIELDS = ("registered", "conditions", "district", "name_masked", "analytics")
FEATURE_PROFILE_FIELDS = ("registered", "conditions", "district", "analytics")


def empty() -> dict[str, Any]:
    return {"p": {}, "v": {}, **{family: {} for family in DAY_FAMILIES}}


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
        return "c", str(image["local_date"])[:10]
    if sk.startswith(LEDGER) and str(image.get("entry_id", "")).startswith("share:") and image.get("at"):
        return "s", str(image["at"])[:10]
    if sk.startswith(INBOX) and image.get("read_at"):
        return "r", str(image["read_at"])[:10]
    if sk.startswith(FOLLOWUP_OUTCOME) and image.get("day") and image.get("outcome") in REACHED + DECLINED:
        return ("fr" if image["outcome"] in REACHED else "fd"), str(image["day"])[:10]
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
    visits = facts["v"]
    if len(visits) > KEEP_VISITS:
        facts["v"] = dict(sorted(visits.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:KEEP_VISITS])
    for family in DAY_FAMILIES:
        months = facts[family]
        if months:
            last = max(months)
            index = int(last[:4]) * 12 + int(last[5:7]) - 1 - (MONTHS - 1)
            first = f"{index // 12:04d}-{index % 12 + 1:02d}"
            facts[family] = {m: bits for m, bits in months.items() if m >= first}


def copy(facts: dict[str, Any] | None) -> dict[str, Any]:
    base = empty()
    for family, values in (facts or {}).items():
        base[family] = dict(values)
    return base


def refused(facts: dict[str, Any]) -> bool:
    """The patient's profile says no to analytics (a summary without a profile yet says nothing)."""
    return bool(facts.get("p")) and not facts["p"].get("analytics")


def granted(old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    """A profile change that grants analytics consent the profile did not have."""
    return bool(old) and bool(new) and not profile_part(old)["analytics"] and profile_part(new)["analytics"]


def keep_consented(facts: dict[str, Any]) -> dict[str, Any]:
    """Without analytics consent a summary keeps the profile's part only: no activity of the
    patient is kept for the model."""
    if not refused(facts):
        return facts
    return {**empty(), "p": dict(facts["p"])}


def apply(facts: dict[str, Any] | None, sk: str, old: dict[str, Any] | None,
          new: dict[str, Any] | None) -> dict[str, Any]:
    """The summary after one change of the patient's item `sk` (old and new image; None for an
    insert's old or a removal's new). A removed profile is an erasure: handled by the caller."""
    out = copy(facts)
    if sk == PROFILE:
        if new is not None:
            out["p"] = profile_part(new)
        return keep_consented(out)
    if refused(out):
        return out
    before, after = _entry(sk, old), _entry(sk, new)
    if before == after:
        return out
    if before is not None and before[0] in DAY_FAMILIES:
        family = out[before[0]]
        month, bit = _month_bit(before[1])
        left = int(family.get(month, 0)) & ~bit
        if left:
            family[month] = left
        else:
            family.pop(month, None)
    elif before is not None:
        out[before[0]].pop(entry_key(sk), None)
    if after is not None and after[0] in DAY_FAMILIES:
        month, bit = _month_bit(after[1])
        out[after[0]][month] = int(out[after[0]].get(month, 0)) | bit
    elif after is not None:
        out[after[0]][entry_key(sk)] = after[1]
    bound(out)
    return out


def from_items(profile: dict[str, Any] | None, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary of a patient from their profile and their own items (the backfill; a
    patient without analytics consent needs no items)."""
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


def days(facts: dict[str, Any], family: str) -> list[date]:
    """The days set in one day family ("c", "s", "r", "fr", "fd")."""
    out = []
    for month, bits in (facts.get(family) or {}).items():
        year, number = int(month[:4]), int(month[5:7])
        bits = int(bits)
        day = 1
        while bits:
            if bits & 1:
                out.append(date(year, number, day))
            bits >>= 1
            day += 1
    return sorted(out)


def calls(facts: dict[str, Any]) -> list[tuple[date, str]]:
    """Follow-up calls as (day, outcome): one "reached" or "declined" per day with such a call."""
    return sorted([(d, "reached") for d in days(facts, "fr")] + [(d, "declined") for d in days(facts, "fd")])


def sample_bucket(patient_id: str, buckets: int = 10_000) -> int:
    """A patient's place in the training sample order: a hash of their id, 0 .. buckets - 1."""
    digest = hashlib.sha256(f"risk-sample:{patient_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % buckets
