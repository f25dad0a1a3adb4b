"""Member packages: the clinic's catalogue and the packages sold to patients.

- package type: pk=<clinic> sk=PKGDEF#<package id>
- package sold: pk=<clinic>#P#<patient> sk=PKG#<start day>#<sale id>; gsi1 <clinic>#PKGEND / <end day>#<patient>#<sale>
"""

from __future__ import annotations

from typing import Any, NamedTuple, TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, idempotency, keys
from chalicelib.store.models import PackageItem, PackageTypeItem, bind

if TYPE_CHECKING:  # types only
    from chalicelib.auth import Principal


class PackageType(NamedTuple):
    """A member package the clinic sells: its term and renewal window (the catalogue)."""

    clinic_id: str
    package_id: str
    name: str
    name_en: str | None
    term_months: int
    renewal_window_days: int
    active: bool
    updated_at: str


class Package(NamedTuple):
    """A package sold to a patient, with its term copied from the catalogue at the sale."""

    clinic_id: str
    patient_id: str
    sale_id: str
    package_id: str
    name: str
    name_en: str | None
    term_months: int
    renewal_window_days: int
    start_date: str
    end_date: str  # last day covered
    sold_at: str
    sold_by: str | None = None
    renewal_of: str | None = None  # sale id of the package this one renews
    renewed_by: str | None = None  # sale id of the package that renewed this one
    renewed_on: str | None = None  # start day of that renewal


_NUMBERS = ("term_months", "renewal_window_days")


def _type_of(clinic_id: str, item: PackageTypeItem) -> PackageType:
    values = {name: getattr(item, name) for name in PackageType._fields if name != "clinic_id"}
    values.update({name: int(values[name]) for name in _NUMBERS}, active=bool(values["active"]))
    return PackageType(clinic_id=clinic_id, **values)


def _package_of(clinic_id: str, item: PackageItem) -> Package:
    values = {name: getattr(item, name) for name in Package._fields if name != "clinic_id"}
    values.update({name: int(values[name]) for name in _NUMBERS})
    return Package(clinic_id=clinic_id, **values)


def _package_item(package: Package) -> PackageItem:
    values = {name: getattr(package, name) for name in Package._fields if name != "clinic_id"}
    return PackageItem(keys.patient_pk(package.clinic_id, package.patient_id),
                       keys.package_sk(package.start_date, package.sale_id),
                       gsi1pk=keys.package_end_pk(package.clinic_id),
                       gsi1sk=keys.package_end_sort(package.end_date, package.patient_id, package.sale_id), **values)


def put_type(kind: PackageType) -> PackageType:
    bind()
    values = {name: getattr(kind, name) for name in PackageType._fields if name != "clinic_id"}
    PackageTypeItem(keys.clinic_pk(kind.clinic_id), keys.package_type_sk(kind.package_id), **values).save()
    return kind


def type_item(clinic_id: str, package_id: str, *, name: str, name_en: str | None, term_months: int,
              renewal_window_days: int, active: bool, updated_at: str) -> PackageType:
    return PackageType(clinic_id, package_id, name, name_en, term_months, renewal_window_days, active, updated_at)


def types(clinic_id: str) -> list[PackageType]:
    bind()
    return [_type_of(clinic_id, item) for item in
            PackageTypeItem.query(keys.clinic_pk(clinic_id), PackageTypeItem.sk.startswith(keys.PACKAGE_TYPE))]


def get_type(clinic_id: str, package_id: str) -> PackageType:
    bind()
    try:
        return _type_of(clinic_id, PackageTypeItem.get(keys.clinic_pk(clinic_id), keys.package_type_sk(package_id)))
    except DoesNotExist as exc:
        raise NotFound("no such package in the catalogue", code="package_type_not_found",
                       field="package_id") from exc


def package_item(clinic_id: str, patient_id: str, sale_id: str, start_date: str, end_date: str, *, package_id: str,
                 name: str, name_en: str | None, term_months: int, renewal_window_days: int, sold_at: str,
                 sold_by: str | None = None, renewal_of: str | None = None) -> Package:
    return Package(clinic_id, patient_id, sale_id, package_id, name, name_en, term_months, renewal_window_days,
                   start_date, end_date, sold_at, sold_by, renewal_of)


def packages(clinic_id: str, patient_id: str, consistent: bool = False) -> list[Package]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.PACKAGE, consistent=consistent)
    return [_package_of(clinic_id, PackageItem.from_raw_data(item)) for item in raw]


def record(package: Package, renews: Package | None, *, principal: Principal | None = None,
           idem: idempotency.IdempotencyKey | None = None, reply: dict[str, Any] | None = None) -> None:
    """Write a sold package and, when it renews an older one, mark that one renewed, in one
    transaction. The sale is written once (`attribute_not_exists`), and a package is renewed at
    most once (`renewed_by` absent)."""
    try:
        with db.transaction() as txn:
            txn.save(_package_item(package), condition=PackageItem.sk.does_not_exist(), label="package")
            if renews is not None:
                renewed = PackageItem(keys.patient_pk(renews.clinic_id, renews.patient_id),
                                      keys.package_sk(renews.start_date, renews.sale_id))
                txn.update(renewed, actions=[PackageItem.renewed_by.set(package.sale_id),
                                            PackageItem.renewed_on.set(package.start_date)],
                           condition=PackageItem.renewed_by.does_not_exist() & PackageItem.sk.exists(),
                           label="renewed")
            if idem is not None:
                idempotency.transact_put(txn, principal, idem, 201, reply)
    except db.Cancelled as exc:
        if exc.conditional("package"):
            raise Conflict("this sale is already recorded", code="package_exists", field="sale_id") from exc
        if exc.conditional("renewed"):
            raise Conflict("the package it renews changed meanwhile, try again", code="try_again") from exc
        raise


def ended_between(clinic_id: str, first_day: str, last_day: str) -> list[Package]:
    """Packages whose last day lies in [first_day, last_day] (gsi1, page by page)."""
    bind()
    return [_package_of(clinic_id, item) for item in PackageItem.by_gsi1.query(
        keys.package_end_pk(clinic_id), PackageItem.gsi1sk.between(first_day, last_day + "~"), page_size=500)]
