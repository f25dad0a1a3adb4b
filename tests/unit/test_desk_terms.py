"""The front desk's pure rules: what a typed search is, the normal forms of names and hospital
numbers that lookups hash, and the bind code's shape."""

import pytest

from chalicelib.domain import desk


@pytest.mark.parametrize("typed", ["张小红", " 张 小红 ", "张\u3000小红", "张小红\t"])
def test_a_name_hashes_one_way_however_it_is_spaced(typed):
    assert desk.normalise_name(typed) == "张小红"


def test_names_of_several_parts_and_latin_names_meet_their_variants():
    assert desk.normalise_name("买买提·艾力") == desk.normalise_name("买买提•艾力") == desk.normalise_name("买买提艾力")
    assert desk.normalise_name("ＺＨＡＮＧ  Wei") == desk.normalise_name("zhang wei") == "zhangwei"
    assert desk.normalise_name("张小红") != desk.normalise_name("张小")


@pytest.mark.parametrize("typed, stored", [("zy-2024 0117", "ZY20240117"), ("ＭＺ７７８８", "MZ7788"),
                                           ("a/1_2", "A12")])
def test_hospital_numbers_are_folded_to_letters_and_digits(typed, stored):
    assert desk.normalise_hospital_no(typed) == stored


@pytest.mark.parametrize("typed", ["", "  ", "###", "王建国", "A" * 33])
def test_what_cannot_be_a_hospital_number_is_refused(typed):
    with pytest.raises(ValueError):
        desk.normalise_hospital_no(typed)


def test_a_mobile_is_a_phone_and_a_number_it_might_be():
    for typed in ("13800002001", "138-0000-2001", "+86 138 0000 2001", "0086 13800002001"):
        query = desk.read_query(typed)
        assert query.kind == "phone" and query.phone == "13800002001", typed
        assert query.name is None and query.code is None
    assert desk.read_query("13800002001").hospital_no == "13800002001"


def test_other_text_may_be_a_code_a_number_or_a_name():
    query = desk.read_query("abcd-2345")
    assert query.kind == "text" and query.code == "ABCD2345" and query.hospital_no == "ABCD2345"
    query = desk.read_query("王建国")
    assert (query.code, query.hospital_no, query.name) == (None, None, "王建国")
    query = desk.read_query("12345")  # too short for a mobile: a hospital number (or a name)
    assert query.kind == "text" and query.hospital_no == "12345"
    query = desk.read_query("ZY0L0117")  # holds letters a code never has (0, L): not a code
    assert query.code is None and query.hospital_no == "ZY0L0117"


def test_the_last_four_of_a_hospital_number_show():
    assert desk.mask_hospital_no("ZY20240117") == "******0117"
    assert desk.mask_hospital_no("A12") == "A12" and desk.mask_hospital_no(None) is None


def test_a_bind_code_names_its_clinic_and_a_secret():
    assert desk.split_bind_code("demo-dental.Ab3dEf6hIj9kLm2nOp5q") == ("demo-dental", "Ab3dEf6hIj9kLm2nOp5q")
    assert desk.bind_path("demo-dental.x") == "packages/bind/index?code=demo-dental.x"
    for bad in ("", "demo-dental", "demo-dental.short", "Demo.Ab3dEf6hIj9kLm2nOp5q", "a.b.c", "x" * 200):
        with pytest.raises(ValueError):
            desk.split_bind_code(bad)
