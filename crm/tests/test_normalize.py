import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from crm.normalize import normalize_phone, normalize_qq


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+86-13812345678",
        "008613812345678",
        "86 13812345678",
        "（138）1234.5678",
        "１３８１２３４５６７８",  # full-width digits
        " 138 — 1234 — 5678 ",
        "\t13812345678\n",
    ],
)
def test_mobile_number_in_any_format_normalises_to_eleven_digits(typed):
    assert normalize_phone(typed) == "13812345678"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("010-12345678", "01012345678"),
        ("0755 8888 6666", "075588886666"),
        ("+86 10 1234 5678", "01012345678"),
    ],
)
def test_landline_keeps_its_area_code(typed, expected):
    assert normalize_phone(typed) == expected


@pytest.mark.parametrize(
    "bad",
    ["12345", "1381234567", "23812345678", "+1 415 555 0100", "phone", "138123456789"],
)
def test_invalid_phone_is_refused_with_a_message(bad):
    with pytest.raises(ValidationError) as error:
        normalize_phone(bad)
    assert error.value.code == "invalid_phone"


@pytest.mark.parametrize(
    "typed",
    ["123456789", "123 456 789", "123-456-789", "１２３４５６７８９", " 123456789 "],
)
def test_qq_in_any_format_normalises_to_digits(typed):
    assert normalize_qq(typed) == "123456789"


@pytest.mark.parametrize("bad", ["1234", "0123456", "12345abc", "1234567890123", "qq"])
def test_invalid_qq_is_refused(bad):
    with pytest.raises(ValidationError) as error:
        normalize_qq(bad)
    assert error.value.code == "invalid_qq"


@pytest.mark.parametrize("empty", [None, "", "   ", " - "])
def test_empty_identifiers_become_none(empty):
    assert normalize_qq(empty) is None
    assert normalize_phone(empty) is None


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
separators = st.sampled_from(["", " ", "-", "  ", " - ", "."])


@given(mobiles, separators, st.sampled_from(["", "+86", "0086", "+86 "]), st.booleans())
def test_any_formatting_of_a_mobile_gives_the_same_canonical_number(
    number, sep, prefix, full_width
):
    typed = prefix + sep.join([number[:3], number[3:7], number[7:]])
    if full_width:
        typed = typed.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    assert normalize_phone(typed) == number


@given(st.from_regex(r"[1-9][0-9]{4,11}", fullmatch=True))
def test_normalising_twice_changes_nothing(qq):
    assert normalize_qq(normalize_qq(qq)) == normalize_qq(qq)
