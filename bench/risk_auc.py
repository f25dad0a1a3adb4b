"""Lapse-risk model on a synthetic clinic with a planted signal: AUC against recency alone, and
whether its scores are probabilities (Brier score, calibration by decile, top-decile lift).

Each synthetic patient has a hidden loyalty; it sets how likely they are to come back after a
visit and how often they check in, share, read messages and answer follow-up calls. Whether
they lapse in the six months after a cut-off therefore shows in their engagement as well as in
how long ago they last came, and the model should beat "days since the last visit" alone.
The figures come from the domain functions the training job uses. The AUCs are those of the
clinic's own evaluation patients (neither fitted nor calibrated on); the Brier score, the
calibration gap and the lift are measured on a second synthetic clinic from the same generator,
large enough that a decile's observed rate is not mostly sampling noise. A smaller clinic then
runs the whole job through moto once.

    .venv/bin/python bench/risk_auc.py
"""

from __future__ import annotations

import math
import random
import sys
import time
from datetime import date, timedelta

from _world import CLINIC_ID, T0, create_clinic, figure, moto_account

PATIENTS = 2500
CHECK_PATIENTS = 6000  # the second clinic, for the calibration figures
E2E_PATIENTS = 90
SEED = 4242
TODAY = date(2026, 11, 20)
HISTORY_DAYS = 720
CONDITIONS = (("dental", 0.4, 180), ("eczema", 0.25, 40), ("diabetes", 0.2, 90), ("hypertension", 0.15, 90))
DISTRICTS = ("浦东新区", "徐汇区", "静安区", "闵行区", "宝山区")


def synthetic_patient(rng: random.Random, index: int, today: date = TODAY):
    from chalicelib.domain.risk import History

    condition, _, cadence = rng.choices(CONDITIONS, weights=[c[1] for c in CONDITIONS])[0]
    district = rng.choice(DISTRICTS)
    loyalty = rng.gauss(0, 1)
    # district and condition shift the chance of coming back a little (distance, how chronic it is)
    shift = {"浦东新区": 0.3, "宝山区": -0.4}.get(district, 0.0) + {"diabetes": 0.4, "eczema": -0.3}.get(condition, 0.0)
    p_return = 1 / (1 + math.exp(-(1.3 + 1.2 * loyalty + shift)))
    registered = today - timedelta(days=rng.randint(200, HISTORY_DAYS))
    h = History(patient_id=f"s{index:05d}", registered=registered, conditions=(condition,), district=district)
    day = registered + timedelta(days=rng.randint(0, 10))
    active_until = day
    while day < today:
        h.visits.append((day, day + timedelta(days=cadence)))
        active_until = day
        if rng.random() > p_return:
            break
        day = day + timedelta(days=max(7, int(cadence * rng.uniform(0.8, 1.6))))
    engaged_until = min(today, active_until + timedelta(days=rng.randint(20, 120)))
    rate = 1 / (1 + math.exp(-(-1.2 + 1.5 * loyalty)))
    d = registered
    while d < engaged_until:
        if rng.random() < rate * 0.5:
            h.checkins.append(d)
        if rng.random() < rate * 0.03:
            h.shares.append(d)
        if rng.random() < rate * 0.05:
            h.inbox_reads.append(d)
        if rng.random() < 0.02:
            h.calls.append((d, "reached" if rng.random() < rate else rng.choice(("declined", "wrong_number"))))
        d += timedelta(days=1)
    return h


def clinic(count: int, seed: int = SEED, today: date = TODAY):
    rng = random.Random(seed)
    return [synthetic_patient(rng, i, today) for i in range(count)]


