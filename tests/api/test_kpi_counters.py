"""KPI counters fed by the table's stream: the same figures as the full computation, each stream
record counted once whatever is delivered again, and a resumable backfill for an existing clinic."""

from chalicelib.jobs import changes
from chalicelib.jobs.kpis import compute, compute_counted
from chalicelib.services import kpi_counters
from chalicelib.store import counters as counter_store
from devstack import stream_pump

def visit(api, staff, pid, day, department="dermatology", due=None):
    body = {"visit_date": day, "department": department, **({"next_due_date": due} if due else {})}
    status, data = api.post(f"/patients/{pid}/visits", body, token=staff)
    assert status == 201, data


def drain() -> dict:
    return stream_pump.drain(changes.handle)


def _comparable(figures: dict) -> dict:
    charts = dict(figures["charts"])
    charts["conditions"] = sorted(charts["conditions"], key=lambda row: (-row["count"], row["condition"]))
    return {"kpis": figures["kpis"], "charts": charts}


def assert_same_as_full_computation(clinic_id="demo-dental"):
    """Every figure and chart of the dashboard, from the counters, equals the full computation's."""
    full, counted = _comparable(compute(clinic_id)), _comparable(compute_counted(clinic_id))
    for name in full["kpis"]:
        assert counted["kpis"][name] == full["kpis"][name], name
    assert set(counted["charts"]) == set(full["charts"])
    for name in full["charts"]:
        assert counted["charts"][name] == full["charts"][name], name
    flat = kpi_counters.figures(clinic_id)
    return {**flat["kpis"], **{name: {**tally, "rate": flat["kpis"][name]} for name, tally in flat["basis"].items()},
            "conditions": {row["condition"]: row["count"] for row in flat["charts"]["conditions"]}}


def _activity(api, new_patient, staff_token):
    staff = staff_token()
    _, derm = new_patient(name="d1", phone="13000000011", department="dermatology")
    token, dent = new_patient(name="d2", phone="13000000012", department="dentistry", conditions=["dental"])
    _, mum = new_patient(name="d3", phone="13000000013", department="dentistry", conditions=["postpartum"])
    visit(api, staff, derm, "2026-09-01", due="2026-10-01")
    visit(api, staff, derm, "2026-10-02")  # answered on time
    visit(api, staff, dent, "2026-08-01", "dentistry", due="2026-11-01")  # still open
    visit(api, staff, mum, "2026-09-15", "dentistry", due="2026-10-10")  # missed
    from chalicelib.domain.clock import clock as now

    status, data = api.post("/me/checkins", {"type": "glucose", "value": 5.6, "context": "fasting",
                                             "client_time": now.now().isoformat()}, token=token)
    assert status in (200, 201), data
    return staff, derm, dent, mum


def test_counters_fed_by_the_stream_give_the_full_computations_figures(api, new_patient, staff_token, clock):
    staff, derm, dent, mum = _activity(api, new_patient, staff_token)
    assert drain()["failed"] == 0
    counted = assert_same_as_full_computation()
    assert counted["patients"] == 3 and counted["checkins_today"] == 1
    assert counted["revisit_rate_90"]["decided"] == 2 and counted["revisit_rate_90"]["hits"] == 1
    assert counted["postpartum_checkup_rate"]["decided"] == 1 and counted["conditions"]["postpartum"] == 1
    # days pass: windows close, patients fall silent; the counters answer for any day without a refresh
    clock.advance(days=12)
    assert_same_as_full_computation()
    clock.advance(days=170)
    from chalicelib.domain.clock import clock as now

    visit(api, staff, dent, now.now().date().isoformat(), "dentistry")
    drain()
    counted = assert_same_as_full_computation()
    assert counted["silent_patients"] == 2
    # the other clinic counts none of it
    assert kpi_counters.figures("other-clinic")["kpis"]["patients"] == 0


