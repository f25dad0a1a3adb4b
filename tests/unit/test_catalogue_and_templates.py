"""The catalogue's checks and WeChat's per-type limits (domain/catalogue.py, domain/templates.py)."""

import pytest

from chalicelib.domain import templates
from chalicelib.domain.catalogue import Catalogue, CatalogueError, checked_section, defaults, reading_in_range


def test_a_clinic_without_a_stored_catalogue_reads_todays_lists_for_its_conditions():
    catalogue = Catalogue.of(None, ["dental"])
    assert catalogue.codes("conditions") == ("dental",)
    assert "dentistry" in catalogue.codes("departments")
    assert catalogue.label("conditions", "dental") == "口腔"
    assert catalogue.label("conditions", "dental", "en") == "Dental"
    assert catalogue.label("conditions", "unheard_of") == "unheard_of"


def test_labels_resolve_to_codes_whatever_the_case():
    catalogue = Catalogue.of(None)
    names = catalogue.aliases("conditions")
    assert names["高血压"] == names["hypertension"] == "hypertension"
    assert names["health check"] == names["体检"] == "health_check"
    assert catalogue.resolve("conditions", " Hypertension ") == "hypertension"
    assert catalogue.resolve("personas", "焦虑型") == "anxious"


def test_a_removed_entry_is_refused_and_a_deactivated_one_is_kept_but_not_offered():
    current = defaults()["personas"]
    with pytest.raises(CatalogueError) as err:
        checked_section("personas", current[1:], current)
    assert err.value.code == "catalogue_entry_removed"
    rows = checked_section("personas", [{**current[0], "active": False}, *current[1:]], current)
    catalogue = Catalogue.of({"personas": rows})
    assert "anxious" not in catalogue.codes("personas")
    assert "anxious" in catalogue.codes("personas", active_only=False)


def test_a_blood_pressure_reading_keeps_both_ranges_and_their_order():
    bp = next(row for row in defaults()["checkin_types"] if row["code"] == "blood_pressure")
    assert reading_in_range(bp, 128, 82) == 128
    for systolic, diastolic in ((128, None), (128, 20), (300, 80), (120, 130), (120.5, 80)):
        with pytest.raises(ValueError):
            reading_in_range(bp, systolic, diastolic)
    glucose = next(row for row in defaults()["checkin_types"] if row["code"] == "glucose")
    with pytest.raises(ValueError):
        reading_in_range(glucose, 6.2, 80)  # one number only


@pytest.mark.parametrize("kind, value, ok", [
    ("thing", "一" * 20, True), ("thing", "一" * 21, False),
    ("phrase", "待复诊", True), ("phrase", "请尽快来复诊", False), ("phrase", "ok", False),
    ("character_string", "A-1234_x", True), ("character_string", "复诊", False), ("character_string", "x" * 33, False),
    ("number", "12.5", True), ("number", "12a", False),
    ("time", "15:01", True), ("time", "2026年11月23日 09:00", True), ("time", "下午三点", False),
    ("date", "2026年11月23日", True), ("date", "09:00", False),
    ("amount", "￥100.50元", True), ("amount", "100 块", False),
    ("phone_number", "+86-0766-66888866", True), ("phone_number", "1" * 18, False),
    ("name", "张小红", True), ("name", "Alice Smith", True),
    ("letter", "abc", True), ("letter", "ab1", False), ("symbol", "★", True), ("symbol", "a", False),
    ("car_number", "粤A8Z888挂", True), ("car_number", "粤A8Z8888888", False),
])
def test_each_wechat_type_keeps_wechats_documented_limit(kind, value, ok):
    assert templates.fits(kind, value) is ok


def test_sending_cuts_a_thing_and_refuses_what_cannot_be_cut():
    setting = templates.checked_wechat("t-1", [{"key": "thing2", "source": "body"}, {"key": "time3", "source": "slot"}])
    data = templates.wechat_data(setting, {"body": "张女士您好，" + "请" * 30, "slot": "11月23日（周一）09:00"})
    assert len(data["thing2"]["value"]) == 20 and data["thing2"]["value"].endswith("…")
    assert data["time3"]["value"] == "11月23日 09:00"
    with pytest.raises(templates.TemplateError):
        templates.wechat_data(setting, {"body": "好", "slot": "改天"})


def test_sms_parameters_come_in_order_from_our_fields():
    setting = templates.checked_sms("SMS_1", [{"name": "clinic", "source": "clinic"}, {"name": "x", "value": "固定"}])
    assert templates.sms_params(setting, {"clinic": "齿护口腔"}) == {"clinic": "齿护口腔", "x": "固定"}
    with pytest.raises(templates.TemplateError):
        templates.checked_sms("SMS 1", [])


HEALTH = "春季湿疹容易复发，本周可来复诊，医生会帮您调整用药。\n" + templates.HEALTH_NOTICE


def test_a_cut_health_message_keeps_its_notice_whole_on_the_card_and_in_sms():
    card = templates.checked_wechat("t-1", [{"key": "thing2", "source": "body"}])
    value = templates.wechat_data(card, {"body": HEALTH})["thing2"]["value"]
    assert len(value) == 20 and value.endswith("…" + templates.HEALTH_NOTICE) and value.startswith("春季湿疹")
    sms = templates.checked_sms("SMS_1", [{"name": "text", "source": "body"}])
    text = templates.sms_params(sms, {"body": "请" * 30 + "\n" + templates.HEALTH_NOTICE})["text"]
    assert len(text) == templates.SMS_PARAM_MAX and text.endswith("…" + templates.HEALTH_NOTICE)
    # a message without health content is cut as before
    plain = templates.wechat_data(card, {"body": "请" * 30})["thing2"]["value"]
    assert plain == "请" * 19 + "…"


def test_a_template_key_for_the_notice_takes_it_and_the_text_goes_without_it():
    card = templates.checked_wechat("t-1", [{"key": "thing2", "source": "body"}, {"key": "thing4", "source": "notice"}])
    data = templates.wechat_data(card, {"body": HEALTH})
    assert data["thing4"]["value"] == templates.HEALTH_NOTICE
    assert templates.HEALTH_NOTICE not in data["thing2"]["value"] and data["thing2"]["value"].startswith("春季湿疹")
    assert templates.wechat_data(card, {"body": "您的积分即将到期"})["thing4"]["value"] == templates.NO_NOTICE
    with pytest.raises(templates.TemplateError):  # the notice is a text: it fills a thing key only
        templates.checked_wechat("t-1", [{"key": "phrase4", "source": "notice"}])
