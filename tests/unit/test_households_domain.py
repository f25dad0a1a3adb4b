"""The household rules: minors by birth date or year in the clinic's today, who may act for whom,
relations as each member sees them, leaving, the infant check-ups and the family card."""

from datetime import date

from chalicelib.domain import households as rules
from chalicelib.domain.households import Care, Member

TODAY = date(2026, 11, 20)


def test_minor_by_birth_date_and_by_birth_year():
    assert rules.is_minor(TODAY, birth_date=date(2008, 11, 21)) is True  # turns 18 tomorrow
    assert rules.is_minor(TODAY, birth_date=date(2008, 11, 20)) is False  # 18 today
    assert rules.is_minor(date(2026, 2, 28), birth_date=date(2008, 2, 29)) is True
    assert rules.is_minor(date(2026, 3, 1), birth_date=date(2008, 2, 29)) is False
    assert rules.is_minor(TODAY, birth_year=2009) is True and rules.is_minor(TODAY, birth_year=2008) is False
    assert rules.is_minor(TODAY) is False  # nothing known: an adult, who consents for themselves


def test_a_dependant_is_a_minor_born_by_today():
    assert rules.check_dependant_birth(TODAY, date(2026, 11, 21)) == "invalid_birth_date"
    assert rules.check_dependant_birth(TODAY, date(1990, 1, 1)) == "not_a_minor"
    assert rules.check_dependant_birth(TODAY, TODAY) is None


def test_who_may_check_in_and_receive_reminders():
    adult = Member("b", "spouse", "a", False, {"a": Care(checkins=True, reminders=False)})
    assert rules.may_check_in("a", adult) and not rules.gets_reminders("a", adult)
    assert not rules.may_check_in("c", adult)
    assert rules.reminder_carer(adult) is None and rules.consent_holder(adult) == "b"
    infant = Member("i", "child", "a", True, {"a": Care(guardian=True)})
    assert rules.may_check_in("a", infant) and rules.gets_reminders("a", infant)
    assert rules.reminder_carer(infant) == "a" and rules.consent_holder(infant) == "a"
    grown = Member("i", "child", "a", False, {"a": Care(guardian=True)})  # came of age: consents alone
    assert not rules.may_check_in("a", grown) and rules.reminder_carer(grown) is None
    assert rules.consent_holder(grown) == "i"
    several = Member("e", "parent", "a", False, {"z": Care(reminders=True), "c": Care(reminders=True)})
    assert rules.reminder_carer(several) == "c"


def test_relations_as_each_member_sees_them():
    founder = Member("a", "self", None, False)
    husband = Member("b", "spouse", "a", False)
    son = Member("c", "child", "a", True)
    grandma = Member("d", "parent", "b", False)
    assert rules.relation_seen_by(founder, founder) == "self"
    assert rules.relation_seen_by(founder, son) == "child"
    assert rules.relation_seen_by(son, founder) == "parent"
    assert rules.relation_seen_by(husband, founder) == "spouse"
    assert rules.relation_seen_by(founder, grandma) == "other"
    assert rules.relation_seen_by(grandma, husband) == "child"
    assert rules.relation_seen_by(husband, son) == "child" and rules.relation_seen_by(son, husband) == "parent"
    assert rules.relation_seen_by(Member("e", "child", "a", False), Member("f", "child", "a", False)) == "other"


def test_a_minors_only_guardian_cannot_leave():
    infant = Member("i", "child", "a", True, {"a": Care(guardian=True)})
    assert not rules.may_leave("a", [infant])
    assert rules.may_leave("b", [infant])
    shared = Member("i", "child", "a", True, {"a": Care(guardian=True), "b": Care(guardian=True)})
    assert rules.may_leave("a", [shared])


def test_the_infant_checkups_fall_on_42_days_and_3_6_8_12_months():
    schedule = rules.checkup_schedule(date(2026, 11, 30))
    assert [(key, day.isoformat()) for key, _, day in schedule] == [
        ("d42", "2027-01-11"), ("m3", "2027-02-28"), ("m6", "2027-05-30"), ("m8", "2027-07-30"),
        ("m12", "2027-11-30")]
    assert rules.checkup_title("m3") == "3月龄体检"


def test_the_family_card_is_usable_while_uses_are_left_and_it_is_valid():
    assert rules.card_usable(2, "2026-11-20", TODAY) is None
    assert rules.card_usable(0, "2027-01-01", TODAY) == "card_used_up"
    assert rules.card_usable(2, "2026-11-19", TODAY) == "card_expired"
