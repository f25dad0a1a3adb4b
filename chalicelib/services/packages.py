"""Member packages (S8): the catalogue admins keep, packages staff record as sold (renewals
recognised by kind and date), the patient's own view, and the renewal rate.

Rules in docs/packages.md.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta

from chalicelib.domain import packages as rules
from chalicelib.domain.clock import clock, iso, local_date
from chalicelib.errors import BadRequest, Conflict
from chalicelib.observability import count
from chalicelib.store import clinics, patients
from chalicelib.store import packages as store

MAX_RATE_PERIOD_DAYS = 731


# --- catalogue ---------------------------------------------------------------------------------

def create_defaults(clinic_id: str) -> None:
    for terms in rules.DEFAULT_PACKAGE_TYPES:
        store.put_type(store.type_item(clinic_id, terms["package_id"], name=terms["name"], name_en=terms["name_en"],
                                       term_months=terms["term_months"],
                                       renewal_window_days=terms["renewal_window_days"], active=True,
                                       updated_at=iso(clock.now())))


def type_row(item) -> dict:
    return {"package_id": item.package_id, "name": item.name, "name_en": item.name_en,
            "term_months": int(item.term_months), "renewal_window_days": int(item.renewal_window_days),
            "active": bool(item.active)}


def catalogue(clinic_id: str) -> dict:
    return {"items": [type_row(i) for i in store.types(clinic_id)]}


def put_type(clinic_id: str, package_id: str, body) -> dict:
    """Add or change a package of the catalogue; packages already sold keep the term they were sold with."""
    item = store.put_type(store.type_item(clinic_id, package_id, name=body.name, name_en=body.name_en,
                                          term_months=body.term_months, renewal_window_days=body.renewal_window_days,
                                          active=body.active, updated_at=iso(clock.now())))
    return {"package_type": type_row(item)}


# --- packages sold -----------------------------------------------------------------------------

def package_row(item) -> dict:
    return {"sale_id": item.sale_id, "package_id": item.package_id, "name": item.name, "name_en": item.name_en,
            "term_months": int(item.term_months), "start_date": item.start_date, "end_date": item.end_date,
            "renewal_of": item.renewal_of, "renewed_by": item.renewed_by, "renewed_on": item.renewed_on}


def _renewed_package(existing, package_id: str, start: date, window_days: int):
    """The latest not-yet-renewed package of the same kind that this start renews, if any."""
    candidates = [p for p in existing if p.package_id == package_id and not p.renewed_by
                  and p.start_date < start.isoformat()
                  and rules.renews(date.fromisoformat(p.end_date), start, window_days)]
    return max(candidates, key=lambda p: p.end_date, default=None)


def record_sale(principal, patient_id: str, body, idem=None) -> dict:
    """Record a package sold to a patient; a package of the same kind starting within the renewal
    window around the end of an earlier one is its renewal."""
    clinic_id = principal.clinic_id
    clinic = clinics.get(clinic_id)
    patients.get(clinic_id, patient_id)
    kind = store.get_type(clinic_id, body.package_id)
    if not kind.active:
        raise Conflict("this package is no longer sold", code="package_type_inactive", field="package_id")
    today = local_date(clock.now(), clinic.tz)
    if body.start_date > today + timedelta(days=366):
        raise BadRequest("start_date is more than a year ahead", code="invalid_date", field="start_date")
    term = int(kind.term_months)
    end = rules.end_date(body.start_date, term)
    if body.sale_ref:
        sale_id = "x" + hashlib.sha256(f"sale:{body.sale_ref}".encode()).hexdigest()[:15]
    elif idem is not None:
        sale_id = "k" + hashlib.sha256(f"{idem.scope}:{idem.key}".encode()).hexdigest()[:15]
    else:
        sale_id = uuid.uuid4().hex[:16]
    existing = store.packages(clinic_id, patient_id, consistent=True)
    if any(p.sale_id == sale_id for p in existing):
        raise Conflict("this sale is already recorded", code="package_exists", field="sale_ref")
    window = int(kind.renewal_window_days)
    renews = _renewed_package(existing, kind.package_id, body.start_date, window)
    item = store.package_item(clinic_id, patient_id, sale_id, body.start_date.isoformat(), end.isoformat(),
                              package_id=kind.package_id, name=kind.name, name_en=kind.name_en, term_months=term,
                              renewal_window_days=window, sold_at=iso(clock.now()),
                              sold_by=principal.username or principal.subject,
                              renewal_of=renews.sale_id if renews else None)
    reply = {"package": package_row(item)}
    store.record(item, renews, principal=principal, idem=idem, reply=reply)
    count("PackagesSold", renewal=str(renews is not None).lower())
    plan_renewal_reminders(clinic_id, patient_id, item)
    return reply


def plan_renewal_reminders(clinic_id: str, patient_id: str, package) -> list:
    """A recorded package plans its renewal reminders: the recall rules anchored on `package_end`
    (the default fires 30 and 7 days before the end). A renewal recorded later marks this package
    `renewed_by`, and the recall composer then stops its remaining reminders."""
    from datetime import date

    from chalicelib.services.recall import plan_for_anchor

    return plan_for_anchor(clinic_id, patient_id, "package_end", date.fromisoformat(package.end_date),
                           context={"package": package.name, "package_id": package.package_id,
                                    "sale_id": package.sale_id})


def patient_packages(clinic_id: str, patient_id: str, known: bool = True) -> dict:
    """A patient's packages, newest first; `known=False` (an id from staff) checks the patient exists."""
    if not known:
        patients.get(clinic_id, patient_id)
    items = sorted(store.packages(clinic_id, patient_id), key=lambda p: p.start_date, reverse=True)
    clinic = clinics.get(clinic_id)
    today = local_date(clock.now(), clinic.tz).isoformat()
    rows = []
    for item in items:
        state = "upcoming" if item.start_date > today else ("active" if item.end_date >= today else "ended")
        rows.append({**package_row(item), "state": state})
    return {"items": rows}


# --- renewal rate ------------------------------------------------------------------------------

def renewal_rate(clinic_id: str, first_day: date, last_day: date) -> dict:
    """Of the packages that ended between the two days, the share renewed within their window,
    overall and per package kind. Also what a KPI job calls, e.g. for the last 12 months."""
    if last_day < first_day:
        raise BadRequest("to is before from", code="invalid_period", field="to")
    if (last_day - first_day).days > MAX_RATE_PERIOD_DAYS:
        raise BadRequest("a period of at most two years", code="invalid_period", field="to")
    clinic = clinics.get(clinic_id)
    today = local_date(clock.now(), clinic.tz)
    ended = store.ended_between(clinic_id, first_day.isoformat(), last_day.isoformat())

    def as_ended(p):
        return rules.Ended(date.fromisoformat(p.end_date), int(p.renewal_window_days),
                           date.fromisoformat(p.renewed_on) if p.renewed_on else None)

    by_kind: dict[str, list] = {}
    for p in ended:
        by_kind.setdefault(p.package_id, []).append(as_ended(p))
    overall = rules.renewal_rate([as_ended(p) for p in ended], first_day, last_day, today)
    return {"from": first_day.isoformat(), "to": last_day.isoformat(), "as_of": today.isoformat(),
            **overall.as_dict(),
            "by_package": {kind: rules.renewal_rate(items, first_day, last_day, today).as_dict()
                           for kind, items in sorted(by_kind.items())}}
