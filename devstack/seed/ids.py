"""The ids and hashes the services give what the demo writes, computed the same way from a plan,
so the bulk items, the experiment's conversions and the service path name the same things."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from chalicelib.domain.clock import iso

if TYPE_CHECKING:
    from devstack.seed.planner import Event, PatientPlan


def visit_id_for(source: str, external_id: str) -> str:
    """The id services.visits.record_visit gives a visit with an external id."""
    return "x" + hashlib.sha256(f"{source}:{external_id}".encode()).hexdigest()[:15]


def checkin_id_for(plan: PatientPlan, event: Event) -> str:
    return hashlib.sha256(f"{plan.patient_id}:{event.type}:{iso(event.client_time)}".encode()).hexdigest()[:16]


def openid_hash_for(plan: PatientPlan) -> str | None:
    from chalicelib import crypto

    return crypto.keyed_hash("openid", plan.clinic_id, "o" + plan.wechat) if plan.wechat else None
