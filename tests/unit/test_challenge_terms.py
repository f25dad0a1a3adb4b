"""Challenge terms (who may join, which days count, defaults) and voucher codes and validity."""

from datetime import date, datetime, timezone

import pytest

from chalicelib.domain import vouchers
from chalicelib.domain.challenges import DEFAULT_CHALLENGES, POINTS, VOUCHER, Reward, Terms, reward_key


def terms(**overrides) -> Terms:
    values = dict(challenge_id="c1", name="连续打卡", checkin_type="glucose", days=7, grace=0,
                  reward=Reward(POINTS, points=10), start_date=date(2026, 11, 1), end_date=date(2026, 11, 30))
    values.update(overrides)
    return Terms(**values)


def test_everyone_or_patients_with_one_of_the_conditions_may_join():
    assert terms().eligible([])
    only = terms(conditions=("diabetes", "hypertension"))
    assert only.eligible(["eczema", "hypertension"])
    assert not only.eligible(["eczema"]) and not only.eligible(None)


def test_days_count_inside_the_dates_and_from_the_joining_day():
    t = terms()
    assert t.counts(date(2026, 11, 1), joined_on=date(2026, 10, 20))
    assert not t.counts(date(2026, 10, 31), joined_on=date(2026, 10, 20))
    assert t.counts(date(2026, 11, 30), joined_on=date(2026, 11, 5))
    assert not t.counts(date(2026, 12, 1), joined_on=date(2026, 11, 5))
    assert not t.counts(date(2026, 11, 4), joined_on=date(2026, 11, 5))


def test_open_to_join_until_the_end_date_even_before_the_start():
    t = terms()
    assert t.open_on(date(2026, 10, 1)) and t.open_on(date(2026, 11, 30)) and not t.open_on(date(2026, 12, 1))


@pytest.mark.parametrize("overrides", [
    {"days": 0}, {"days": 366}, {"grace": 2}, {"end_date": date(2026, 10, 31)},
])
def test_bad_terms_are_refused(overrides):
    with pytest.raises(ValueError):
        terms(**overrides)


@pytest.mark.parametrize("kwargs", [
    {"type": POINTS}, {"type": POINTS, "points": 0}, {"type": VOUCHER, "voucher_kind": "x", "voucher_name": "券"},
    {"type": VOUCHER, "voucher_kind": "x", "valid_days": 3}, {"type": "cash", "points": 5},
])
def test_bad_rewards_are_refused(kwargs):
    with pytest.raises(ValueError):
        Reward(**kwargs)


def test_terms_survive_storage_as_they_are():
    t = terms(conditions=("diabetes",), reward=Reward(VOUCHER, voucher_kind="k", voucher_name="券", valid_days=30),
              name_en="Streak")
    assert Terms.from_dict(t.as_dict()) == t


def test_the_default_glucose_guard_runs_a_year_for_diabetes_patients():
    (guard,) = DEFAULT_CHALLENGES
    t = guard.terms(date(2026, 11, 20))
    assert (t.name, t.checkin_type, t.days, t.grace) == ("365天血糖守护", "glucose", 7, 0)
    assert t.end_date == date(2027, 11, 19) and t.conditions == ("diabetes",)
    assert t.reward.voucher_name == "免费血糖检测券"


def test_a_streak_reward_has_one_key_per_streak():
    assert reward_key("glucose-guard-365", date(2026, 11, 20)) == "challenge:glucose-guard-365:2026-11-20"


# --- vouchers ---------------------------------------------------------------------------------

def test_codes_use_no_look_alike_characters():
    for ambiguous in "0O1IL":
        assert ambiguous not in vouchers.ALPHABET
    picks = iter(range(100))
    code = vouchers.new_code(lambda n: next(picks) % n)
    assert code == "ABCDEFGH" and vouchers.display(code) == "ABCD-EFGH"


@pytest.mark.parametrize("typed", ["ABCD-EFGH", "abcd efgh", " abcdefgh ", "AbCd-EfGh"])
def test_a_code_may_be_typed_any_way(typed):
    assert vouchers.normalise(typed) == "ABCDEFGH"


@pytest.mark.parametrize("typed", ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGI", "ABCD/EFGH", None])
def test_malformed_codes_are_refused(typed):
    with pytest.raises(ValueError):
        vouchers.normalise(typed)


def test_validity_counts_clinic_days_including_the_issue_day():
    last, expires = vouchers.validity(date(2026, 11, 26), 30, "Asia/Shanghai")
    assert last == date(2026, 12, 25) and expires == datetime(2026, 12, 25, 16, 0, tzinfo=timezone.utc)
    last, expires = vouchers.validity(date(2026, 11, 26), 1, "Asia/Urumqi")  # UTC+6
    assert last == date(2026, 11, 26) and expires == datetime(2026, 11, 26, 18, 0, tzinfo=timezone.utc)
    # a voucher running over the end of daylight saving time in New York still ends at local midnight
    last, expires = vouchers.validity(date(2026, 10, 20), 30, "America/New_York")
    assert last == date(2026, 11, 18) and expires == datetime(2026, 11, 19, 5, 0, tzinfo=timezone.utc)


def test_status_is_expired_from_the_expiry_moment_unless_redeemed():
    expires = datetime(2026, 12, 25, 16, 0, tzinfo=timezone.utc)
    assert vouchers.status("issued", expires, datetime(2026, 12, 25, 15, 59, tzinfo=timezone.utc)) == "issued"
    assert vouchers.status("issued", expires, expires) == "expired"
    assert vouchers.status("redeemed", expires, datetime(2027, 1, 1, tzinfo=timezone.utc)) == "redeemed"
