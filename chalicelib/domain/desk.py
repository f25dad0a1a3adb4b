"""The front desk's words: what a typed search means, the normal forms that lookups hash, and the
one-time bind code a patient scans. Pure."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, NamedTuple

from chalicelib.domain import vouchers
from chalicelib.domain.privacy import normalise_phone

# Dots people type inside names of several parts (买买提·艾力), in their look-alike forms.
_NAME_DOTS = "·・•‧∙.．"
# What a hospital number may hold once normalised: letters, digits (住院号 / 门诊号 as printed).
_HOSPITAL_NO = re.compile(r"^[A-Z0-9]{1,32}$")
# A bind code: the clinic it belongs to, a dot, then the secret (URL-safe base64).
BIND_CODE = re.compile(r"^(?P<clinic>[a-z0-9][a-z0-9-]{1,39})\.(?P<secret>[A-Za-z0-9_-]{16,64})$")
BIND_TTL_SECONDS = 600
BIND_PAGE = "packages/bind/index"


def normalise_name(name: str) -> str:
    """The form a full name is hashed in: full-width folded (NFKC), spaces and the dots between
    parts dropped, case folded. 张 小红, 张小红 and ＺＨＡＮＧ Xiaohong's variants meet."""
    folded = unicodedata.normalize("NFKC", name or "")
    return "".join(ch for ch in folded if not ch.isspace() and ch not in _NAME_DOTS).casefold()


def normalise_hospital_no(text: str) -> str:
    """The form a hospital number (住院号 / 门诊号) is stored and hashed in: full-width folded,
    spaces and dashes dropped, upper case. ValueError when nothing like a number is left."""
    folded = unicodedata.normalize("NFKC", text or "")
    number = "".join(ch for ch in folded if not ch.isspace() and ch not in "-_/").upper()
    if not _HOSPITAL_NO.match(number):
        raise ValueError("a hospital number is 1 to 32 letters and digits")
    return number


def mask_hospital_no(number: str | None) -> str | None:
    """All but the last four characters hidden, the way a receipt shows a card number."""
    if not number:
        return None
    return "*" * max(0, len(number) - 4) + number[-4:]


class Query(NamedTuple):
    """What a search box's text can be: a mobile phone, or else a code and/or a number or name."""

    kind: Literal["phone", "text"]
    phone: str | None  # the normalised phone (kind "phone")
    code: str | None  # the text as a voucher or redemption code, when it can be one
    hospital_no: str | None  # the text as a hospital number, when it can be one
    name: str | None  # the text as a full name


def read_query(text: str) -> Query:
    """A mainland mobile (11 digits starting with 1, with or without +86, spaces or dashes) is a
    phone, and a hospital number when no patient has that phone (some hospitals' numbers look like
    one); anything else may be a voucher or redemption code, a hospital number or a name, tried in
    that order by the service."""
    stripped = (text or "").strip()
    if re.fullmatch(r"[+0-9 ()-]+", stripped):
        phone = normalise_phone(stripped)
        if len(phone) == 11 and phone.startswith("1"):
            try:
                digits: str | None = normalise_hospital_no(stripped)
            except ValueError:
                digits = None
            return Query("phone", phone, None, digits, None)
    try:
        code: str | None = vouchers.normalise(stripped)
    except ValueError:
        code = None
    try:
        number: str | None = normalise_hospital_no(stripped)
    except ValueError:
        number = None
    name = normalise_name(stripped) or None
    return Query("text", None, code, number, name)


def bind_path(code: str) -> str:
    """The mini-program path a bind QR code holds (the mini-program is the clinic's own)."""
    return f"{BIND_PAGE}?code={code}"


def split_bind_code(code: str) -> tuple[str, str]:
    """(clinic id, secret) of a bind code; ValueError when it is not one."""
    match = BIND_CODE.match(code or "")
    if not match:
        raise ValueError("not a bind code")
    return match.group("clinic"), match.group("secret")
