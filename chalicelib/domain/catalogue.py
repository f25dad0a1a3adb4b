"""A clinic's catalogue: its conditions, departments, check-in types, exam flags and personas, each
a code with a Chinese and an English label; the defaults every clinic starts from; the checks an
edit must pass. Pure: the clinic's stored catalogue comes in as a dict.

An entry is never removed once it exists: records keep their codes for ever, so an entry that is
no longer offered is deactivated (`active: false`): new records refuse it, old ones still show its
label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SECTIONS = ("conditions", "departments", "checkin_types", "exam_flags", "personas")
CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_ENTRIES = 60
MAX_LABEL = 20

NUMBER = "number"
BLOOD_PRESSURE = "blood_pressure"
INPUTS = (NUMBER, BLOOD_PRESSURE)
# the storage bound of every reading (api.models.Reading): a range must stay inside it
READING_MAX = 100_000
# check-in types the code gives a meaning of its own (glucose units and contexts, WeRun steps,
# task sessions, the two numbers of a blood pressure): their unit, input and precision stay
BUILT_IN_TYPES = ("glucose", "steps", "task", "blood_pressure")

DEFAULT_CONDITIONS = (
    ("eczema", "湿疹", "Eczema"), ("diabetes", "糖尿病", "Diabetes"), ("postpartum", "产后", "Postpartum"),
    ("dental", "口腔", "Dental"), ("health_check", "体检", "Health check"), ("hypertension", "高血压", "Hypertension"),
)
DEFAULT_DEPARTMENTS = (
    ("dermatology", "皮肤科", "Dermatology"), ("endocrinology", "内分泌科", "Endocrinology"),
    ("obstetrics", "产科", "Obstetrics"), ("dentistry", "口腔科", "Dentistry"),
    ("health_check", "体检中心", "Health check"), ("general", "全科", "General practice"),
)
DEFAULT_FLAGS = (
    ("high_bmi", "BMI 偏高", "High BMI"), ("high_bp", "血压偏高", "High blood pressure"),
    ("high_glucose", "血糖偏高", "High glucose"), ("high_lipids", "血脂偏高", "High lipids"),
    ("high_uric_acid", "尿酸偏高", "High uric acid"),
)
DEFAULT_PERSONAS = (
    ("anxious", "焦虑型", "Anxious"), ("knowledge_seeking", "求知型", "Knowledge-seeking"), ("social", "社交型", "Social"),
)
# code, zh, en, unit, low, high, places, input, second number's (low, high) for blood pressure
DEFAULT_CHECKIN_TYPES: tuple[dict[str, Any], ...] = (
    {"code": "glucose", "label": "血糖", "label_en": "Glucose", "unit": "mmol/L", "low": 1.0, "high": 50.0,
     "places": 1, "input": NUMBER},
    {"code": "steps", "label": "步数", "label_en": "Steps", "unit": "steps", "low": 0, "high": 100_000,
     "places": 0, "input": NUMBER},
    {"code": "task", "label": "任务", "label_en": "Task", "unit": "times", "low": 1, "high": 100,
     "places": 0, "input": NUMBER},
    {"code": "blood_pressure", "label": "血压", "label_en": "Blood pressure", "unit": "mmHg", "low": 50, "high": 260,
     "places": 0, "input": BLOOD_PRESSURE, "low2": 30, "high2": 160},
)


class CatalogueError(ValueError):
    """An edit the catalogue refuses: a stable code and the field it is about."""

    def __init__(self, message: str, code: str, field: str):
        super().__init__(message)
        self.code = code
        self.field = field


def _plain(rows: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    return [{"code": code, "label": zh, "label_en": en, "active": True} for code, zh, en in rows]


def defaults(conditions: Iterable[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Today's lists. `conditions`: the codes a clinic was created with (the others are left out;
    a code without a default label is labelled by itself until an admin names it)."""
    known = {row[0]: row for row in DEFAULT_CONDITIONS}
    chosen = list(known) if conditions is None else list(dict.fromkeys(conditions))
    return {
        "conditions": _plain(known.get(c, (c, c, c)) for c in chosen),
        "departments": _plain(DEFAULT_DEPARTMENTS),
        "checkin_types": [{**row, "active": True} for row in DEFAULT_CHECKIN_TYPES],
        "exam_flags": _plain(DEFAULT_FLAGS),
        "personas": _plain(DEFAULT_PERSONAS),
    }


