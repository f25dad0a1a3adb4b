"""The cost model's arithmetic (bench/cost_model.py): counted DynamoDB calls and item sizes to
request units, usage to dollars, and a price file that holds every price the model uses."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("cost_model", ROOT / "bench" / "cost_model.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("cost_model", module)  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


cost = _load()
KB = 1024


def test_item_size_counts_names_and_values_as_dynamodb_does():
    assert cost.item_size({"pk": {"S": "ab"}}) == 4
    assert cost.item_size({"name": {"S": "张"}}) == 4 + 3  # UTF-8 bytes
    assert cost.item_size({"n": {"N": "12345"}}) == 1 + 4  # three bytes for five digits, plus one
    assert cost.item_size({"n": {"N": "100"}}) == 1 + 2  # trailing zeros are trimmed
    assert cost.item_size({"ok": {"BOOL": True}, "x": {"NULL": True}}) == 3 + 2
    # a list or map: 3 bytes, plus 1 per element, plus the elements (and a map's names)
    assert cost.item_size({"l": {"L": [{"S": "ab"}, {"N": "7"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)
    assert cost.item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert cost.item_size(None) == 0


def test_read_units_per_started_4_kb_halved_when_eventually_consistent():
    assert cost.read_units(5 * KB) == 1.0  # the brief's example: 2 blocks, halved
    assert cost.read_units(5 * KB, consistent=True) == 2.0
    assert cost.read_units(4 * KB) == 0.5
    assert cost.read_units(4 * KB + 1) == 1.0
    assert cost.read_units(3 * KB, transactional=True) == 2.0
    assert cost.read_units(0) == 0.5  # a missing item or an empty page still costs a read


def test_write_units_per_started_kb_doubled_in_a_transaction():
    assert cost.write_units(int(2.5 * KB), transactional=True) == 6.0  # the brief's example
    assert cost.write_units(int(2.5 * KB)) == 3.0
    assert cost.write_units(KB) == 1.0
    assert cost.write_units(KB + 1) == 2.0
    assert cost.write_units(0) == 1.0


def test_a_call_s_units_from_its_sizes():
    page = cost.Sized("Query", read_sizes=[9000], items=30)  # one page: its bytes summed, then rounded
    assert page.units() == (1.5, 0.0)
    batch = cost.Sized("BatchGetItem", read_sizes=[100, 100, 5 * KB])  # each item rounded on its own
    assert batch.units() == (0.5 + 0.5 + 1.0, 0.0)
    missing = cost.Sized("GetItem", consistent=True)
    assert missing.units() == (1.0, 0.0)
    transaction = cost.Sized("TransactWriteItems", transactional=True, write_sizes=[int(2.5 * KB), 100])
    assert transaction.units() == (0.0, 6.0 + 2.0)


def test_the_written_items_of_a_transaction_include_its_condition_checks():
    key = {"pk": {"S": "C#x#P#1"}, "sk": {"S": "PROFILE"}}
    item = {**key, "balance": {"N": "5"}}
    written = cost._written("TransactWriteItems", {"TransactItems": [
        {"Put": {"Item": item}}, {"Update": {"Key": key}}, {"ConditionCheck": {"Key": key}}, {"Delete": {"Key": key}}]})
    assert [new for _, new in written] == [item, None, None, {}]
    assert all(k == {"pk": key["pk"], "sk": key["sk"]} for k, _ in written)


def test_lambda_gb_seconds_round_the_duration_up_to_the_millisecond():
    assert cost.lambda_gb_seconds(1000.2, 512) == pytest.approx(1.001 * 0.5)
    assert cost.lambda_gb_seconds(0.1, 1024) == pytest.approx(0.001)


def test_lambda_duration_is_own_cpu_slowed_to_the_memory_share_plus_call_latency():
    tally = cost.Tally(latency_ms=30.0)
    assert cost.lambda_ms(tally, 0.010, cost.FULL_VCPU_MB) == pytest.approx(40.0)
    assert cost.lambda_ms(tally, 0.010, cost.FULL_VCPU_MB // 2) == pytest.approx(30.0 + 10.0 * cost.FULL_VCPU_MB
                                                                                  / (cost.FULL_VCPU_MB // 2))


def test_usage_priced_per_unit_and_summed_per_service(tmp_path):
    table = {"regions": {"test": {"prices": {name: {"price": 2.0, "per": 1_000_000, "unit": "u"}
                                             for name in cost.PRICES_USED}}}}
    table["regions"]["test"]["prices"]["kms_request"] = {"price": 0.03, "per": 10_000, "unit": "u"}
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(table))
    prices = cost.load_prices("test", path)
    assert prices["dynamodb_read_request_unit"] == pytest.approx(2e-6)
    priced = cost.dollars({"dynamodb_rru": 1_000_000, "dynamodb_wru": 500_000, "kms_requests": 20_000,
                           "lambda_requests": 250_000}, prices)
    assert priced["dynamodb"] == pytest.approx(2.0 + 1.0)
    assert priced["kms"] == pytest.approx(0.06)
    assert priced["lambda"] == pytest.approx(0.5)
    assert priced["sqs"] == 0.0


def test_the_price_file_has_every_price_the_model_uses_with_its_unit():
    table = json.loads((ROOT / "bench" / "aws_prices.json").read_text(encoding="utf-8"))
    assert cost.REGION in table["regions"]
    assert {price for price, _ in cost.CHARGES.values()} <= set(cost.PRICES_USED)
    for region, body in table["regions"].items():
        assert body["currency"]
        for name in cost.PRICES_USED:
            entry = body["prices"].get(name)
            assert entry is not None, f"{region} has no {name}"
            assert entry["price"] >= 0 and entry["per"] > 0 and entry["unit"], f"{region} {name}"
        assert cost.load_prices(region).keys() == set(cost.PRICES_USED)


def test_job_costs_are_extrapolated_on_the_line_through_the_two_measured_sizes():
    small, large = cost.SMALL, cost.LARGE
    assert cost.linear(10.0, 10.0, 200_000) == 10.0  # a job that reads what is due stays flat
    per_patient = cost.linear(small * 2.0, large * 2.0, 200_000)
    assert per_patient == pytest.approx(400_000.0)
    assert cost.linear(5.0, 1.0, 10 * large) == 0.0  # never below zero


def test_the_activity_scales_with_the_patients():
    at_10k, at_200k = cost.event_counts(10_000), cost.event_counts(200_000)
    assert at_10k.keys() == at_200k.keys()
    for key, value in at_10k.items():
        assert at_200k[key] == pytest.approx(20 * value), key
    assert at_10k["checkins_per_active"] == pytest.approx(
        10_000 * cost.ACTIVITY["active_share"] * cost.ACTIVITY["checkins_per_active"])
