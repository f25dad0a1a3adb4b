"""Patches that keep the moto server fast with tens of thousands of items, without changing what
it answers. tests/unit/test_moto_patches.py sends the same requests to moto with and without them
and compares every answer.

What they change, and why (with ~60k items each of these cost seconds per request):

- TransactWriteItems deep-copies every table it touches before it starts, to roll back. Here the
  tables are kept by reference and only the items the transaction names are saved; a failed
  transaction puts those back.
- A table Query sorts every item of the table before it looks at the partition, and an index
  Query every item before it filters on the index key. Here the Query reads only the partition,
  or only the items whose attribute equals the index's hash key condition; moto then filters and
  sorts those exactly as before.
- A Scan resumed from ExclusiveStartKey compares every item before the start key with it. Here
  it starts after the item named by the key, when that item still exists.
- Building an item re-measures the whole item for each attribute (moto's 400 KB check, quadratic
  in the attributes). Here a new item is measured once, attribute by attribute, while it is far
  below the limit; near the limit moto's own check decides.
- A Query with a ProjectionExpression turned each item it found into plain values once per
  projected name (nine times for the risk training's partition reads), after deep-copying every
  item it then rebuilt anyway. Here a projection of top-level names converts each item once and
  the copy is skipped (nested paths and list elements go moto's own way).
- An UpdateExpression is checked by a series of tree walkers, each of which rebuilt its map of
  node types to handlers for every node. Here each walker builds it once.
- The server's requests run one at a time, and so does a table export's thread: moto's backends
  are not thread-safe (and CPU-bound, so nothing is lost).
- The reply to an item operation (GetItem, Query, TransactWriteItems ...) is written with
  json.dumps instead of moto's model-driven serializer, which walks the response shape value by
  value (a third of a check-in's time in moto). DynamoDB's JSON protocol is the result as it
  stands: binary values go out in base64, members without a value are left out.

The patches wrap moto's methods instead of copying them, read the arguments they need by name
(bound against moto's own signatures, whatever the caller passes by position), and apply()
checks that moto still has what they rely on, so a moto upgrade that moves something fails at
once with a message. A cancelled transaction's stream records are dropped with its writes, as
moto's own rollback drops them with the copied table.
"""

from __future__ import annotations

import copy
import inspect
import threading
from contextlib import contextmanager
from typing import Any, Callable

# Below this size an item is built without moto's per-attribute re-measuring; from here on each
# attribute goes through moto's own check (its limit is ~405,000 bytes, DynamoDB's 400 KB).
FAST_BUILD_BYTES = 256_000


class MotoChanged(RuntimeError):
    """moto no longer has what a patch relies on: update devstack/moto_patches.py."""


_undo: list[tuple[object, str, object]] = []  # (owner, attribute, original value), in the order applied
_narrow = threading.local()  # the narrowed item list a Query or Scan in progress reads instead of all items
# Held by every request the server handles (and by a table export's thread): moto's backends are
# not thread-safe. devstack/moto_server.py takes it too for the work it does outside moto's app.
REQUEST_LOCK = threading.RLock()


def applied() -> bool:
    return bool(_undo)


def apply() -> None:
    """Patch moto in this process (idempotent)."""
    if _undo:
        return
    from moto.dynamodb import models as backend_module
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.models.table_export import TableExport
    from moto.dynamodb.models.utilities import bytesize
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from moto.dynamodb.responses import DynamoResult

    _check(backend_module, Table, Item, LimitedSizeDict, TableExport, DomainDispatcherApplication)
    if getattr(table_module, "copy", None) is not copy or not hasattr(Item, "project"):
        raise MotoChanged("moto.dynamodb.models.table no longer deep-copies through the copy module, "
                          "or Item.project is gone")
    if not all(hasattr(DepthFirstTraverser, name) for name in ("_processing_map", "nodes_to_be_processed", "process")):
        raise MotoChanged("moto.dynamodb.parsing.ast_nodes.DepthFirstTraverser changed")
    if not hasattr(DynamoResult, "execute_result"):
        raise MotoChanged("moto.dynamodb.responses.DynamoResult.execute_result is gone")
    try:
        _patch_transactions(backend_module, Table, DynamoType)
        _patch_reads(Table, DynamoType)
        _patch_item_building(Item, DynamoType, bytesize)
        _patch_projections(table_module, Item)
        _patch_expression_walks(DepthFirstTraverser)
        _patch_one_request_at_a_time(DomainDispatcherApplication, TableExport)
        _patch_item_replies(DynamoResult)
    except BaseException:
        remove()
        raise


