"""A clinic's message templates: WeChat subscribe templates (our fields on the template's typed
keys, checked against WeChat's limits when saved and fitted when sent) and SMS templates."""

from tests.api.test_delivery import job_of, plan_now, rule_body, run_schedule
from tests.conftest import wx_code

RECALL = {"wechat": {"template_id": "clinic-recall-2", "fields": [
    {"key": "thing1", "source": "clinic"}, {"key": "thing2", "source": "body"},
    {"key": "time3", "source": "slot"}, {"key": "phrase4", "value": "待复诊"}]},
    "sms": {"template_id": "SMS_1234", "params": [{"name": "clinic", "source": "clinic"},
                                                   {"name": "time", "source": "slot"}]}}


def test_an_admin_maps_our_fields_onto_the_templates_keys(api, staff_token):
    admin = staff_token()
    status, body = api.put("/clinic/message-templates/recall", RECALL, token=admin)
    assert status == 200, body
    recall = next(k for k in body["kinds"] if k["kind"] == "recall")
    assert recall["name"] == "复诊提醒"
    assert recall["wechat"] == RECALL["wechat"] and recall["sms"] == RECALL["sms"]
    # patients subscribe to the template the clinic named
    assert api.get("/clinic/delivery", token=admin)[1]["wechat_templates"]["recall"] == "clinic-recall-2"
    staff = staff_token(role="staff")
    assert api.get("/clinic/message-templates", token=staff)[0] == 200
    assert api.put("/clinic/message-templates/recall", RECALL, token=staff)[0] == 403


def test_settings_wechat_would_refuse_are_refused_when_saved(api, staff_token):
    admin = staff_token()
    cases = [
        ([{"key": "phrase1", "value": "请尽快来院复诊"}], "wechat.fields.0.value"),  # phrase: 5 Chinese characters
        ([{"key": "phrase1", "source": "body"}], "wechat.fields.0.source"),  # free text cannot fill a phrase
        ([{"key": "character_string1", "value": "复诊"}], "wechat.fields.0.value"),  # letters, digits, symbols only
        ([{"key": "thing1", "value": "一二三四五六七八九十一二三四五六七八九十一"}], "wechat.fields.0.value"),  # 21
        ([{"key": "time1", "value": "下周一"}], "wechat.fields.0.value"),
        ([{"key": "colour1", "source": "body"}], "wechat.fields.0.key"),
        ([{"key": "thing1", "source": "body"}, {"key": "thing1", "source": "clinic"}], "wechat.fields.1.key"),
    ]
    for fields, field in cases:
        status, body = api.put("/clinic/message-templates/recall",
                               {"wechat": {"template_id": "t-1", "fields": fields}}, token=admin)
        assert (status, body.get("code"), body.get("field")) == (400, "invalid_template_field", field), fields
    status, body = api.put("/clinic/message-templates/content",
                           {"wechat": {"template_id": "t-1", "fields": [{"key": "phrase1", "source": "kind_name"}]}},
                           token=admin)
    assert status == 400 and body["field"] == "wechat.fields.0.source"  # 健康内容推送 is six characters
    status, body = api.put("/clinic/message-templates/fax", RECALL, token=admin)
    assert status == 400 and body["code"] == "unknown_kind"


def test_a_recall_goes_out_in_the_clinics_template_with_each_value_fitted(api, staff_token, new_patient, clinics):
    admin = staff_token()
    api.put("/recall-rules/eczema-surgery", rule_body(), token=admin)
    assert api.put("/clinic/message-templates/recall", RECALL, token=admin)[0] == 200
    token, pid = new_patient(name="wxmap")
    status, view = api.post("/me/subscriptions", {"template_id": "clinic-recall-2", "code": wx_code("wxmap")},
                            token=token)
    assert status == 201, view
    fake = clinics.fake_wechat
    before = len(fake.sent)
    plan_now(pid, "eczema-surgery")
    run_schedule()
    sent = fake.sent[before:]
    assert len(sent) == 1 and sent[0]["template_id"] == "clinic-recall-2"
    data = {key: value["value"] for key, value in sent[0]["data"].items()}
    assert set(data) == {"thing1", "thing2", "time3", "phrase4"}
    assert data["thing1"] == "齿护口腔" and data["phrase4"] == "待复诊"
    assert len(data["thing2"]) <= 20 and data["thing2"].startswith("张女士")
    assert data["time3"].endswith("09:00")
    assert job_of(pid, "recall", "eczema-surgery", "2026-10-01", 30).channel == "wechat"
