"""kingadmin.fields: posted ids that no column can hold never reach a query."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from crm.models import Tag
from kingadmin.fields import ModelMultipleChoiceField, harden, out_of_range, parse_pk
from tests.fuzz.strategies import INT64_MAX, INT64_MIN, hostile_ids, hostile_text
from tests.fuzz.support import fuzz_settings


@fuzz_settings(200)
@given(value=st.one_of(hostile_ids, hostile_text, st.integers()))
def test_parse_pk_gives_a_storable_id_or_none(value):
    pk = parse_pk(Tag, value)
    assert pk is None or INT64_MIN <= pk <= INT64_MAX


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("²", None),
        ("1.5", None),
        ("", None),
        (str(INT64_MAX), INT64_MAX),
        (str(INT64_MAX + 1), None),
        (str(2**70), None),
    ],
)
def test_parse_pk(value, expected):
    assert parse_pk(Tag, value) == expected


def test_out_of_range_only_judges_integers():
    assert out_of_range(Tag, str(2**64))
    assert out_of_range(Tag, -(2**64))
    assert not out_of_range(Tag, "abc")
    assert not out_of_range(Tag, INT64_MAX)


def test_a_hardened_many_to_many_field_refuses_huge_ids_with_a_field_error(db):
    tag = Tag.objects.create(name="Python")
    field = harden(forms.ModelMultipleChoiceField(queryset=Tag.objects.all()))
    assert type(field) is ModelMultipleChoiceField
    with pytest.raises(ValidationError) as refused:
        field.clean([str(tag.pk), str(2**70)])
    assert refused.value.code == "invalid_choice"
    assert list(field.clean([str(tag.pk)])) == [tag]


def test_harden_leaves_a_project_subclass_alone():
    class Labelled(forms.ModelMultipleChoiceField):
        pass

    field = Labelled(queryset=Tag.objects.none())
    assert type(harden(field)) is Labelled
