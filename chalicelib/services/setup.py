"""What the mini-program's registration and consent pages show before a patient has a record:
the clinic, its conditions, the consent texts per purpose, the privacy policy and the subscribe
templates it may ask for."""

from __future__ import annotations

from chalicelib.domain import policy
from chalicelib.services.channels import known_templates
from chalicelib.store import clinics


def setup_view(clinic_id: str) -> dict:
    clinic = clinics.get(clinic_id)
    templates = [
        {"kind": kind, "template_id": template_id,
         "purpose": policy.MESSAGE_KINDS.get(kind, ("service", kind))[0],
         "title": policy.MESSAGE_KINDS.get(kind, ("service", kind))[1]}
        for kind, template_id in sorted(known_templates(clinic_id).items())
    ]
    return {
        "clinic": {"clinic_id": clinic.clinic_id, "name": clinic.name},
        "conditions": [{"condition": c, "label": policy.condition_label(c)} for c in clinic.conditions],
        "consent": {"version": policy.POLICY_VERSION, "purposes": policy.purposes_view()},
        "privacy_policy": {"version": policy.POLICY_VERSION, "text": policy.PRIVACY_POLICY},
        "subscribe_templates": templates,
    }
