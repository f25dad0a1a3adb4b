"""Small probes of a running local stack, shared by its tests and benchmarks: free ports to start
one on, a JSON call to its API, and whether a child process still runs."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

from devstack.supervisor import pid_alive


def free_ports(count: int) -> list[int]:
    """`count` ports free on 127.0.0.1 now (held together while chosen, so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _json(raw: bytes) -> Any:
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        return {}
    return {} if data is None else data


def call(base: str, method: str, path: str, body=None, token: str | None = None) -> tuple[int | None, Any]:
    """(status, parsed JSON body) of one API call; (None, {}) when nothing answered."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, _json(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, _json(err.read())
    except (urllib.error.URLError, OSError):
        return None, {}


def alive(pid: int) -> bool:
    """Whether the process runs: `pid_alive`, and not a zombie (where that cannot be read, it is
    taken to run)."""
    if not pid_alive(pid):
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