def test_a_record_delivered_again_moves_nothing(api, new_patient, staff_token):
    _activity(api, new_patient, staff_token)
    assert drain()["received"] > 0
    before = (counter_store.totals("demo-dental"), counter_store.days("demo-dental", "2000-01-01", "2100-01-01"))
    stream_pump.forget()  # the whole stream again, as after a retry of every batch
    assert drain()["received"] > 0
    after = (counter_store.totals("demo-dental"), counter_store.days("demo-dental", "2000-01-01", "2100-01-01"))
    assert after == before


def test_a_failing_record_stops_its_shard_there_and_is_handled_on_the_next_drain(api, new_patient, staff_token,
                                                                                  monkeypatch):
    _activity(api, new_patient, staff_token)
    calls = {"n": 0}
    real = kpi_counters.apply

    def flaky(change):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("throttled")
        real(change)

    monkeypatch.setattr(changes, "consumers", lambda: [flaky])
    first = drain()
    assert first["failed"] > 0
    second = drain()
    # the shard resumes at the failed record: it and everything after it come again
    assert second["failed"] == 0 and second["received"] >= first["failed"]
    assert_same_as_full_computation()


def test_the_backfill_builds_an_existing_clinics_counters_page_by_page(api, new_patient, staff_token, clock,
                                                                       monkeypatch):
    # a clinic whose history was written before the counters existed: nothing reads the stream
    staff, *_ = _activity(api, new_patient, staff_token)
    for n in range(4):
        _, pid = new_patient(name=f"e{n}", phone=f"1310000000{n}", department="dermatology")
        visit(api, staff, pid, "2026-09-0%d" % (n + 1), due="2026-10-0%d" % (n + 1))
    assert counter_store.totals("demo-dental") == {}
    monkeypatch.setattr(kpi_counters, "BACKFILL_PAGE", 3, raising=False)
    monkeypatch.setattr(counter_store, "BACKFILL_PAGE", 3)
    cursor = kpi_counters.backfill("demo-dental", pages=1)
    assert cursor is not None and counter_store.state("demo-dental")["building"] is True
    # while it builds, the stream's records leave the counters alone: the backfill counts them
    drain()
    rounds = 1
    while cursor is not None:
        cursor = kpi_counters.backfill("demo-dental", pages=1)
        rounds += 1
    assert rounds >= 6  # (7 patients, 7 revisits) / 3 a page, in three phases
    assert "building" not in counter_store.state("demo-dental")
    counted = assert_same_as_full_computation()
    assert counted["patients"] == 7
    # live again: a new visit moves the counters through the stream
    visit(api, staff, next(iter([p for p in [new_patient(name="z", phone="13100000099")[1]]])), "2026-11-19",
          due="2026-11-25")
    drain()
    assert assert_same_as_full_computation()["revisit_rate_90"]["pending"] >= 1


def test_a_snapshot_keeps_the_counters_but_not_the_markers_of_applied_records(api, new_patient, staff_token, tmp_path):
    import gzip
    import json

    from devstack import snapshot

    _activity(api, new_patient, staff_token)
    assert drain()["received"] > 0
    snapshot.prepare()
    snapshot.take(tmp_path)
    with gzip.open(snapshot.path(tmp_path)) as handle:
        keys = [item["pk"]["S"] for item in json.loads(handle.read())["items"]]
    assert "demo-dental#COUNTERS" in keys
    assert not [k for k in keys if "#STREAMEVT#" in k]


def test_the_handlers_own_writes_do_not_come_back_to_it(api, new_patient, staff_token):
    _activity(api, new_patient, staff_token)
    handed: list[str] = []

    def handler(event):
        handed.extend(record["dynamodb"]["Keys"]["sk"]["S"] for record in event["Records"])
        return changes.handle(event)

    drained = stream_pump.drain(handler)
    assert drained["failed"] == 0 and drained["received"] == len(handed) > 0
    # the drain wrote counters, markers and risk summaries into the shards it was reading: the
    # mapping's filter drops their records, so the handler is never invoked for them
    assert drained["filtered"] > 0
    assert "PROFILE" in handed and any(sk.startswith("DUE#") for sk in handed)
    assert not [sk for sk in handed if sk in ("TOTAL", "EVENT", "STATE", "RISKSUM") or sk.startswith("DAY#")]
    assert counter_store.totals("demo-dental")