def domain_figures() -> None:
    from chalicelib.domain import risk

    histories = clinic(PATIENTS)
    started = time.perf_counter()
    result = risk.train(histories, TODAY)
    seconds = time.perf_counter() - started
    assert result.model is not None, result.reason
    own = result.evaluation
    figure("risk-examples", result.examples,
           note=f"{result.lapsed} lapsed; {result.fit_examples} fit, {result.calibrate_examples} calibrate, "
                f"{result.evaluate_examples} evaluate")
    figure("risk-model-auc", f"{own.auc:.3f}", ">= 0.75")
    figure("risk-baseline-auc", f"{own.baseline_auc:.3f}", note="days since the last visit alone")
    figure("risk-model-above-baseline", "yes" if own.auc > own.baseline_auc else "no")

    check = clinic(CHECK_PATIENTS, seed=SEED + 1000)
    held = risk.examples(check, result.space, risk.cutoffs(TODAY))
    measured = risk.evaluate(result.model, held, result.fit_rate)
    top = measured.calibration[-1]
    figure("risk-brier", f"{measured.brier:.4f}", "<= 0.15",
           note=f"{measured.examples} examples of a second clinic; every patient given the training lapse rate "
                f"scores {measured.base_rate_brier:.4f}")
    figure("risk-calibration-max-gap", f"{measured.max_gap:.4f}", "<= 0.05",
           note=f"largest |predicted - observed| over deciles of {top['count']}; "
                f"on the clinic's own evaluation patients {own.max_gap:.4f}")
    figure("risk-top-decile-lift", f"{measured.top_decile_lift:.2f}", ">= 1.5",
           note=f"top decile lapses {top['observed']:.3f} against a base rate of {measured.base_rate:.3f}")
    today = [result.model.score(result.space.row(h, TODAY)) for h in histories if risk.due_within(h, TODAY)]
    figure("risk-today-highest-score", f"{max(today):.4f}", "< 1",
           note=f"{len(today)} patients scored today, lowest {min(today):.4f}")
    figure("risk-train-seconds", round(seconds, 2), note=f"{PATIENTS} patients, pure Python")


def end_to_end() -> None:
    """The training job on a small clinic in moto: patients registered through the service, their
    visits written in one batch as the visit items the service writes (all the training reads)."""
    from datetime import time as wall

    from chalicelib.domain.clock import clock, local_moment
    from chalicelib.jobs import risk as job
    from chalicelib.store import keys
    from chalicelib.store import risk as store
    from chalicelib.store.models import VisitItem
    from _world import register_patient

    with moto_account():
        create_clinic()
        with VisitItem.batch_write() as batch:
            for i, h in enumerate(clinic(E2E_PATIENTS, seed=SEED + 1)):
                clock.set(local_moment(h.registered, wall(9, 0), "Asia/Shanghai"))
                _, pid = register_patient(openid=f"orisk-{i}", phone=f"1370000{i:04d}",
                                          conditions=[h.conditions[0]], district=h.district, department="general")
                for day, due in h.visits:
                    batch.save(VisitItem(keys.patient_pk(CLINIC_ID, pid), f"VISIT#{day}#b{i}-{day}",
                                         visit_id=f"b{i}-{day}", visit_date=day.isoformat(), department="general",
                                         next_due_date=due.isoformat() if due else None, source="import",
                                         recorded_at=f"{day}T02:00:00Z"))
        clock.set(T0)
        started = time.perf_counter()
        done = job.train_clinic_models(CLINIC_ID)["risk"]
        seconds = time.perf_counter() - started
        listed, _ = store.risk_page(CLINIC_ID, 10, None)
        assert done.get("status") == "trained", done
        assert [r["risk_score"] for r in listed] == sorted((r["risk_score"] for r in listed), reverse=True)
        assert all(0 < r["risk_score"] < 1 for r in listed)
        figure("risk-e2e-model-version", done["model_version"],
               note=f"{E2E_PATIENTS} patients, {done['examples']} examples, "
                    f"auc on its evaluation patients {done['auc']}")
        figure("risk-e2e-scored", done["scored"], note=f"job took {seconds:.1f} s in moto")


def main() -> int:
    domain_figures()
    end_to_end()
    return 0


if __name__ == "__main__":
    sys.exit(main())
