"""On the demo data: the counters the backfill builds give the dashboard the same figures and
charts as the full computation over every patient, for both demo clinics."""

from datetime import datetime, timezone

from chalicelib.domain.clock import clock
from chalicelib.jobs.kpis import compute, compute_counted
from chalicelib.services import kpi_counters

NOW = datetime(2026, 11, 20, 4, 30, tzinfo=timezone.utc)


def _comparable(figures: dict) -> dict:
    charts = dict(figures["charts"])
    charts["conditions"] = sorted(charts["conditions"], key=lambda row: (-row["count"], row["condition"]))
    charts.pop("daily", None)
    return {"kpis": figures["kpis"], "charts": charts}


def test_backfilled_counters_give_the_full_computations_figures_on_the_demo_data(aws, fast_moto):
    from devstack.seed import demo

    seeded = demo.run(patients=50, now=NOW, out=lambda *a, **k: None)
    with clock.at(NOW):
        for clinic_id in seeded["counts"]:
            assert kpi_counters.backfill(clinic_id, restart=True) is None
            full, counted = _comparable(compute(clinic_id)), _comparable(compute_counted(clinic_id))
            assert full["kpis"]["patients"] > 0 and full["kpis"]["revisit_rate_90"] is not None
            for name in full["kpis"]:
                assert counted["kpis"][name] == full["kpis"][name], (clinic_id, name)
            for name in full["charts"]:
                assert counted["charts"][name] == full["charts"][name], (clinic_id, name)
