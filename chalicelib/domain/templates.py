"""A clinic's message templates: how our fields fill a WeChat subscribe template's typed keys
(thing1, time3 ...) and an SMS provider's approved template's parameters, checked against
WeChat's limits when an admin saves them and fitted (cut or refused) when a message is sent.

WeChat names a template's keys by their type and a number (`thing1`, `phrase4`); each type has
its rule (subscribeMessage.send, "参数值内容限制"): thing up to 20 characters of any kind, phrase
up to 5 Chinese characters only, character_string up to 32 letters, digits or symbols, number up
to 32 digits (a decimal point allowed), letter up to 32 letters, symbol up to 5 symbols, time a
24-hour time (a date may lead), date a date (a time may follow), amount one currency sign and up
to 10 digits (元 may end it), phone_number up to 17 digits and symbols, car_number up to 8
characters, name up to 10 Chinese characters or 20 letters. A value breaking its rule makes
WeChat refuse the whole message (errcode 47003), so a free text is cut where the type allows it
and refused where cutting would change its meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.domain.segments import HEALTH_NOTICE

# our fields a message can give: the clinic's name, the message text, the suggested visit slot,
# the kind's own short name, the health notice; a template field may instead hold a fixed text
SOURCES = ("clinic", "body", "slot", "kind_name", "notice")
# `notice` on a message without health content (a key mapped to it still needs a value)
NO_NOTICE = "无"
WECHAT_TYPES = ("thing", "phrase", "time", "date", "number", "character_string", "name", "phone_number",
                "amount", "letter", "symbol", "car_number")
KEY = re.compile(r"^(" + "|".join(sorted(WECHAT_TYPES, key=len, reverse=True)) + r")([1-9][0-9]{0,2})$")
# the types a source may fill: free text fits where it can be cut; a slot is a date and time
FITS: dict[str, tuple[str, ...]] = {
    "clinic": ("thing", "name"),
    "body": ("thing",),
    "slot": ("time", "date", "thing"),
    "kind_name": ("thing", "phrase"),
    "notice": ("thing",),
}
MAX_FIELDS = 10
SMS_PARAM = re.compile(r"^[A-Za-z0-9_]{1,20}$")
SMS_PARAM_MAX = 35  # mainland providers cap one variable near here; longer values are cut

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_DATE = r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}月\d{1,2}日"
_TIME = r"\d{1,2}:\d{2}"
_DATE_TIME = rf"(?:(?:{_DATE})(?:\s*{_TIME})?|{_TIME})"
RULES: dict[str, re.Pattern[str]] = {
    "phrase": re.compile(rf"^[{_HAN}]{{1,5}}$"),
    "character_string": re.compile(r"^[\x21-\x7e]{1,32}$"),
    "number": re.compile(r"^(?=.{1,32}$)-?\d+(?:\.\d+)?$"),
    "letter": re.compile(r"^[A-Za-z]{1,32}$"),
    "symbol": re.compile(r"^[^\sA-Za-z0-9" + _HAN + r"]{1,5}$"),
    "time": re.compile(rf"^{_DATE_TIME}(?:\s*~\s*{_DATE_TIME})?$"),
    "date": re.compile(rf"^(?:{_DATE})(?:\s*{_TIME})?(?:\s*~\s*(?:{_DATE})(?:\s*{_TIME})?)?$"),
    "amount": re.compile(r"^[¥￥$€£]?\d{1,10}(?:\.\d{1,2})?元?$"),
    "phone_number": re.compile(r"^[0-9+\-() ]{1,17}$"),
    "car_number": re.compile(rf"^[{_HAN}A-Za-z0-9][A-Za-z0-9]{{0,6}}[{_HAN}A-Za-z0-9]?$"),
    "name": re.compile(rf"^(?:[{_HAN}A-Za-z·]{{1,10}}|[A-Za-z .·-]{{1,20}})$"),
}
THING_MAX = 20


class TemplateError(ValueError):
    """A template setting or a value WeChat would refuse: a stable code and the field at fault."""

    def __init__(self, message: str, code: str, field: str):
        super().__init__(message)
        self.code = code
        self.field = field


def key_type(key: str) -> str | None:
    match = KEY.match(key)
    return match.group(1) if match else None


def fits(kind: str, value: str) -> bool:
    """Whether a value keeps WeChat's rule for its type as it is."""
    if kind == "thing":
        return 1 <= len(value) <= THING_MAX
    return bool(RULES[kind].match(value))


def cut(value: str, limit: int) -> str:
    """The text cut to `limit` characters, the last kept one an ellipsis; a text ending with the
    health notice keeps the notice whole and cuts what comes before it."""
    if len(value) <= limit:
        return value
    if value.endswith(HEALTH_NOTICE) and len(HEALTH_NOTICE) + 2 <= limit:
        head = value[:-len(HEALTH_NOTICE)].rstrip()
        return head[:limit - len(HEALTH_NOTICE) - 1] + "…" + HEALTH_NOTICE
    return value[:limit - 1] + "…"


def split_notice(body: str) -> tuple[str, str | None]:
    """The text of a message and its health notice (None when it carries none)."""
    text = body.rstrip()
    if text.endswith(HEALTH_NOTICE):
        return text[:-len(HEALTH_NOTICE)].rstrip(), HEALTH_NOTICE
    return body, None


def _with_notice(values: Mapping[str, str], sources: Iterable[Any]) -> Mapping[str, str]:
    """Our fields as a template takes them: where it has a key for the notice, the notice fills
    that key (NO_NOTICE on a message without health content) and the text goes without it."""
    if "notice" not in set(sources):
        return values
    text, notice = split_notice(values.get("body") or "")
    return {**values, "body": text, "notice": notice or NO_NOTICE}