def remove() -> None:
    """Put moto back as it was."""
    while _undo:
        owner, name, original = _undo.pop()
        setattr(owner, name, original)


@contextmanager
def patched():
    """moto patched for the duration (tests compare answers with and without)."""
    already = applied()
    apply()
    try:
        yield
    finally:
        if not already:
            remove()


def _replace(owner: object, name: str, value: object) -> None:
    _undo.append((owner, name, getattr(owner, name)))
    setattr(owner, name, value)


def _signature(function: Callable, *names: str) -> inspect.Signature:
    signature = inspect.signature(function)
    missing = [name for name in names if name not in signature.parameters]
    if missing:
        raise MotoChanged(f"{function.__qualname__} has no parameter {', '.join(missing)}")
    return signature


def _check(backend_module, Table, Item, LimitedSizeDict, TableExport, DomainDispatcherApplication) -> None:
    if getattr(backend_module, "copy", None) is not copy:
        raise MotoChanged("moto.dynamodb.models no longer deep-copies through the copy module")
    for owner, names in ((backend_module.DynamoDBBackend, ("transact_write_items", "get_table")),
                         (Table, ("query", "scan", "all_items", "get_item")),
                         (LimitedSizeDict, ("__setitem__",)),
                         (TableExport, ("_backup_to_s3_file",)),
                         (DomainDispatcherApplication, ("__call__",))):
        for name in names:
            if not hasattr(owner, name):
                raise MotoChanged(f"{owner.__qualname__}.{name} is gone")
    _signature(backend_module.DynamoDBBackend.transact_write_items, "transact_items")
    _signature(Table.query, "hash_key", "index_name", "hash_key_conditions")
    _signature(Table.scan, "exclusive_start_key", "index_name")
    _signature(Table.get_item, "hash_key", "range_key")
    _signature(Item.__init__, "hash_key", "range_key", "attrs")


# -- transactions: save the touched items, not the tables ----------------------------------------------