@dataclass(frozen=True)
class Catalogue:
    """A clinic's lists as read: the stored sections, the defaults for the others."""

    sections: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None, conditions: Iterable[str] | None = None) -> Catalogue:
        base = defaults(conditions)
        for section in SECTIONS:
            if stored and isinstance(stored.get(section), list):
                base[section] = [dict(row) for row in stored[section]]
        return cls(base)

    def entries(self, section: str) -> list[dict[str, Any]]:
        return list(self.sections.get(section, []))

    def codes(self, section: str, *, active_only: bool = True) -> tuple[str, ...]:
        return tuple(row["code"] for row in self.sections.get(section, [])
                     if row.get("active", True) or not active_only)

    def entry(self, section: str, code: str) -> dict[str, Any] | None:
        return next((row for row in self.sections.get(section, []) if row["code"] == code), None)

    def label(self, section: str, code: str, lang: str = "zh") -> str:
        row = self.entry(section, code)
        if not row:
            return code
        return str(row.get("label_en") if lang == "en" and row.get("label_en") else row["label"])

    def resolve(self, section: str, value: str) -> str | None:
        """The code a staff member meant: the code itself or its Chinese or English label (any case)."""
        wanted = value.strip().casefold()
        for row in self.sections.get(section, []):
            if wanted in (row["code"].casefold(), str(row["label"]).casefold(),
                          str(row.get("label_en") or "").casefold()):
                return str(row["code"])
        return None

    def aliases(self, section: str) -> dict[str, str]:
        """Every name of an entry (its code, Chinese and English labels, case-folded) -> its code."""
        names: dict[str, str] = {}
        for row in self.sections.get(section, []):
            for name in (row.get("label_en"), row["label"], row["code"]):
                if name:
                    names[str(name).strip().casefold()] = row["code"]
        return names

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {section: self.entries(section) for section in SECTIONS}


def _number(row: Mapping[str, Any], name: str, where: str) -> float:
    value = row.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise CatalogueError(f"{name} must be a number", "invalid_catalogue", f"{where}.{name}")
    if not 0 <= value <= READING_MAX:
        raise CatalogueError(f"{name} must be from 0 to {READING_MAX}", "invalid_catalogue", f"{where}.{name}")
    return float(value)


def _checkin_type(row: dict[str, Any], old: Mapping[str, Any] | None, where: str) -> dict[str, Any]:
    kind = row.get("input") or NUMBER
    if kind not in INPUTS:
        raise CatalogueError(f"input is one of {', '.join(INPUTS)}", "invalid_catalogue", f"{where}.input")
    places = row.get("places", 0)
    if places not in (0, 1, 2):
        raise CatalogueError("places: 0, 1 or 2 decimals", "invalid_catalogue", f"{where}.places")
    unit = str(row.get("unit") or "").strip()
    if not 1 <= len(unit) <= 12:
        raise CatalogueError("a unit is 1-12 characters", "invalid_catalogue", f"{where}.unit")
    clean = {**row, "input": kind, "places": places, "unit": unit}
    pairs = [("low", "high")] + ([("low2", "high2")] if kind == BLOOD_PRESSURE else [])
    for low_name, high_name in pairs:
        low, high = _number(row, low_name, where), _number(row, high_name, where)
        if low >= high:
            raise CatalogueError(f"{low_name} must be below {high_name}", "invalid_range", f"{where}.{high_name}")
        clean[low_name], clean[high_name] = low, high
    if kind != BLOOD_PRESSURE:
        clean.pop("low2", None)
        clean.pop("high2", None)
    if row["code"] in BUILT_IN_TYPES:
        builtin = next(d for d in DEFAULT_CHECKIN_TYPES if d["code"] == row["code"])
        for name in ("input", "unit", "places"):
            if clean[name] != builtin[name]:
                raise CatalogueError(f"{row['code']} keeps its {name} ({builtin[name]})", "catalogue_built_in",
                                     f"{where}.{name}")
    return clean


