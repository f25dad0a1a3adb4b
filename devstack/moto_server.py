"""The local stack's moto server: moto's own server with devstack/moto_patches.py applied, and one
route of its own that loads a saved table straight into moto's memory.

    python -m devstack.moto_server --port 5000   # the runner starts it

`POST /_devstack/load-table` with `{"path": ..., "table": ..., "region": ...}` reads the gzipped JSON
document at `path` (a snapshot, devstack/snapshot.py), puts every item of its `items` into the
table (which must exist) and answers the rest of the document with the number of items. Putting
90,000 items through BatchWriteItem costs 3,600 requests and half a minute; put here, inside the
server, they take a few seconds. Local tooling: the server listens on the loopback only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import time

from devstack import moto_patches

LOAD_PATH = "/_devstack/load-table"


def load_table(path: str, table_name: str, region: str) -> dict:
    """Put the items of the snapshot at `path` into the table, as PutItem without conditions would."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    started = time.monotonic()
    with gzip.open(path, "rb") as handle:
        document = json.loads(handle.read().decode("utf-8"))
    items = document.pop("items")
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    with moto_patches.REQUEST_LOCK:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table_name)
        hash_name, range_name = table.hash_key_attr, table.range_key_attr
        if range_name is None or table.items:
            for item in items:  # moto's own put, with its checks
                table.put_item(item, overwrite=True)
        else:
            # An empty table, and items moto itself held before: placed as its put would place
            # them, without checking again what it checked when they were written (40% of the
            # load). A restore is not a change: the snapshot holds what the stream built from the
            # changes (the KPI counters), so the items go in without stream records.
            for item in items:
                hash_key, range_key = DynamoType(item[hash_name]), DynamoType(item[range_name])
                table.items[hash_key][range_key] = Item(hash_key, range_key, item)
    return {**document, "loaded": len(items), "load_seconds": round(time.monotonic() - started, 2)}


def with_loader(app):
    """moto's WSGI app, plus the load route."""

    def wsgi(environ, start_response):
        if environ.get("PATH_INFO") != LOAD_PATH:
            return app(environ, start_response)
        try:
            if environ.get("REQUEST_METHOD") != "POST":
                raise ValueError("POST only")
            length = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(length) or b"{}")
            body, status = json.dumps(load_table(request["path"], request["table"], request["region"])), "200 OK"
        except Exception as exc:  # answered, so the runner can say what went wrong
            body, status = json.dumps({"error": f"{type(exc).__name__}: {exc}"}), "400 Bad Request"
        data = body.encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return wsgi


def serve(host: str, port: int) -> None:
    moto_patches.apply()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    def stop(signum, frame):
        # moto's state is memory the runner has already saved: leave at once instead of spending
        # seconds freeing tens of thousands of items at interpreter exit.
        os._exit(0)

    import signal

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, with_loader(app), threaded=True, request_handler=MotoRequestHandler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.moto_server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
