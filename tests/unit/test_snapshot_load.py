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


def test_a_second_builders_part_joins_the_snapshot_with_its_sealed_data_key(aws, tmp_path):
    """The first start's builder seeds north-derm in a second process with a moto (and a KMS key)
    of its own: its part is saved with its data key sealed by the same local key, and the merged
    snapshot restores both clinics, each one's data key unwrapping and its names decrypting."""
    from moto import mock_aws

    from chalicelib.services.patient_fields import decrypted
    from chalicelib.store import clinics, patients, reports
    from devstack import bootstrap, snapshot
    from devstack.seed import demo, planner, spec
    from devstack.state import reset_process_state

    part = tmp_path / "part.json.gz"
    with mock_aws():  # the second process
        reset_process_state()
        bootstrap.create_all()
        demo.run(patients=6, now=NOW, live=0, out=lambda *a, **k: None, clinic_ids=("north-derm",))
        assert clinics.all_clinic_ids() == ["north-derm"]
        snapshot.take(tmp_path, _items(), target=part, extra={"seeded": "north-derm"})
    reset_process_state()
    assert not snapshot.exists(tmp_path)
    demo.run(patients=6, now=NOW, live=0, out=lambda *a, **k: None, clinic_ids=("demo-dental",))
    other = snapshot.load(tmp_path, part)
    assert set(other["data_keys"]) == {"north-derm"} and other["seeded"] == "north-derm"
    items = _items() + other["items"]
    taken = snapshot.take(tmp_path, items, sealed=other["data_keys"])
    assert taken == {**taken, "items": len(items), "clinics": 2}

    with mock_aws():  # the stack's moto, with a KMS key of its own again
        reset_process_state()
        bootstrap.create_all()
        restored = snapshot.restore(tmp_path)  # checks that each clinic's data key unwraps
        def keyed(found):  # the clinics' data keys are wrapped again by the new KMS key
            return {(i["pk"]["S"], i["sk"]["S"]): {k: v for k, v in i.items() if k != "wrapped_key"} for i in found}

        assert restored["clinics"] == 2 and keyed(_items()) == keyed(items)
        for clinic_spec, count in ((spec.DEMO_DENTAL, 6), (spec.NORTH_DERM, spec.north_patients(6))):
            plans = planner.Planner(clinic_spec, NOW, engaged=0).plans(count)
            rows = list(reports.patient_rows(clinic_spec.clinic_id))
            assert len(rows) == count
            first = patients.get(clinic_spec.clinic_id, plans[0].patient_id)
            assert decrypted(first)["name"] == plans[0].name
    reset_process_state()
