"""Where the request being handled comes from (source IP, user agent), kept per thread while a
route runs, so that the audit trail can say "from where" without every service passing it on."""

from __future__ import annotations

import threading
from typing import Any, NamedTuple


class Origin(NamedTuple):
    source_ip: str | None = None
    user_agent: str | None = None
    caller: Any = None  # the authenticated principal, once the route knows it


_current = threading.local()
USER_AGENT_CHARS = 300  # enough to tell browsers apart; the rest is not kept


def set_current(source_ip: str | None, user_agent: str | None) -> Origin:
    value = Origin(source_ip or None, (user_agent or "")[:USER_AGENT_CHARS] or None)
    _current.value = value
    return value


def set_caller(principal: Any) -> None:
    """The request's caller, for a service that records what an account did by its username only."""
    _current.value = current()._replace(caller=principal)


def clear() -> None:
    _current.value = None


def current() -> Origin:
    """The origin of the request this thread handles; empty outside a request (a job, a command)."""
    return getattr(_current, "value", None) or Origin()
