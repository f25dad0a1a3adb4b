"""A clinic's catalogue as services use it: read from the clinic's item (cached per container with
the clinic, so a request pays no extra read), the checks every route makes against it, and an
admin's edits."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.catalogue import Catalogue, CatalogueError, checked_section, reading_in_range
from chalicelib.errors import BadRequest
from chalicelib.store import clinics

# the error code a section's unknown (or inactive) code is refused with
UNKNOWN = {"conditions": "unknown_condition", "departments": "unknown_department",
           "checkin_types": "unknown_checkin_type", "exam_flags": "unknown_flag", "personas": "unknown_persona"}


def of_clinic(clinic) -> Catalogue:
    """The catalogue of a clinic record already read (clinics.get)."""
    return Catalogue.of(clinic.catalogue, clinic.conditions)


def get(clinic_id: str) -> Catalogue:
    return of_clinic(clinics.get(clinic_id))


def require(catalogue: Catalogue, section: str, codes: Iterable[str], field: str) -> None:
    """BadRequest naming the first code the clinic does not offer (unknown or deactivated)."""
    offered = set(catalogue.codes(section))
    for code in codes:
        if code not in offered:
            raise BadRequest(f"unknown {section[:-1].replace('_', ' ')} {code!r}", code=UNKNOWN[section], field=field)


def check_reading(catalogue: Catalogue, checkin_type: str, value: float, diastolic: float | None) -> float:
    """The reading checked against the clinic's entry for its type (range, precision, the second
    number of a blood pressure); BadRequest otherwise."""
    require(catalogue, "checkin_types", [checkin_type], "type")
    entry = catalogue.entry("checkin_types", checkin_type)
    assert entry is not None
    try:
        return reading_in_range(entry, value, diastolic)
    except ValueError as exc:
        field = "diastolic" if "diastolic" in str(exc) or "two numbers" in str(exc) else "value"
        raise BadRequest(str(exc), code="invalid_reading", field=field) from exc


def view(clinic_id: str) -> dict:
    return get(clinic_id).as_dict()


def put_section(clinic_id: str, section: str, entries: list[dict]) -> dict:
    """Replace one section of the clinic's catalogue (entries are deactivated, never removed)."""
    clinic = clinics.get(clinic_id, fresh=True)
    current = of_clinic(clinic)
    try:
        rows = checked_section(section, entries, current.entries(section))
    except CatalogueError as err:
        raise BadRequest(str(err), code=err.code, field=err.field) from err
    stored = {**current.as_dict(), section: rows}
    conditions = [row["code"] for row in rows if row["active"]] if section == "conditions" else None
    saved = clinics.set_catalogue(clinic_id, clinic.catalogue, stored, conditions)
    return of_clinic(saved).as_dict()

