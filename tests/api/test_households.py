"""Households: joining by consent, carers, dependants (an infant and its check-ups), carer check-ins
on the dependant's record, reminders to the carer, the shared family card, leaving and erasure."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from chalicelib.jobs import send_reminders
from chalicelib.jobs.sweep import queue_url
from tests.test_helpers import sweep_lapses
from devstack.sqs_pump import drain
from tests.conftest import T0, register_patient, wx_code

INFANT = {"name": "王小宝", "birth_date": "2026-11-10", "sex": "F", "relation": "child"}


def run_schedule():
    sweep_lapses()
    drain(queue_url(), send_reminders.handle)


def family(api, token):
    status, data = api.get("/me/family", token=token)
    assert status == 200, data
    return data


def row(data, member_id):
    return next(m for m in data["members"] if m["member_id"] == member_id)


def invite(api, token, relation="spouse"):
    status, data = api.post("/me/family/invites", {"relation": relation}, token=token)
    assert status == 201, data
    return data["code"]


@pytest.fixture
def couple(api, new_patient):
    """Two adult patients of demo-dental in one household: the mother (who invited) and her husband."""
    mother_token, mother = new_patient(name="mother", full_name="王小红", phone="13800000001", sex="F")
    father_token, father = new_patient(name="father", full_name="李大明", phone="13800000002", sex="M")
    code = invite(api, mother_token)
    status, joined = api.post("/me/family/join", {"code": code, "consent": True}, token=father_token)
    assert status == 200, joined
    return mother_token, mother, father_token, father


def test_an_adult_joins_only_with_consent_and_a_valid_code(api, new_patient, clock):
    from chalicelib.store import patients

    mother_token, mother = new_patient(name="m1", full_name="王小红", phone="13800000011")
    father_token, father = new_patient(name="f1", full_name="李大明", phone="13800000012")
    assert family(api, father_token) == {"family_id": None, "members": [], "card": None}
    code = invite(api, mother_token, "spouse")
    status, err = api.post("/me/family/join", {"code": code, "consent": False}, token=father_token)
    assert (status, err["code"]) == (400, "consent_required")
    assert api.post("/me/family/join", {"code": "ZZZZZZZZ", "consent": True}, token=father_token)[1]["code"] == \
        "invalid_code"
    assert api.post("/me/family/join", {"code": code, "consent": True}, token=mother_token)[1]["code"] == "own_code"
    status, joined = api.post("/me/family/join", {"code": code.lower(), "consent": True}, token=father_token)
    assert status == 200, joined
    assert {m["member_id"] for m in joined["members"]} == {mother, father}
    # the code works once
    assert api.post("/me/family/join", {"code": code, "consent": True}, token=father_token)[1]["code"] == \
        "invalid_code"
    seen_by_mother, seen_by_father = family(api, mother_token), family(api, father_token)
    assert seen_by_mother["family_id"] == seen_by_father["family_id"]
    assert row(seen_by_mother, father) | {} == {
        "member_id": father, "name": "李**", "relation": "spouse", "minor": False, "me": False,
        "i_care_for": False, "cares_for_me": False, "may_checkin": False, "gets_reminders": False,
        "checks_in_for_me": False, "gets_my_reminders": False}
    assert row(seen_by_mother, mother)["me"] is True and row(seen_by_mother, mother)["relation"] == "self"
    assert row(seen_by_father, mother)["relation"] == "spouse"
    # each adult's consent is in their own consent log, and the audit trail says who linked whom
    for pid in (mother, father):
        logged = [e for e in api.get("/me/export", token=mother_token if pid == mother else father_token)[1]
                  ["records"]["consentlog"] if e["purpose"] == "family"]
        assert len(logged) == 1 and logged[0]["granted"] is True and logged[0]["by"] == "patient"
    # already in a household: another invite is refused
    third_token, _ = new_patient(name="t1", phone="13800000013")
    other = invite(api, third_token)
    status, err = api.post("/me/family/join", {"code": other, "consent": True}, token=father_token)
    assert (status, err["code"]) == (409, "already_in_family")
    # an expired code
    late = invite(api, third_token)
    clock.advance(hours=25)
    fourth_token, _ = new_patient(name="q1", phone="13800000014")
    status, err = api.post("/me/family/join", {"code": late, "consent": True}, token=fourth_token)
    assert (status, err["code"]) == (410, "code_expired")
    assert patients.get("demo-dental", father).name_masked == "李**"


def test_the_audit_trail_names_who_linked_whom(api, couple, staff_token):
    _, mother, _, father = couple
    status, page = api.get("/audit?patient_id=" + father, token=staff_token())
    assert status == 200, page
    joined = [e for e in page["items"] if e["action"] == "family_change" and e["detail"].get("what") == "joined"]
    assert joined and joined[0]["detail"]["linked_by"] == mother


def test_a_carer_checks_in_on_the_dependants_record_and_a_non_carer_is_refused(api, couple, staff_token):
    mother_token, mother, father_token, father = couple
    # nobody cares for anybody yet
    status, err = api.post(f"/me/family/{father}/checkins", {"type": "glucose", "value": 5.6,
                                                             "client_time": T0.isoformat()}, token=mother_token)
    assert (status, err["code"]) == (403, "not_your_dependant")
    status, members = api.put(f"/me/family/carers/{mother}", {"checkins": True, "reminders": False},
                              token=father_token)
    assert status == 200, members
    assert row(members, mother)["cares_for_me"] is True
    # the father's own view says what he gave her, for his carer page's switches
    assert (row(members, mother)["checks_in_for_me"], row(members, mother)["gets_my_reminders"]) == (True, False)
    seen = row(family(api, mother_token), father)
    assert (seen["i_care_for"], seen["may_checkin"], seen["gets_reminders"]) == (True, True, False)
    status, done = api.post(f"/me/family/{father}/checkins", {"type": "glucose", "value": 5.6,
                                                              "client_time": T0.isoformat()}, token=mother_token)
    assert status == 201, done
    assert done["checkin"]["counted"] is True and done["points_awarded"] > 0
    # on the father's record: his check-ins and his points, not the mother's
    assert [c["type"] for c in api.get("/me/checkins", token=father_token)[1]["items"]] == ["glucose"]
    assert api.get("/me/checkins", token=mother_token)[1]["items"] == []
    assert api.get("/me/points", token=father_token)[1]["balance"] == done["balance"]
    assert api.get("/me/points", token=mother_token)[1]["balance"] == 0
    from chalicelib.store import db, keys

    stored = db.query_partition(keys.patient_pk("demo-dental", father), keys.CHECKIN_PREFIX)
    assert stored[0]["by"]["S"] == mother
    # the father may not check in for the mother (she gave him nothing)
    status, err = api.post(f"/me/family/{mother}/checkins", {"type": "glucose", "value": 5.6,
                                                             "client_time": T0.isoformat()}, token=father_token)
    assert (status, err["code"]) == (403, "not_your_dependant")
    # both false ends it
    api.put(f"/me/family/carers/{mother}", {"checkins": False, "reminders": False}, token=father_token)
    status, err = api.post(f"/me/family/{father}/checkins", {"type": "steps", "value": 8000,
                                                             "client_time": T0.isoformat()}, token=mother_token)
    assert (status, err["code"]) == (403, "not_your_dependant")
    # not a member: a stranger's id, or oneself
    status, err = api.put("/me/family/carers/nobody", {"checkins": True, "reminders": True}, token=father_token)
    assert (status, err["code"]) == (404, "not_a_member")
    status, err = api.put(f"/me/family/carers/{father}", {"checkins": True, "reminders": True}, token=father_token)
    assert (status, err["code"]) == (404, "not_a_member")


def test_a_minor_cannot_invite_or_give_care(api, new_patient):
    teen_token, _ = new_patient(name="teen", phone="13800000021", birth_year=2012)
    status, err = api.post("/me/family/invites", {"relation": "parent"}, token=teen_token)
    assert (status, err["code"]) == (403, "not_an_adult")
    adult_token, _ = new_patient(name="adult", phone="13800000022")
    code = invite(api, adult_token, "child")
    status, err = api.post("/me/family/join", {"code": code, "consent": True}, token=teen_token)
    assert (status, err["code"]) == (403, "not_an_adult")


def test_an_infant_dependant_gets_the_checkups_as_reminders_to_the_mother(api, couple, clinics, clock, staff_token):
    mother_token, mother, father_token, father = couple
    for bad, code in (({**INFANT, "birth_date": "2026-12-01"}, "invalid_birth_date"),
                      ({**INFANT, "birth_date": "1990-01-01"}, "not_a_minor")):
        status, err = api.post("/me/family/dependants", bad, token=mother_token)
        assert (status, err["code"]) == (400, code)
    status, infant = api.post("/me/family/dependants", INFANT, token=mother_token)
    assert status == 201, infant
    assert (infant["name"], infant["relation"], infant["minor"]) == ("王**", "child", True)
    assert (infant["i_care_for"], infant["may_checkin"], infant["gets_reminders"]) == (True, True, True)
    baby = infant["member_id"]
    status, plan = api.get(f"/me/family/{baby}/reminders", token=mother_token)
    assert status == 200, plan
    assert [(i["title"], i["due_date"], i["kind"]) for i in plan["items"]] == [
        ("42天体检", "2026-12-22", "checkup"), ("3月龄体检", "2027-02-10", "checkup"),
        ("6月龄体检", "2027-05-10", "checkup"), ("8月龄体检", "2027-07-10", "checkup"),
        ("12月龄体检", "2027-11-10", "checkup")]
    # the father is in the household (he sees the infant as his child) but not the infant's carer
    seen = row(family(api, father_token), baby)
    assert (seen["relation"], seen["minor"], seen["may_checkin"], seen["gets_reminders"]) == ("child", True, False,
                                                                                              False)
    status, err = api.get(f"/me/family/{baby}/reminders", token=father_token)
    assert (status, err["code"]) == (403, "not_your_dependant")
    # the mother checks in for the infant: on the infant's record
    status, done = api.post(f"/me/family/{baby}/checkins", {"type": "steps", "value": 100,
                                                            "client_time": T0.isoformat()}, token=mother_token)
    assert status == 201, done
    status, err = api.post(f"/me/family/{baby}/checkins", {"type": "steps", "value": 100,
                                                           "client_time": T0.isoformat()}, token=father_token)
    assert (status, err["code"]) == (403, "not_your_dependant")
    # the mother subscribed to WeChat messages: the day-42 reminder goes to her WeChat with the infant's masked name
    fake = clinics.fake_wechat
    status, _ = api.post("/me/subscriptions", {"template_id": "revisit-recall", "code": wx_code("mother")},
                         token=mother_token)
    assert status == 201
    before = len(fake.sent)
    clock.set(T0.replace(month=12, day=15, hour=2))  # a week before day 42, 10:00 in Shanghai
    run_schedule()
    sent = fake.sent[before:]
    assert [m["touser"] for m in sent] == ["omother"]
    assert any("王**" in str(field["value"]) for field in sent[0]["data"].values()), sent[0]
    from chalicelib.store import recall

    assert sorted(j.rule_id for j in recall.open_jobs("demo-dental", baby)) == ["m12", "m3", "m6", "m8"]
    # recording the delivery on the mother afterwards (the postpartum path's anchor) plans nothing twice
    from chalicelib.services import households

    status, anchored = api.post(f"/patients/{mother}/anchors", {"anchor": "delivery", "date": "2026-11-10"},
                                token=staff_token())
    assert status == 201, anchored
    assert sorted(j.rule_id for j in recall.open_jobs("demo-dental", baby)) == ["m12", "m3", "m6", "m8"]
    assert households.plan_for_mother("demo-dental", mother, date(2026, 11, 10)) == 0


def test_for_a_minor_the_guardians_consent_decides(api, couple, clock):
    from chalicelib.store import inbox as inbox_store
    from chalicelib.store import keys, recall

    mother_token, mother, _, _ = couple
    status, infant = api.post("/me/family/dependants", INFANT, token=mother_token)
    assert status == 201
    # the infant's own record has no consent of its own; the mother's is withdrawn
    assert api.post("/me/consents/withdraw", {"purposes": ["service"]}, token=mother_token)[0] == 200
    clock.set(T0.replace(month=12, day=15, hour=2))
    run_schedule()
    assert inbox_store.messages("demo-dental", mother) == []
    job = recall.get_job(keys.patient_pk("demo-dental", infant["member_id"]),
                         keys.outbound_job_sk("checkup", "d42", "2026-11-10", 42))
    assert job is not None and job.status == "skipped_no_consent"


def test_a_dependant_who_gave_reminders_has_them_sent_to_the_carer_and_their_own_consent_decides(
        api, couple, staff_token, clock):
    from chalicelib.store import inbox as inbox_store
    from chalicelib.store import recall

    mother_token, mother, father_token, father = couple
    staff = staff_token()
    api.put(f"/me/family/carers/{mother}", {"checkins": False, "reminders": True}, token=father_token)
    assert row(family(api, mother_token), father)["gets_reminders"] is True
    status, plan = api.post(f"/patients/{father}/remissions", {"condition": "eczema", "date": "2026-10-21"},
                            token=staff)
    assert status == 201, plan
    run_schedule()
    to_mother = inbox_store.messages("demo-dental", mother)
    assert len(to_mother) == 1 and to_mother[0].body.startswith("【李**】")
    assert inbox_store.messages("demo-dental", father) == []
    assert api.get(f"/me/family/{father}/reminders", token=mother_token)[0] == 200
    # the father withdraws his service consent: his next reminder goes nowhere
    api.post("/me/consents/withdraw", {"purposes": ["service"]}, token=father_token)
    api.put("/me/consents", {"consents": {"service": False}, "consent_version": "v1"}, token=father_token)
    api.post(f"/patients/{father}/remissions", {"condition": "eczema", "date": "2026-10-22"}, token=staff)
    # planned after the withdrawal: the sender checks the father's consent, not the mother's
    clock.advance(days=1)
    run_schedule()
    assert len(inbox_store.messages("demo-dental", mother)) == 1
    from chalicelib.store import keys

    job = recall.get_job(keys.patient_pk("demo-dental", father),
                         keys.outbound_job_sk("recall", "eczema-remission-30", "2026-10-22", 30))
    assert job is not None and job.status == "skipped_no_consent"


def test_the_family_card_is_counted_once_under_concurrent_uses(api, couple, staff_token, one_request_at_a_time):
    _, mother, _, father = couple
    staff = staff_token(role="front_desk")
    status, err = api.post(f"/patients/{mother}/family-card/use", {}, token=staff, headers={"Idempotency-Key": "k0"})
    assert (status, err["code"]) == (404, "no_family_card")
    status, card = api.post(f"/patients/{mother}/family-card", {"uses": 4, "valid_until": "2027-11-30"}, token=staff)
    assert status == 200 and (card["uses_total"], card["uses_left"], card["used"]) == (4, 4, [])

    def use(args):
        pid, key = args
        return api.post(f"/patients/{pid}/family-card/use", {}, token=staff, headers={"Idempotency-Key": key})

    # ten uses at once with one key (a retried tap): one use
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(use, [(mother, "same-key")] * 10))
    assert all(s < 500 for s, _ in answers), answers
    done = [data for s, data in answers if s == 200]
    assert done and all(d == done[0] for d in done)
    assert all(d["code"] == "request_in_progress" for s, d in answers if s != 200)
    seen = api.get(f"/patients/{father}/family", token=staff)[1]["card"]
    assert seen["uses_left"] == 3 and len(seen["used"]) == 1 and seen["used"][0]["name"] == "王**"
    # ten uses at once with different keys, by both members: never more than the three left
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(use, [((mother, father)[i % 2], f"key-{i}") for i in range(10)]))
    assert all(s < 500 for s, _ in answers), answers
    ok = [d for s, d in answers if s == 200]
    refused = [d["code"] for s, d in answers if s != 200]
    assert len(ok) <= 3 and set(refused) <= {"card_used_up", "try_again"}, answers
    card = api.get(f"/patients/{mother}/family", token=staff)[1]["card"]
    assert card["uses_left"] == 3 - len(ok) and len(card["used"]) == 1 + len(ok)
    while card["uses_left"]:
        status, card = use((father, f"drain-{card['uses_left']}"))
        assert status == 200, card
    status, err = use((mother, "one-more"))
    assert (status, err["code"]) == (409, "card_used_up")
    card = api.get(f"/patients/{mother}/family", token=staff)[1]["card"]
    assert card["uses_left"] == 0 and len(card["used"]) == 4


def test_leaving_and_erasure_keep_nothing_of_the_member(api, couple, staff_token):
    from chalicelib.store import db, keys

    mother_token, mother, father_token, father = couple
    staff = staff_token(role="front_desk")
    status, infant = api.post("/me/family/dependants", INFANT, token=mother_token)
    assert status == 201
    api.put(f"/me/family/carers/{father}", {"checkins": True, "reminders": True}, token=mother_token)
    api.post(f"/patients/{father}/family-card", {"uses": 2, "valid_until": "2027-11-30"}, token=staff)
    assert api.post(f"/patients/{father}/family-card/use", {}, token=staff,
                    headers={"Idempotency-Key": "erase-1"})[0] == 200
    # the mother is the infant's only carer: she cannot leave
    status, err = api.delete("/me/family", token=mother_token)
    assert (status, err["code"]) == (409, "has_dependants")
    family_id = family(api, father_token)["family_id"]
    status, erased = api.delete("/me", token=father_token)
    assert status == 200, erased
    after = family(api, mother_token)
    assert father not in {m["member_id"] for m in after["members"]}
    assert row(after, mother)["cares_for_me"] is False
    assert after["card"]["used"] == [{"date": "2026-11-20", "name": "—"}] and after["card"]["uses_left"] == 1
    dump = db.query_partition(keys.household_pk("demo-dental", family_id), consistent=True)
    assert father not in str(dump)
    # a member without dependants leaves
    other_token, other = register_patient(api, name="aunt", phone="13800000031")
    code = invite(api, mother_token, "other")
    assert api.post("/me/family/join", {"code": code, "consent": True}, token=other_token)[0] == 200
    status, left = api.delete("/me/family", token=other_token)
    assert status == 200 and left == {"family_id": None, "members": [], "card": None}
    assert other not in {m["member_id"] for m in family(api, mother_token)["members"]}


def test_wrong_callers_and_bad_input(api, couple, staff_token, new_patient):
    mother_token, mother, father_token, father = couple
    status, infant = api.post("/me/family/dependants", INFANT, token=mother_token)
    baby = infant["member_id"]
    # another clinic's staff cannot even find the patient
    other_staff = staff_token("other-clinic")
    assert api.get(f"/patients/{mother}/family", token=other_staff)[1]["code"] == "patient_not_found"
    assert api.post(f"/patients/{mother}/family-card", {"uses": 2, "valid_until": "2027-01-01"},
                    token=other_staff)[0] == 404
    assert api.post(f"/patients/{mother}/family-card/use", {}, token=other_staff)[0] == 404
    # a patient of another household
    stranger_token, _ = new_patient(name="stranger", phone="13800000041")
    for call in (lambda: api.post(f"/me/family/{baby}/checkins", {"type": "steps", "value": 10,
                                                                  "client_time": T0.isoformat()}, token=stranger_token),
                 lambda: api.get(f"/me/family/{baby}/reminders", token=stranger_token)):
        status, err = call()
        assert (status, err["code"]) == (403, "not_your_dependant")
    assert api.put(f"/me/family/carers/{mother}", {"checkins": True, "reminders": True},
                   token=stranger_token)[1]["code"] == "not_a_member"
    # a patient cannot use staff routes, staff cannot use patient routes
    assert api.get(f"/patients/{mother}/family", token=mother_token)[0] == 403
    assert api.get("/me/family", token=staff_token())[0] == 403
    # bad input
    staff = staff_token()
    for body in ({"uses": 11, "valid_until": "2027-01-01"}, {"uses": 0, "valid_until": "2027-01-01"},
                 {"uses": 2, "valid_until": "someday"}, {"uses": 2}):
        status, err = api.post(f"/patients/{mother}/family-card", body, token=staff)
        assert status == 400 and err["code"] == "invalid_input", (body, err)
    status, err = api.post(f"/patients/{mother}/family-card", {"uses": 2, "valid_until": "2020-01-01"}, token=staff)
    assert (status, err["code"]) == (400, "invalid_date")
    assert api.post("/me/family/invites", {"relation": "cousin"}, token=mother_token)[0] == 400
    assert api.post("/me/family/join", {"code": "<script>", "consent": True}, token=father_token)[0] == 400
    assert api.post("/me/family/dependants", {**INFANT, "sex": "X"}, token=mother_token)[0] == 400
    assert api.post("/me/family/dependants", {**INFANT, "balance": 5}, token=mother_token)[1]["code"] == \
        "unknown_field"
    assert api.put(f"/me/family/carers/{mother}", {"checkins": "yes"}, token=father_token)[0] == 400
    status, err = api.post(f"/patients/{mother}/family-card/use", {}, token=staff, headers={"Idempotency-Key": "x"})
    assert (status, err["code"]) == (404, "no_family_card")


def test_staff_see_the_household_with_masked_names(api, couple, staff_token):
    mother_token, mother, _, father = couple
    api.post("/me/family/dependants", INFANT, token=mother_token)
    status, seen = api.get(f"/patients/{father}/family", token=staff_token(role="health_manager"))
    assert status == 200, seen
    names = {m["member_id"]: m["name"] for m in seen["members"]}
    assert names[mother] == "王**" and names[father] == "李**"
    assert all("me" not in m for m in seen["members"])
    assert seen["card"] is None
    text = str(seen)
    assert "王小红" not in text and "李大明" not in text and "王小宝" not in text