def _patch_transactions(backend_module, Table, DynamoType) -> None:
    class TablesByReference:
        """The backend module's `copy`, except that deepcopy hands a Table back as it is: the
        backend copies tables only to roll a transaction back, which transact_write_items below
        does item by item."""

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    transact = backend_module.DynamoDBBackend.transact_write_items
    signature = _signature(transact, "transact_items")

    def transact_write_items(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        saved = []
        for entry in bound.arguments["transact_items"]:
            for operation in entry.values():
                if not isinstance(operation, dict):
                    continue
                table = self.tables.get(operation.get("TableName"))
                key = operation.get("Key") or operation.get("Item") or {}
                if table is None:
                    continue
                try:
                    hash_key = DynamoType(key[table.hash_key_attr])
                    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                except KeyError:
                    continue  # moto refuses it before writing anything
                before = table.get_item(hash_key=hash_key, range_key=range_key)
                saved.append((table, hash_key, range_key, copy.deepcopy(before)))
        # a cancelled transaction leaves no stream record behind, as in DynamoDB
        streams = {id(t): (t.stream_shard, len(t.stream_shard.items))
                   for t, *_ in saved if getattr(t, "stream_shard", None) is not None}
        try:
            return transact(*bound.args, **bound.kwargs)
        except BaseException:
            for table, hash_key, range_key, before in reversed(saved):
                _put_back(table, hash_key, range_key, before)
            for shard, length in streams.values():
                del shard.items[length:]
            raise

    _replace(backend_module, "copy", TablesByReference())
    _replace(backend_module.DynamoDBBackend, "transact_write_items", transact_write_items)


def _put_back(table, hash_key, range_key, item) -> None:
    """Leave the table's item under this key as it was before (None: no item)."""
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    partition = table.items.get(hash_key)
    if item is not None:
        table.items[hash_key][range_key] = item
    elif partition is not None:
        partition.pop(range_key, None)
        if not partition:
            del table.items[hash_key]


# -- reads: only the items that can match ---------------------------------------------------------------


def _patch_reads(Table, DynamoType) -> None:
    query, scan, all_items = Table.query, Table.scan, Table.all_items
    query_signature = _signature(query, "hash_key", "index_name", "hash_key_conditions")
    scan_signature = _signature(scan, "exclusive_start_key", "index_name")

    def narrowed_query(self, *args, **kwargs):
        bound = query_signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        index_name = bound.arguments["index_name"]
        conditions = bound.arguments["hash_key_conditions"] or []
        hash_key = bound.arguments["hash_key"]
        if index_name and len(conditions) == 1:
            name, wanted = conditions[0]
            _narrow.to = (self, lambda: _items_where(self, name, wanted, _index_range_key(self, index_name)))
        elif not index_name and hash_key is not None and self.range_key_attr:
            _narrow.to = (self, lambda: list(self.items.get(hash_key, {}).values()))
        # A table Query with a projection builds new items from the ones it found: moto's deep copy
        # of them before (a guard for the index projection, which rewrites its items) is not needed.
        _narrow.shallow = bool(bound.arguments.get("projection_expressions")) and not index_name
        try:
            return query(*bound.args, **bound.kwargs)
        finally:
            _narrow.to = None
            _narrow.shallow = False

    def resumed_scan(self, *args, **kwargs):
        bound = scan_signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        start_key = bound.arguments["exclusive_start_key"]
        start = None
        if start_key and not bound.arguments["index_name"] and self.range_key_attr:
            try:
                start = self.get_item(hash_key=DynamoType(start_key[self.hash_key_attr]),
                                      range_key=DynamoType(start_key[self.range_key_attr]))
            except KeyError:
                start = None
        if start is None:  # no key, an index, or the item is gone: moto finds the place itself
            return scan(*bound.args, **bound.kwargs)
        bound.arguments["exclusive_start_key"] = None
        _narrow.to = (self, lambda: _items_after(all_items(self), start))
        try:
            return scan(*bound.args, **bound.kwargs)
        finally:
            _narrow.to = None

    def narrowed_items(self):
        narrow = getattr(_narrow, "to", None)
        if narrow is not None and narrow[0] is self:
            return narrow[1]()
        return all_items(self)

    _replace(Table, "query", narrowed_query)
    _replace(Table, "scan", resumed_scan)
    _replace(Table, "all_items", narrowed_items)


def _index_range_key(table, index_name: str) -> str | None:
    for index in table.all_indexes():
        if index.name == index_name:
            return next((key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"), None)
    return None


def _items_where(table, name: str, wanted, order_by: str | None = None) -> list:
    """The items whose attribute `name` equals `wanted` (moto's own equality), in moto's order, or for
    string keys in the order of the index's range key, so that moto's own sort of them is a
    single pass. String values are compared as strings, which is what moto's equality does for
    them, without converting each value first."""
    if wanted.type == "S":
        text = wanted.value

        def matches(item) -> bool:
            value = item.attrs.get(name)
            return value is not None and value.type == "S" and value.value == text
    else:
        def matches(item) -> bool:
            value = item.attrs.get(name)
            return value is not None and value == wanted

    if not table.range_key_attr:
        return sorted(filter(matches, table.items.values()), key=lambda item: item.hash_key)
    found = [item for partition in table.items.values() for item in partition.values() if matches(item)]
    if table.hash_key_type == "S" and table.range_key_type == "S":
        def by_range(item):
            value = item.attrs.get(order_by) if order_by else None
            text = value.value if value is not None and value.type == "S" else ""
            return text, item.hash_key.value, item.range_key.value

        return sorted(found, key=by_range)
    return sorted(found, key=lambda item: (item.hash_key, item.range_key))


def _items_after(items: list, start) -> list:
    for position, item in enumerate(items):
        if item is start:
            return items[position + 1:]
    return items


# -- building an item: measure it once --------------------------------------------------------------------


def _patch_item_building(Item, DynamoType, bytesize) -> None:
    build = Item.__init__
    signature = _signature(build, "hash_key", "range_key", "attrs")

    def build_item(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        attrs = bound.arguments["attrs"]
        bound.arguments["attrs"] = {}
        build(*bound.args, **bound.kwargs)  # keys and an empty attribute dict, as moto makes them
        size = 0
        for key, value in attrs.items():
            typed = DynamoType(value)
            size += bytesize(key) + typed.size()
            if size < FAST_BUILD_BYTES:
                dict.__setitem__(self.attrs, key, typed)
            else:
                self.attrs[key] = typed  # moto's own size check decides near the limit

    _replace(Item, "__init__", build_item)


# -- projections: the item read once, not once per projected path ----------------------------------------


class _QueryCopy:
    """What moto.dynamodb.models.table sees as its `copy` module: the copy module itself, except
    that a table Query with a projection (flagged by narrowed_query) keeps its found items as
    they are instead of deep-copying them (project() copies what it keeps)."""

    def __getattr__(self, name: str):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, *args, **kwargs):
        if getattr(_narrow, "shallow", False) and isinstance(value, list):
            return list(value)
        return copy.deepcopy(value, *args, **kwargs)


def _patch_projections(table_module, Item) -> None:
    """Item.project turned the whole item into plain values once per projected path (a Query of a
    patient's partition with nine paths converted each item nine times); here once per item, with
    the same result (the conversion copies and never changes the item)."""
    from moto.dynamodb.models import dynamo_type

    project_each = Item.project
    find_nested_key, merge_dicts = dynamo_type.find_nested_key, dynamo_type.merge_dicts
    serializer = dynamo_type.serializer

    def project(self, projection_expressions):
        # Top-level names only: each path takes its own attribute, so the paths cannot share (and
        # change) a part of the converted item. Nested paths and list elements go moto's own way.
        if not projection_expressions or any(len(path) != 1 or "[" in path[0] for path in projection_expressions):
            return project_each(self, projection_expressions)
        result: dict[str, Any] = {}
        plain = self.to_regular_json()
        for path in projection_expressions:
            merge_dicts(result, find_nested_key(path, plain))
        return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=serializer.serialize(result)["M"])

    _replace(Item, "project", project)
    _replace(table_module, "copy", _QueryCopy())


# -- expression walks: each walker's map of node types built once -------------------------------------------


def _patch_expression_walks(DepthFirstTraverser) -> None:
    """moto checks an UpdateExpression with a series of tree walkers; each asked its map of node
    types to handlers (a new dict of bound methods) again for every node of the tree, twice for a
    node it handles. Here a walker builds its map once and keeps it: the map depends on the walker
    only, so what is handled, and how, stays the same."""
    cached = "_devstack_processing_map"

    def processing_map(self) -> tuple[dict, tuple]:
        kept = self.__dict__.get(cached)
        if kept is None:
            handlers = self._processing_map()
            kept = self.__dict__[cached] = (handlers, tuple(handlers))
        return kept

    def nodes_to_be_processed(self):
        return processing_map(self)[1]

    def process(self, node):
        for class_key, processor in processing_map(self)[0].items():
            if isinstance(node, class_key):
                return processor(node)

    _replace(DepthFirstTraverser, "nodes_to_be_processed", nodes_to_be_processed)
    _replace(DepthFirstTraverser, "process", process)


# -- one request at a time -----------------------------------------------------------------------------------


def _patch_one_request_at_a_time(DomainDispatcherApplication, TableExport) -> None:
    lock = REQUEST_LOCK
    dispatch = DomainDispatcherApplication.__call__
    backup = TableExport._backup_to_s3_file

    def one_at_a_time(self, *args, **kwargs):
        with lock:
            return dispatch(self, *args, **kwargs)

    def locked_backup(self, *args, **kwargs):
        # A table export runs in a thread of its own; it must not read items while a request writes them.
        with lock:
            return backup(self, *args, **kwargs)

    _replace(DomainDispatcherApplication, "__call__", one_at_a_time)
    _replace(TableExport, "_backup_to_s3_file", locked_backup)


# -- replies to item operations: the result as JSON ----------------------------------------------------------

ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                             "BatchWriteItem", "TransactGetItems", "TransactWriteItems"})


def _without_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_empty(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def _json_value(value: Any) -> Any:
    import base64
    from datetime import datetime

    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} in a DynamoDB reply")


def _patch_item_replies(DynamoResult) -> None:
    import json

    serialize = DynamoResult.execute_result

    def execute_result(self, context):
        if context.operation_model.name not in ITEM_OPERATIONS:
            return serialize(self, context)
        body = json.dumps(_without_empty(self.result), default=_json_value, separators=(",", ":"))
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    _replace(DynamoResult, "execute_result", execute_result)
