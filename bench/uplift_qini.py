"""Uplift targeting on a synthetic clinic with planted, heterogeneous reminder effects
(devstack/seed/uplift_world.py): the two-model learner (chalicelib/domain/uplift.py) trained on
one half, judged on the other by the Qini coefficient against ranking by lapse risk (the true
risk of the planted clinic, the best a risk model could do) and against a random order. Then the
same clinic through the daily job's training (domain.uplift.train: the split by patient hash, the
fit, the evaluation the model card shows), whose figures are printed as `uplift-trained-*`.

    .venv/bin/python bench/uplift_qini.py [--patients N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _world import figure  # noqa: E402

from chalicelib.domain.uplift import Example, fit_two_model, incremental_at, qini_coefficient, train  # noqa: E402
from devstack.seed.uplift_world import FEATURES, clinic  # noqa: E402

TOP = 0.2  # remind the top fifth of the list


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=40000)
    args = parser.parse_args()
    patients = clinic(args.patients, seed=11)
    train, test = patients[::2], patients[1::2]
    started = time.perf_counter()
    model = fit_two_model([p.x for p in train], [p.reminded for p in train], [p.revisited for p in train], FEATURES)
    seconds = time.perf_counter() - started
    reminded, revisited = [p.reminded for p in test], [p.revisited for p in test]
    orders = {
        "model": [model.uplift(p.x) for p in test],
        "risk": [p.risk for p in test],
        "random": [random.Random(3).random() for _ in test],
        "truth": [p.true_uplift for p in test],
    }
    # per 1,000 patients listed, so the figures read as extra revisits
    qini = {name: qini_coefficient(scores, reminded, revisited) * 1000 for name, scores in orders.items()}
    top = {name: incremental_at(scores, reminded, revisited, TOP) * 1000 for name, scores in orders.items()}
    n = len(test)
    figure("uplift-qini", qini["model"], "> 0", f"two-model learner, {n} held-out patients of {args.patients}: "
           "the area between its Qini curve and random targeting, extra revisits per 1,000 patients")
    figure("uplift-qini-risk", qini["risk"], note="ranking by lapse risk (the planted true risk)")
    figure("uplift-qini-random", qini["random"], note="a random order")
    figure("uplift-qini-truth", qini["truth"], note="ranking by the planted true uplift: the best possible")
    figure("uplift-qini-over-risk", qini["model"] - qini["risk"], "> 0")
    figure("uplift-qini-over-random", qini["model"] - qini["random"], "> 0")
    figure("uplift-top20-extra-revisits-per-1000", round(top["model"], 1),
           note=f"reminding the top {TOP:.0%} by predicted uplift; by risk {top['risk']:.1f}, "
                f"at random {top['random']:.1f}, by the true uplift {top['truth']:.1f}")
    figure("uplift-fit-seconds", round(seconds, 2), note=f"two regressions, {len(train)} patients")
    trained(patients)
    return 0


def trained(patients) -> None:
    """The model the daily job would store for this clinic, and the figures its card would show."""
    examples = [Example(f"p{i}", p.x, p.reminded, p.revisited, p.risk) for i, p in enumerate(patients)]
    started = time.perf_counter()
    result = train(examples, FEATURES)
    seconds = time.perf_counter() - started
    if result.model is None or result.evaluation is None:
        figure("uplift-trained-qini", 0.0, "> 0", note=f"no model: {result.reason}")
        return
    ev = result.evaluation
    n = ev["examples"]
    figure("uplift-trained-qini", ev["qini"] * 1000, "> 0",
           f"the daily training's model on its own {n} held-out patients of {len(patients)}, per 1,000 patients")
    figure("uplift-trained-qini-risk", ev["qini_risk"] * 1000, note="ranking the same patients by lapse risk")
    figure("uplift-trained-qini-random", ev["qini_random"] * 1000, note="a random order of the same patients")
    figure("uplift-trained-qini-over-risk", (ev["qini"] - ev["qini_risk"]) * 1000, "> 0")
    figure("uplift-trained-qini-over-random", (ev["qini"] - ev["qini_random"]) * 1000, "> 0")
    figure("uplift-trained-top20-extra-revisits-per-1000", round(ev["top_extra"] * 1000, 1),
           note=f"by risk {ev['top_extra_risk'] * 1000:.1f}, at random {ev['top_extra_random'] * 1000:.1f}")
    figure("uplift-trained-seconds", round(seconds, 2),
           note=f"split, two regressions on {result.counts['fit']} patients, evaluation")


if __name__ == "__main__":
    raise SystemExit(main())