def checked_section(section: str, rows: Sequence[Mapping[str, Any]],
                    current: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The section as it will be stored, or CatalogueError. Every code already in the section must
    stay (deactivate it instead: records use it); codes are unique; labels 1-20 characters."""
    if section not in SECTIONS:
        raise CatalogueError(f"unknown catalogue section {section!r}", "unknown_section", "section")
    if len(rows) > MAX_ENTRIES:
        raise CatalogueError(f"at most {MAX_ENTRIES} entries", "invalid_catalogue", "entries")
    before = {row["code"]: row for row in current}
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for index, raw in enumerate(rows):
        where = f"entries.{index}"
        row = dict(raw)
        code = str(row.get("code") or "")
        if not CODE.match(code):
            raise CatalogueError("a code: 2-40 lower-case letters, digits and _, starting with a letter",
                                 "invalid_code", f"{where}.code")
        if code in seen:
            raise CatalogueError(f"{code!r} is listed twice", "duplicate_code", f"{where}.code")
        seen.add(code)
        for name in ("label", "label_en"):
            text = str(row.get(name) or "").strip()
            if not 1 <= len(text) <= MAX_LABEL:
                raise CatalogueError(f"{name}: 1-{MAX_LABEL} characters", "invalid_label", f"{where}.{name}")
            row[name] = text
        row["active"] = bool(row.get("active", True))
        if section == "checkin_types":
            row = _checkin_type(row, before.get(code), where)
        else:
            row = {name: row[name] for name in ("code", "label", "label_en", "active")}
        clean.append(row)
    removed = [code for code in before if code not in seen]
    if removed:
        raise CatalogueError(f"{removed[0]!r} is in use by records; deactivate it instead of removing it",
                             "catalogue_entry_removed", "entries")
    labels = [row["label"] for row in clean]
    twice = next((label for label in labels if labels.count(label) > 1), None)
    if twice:
        raise CatalogueError(f"the label {twice!r} is used twice", "duplicate_label", "entries")
    return clean


def reading_in_range(entry: Mapping[str, Any], value: float, second: float | None = None) -> float:
    """A generic reading checked against its catalogue entry (range and precision); for blood
    pressure `value` is the systolic and `second` the diastolic number. ValueError says what is
    accepted."""
    code, places = entry["code"], int(entry.get("places", 0))
    if entry.get("input") == BLOOD_PRESSURE:
        if second is None:
            raise ValueError(f"a {code} check-in takes two numbers: systolic (value) and diastolic")
        pairs = [("systolic", value, entry["low"], entry["high"]), ("diastolic", second, entry["low2"], entry["high2"])]
        for name, number, low, high in pairs:
            if number != int(number):
                raise ValueError(f"{name} must be a whole number")
            if not low <= number <= high:
                raise ValueError(f"{name} must be from {low:g} to {high:g} {entry['unit']}")
        if second >= value:
            raise ValueError("diastolic must be below systolic")
        return float(int(value))
    if second is not None:
        raise ValueError(f"a {code} check-in takes one number, no diastolic")
    if places == 0 and value != int(value):
        raise ValueError(f"{code} must be a whole number")
    canonical = round(value, places) if places else float(int(value))
    if not entry["low"] <= canonical <= entry["high"]:
        raise ValueError(f"{code} must be from {entry['low']:g} to {entry['high']:g} {entry['unit']}")
    return canonical
