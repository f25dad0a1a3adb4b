"""Seed the demo clinics into whatever table the environment names (devstack/seed/demo.py).

    python -m devstack.seed --patients 500
"""

from __future__ import annotations

import argparse

from devstack.seed.demo import run
from devstack.seed.spec import DEFAULT_SEED, LIVE_PATIENTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.seed",
                                     description="Seed the demo clinics into the table the environment names")
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--live", type=int, default=LIVE_PATIENTS,
                        help="patients per clinic written through the services (their older history in bulk)")
    args = parser.parse_args(argv)
    run(args.patients, seed=args.seed, live=args.live)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