def fit(kind: str, value: str) -> str:
    """The value as WeChat takes it: a thing is cut to 20 characters (the last one an ellipsis), a
    name to 10 characters; any other type must already keep its rule (TemplateError otherwise:
    cutting a time, a number or a phrase would change what it says)."""
    value = " ".join(str(value).split())
    if kind == "thing":
        if not value:
            raise TemplateError("empty", "template_value_refused", kind)
        return cut(value, THING_MAX)
    if kind in ("time", "date"):
        # a weekday in brackets (11月23日（周一）09:00) is ours, not WeChat's format: dropped
        value = " ".join(re.sub(r"（[^）]*）|\([^)]*\)", " ", value).split())
    if kind == "name" and len(value) > 10 and re.search(f"[{_HAN}]", value):
        value = value[:10]
    if not fits(kind, value):
        raise TemplateError(f"a value does not keep the {kind} rule", "template_value_refused", kind)
    return value


def checked_wechat(template_id: str, fields: list[Mapping[str, Any]],
                   known: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A WeChat template setting as stored, or TemplateError: every key names its type, each is
    filled either by one of our fields that fits its type or by a fixed text that keeps its rule.
    `known`: values already fixed when the setting is saved (the kind's name): checked as sent."""
    template_id = template_id.strip()
    if not 1 <= len(template_id) <= 128 or any(ch.isspace() for ch in template_id):
        raise TemplateError("a template id is 1-128 characters without spaces", "invalid_template_id",
                            "wechat.template_id")
    if not 1 <= len(fields) <= MAX_FIELDS:
        raise TemplateError(f"1 to {MAX_FIELDS} fields", "invalid_template_field", "wechat.fields")
    seen: set[str] = set()
    clean = []
    for index, field in enumerate(fields):
        where = f"wechat.fields.{index}"
        key = str(field.get("key") or "")
        kind = key_type(key)
        if kind is None:
            raise TemplateError(f"{key!r}: a key is a WeChat type and a number, e.g. thing1 or time3",
                                "invalid_template_field", f"{where}.key")
        if key in seen:
            raise TemplateError(f"{key} is given twice", "invalid_template_field", f"{where}.key")
        seen.add(key)
        source, value = field.get("source"), field.get("value")
        if (source is None) == (value is None):
            raise TemplateError("give one of source and value", "invalid_template_field", where)
        if source is not None:
            if source not in SOURCES:
                raise TemplateError(f"unknown field {source!r}", "unknown_template_field", f"{where}.source")
            if kind not in FITS[source]:
                raise TemplateError(f"{source} cannot fill a {kind} key (it fits {', '.join(FITS[source])})",
                                    "invalid_template_field", f"{where}.source")
            if known and source in known and kind != "thing" and not fits(kind, known[source]):
                raise TemplateError(f"{known[source]!r} ({source}) breaks the {kind} rule", "invalid_template_field",
                                    f"{where}.source")
            clean.append({"key": key, "source": source})
        else:
            text = " ".join(str(value).split())
            if not fits(kind, text):
                raise TemplateError(f"{text!r} breaks the {kind} rule", "invalid_template_field", f"{where}.value")
            clean.append({"key": key, "value": text})
    return {"template_id": template_id, "fields": clean}


def checked_sms(template_id: str, params: list[Mapping[str, Any]]) -> dict[str, Any]:
    """An SMS template setting (the provider's approved template and its variables in order)."""
    template_id = template_id.strip()
    if not 1 <= len(template_id) <= 64 or any(ch.isspace() for ch in template_id):
        raise TemplateError("a template id is 1-64 characters without spaces", "invalid_template_id",
                            "sms.template_id")
    if len(params) > MAX_FIELDS:
        raise TemplateError(f"at most {MAX_FIELDS} parameters", "invalid_template_field", "sms.params")
    clean = []
    for index, param in enumerate(params):
        where = f"sms.params.{index}"
        name = str(param.get("name") or "")
        if not SMS_PARAM.match(name):
            raise TemplateError("a parameter name: 1-20 letters, digits or _", "invalid_template_field",
                                f"{where}.name")
        source, value = param.get("source"), param.get("value")
        if (source is None) == (value is None):
            raise TemplateError("give one of source and value", "invalid_template_field", where)
        if source is not None and source not in SOURCES:
            raise TemplateError(f"unknown field {source!r}", "unknown_template_field", f"{where}.source")
        clean.append({"name": name, **({"source": source} if source is not None else {"value": str(value)[:SMS_PARAM_MAX]})})
    return {"template_id": template_id, "params": clean}


def wechat_data(setting: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The `data` of a subscribeMessage.send from a stored setting and our fields' values, each
    fitted to its key's type; TemplateError when a value cannot be made to fit."""
    data = {}
    values = _with_notice(values, (f.get("source") for f in setting["fields"]))
    for field in setting["fields"]:
        key = field["key"]
        raw = field["value"] if "value" in field else values.get(field["source"]) or ""
        try:
            data[key] = {"value": fit(key_type(key) or "thing", raw)}
        except TemplateError as err:
            raise TemplateError(f"{key}: {err}", err.code, key) from err
    return data


def sms_params(setting: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, str]:
    """The template's variables in order, each cut to what a provider takes (the health notice
    kept whole, as on a WeChat card)."""
    values = _with_notice(values, (p.get("source") for p in setting["params"]))
    return {p["name"]: cut(" ".join((p["value"] if "value" in p else values.get(p["source"]) or "").split()),
                           SMS_PARAM_MAX) for p in setting["params"]}
