"""What the mini-program's registration and consent pages show before a patient has a record:
the clinic, its conditions (labels from its catalogue), its check-in types with their ranges, the
consent texts per purpose, the privacy policy and the subscribe templates it may ask for."""

from __future__ import annotations

from chalicelib.domain import policy
from chalicelib.services.channels import known_templates
from chalicelib.store import clinics


def setup_view(clinic_id: str) -> dict:
    from chalicelib.services.catalogue import of_clinic

    clinic = clinics.get(clinic_id)
    catalogue = of_clinic(clinic)  # with the clinic's item: no read of its own
    templates = [
        {"kind": kind, "template_id": template_id,
         "purpose": policy.MESSAGE_KINDS.get(kind, ("service", kind))[0],
         "title": policy.MESSAGE_KINDS.get(kind, ("service", kind))[1]}
        for kind, template_id in sorted(known_templates(clinic_id).items())
    ]
    return {
        "clinic": {"clinic_id": clinic.clinic_id, "name": clinic.name},
        "conditions": [{"condition": c, "label": catalogue.label("conditions", c)} for c in catalogue.codes("conditions")],
        # what the check-in page may offer, with the clinic's units and plausible ranges
        "checkin_types": [{key: row[key] for key in ("code", "label", "unit", "input", "low", "high", "places",
                                                       "low2", "high2") if key in row}
                          for row in catalogue.entries("checkin_types") if row.get("active", True)],
        "consent": {"version": policy.POLICY_VERSION, "purposes": policy.purposes_view()},
        "privacy_policy": {"version": policy.POLICY_VERSION, "text": policy.PRIVACY_POLICY},
        "subscribe_templates": templates,
    }


def consent_texts(version: str) -> dict:
    """The texts of a published consent version (every version is kept: domain/policy.py)."""
    from chalicelib.errors import NotFound

    if version not in policy.CONSENT_TEXTS:
        raise NotFound("no consent texts of this version", code="consent_version_not_found", field="version")
    return {"version": version, "purposes": policy.purposes_view(version)}
