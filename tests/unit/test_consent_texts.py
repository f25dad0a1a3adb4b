"""Published consent texts are kept as they were: a change to one fails here, so a new text must be
a new version (domain/policy.py CONSENT_TEXTS), and the text a patient agreed to stays readable."""

import hashlib
import json

from chalicelib.domain.policy import CONSENT_TEXTS, POLICY_VERSION

PUBLISHED = {
    "v1": "804cff4b14cab5e4609bf5ca3d49db23179b3a3db64bf7a33534a86ab1938741",
}


def _digest(texts) -> str:
    return hashlib.sha256(json.dumps(texts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def test_every_published_version_is_kept_unchanged():
    assert set(PUBLISHED) <= set(CONSENT_TEXTS), "a published version was removed"
    for version, digest in PUBLISHED.items():
        assert _digest(CONSENT_TEXTS[version]) == digest, f"the texts of {version} changed: publish a new version"


def test_the_current_version_is_published_and_covers_every_purpose():
    assert POLICY_VERSION in PUBLISHED
    assert all(set(texts) == set(CONSENT_TEXTS[POLICY_VERSION]) for texts in CONSENT_TEXTS.values())
