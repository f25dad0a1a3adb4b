"""GET /me/setup: what the registration and consent pages need, for a visitor or a patient."""

from chalicelib.domain.rules import PURPOSES
from tests.conftest import visitor_login


def test_a_visitor_gets_the_clinic_conditions_consent_texts_policy_and_templates(api):
    token = visitor_login(api)
    status, data = api.get("/me/setup", token=token)
    assert status == 200, data
    assert data["clinic"] == {"clinic_id": "demo-dental", "name": "齿护口腔"}
    labels = {c["condition"]: c["label"] for c in data["conditions"]}
    assert labels["eczema"] == "湿疹" and labels["diabetes"] == "糖尿病"
    purposes = {p["purpose"]: p for p in data["consent"]["purposes"]}
    assert set(purposes) == set(PURPOSES)
    assert purposes["service"]["required"] and not purposes["marketing"]["required"]
    assert all(p["title"] and p["text"] for p in purposes.values())
    assert data["privacy_policy"]["version"] == data["consent"]["version"]
    assert "隐私政策" in data["privacy_policy"]["text"] and "注销" in data["privacy_policy"]["text"]
    recall = next(t for t in data["subscribe_templates"] if t["kind"] == "recall")
    assert recall == {"kind": "recall", "template_id": "revisit-recall", "purpose": "service", "title": "复诊提醒"}


def test_a_patient_sees_their_clinics_setup_and_a_clinics_own_templates(api, new_patient, staff_token):
    status, _ = api.put("/clinic/delivery", {"wechat_templates": {"recall": "tmpl-recall-9"}},
                        token=staff_token("demo-dental"))
    assert status == 200
    token, _ = new_patient()
    status, data = api.get("/me/setup", token=token)
    assert status == 200
    assert {t["template_id"] for t in data["subscribe_templates"]} >= {"tmpl-recall-9"}
    other = visitor_login(api, "other-clinic", name="otherv")
    status, data = api.get("/me/setup", token=other)
    assert data["clinic"]["name"] == "别家诊所"
    assert "tmpl-recall-9" not in {t["template_id"] for t in data["subscribe_templates"]}


def test_staff_get_no_setup(api, staff_token):
    status, err = api.get("/me/setup", token=staff_token(role="front_desk"))
    assert status == 403 and err["code"] == "wrong_role"
