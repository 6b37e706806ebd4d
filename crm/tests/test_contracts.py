import pytest
from django.core.exceptions import ValidationError

from crm.contracts import render_contract, validate_contract_template


def test_known_placeholders_are_replaced_with_plain_values():
    text = "{{ customer }} joins {{class}} for {{ price }} yuan."
    assert (
        render_contract(text, {"customer": "Kobe", "class": "S9", "price": "19800"})
        == "Kobe joins S9 for 19800 yuan."
    )


def test_values_are_not_interpreted_as_placeholders():
    assert (
        render_contract("{{ customer }}", {"customer": "{{ price }}"}) == "{{ price }}"
    )


def test_unknown_placeholder_is_reported_by_name():
    with pytest.raises(ValidationError) as error:
        validate_contract_template("{{ customer }} {{ password }} {{ __class__ }}")
    message = error.value.messages[0]
    assert "password" in message and "__class__" in message
    assert "customer" in message.split("Allowed")[1]
