"""Periods for earning limits and the leaderboard's keys."""

from datetime import date

from chalicelib.domain import earning


def test_period_keys_and_ends():
    day = date(2026, 12, 31)  # a Thursday in ISO week 53
    assert earning.period_key("day", day) == "D2026-12-31"
    assert earning.period_key("week", day) == "W2026-53"
    assert earning.period_key("month", day) == "M2026-12"
    assert earning.period_end("week", date(2026, 11, 18)) == date(2026, 11, 22)
    assert earning.period_end("month", date(2026, 2, 3)) == date(2026, 2, 28)
    assert earning.period_end("month", date(2028, 2, 3)) == date(2028, 2, 29)


def test_limits_default_and_override():
    assert earning.limits_for({}, "share") == {"day": 3, "week": 10, "month": 20}
    assert earning.limits_for({"share": {"day": 1}}, "share") == {"day": 1}
    assert earning.limits_for({"share": {}}, "share") == {}
    assert earning.limits_for({}, "checkin") == {}


def test_shards_are_stable_and_spread():
    ids = [f"p{i}" for i in range(400)]
    shards = [earning.shard_of(i) for i in ids]
    assert shards == [earning.shard_of(i) for i in ids]
    assert all(shards.count(s) > 60 for s in range(earning.LEADERBOARD_SHARDS))


def test_merge_top_over_shards():
    pages = [[{"patient_id": "a", "score": 9}, {"patient_id": "b", "score": 3}],
             [{"patient_id": "c", "score": 9}, {"patient_id": "d", "score": 5}]]
    assert [e["patient_id"] for e in earning.merge_top(pages, 3)] == ["a", "c", "d"]
    assert earning.score_sort(42, "p") == "0000000042#p" < earning.score_sort(100, "a")
