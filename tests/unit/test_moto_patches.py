"""The local moto server's speed patches (devstack/moto_patches.py) change costs, never answers:
the same requests (transactions that fail a condition or are refused, conditional writes, Query
with begins_with and Limit paged by LastEvaluatedKey, index queries, resumed Scans, items near
the size limit) get the same replies and leave the same table, with and without them."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chalicelib.store import schema
from devstack import moto_patches

REGION = "ap-east-1"
TABLE = "conformance"
NUMBERS = "numbers"  # a numeric index key: moto compares numbers by value ("1" equals "1.0")
BIG = 150_000  # bytes in one large attribute; moto refuses items above about 405,000


def _reply(call) -> dict:
    """A reply or a refusal, without what differs between any two requests (ids, timings)."""
    try:
        reply = call()
    except ClientError as err:
        refused = {"error": err.response["Error"].get("Code"), "message": err.response["Error"].get("Message")}
        for name in ("CancellationReasons", "Item"):
            if name in err.response:
                refused[name] = err.response[name]
        return refused
    reply.pop("ResponseMetadata", None)
    return reply


def _pages(call, **params) -> list[dict]:
    pages = []
    while True:
        page = _reply(lambda: call(**params))
        pages.append(page)
        if "LastEvaluatedKey" not in page or len(pages) > 50:
            return pages
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _state(db) -> list[dict]:
    """Every item of both tables, read without paging and sorted."""
    items = []
    for table in (TABLE, NUMBERS):
        items += [{"table": table, **item} for item in db.scan(TableName=table)["Items"]]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def _s(value: str) -> dict:
    return {"S": value}


def _seed(db) -> None:
    db.create_table(**schema.create_table_request(TABLE))
    db.create_table(TableName=NUMBERS, BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                          {"AttributeName": "at", "AttributeType": "S"},
                                          {"AttributeName": "n", "AttributeType": "N"}],
                    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
                    GlobalSecondaryIndexes=[{"IndexName": "by-n", "KeySchema": [{"AttributeName": "n",
                                                                                  "KeyType": "HASH"}],
                                             "Projection": {"ProjectionType": "ALL"}}])
    puts = [{"pk": _s("c1#P#1"), "sk": _s("PROFILE"), "balance": {"N": "10"}, "earned": {"N": "30"}},
            {"pk": _s("c1#P#1"), "sk": _s("LEDGER#e1"), "points": {"N": "10"}}]
    for n in range(25):  # visits of one patient, with other items in the partition and a neighbour
        day = f"2026-{1 + n % 12:02d}-{1 + n:02d}"
        puts.append({"pk": _s("c1#P#2"), "sk": _s(f"VISIT#{day}#v{n:02d}"), "dept": _s("dental" if n % 3 else "skin"),
                     "gsi1pk": _s("c1#DUE"), "gsi1sk": _s(f"{day[:7]}"),  # ties: months repeat
                     **({"due_pk": _s("c1#D"), "due_sk": _s(f"{day}#{n:02d}")} if n % 4 == 0 else {})})
        puts.append({"pk": _s("c1#P#20"), "sk": _s(f"VISIT#{day}#w{n:02d}"), "gsi1pk": _s("c1#DUE"),
                     "gsi1sk": _s(f"{day[:7]}")})
    puts += [{"pk": _s("c1#P#2"), "sk": _s(f"LEDGER#{n}"), "points": {"N": str(n)}} for n in range(6)]
    puts += [{"pk": _s("c2#P#1"), "sk": _s("VISIT#2026-01-01#x"), "gsi1pk": _s("c2#DUE"), "gsi1sk": _s("2026-01")}]
    for item in puts:
        db.put_item(TableName=TABLE, Item=item)
    for key, number in (("a", "1"), ("b", "1.0"), ("c", "2"), ("d", "10")):
        db.put_item(TableName=NUMBERS, Item={"id": _s(key), "at": _s("2026"), "n": {"N": number}})


def _transactions(db) -> dict:
    profile = {"pk": _s("c1#P#1"), "sk": _s("PROFILE")}
    credit = {"Update": {"TableName": TABLE, "Key": profile, "UpdateExpression": "SET balance = balance + :p",
                         "ConditionExpression": "balance >= :zero",
                         "ExpressionAttributeValues": {":p": {"N": "5"}, ":zero": {"N": "0"}}}}

    def entry(sk: str, pk: str = "c1#P#1") -> dict:
        return {"Put": {"TableName": TABLE, "Item": {"pk": _s(pk), "sk": _s(sk), "points": {"N": "5"}},
                        "ConditionExpression": "attribute_not_exists(sk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}

    answers = {}
    # the balance update runs, the ledger entry exists, a new entry and a new partition follow: all undone
    answers["cancelled"] = _reply(lambda: db.transact_write_items(TransactItems=[
        credit, entry("LEDGER#e1"), entry("LEDGER#e2"), entry("PROFILE", pk="c1#P#9")]))
    answers["after cancelled"] = _state(db)
    answers["check fails"] = _reply(lambda: db.transact_write_items(TransactItems=[
        entry("LEDGER#e3"), {"ConditionCheck": {"TableName": TABLE, "Key": profile,
                                                "ConditionExpression": "balance > :big",
                                                "ExpressionAttributeValues": {":big": {"N": "1000"}}}}]))
    answers["same item twice"] = _reply(lambda: db.transact_write_items(TransactItems=[credit, credit]))
    answers["missing key"] = _reply(lambda: db.transact_write_items(TransactItems=[
        credit, {"Put": {"TableName": TABLE, "Item": {"pk": _s("c1#P#1"), "points": {"N": "1"}}}}]))
    answers["after refused"] = _state(db)
    answers["stream after refused"] = _stream(db)
    answers["committed"] = _reply(lambda: db.transact_write_items(TransactItems=[credit, entry("LEDGER#e4")]))
    answers["after committed"] = _state(db)
    answers["stream after committed"] = _stream(db)
    return answers


def _stream(db) -> list[tuple[str, dict]]:
    """The table's stream records so far: what each changed, without their ids and times."""
    streams = boto3.client("dynamodbstreams", region_name=REGION,
                           endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com/")
    arn = db.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return [(r["eventName"], r["dynamodb"]["Keys"]) for r in records]


def _conditional_writes(db) -> dict:
    profile = {"pk": _s("c1#P#1"), "sk": _s("PROFILE")}
    return {
        "put exists": _reply(lambda: db.put_item(
            TableName=TABLE, Item={"pk": _s("c1#P#1"), "sk": _s("LEDGER#e1")},
            ConditionExpression="attribute_not_exists(sk)", ReturnValuesOnConditionCheckFailure="ALL_OLD")),
        "debit below zero": _reply(lambda: db.update_item(
            TableName=TABLE, Key=profile, UpdateExpression="SET balance = balance - :p",
            ConditionExpression="balance >= :p", ExpressionAttributeValues={":p": {"N": "500"}},
            ReturnValues="ALL_NEW")),
        "debit": _reply(lambda: db.update_item(
            TableName=TABLE, Key=profile, UpdateExpression="SET balance = balance - :p",
            ConditionExpression="balance >= :p", ExpressionAttributeValues={":p": {"N": "3"}},
            ReturnValues="ALL_NEW")),
        "after": _state(db),
    }


def _queries(db) -> dict:
    visits = {"TableName": TABLE, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
              "ExpressionAttributeValues": {":pk": _s("c1#P#2"), ":prefix": _s("VISIT#")}, "Limit": 7}
    return {
        "visits": _pages(db.query, **visits),
        "visits newest first": _pages(db.query, **visits, ScanIndexForward=False),
        "visits filtered": _pages(db.query, **{**visits, "FilterExpression": "dept = :d",
                                               "ExpressionAttributeValues": {**visits["ExpressionAttributeValues"],
                                                                             ":d": _s("skin")}}),
        "whole partition": _pages(db.query, TableName=TABLE, KeyConditionExpression="pk = :pk",
                                  ExpressionAttributeValues={":pk": _s("c1#P#2")}, Limit=10),
        "no such partition": _pages(db.query, TableName=TABLE, KeyConditionExpression="pk = :pk",
                                    ExpressionAttributeValues={":pk": _s("c1#P#3")}),
        "index": _pages(db.query, TableName=TABLE, IndexName=schema.GSI1, Limit=4,
                        KeyConditionExpression="gsi1pk = :pk AND gsi1sk BETWEEN :a AND :b",
                        ExpressionAttributeValues={":pk": _s("c1#DUE"), ":a": _s("2026-02"), ":b": _s("2026-06")}),
        "index newest first": _pages(db.query, TableName=TABLE, IndexName=schema.GSI1, Limit=6,
                                     ScanIndexForward=False, KeyConditionExpression="gsi1pk = :pk",
                                     ExpressionAttributeValues={":pk": _s("c1#DUE")}),
        "sparse keys-only index": _pages(db.query, TableName=TABLE, IndexName=schema.DUE_INDEX, Limit=3,
                                         KeyConditionExpression="due_pk = :pk AND due_sk < :until",
                                         ExpressionAttributeValues={":pk": _s("c1#D"), ":until": _s("2026-09")}),
        "numeric index key": _pages(db.query, TableName=NUMBERS, IndexName="by-n", KeyConditionExpression="n = :n",
                                    ExpressionAttributeValues={":n": {"N": "1"}}),
    }


def _scans(db) -> dict:
    answers = {"pages": _pages(db.scan, TableName=TABLE, Limit=9)}
    first = _reply(lambda: db.scan(TableName=TABLE, Limit=5))
    db.delete_item(TableName=TABLE, Key=first["LastEvaluatedKey"])  # the page's last item goes away
    answers["resumed after a delete"] = _pages(db.scan, TableName=TABLE, Limit=5,
                                               ExclusiveStartKey=first["LastEvaluatedKey"])
    answers["index pages"] = _pages(db.scan, TableName=TABLE, IndexName=schema.GSI1, Limit=8)
    return answers


def _item_sizes(db) -> dict:
    def put(sk: str, **attributes: str) -> dict:
        item = {"pk": _s("c1#SIZE"), "sk": _s(sk), **{name: _s(value) for name, value in attributes.items()}}
        return _reply(lambda: db.put_item(TableName=TABLE, Item=item))

    def update(sk: str, expression: str, **values: str) -> dict:
        return _reply(lambda: db.update_item(
            TableName=TABLE, Key={"pk": _s("c1#SIZE"), "sk": _s(sk)}, UpdateExpression=expression,
            ExpressionAttributeValues={f":{name}": _s(value) for name, value in values.items()} or None)
            if values else db.update_item(TableName=TABLE, Key={"pk": _s("c1#SIZE"), "sk": _s(sk)},
                                          UpdateExpression=expression))

    many = {f"a{n:03d}": "x" * 990 for n in range(300)}  # 300 KB in small attributes
    answers = {
        "just under": put("under", a="x" * (BIG * 2), b="y" * 104_000),
        "just over": put("over", a="x" * (BIG * 2), b="y" * 106_000),
        "many attributes": put("many", **many),
        "too many attributes": put("too-many", **many, **{f"b{n:03d}": "y" * 990 for n in range(120)}),
        "grow near the limit": update("under", "SET c = :c", c="z" * 500),
        "grow past the limit": update("under", "SET e = :e", e="z" * 2_000),
        "replace a large attribute": update("under", "SET b = :b", b="w" * 104_000),
        "remove a large attribute": update("under", "REMOVE a"),
        "then add one": update("under", "SET d = :d", d="v" * BIG * 2),
        "nested growth": put("nested", m="x"),
    }
    db.update_item(TableName=TABLE, Key={"pk": _s("c1#SIZE"), "sk": _s("nested")},
                   UpdateExpression="SET m = :m", ExpressionAttributeValues={":m": {"M": {"a": _s("x" * BIG * 2)}}})
    answers["nested then more"] = update("nested", "SET m.b = :b", b="y" * BIG)
    answers["nested then a top-level attribute"] = update("nested", "SET t = :t", t="z" * 120_000)
    answers["after"] = _state(db)
    return answers


def _projections(db) -> dict:
    """Queries with a ProjectionExpression (what the risk training's partition reads use): top-level
    names of every type, a name no item has, a nested path and a list element, with a filter, in
    pages, and on an index."""
    pk = "c1#P#7"
    for n in range(12):
        db.put_item(TableName=TABLE, Item={
            "pk": _s(pk), "sk": _s(f"ROW#{n:02d}"), "num": {"N": ["1", "1.0", "10", "-2.50"][n % 4]},
            "tags": {"SS": ["b", "a", f"t{n}"]}, "ns": {"NS": ["1", "2.0", str(n)]},
            "blob": {"B": bytes([n, 255, 0])}, "flag": {"BOOL": n % 2 == 0}, "none": {"NULL": True},
            "map": {"M": {"x": {"N": str(n)}, "y": {"L": [_s("a"), {"N": "3"}]}}},
            "lst": {"L": [_s(f"l{n}"), {"M": {"z": _s("deep")}}]},
            "gsi1pk": _s("c1#PROJ"), "gsi1sk": _s(f"{n % 5}")})
    names = {"#n": "num", "#t": "tags", "#s": "ns", "#b": "blob", "#f": "flag", "#z": "none", "#m": "map",
             "#l": "lst", "#k": "sk", "#q": "missing"}
    key = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": _s(pk)}}
    answers = {}
    answers["top-level names"] = _pages(
        db.query, TableName=TABLE, ProjectionExpression="#k, #n, #t, #s, #b, #f, #z, #m, #l, #q",
        ExpressionAttributeNames=names, Limit=5, **key)
    answers["same name twice"] = _pages(db.query, TableName=TABLE, ProjectionExpression="#n, #m, #n",
                                        ExpressionAttributeNames={"#n": "num", "#m": "map"}, **key)
    answers["nested and list paths"] = _pages(
        db.query, TableName=TABLE, ProjectionExpression="#m.x, lst[1].z, #k",
        ExpressionAttributeNames={"#m": "map", "#k": "sk"}, **key)
    answers["filtered"] = _pages(
        db.query, TableName=TABLE, ProjectionExpression="#k, #n", FilterExpression="#f = :yes",
        ExpressionAttributeNames={"#k": "sk", "#n": "num", "#f": "flag"}, Limit=4,
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": _s(pk), ":yes": {"BOOL": True}})
    answers["index"] = _pages(
        db.query, TableName=TABLE, IndexName="gsi1", ProjectionExpression="#k, #n, #m",
        ExpressionAttributeNames={"#k": "sk", "#n": "num", "#m": "map"}, Limit=3,
        KeyConditionExpression="gsi1pk = :pk", ExpressionAttributeValues={":pk": _s("c1#PROJ")})
    answers["whole items after"] = _pages(db.query, TableName=TABLE, **key)
    return answers


CASES = {"transactions": _transactions, "conditional writes": _conditional_writes, "queries": _queries,
         "scans": _scans, "item sizes": _item_sizes, "projections": _projections}


def run_cases() -> dict:
    """Every case's answers from a fresh in-process moto account."""
    with mock_aws():
        db = boto3.client("dynamodb", region_name=REGION)
        _seed(db)
        return {name: case(db) for name, case in CASES.items()}


@pytest.fixture
def fake_credentials(monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", REGION)):
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


def test_the_patches_change_no_answer(fake_credentials):
    assert not moto_patches.applied()
    plain = run_cases()
    with moto_patches.patched():
        assert moto_patches.applied()
        patched = run_cases()
    assert not moto_patches.applied(), "the patches must be undone for the tests that follow"
    for case in CASES:
        for name in plain[case]:
            assert patched[case][name] == plain[case][name], f"{case}: {name}"

    # what the cases exercise, so that two equal failures cannot pass for conformance
    transactions = plain["transactions"]
    assert transactions["cancelled"]["error"] == "TransactionCanceledException"
    reasons = [reason["Code"] for reason in transactions["cancelled"]["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed", "None", "None"]
    assert transactions["cancelled"]["CancellationReasons"][1]["Item"]["sk"] == _s("LEDGER#e1")
    assert transactions["after cancelled"] == transactions["after refused"] != transactions["after committed"]
    # the cancelled and refused transactions left no stream record; the committed one its two
    assert transactions["stream after committed"][len(transactions["stream after refused"]):] == [
        ("MODIFY", {"pk": _s("c1#P#1"), "sk": _s("PROFILE")}), ("INSERT", {"pk": _s("c1#P#1"), "sk": _s("LEDGER#e4")})]
    assert transactions["same item twice"]["error"] == "ValidationException"
    assert [reason["Code"] for reason in transactions["missing key"]["CancellationReasons"]] == ["None", "KeyError"]
    writes = plain["conditional writes"]
    assert writes["put exists"]["error"] == writes["debit below zero"]["error"] == "ConditionalCheckFailedException"
    assert writes["debit"]["Attributes"]["balance"] == {"N": "12"}
    queries = plain["queries"]
    assert [page["Count"] for page in queries["visits"]] == [7, 7, 7, 4]
    assert len(queries["index"]) > 1 and [page["Count"] for page in queries["numeric index key"]] == [2]
    assert len(plain["scans"]["resumed after a delete"]) > 3
    projected = plain["projections"]
    assert [page["Count"] for page in projected["top-level names"]] == [5, 5, 2]
    first = projected["top-level names"][0]["Items"][0]
    assert set(first) == {"sk", "num", "tags", "ns", "blob", "flag", "none", "map", "lst"}
    assert projected["nested and list paths"][0]["Items"][0]["lst"] == {"L": [{"M": {"z": _s("deep")}}]}
    assert sum(page["Count"] for page in projected["filtered"]) == 6
    assert set(projected["whole items after"][0]["Items"][0]) > set(first)
    sizes = plain["item sizes"]
    assert "error" not in sizes["just under"] and "error" not in sizes["many attributes"]
    assert sizes["just over"]["error"] == sizes["too many attributes"]["error"] == "ValidationException"
    assert "error" not in sizes["grow near the limit"] and sizes["grow past the limit"]["error"] == "ValidationException"
    assert "error" not in sizes["then add one"], "a removed attribute no longer counts"


def test_patches_come_off_again():
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser

    def current():
        return (Table.query, Table.scan, Table.all_items, Item.__init__, Item.project, table_module.copy,
                DepthFirstTraverser.process, DepthFirstTraverser.nodes_to_be_processed)

    originals = current()
    with moto_patches.patched():
        assert all(now is not before for now, before in zip(current(), originals))
    assert current() == originals
