"""Vouchers: human-typable codes and validity in clinic-local days. Pure.

A code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown as
`ABCD-EFGH`; a desk may type it in any case, with or without the dash or spaces.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Callable

from chalicelib.domain.clock import local_moment

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8

ISSUED = "issued"
REDEEMED = "redeemed"
EXPIRED = "expired"


def new_code(randbelow: Callable[[int], int]) -> str:
    """A fresh code; `randbelow` is `secrets.randbelow` in production (31^8 ≈ 8.5e11 codes)."""
    return "".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(CODE_LENGTH))


def normalise(text: str) -> str:
    """The stored form of a typed code, or ValueError when it cannot be one."""
    code = "".join(ch for ch in (text or "") if ch not in " -\t").upper()
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        raise ValueError("a voucher code is 8 letters and digits (no 0, O, 1, I or L)")
    return code


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def validity(issued_on: date, valid_days: int, tz: str) -> tuple[date, datetime]:
    """(last valid clinic day, the UTC moment it expires): valid `valid_days` days counting the issue day."""
    last_day = issued_on + timedelta(days=valid_days - 1)
    return last_day, local_moment(last_day + timedelta(days=1), time(0, 0), tz)


def status(stored_status: str, expires_at: datetime, now: datetime) -> str:
    if stored_status == REDEEMED:
        return REDEEMED
    return EXPIRED if now >= expires_at else ISSUED
