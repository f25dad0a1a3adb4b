"""The local stack's moto server: moto's own server with devstack/moto_patches.py applied.

    python -m devstack.moto_server --port 5000   # the runner starts it
"""

from __future__ import annotations

import argparse
import logging
import os

from devstack import moto_patches


def serve(host: str, port: int) -> None:
    moto_patches.apply()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto import server

    # moto's state is memory the runner has already saved: on SIGTERM leave at once instead of
    # spending seconds freeing tens of thousands of items at interpreter exit.
    server.signal_handler = lambda signum, frame: os._exit(0)
    server.main(["-H", host, "-p", str(port)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.moto_server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
