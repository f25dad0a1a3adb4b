"""Member packages: the clinic's catalogue and the packages sold to patients.

- package type: pk=<clinic> sk=PKGDEF#<package id>
- package sold: pk=<clinic>#P#<patient> sk=PKG#<start day>#<sale id>; gsi1 <clinic>#PKGEND / <end day>#<patient>#<sale>
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.errors import Conflict, NotFound
from chalicelib.store import db, idempotency, keys
from chalicelib.store.models import PackageItem, PackageTypeItem, bind
if TYPE_CHECKING:  # types only
    from chalicelib.auth import Principal




def put_type(item: PackageTypeItem) -> PackageTypeItem:
    bind()
    item.save()
    return item


def type_item(clinic_id: str, package_id: str, **fields: Any) -> PackageTypeItem:
    return PackageTypeItem(keys.clinic_pk(clinic_id), keys.package_type_sk(package_id), package_id=package_id, **fields)


def types(clinic_id: str) -> list[PackageTypeItem]:
    bind()
    return list(PackageTypeItem.query(keys.clinic_pk(clinic_id), PackageTypeItem.sk.startswith(keys.PACKAGE_TYPE)))


def get_type(clinic_id: str, package_id: str) -> PackageTypeItem:
    bind()
    try:
        return PackageTypeItem.get(keys.clinic_pk(clinic_id), keys.package_type_sk(package_id))
    except DoesNotExist as exc:
        raise NotFound("no such package in the catalogue", code="package_type_not_found",
                       field="package_id") from exc


def package_item(clinic_id: str, patient_id: str, sale_id: str, start_date: str, end_date: str,
                 **fields: Any) -> PackageItem:
    return PackageItem(keys.patient_pk(clinic_id, patient_id), keys.package_sk(start_date, sale_id),
                       gsi1pk=keys.package_end_pk(clinic_id), gsi1sk=keys.package_end_sort(end_date, patient_id, sale_id),
                       sale_id=sale_id, patient_id=patient_id, start_date=start_date, end_date=end_date, **fields)


def packages(clinic_id: str, patient_id: str, consistent: bool = False) -> list[PackageItem]:
    raw = db.query_partition(keys.patient_pk(clinic_id, patient_id), keys.PACKAGE, consistent=consistent)
    return [PackageItem.from_raw_data(item) for item in raw]


def record(package: PackageItem, renews: PackageItem | None, *, principal: Principal | None = None,
           idem: idempotency.IdempotencyKey | None = None, reply: dict[str, Any] | None = None) -> None:
    """Write a sold package and, when it renews an older one, mark that one renewed, in one
    transaction. The sale is written once (`attribute_not_exists`), and a package is renewed at
    most once (`renewed_by` absent)."""
    try:
        with db.transaction() as txn:
            txn.save(package, condition=PackageItem.sk.does_not_exist(), label="package")
            if renews is not None:
                txn.update(renews, actions=[PackageItem.renewed_by.set(package.sale_id),
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


def ended_between(clinic_id: str, first_day: str, last_day: str) -> list[PackageItem]:
    """Packages whose last day lies in [first_day, last_day] (gsi1, page by page)."""
    bind()
    return list(PackageItem.by_gsi1.query(keys.package_end_pk(clinic_id),
                                          PackageItem.gsi1sk.between(first_day, last_day + "~"), page_size=500))
