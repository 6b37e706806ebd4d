import datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from crm.idcard import validate_id_number, validate_prc_id_number

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check(body: str) -> str:
    """Return ``body`` (17 digits) followed by its GB 11643-1999 check character."""
    assert len(body) == 17
    assert body.isdigit()
    total = sum(
        int(digit) * weight for digit, weight in zip(body, WEIGHTS, strict=True)
    )
    return body + "10X98765432"[total % 11]


def wrong_check(body: str) -> str:
    right = with_check(body)[-1]
    return body + ("0" if right != "0" else "1")


def refusal(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_prc_id_number(value)
    assert info.value.code == "invalid_id_number"
    return info.value


def message(error: ValidationError) -> str:
    with translation.override("en"):
        return " ".join(error.messages)


@pytest.mark.parametrize(
    "body",
    [
        "44030419900307123",
        "32010219850101001",
        "51010820000229003",  # 29 February of a leap year
        "11010119000101001",  # earliest accepted year
    ],
)
def test_valid_number_is_returned_unchanged(body):
    number = with_check(body)
    assert validate_prc_id_number(number) == number


def test_published_example_with_x_check_character_is_valid():
    assert with_check("11010519491231002") == "11010519491231002X"
    assert validate_prc_id_number("11010519491231002X") == "11010519491231002X"


def test_lower_case_x_is_accepted_and_upper_cased():
    assert validate_prc_id_number("11010519491231002x") == "11010519491231002X"


def test_spaces_are_dropped():
    assert validate_prc_id_number(" 110105 19491231 002X\t") == "11010519491231002X"


def test_full_width_digits_and_x_are_folded_to_ascii():
    assert validate_prc_id_number("１１０１０５１９４９１２３１００２ｘ") == (
        "11010519491231002X"
    )


def test_full_width_space_is_dropped():
    assert validate_prc_id_number("110105\u300019491231002X") == "11010519491231002X"


@pytest.mark.parametrize(
    "body", ["44030419900307123", "32010219850101001", "11010519491231002"]
)
def test_wrong_check_character_is_refused(body):
    error = refusal(wrong_check(body))
    assert "last character" in message(error)


def test_two_swapped_digits_are_caught_by_the_check_character():
    number = with_check("32010219850101001")
    swapped = number[:15] + number[16] + number[15] + number[17:]
    assert swapped != number
    refusal(swapped)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1101051949123100",  # 16 characters
        "11010519491231002",  # 17: check character missing
        "11010519491231002X0",  # 19
        "110105491231002",  # old 15-digit card
    ],
)
def test_wrong_length_is_refused(value):
    error = refusal(value)
    assert "18 characters" in message(error)


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002A",  # letter other than X as check character
        "1101051949123100X2",  # X anywhere but last
        "11010519491231OO2X",  # letter O for zero
        "abcdefghijklmnopqr",
        "1101-0519491231002",  # 18 characters with a dash
    ],
)
def test_letters_and_symbols_are_refused(value):
    refusal(value)


def test_first_digit_zero_is_refused():
    refusal(with_check("01010519491231002"))


@pytest.mark.parametrize(
    "birth",
    [
        "19900230",  # 30 February
        "19000229",  # 1900 was not a leap year
        "19901301",  # month 13
        "19900100",  # day 0
        "18991231",  # before 1900
        "00000000",
    ],
)
def test_impossible_birth_date_is_refused_even_with_a_correct_check(birth):
    error = refusal(with_check(f"110105{birth}001"))
    assert "date of birth" in message(error)


def test_birth_date_in_the_future_is_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    error = refusal(with_check(f"110105{tomorrow:%Y%m%d}001"))
    assert "date of birth" in message(error)


def test_birth_date_today_is_accepted():
    number = with_check(f"110105{timezone.localdate():%Y%m%d}001")
    assert validate_prc_id_number(number) == number


def test_validate_id_number_returns_nothing_and_raises_the_same_error():
    assert validate_id_number("11010519491231002x") is None
    with pytest.raises(ValidationError) as info:
        validate_id_number(wrong_check("11010519491231002"))
    assert info.value.code == "invalid_id_number"


def test_validate_id_number_works_as_a_form_field_validator():
    class IdForm(forms.Form):
        id_number = forms.CharField(required=False, validators=[validate_id_number])

    with translation.override("en"):
        good = IdForm(data={"id_number": "11010519491231002X"})
        bad = IdForm(data={"id_number": "11010519491231002"})
        empty = IdForm(data={"id_number": ""})
        assert good.is_valid()
        assert empty.is_valid()
        assert not bad.is_valid()
        assert "18 characters" in bad.errors["id_number"][0]
