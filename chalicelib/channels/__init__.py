"""Message channels: one small interface, one adapter each (inbox, wechat, sms).

A channel says whether it can reach a patient with a message (`reachable`) and, for the
external ones, sends it (`send`) and answers with a domain.delivery.Outcome. The inbox is
written by the sender's closing transaction itself, so it never fails halfway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from chalicelib.domain.delivery import Message, Outcome


@dataclass
class Target:
    """Who a message goes to, with what the channels need, decrypted only when asked for."""

    clinic_id: str
    patient_id: str
    phone: Callable[[], str | None]
    openid: Callable[[], str | None]
    quotas: dict[str, int] = field(default_factory=dict)
    nickname: Callable[[], str] = lambda: ""  # 张女士, from the decrypted name: for the channels that carry text
    message_ref: str = ""  # the job being delivered, for a provider that reports delivery later (SMS receipts)
    message_kind: str = ""  # its kind (recall, content ...), for a provider's per-kind approved template


class Channel(Protocol):
    name: str
    external: bool

    def reachable(self, target: Target, message: Message) -> bool: ...

    def send(self, target: Target, message: Message) -> Outcome: ...


def get(name: str) -> Channel:
    import importlib

    return importlib.import_module(f"chalicelib.channels.{name}")
