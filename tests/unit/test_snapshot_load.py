"""The moto server's snapshot load route (devstack/moto_server.py) puts back exactly the items a
snapshot holds, as moto's own puts would, and answers the rest of the document."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

NOW = datetime(2026, 11, 20, 4, 30, tzinfo=timezone.utc)


def _items() -> list[dict]:
    from devstack import snapshot

    return sorted(snapshot._scanned_items(), key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def _post(app, body: dict) -> tuple[str, dict]:
    data = json.dumps(body).encode()
    environ = {"PATH_INFO": "/_devstack/load-table", "REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(data)),
               "wsgi.input": io.BytesIO(data)}
    answered = {}

    def start_response(status, headers):
        answered["status"] = status

    reply = b"".join(app(environ, start_response))
    return answered["status"], json.loads(reply)


def test_the_load_route_puts_back_every_item_of_a_snapshot(aws, tmp_path):
    from moto import mock_aws

    from chalicelib.config import settings
    from devstack import bootstrap, snapshot
    from devstack.moto_server import with_loader
    from devstack.seed import demo
    from devstack.state import reset_process_state

    demo.run(patients=6, now=NOW, live=0, out=lambda *a, **k: None)
    snapshot.prepare()
    taken = snapshot.take(tmp_path)
    saved = _items()
    passed_on = []
    app = with_loader(lambda environ, start_response: passed_on.append(environ["PATH_INFO"]) or [b""])
    request = {"path": str(snapshot.path(tmp_path)), "table": settings().table_name, "region": settings().region}

    with mock_aws():  # a new, empty moto, as a restarted server is
        reset_process_state()
        bootstrap.create_table()
        status, answer = _post(app, request)
        assert status == "200 OK", answer
        assert answer["loaded"] == taken["items"] == len(saved)
        assert set(answer["data_keys"]) == {"demo-dental", "north-derm"} and answer["format"] == snapshot.FORMAT
        assert _items() == saved

        status, answer = _post(app, {**request, "table": "no-such-table"})
        assert status == "400 Bad Request" and "ResourceNotFound" in answer["error"]
    reset_process_state()
    app({"PATH_INFO": "/", "REQUEST_METHOD": "GET"}, lambda *a: None)
    assert passed_on == ["/"]  # everything else goes to moto
