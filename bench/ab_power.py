"""The A/B analysis on simulated clinics: power against a planted uplift, false winners under none.

Each run is one clinic's experiment on the eczema recall rule with two arms (weights 1:1) and a
holdout of a third, sized by the same sample-size function an admin's definition uses (80 %
power, alpha 0.05 shared by the two arms). Patients are assigned by the real hash until every
group holds its stated size; each patient's revisit within the window is drawn at the group's
rate, and the counts go through `domain.experiments.analyse`, the function behind
GET /experiments/{id}/results.

- planted: holdout 20 %, arm "warm" 30 % (+10 points), arm "plain" 20 %. Power = share of runs
  in which "warm" shows a significant positive uplift.
- null: every group 20 %. False winner = a run that names any winner; false difference = a run
  in which any arm differs significantly (either way), the family-wise error Holm keeps at alpha.

    .venv/bin/python bench/ab_power.py [runs]
"""

from __future__ import annotations

import math
import random
import sys

from _world import figure

RUNS = 2000
BASELINE, UPLIFT, ALPHA, POWER = 0.20, 0.10, 0.05, 0.80
HOLDOUT_SHARE = 1 / 3


def main(runs: int) -> None:
    from chalicelib.domain import experiments as ab
    from chalicelib.services.experiments import planned_sample_size, required_sizes

    arms = [ab.ArmTerms("warm", 1.0), ab.ArmTerms("plain", 1.0)]
    groups = [ab.HOLDOUT, "warm", "plain"]
    n = planned_sample_size(arms, HOLDOUT_SHARE, BASELINE, UPLIFT, ALPHA, POWER)
    required = required_sizes(arms, HOLDOUT_SHARE, n)
    rng = random.Random(20261120)
    planted_rates = {ab.HOLDOUT: BASELINE, "warm": BASELINE + UPLIFT, "plain": BASELINE}
    null_rates = {g: BASELINE for g in groups}
    found = false_winner = false_difference = 0
    exposures_total = 0
    for run in range(runs):
        experiment_id = f"bench-{run}"
        sizes = {g: 0 for g in groups}
        patient = 0
        while any(sizes[g] < required[g] for g in groups):
            sizes[ab.assign(experiment_id, f"p{patient}", arms, HOLDOUT_SHARE)] += 1
            patient += 1
        exposures_total += patient

        def outcome(rates):
            counts = {g: ab.GroupCounts(sizes[g], sum(rng.random() < rates[g] for _ in range(sizes[g])))
                      for g in groups}
            return ab.analyse(counts, groups, ab.HOLDOUT, ALPHA, required)

        planted = {r["arm_id"]: r for r in outcome(planted_rates).rows}
        found += planted["warm"]["significant"] and planted["warm"]["uplift"] > 0
        null = outcome(null_rates)
        false_winner += null.winner is not None
        false_difference += any(r.get("significant") for r in null.rows)
    se = math.sqrt(ALPHA * (1 - ALPHA) / runs)
    figure("ab-power-planted-10pt", f"{found / runs:.3f}", ">= 0.80", f"n={n} per arm, {runs} runs, 20% -> 30%")
    figure("ab-false-winner-rate", f"{false_winner / runs:.3f}", "<= 0.05", f"+ sim. error, {runs} runs")
    figure("ab-false-difference-rate", f"{false_difference / runs:.3f}", f"<= {ALPHA + 2 * se:.3f}",
           f"alpha 0.05 + 2 s.e. of {runs} runs, either direction")
    figure("ab-patients-per-run", f"{exposures_total / runs:.0f}", note=f"until every group holds {n}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS)
