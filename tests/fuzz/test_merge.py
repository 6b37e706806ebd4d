"""Fuzz the merge of duplicate customers: the side-by-side POST and the finder.

Any post to the merge page either merges (a redirect to the kept customer)
or comes back with its errors and changes nothing; ids that name nobody
are a 404. The finder takes any text.
"""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from crm.demo_data import DUPLICATE_NUMBER
from crm.merge import MERGE_FIELDS
from crm.models import Customer, CustomerFollowUp, CustomerMerge
from tests.fuzz.strategies import hostile_text
from tests.fuzz.support import client_for, fuzz_settings, rolled_back
from tests.fuzz.test_forms import assert_shows_errors, count, ids_or_hostile

FIELD_CHOICES = st.one_of(st.sampled_from(["survivor", "merged"]), hostile_text)


def _pair() -> tuple[Customer, Customer]:
    """The demo's 陈静, entered twice (her phone in the QQ field of the second)."""
    return (
        Customer.objects.get(phone=DUPLICATE_NUMBER),
        Customer.objects.get(qq=DUPLICATE_NUMBER),
    )


def _state() -> tuple:
    rows = Customer.objects.order_by("pk").values_list(
        "pk", "name", "qq", "phone", "email", "consultant_id"
    )
    return (list(rows), count(CustomerMerge), count(CustomerFollowUp))


def test_merge_post(fuzz_db):
    manager = fuzz_db.users["manager"]
    survivor, merged = _pair()

    @fuzz_settings(40)
    @given(
        survivor_id=ids_or_hostile(survivor.pk),
        merged_id=ids_or_hostile(merged.pk),
        choices=st.dictionaries(
            st.sampled_from([f"take_{name}" for name in MERGE_FIELDS]),
            FIELD_CHOICES,
        ),
        extra=st.dictionaries(hostile_text, hostile_text, max_size=3),
    )
    def run(survivor_id, merged_id, choices, extra):
        query = urlencode({"survivor": survivor_id, "merged": merged_id})
        with rolled_back():
            before = _state()
            response = client_for(manager).post(
                f"/crm/customers/merge/?{query}", {**extra, **choices}
            )
            if (survivor_id, merged_id) != (str(survivor.pk), str(merged.pk)):
                assert response.status_code == 404
                assert _state() == before
            elif response.status_code == 302:
                merge = CustomerMerge.objects.get(survivor=survivor)
                assert not Customer.objects.filter(pk=merged.pk).exists()
                assert set(merge.fields_taken) <= set(MERGE_FIELDS)
            else:
                assert_shows_errors(response)
                assert _state() == before

    run()


def test_merge_finder(fuzz_db):
    manager = fuzz_db.users["manager"]
    survivor, _merged = _pair()

    @fuzz_settings(30)
    @given(other=hostile_text)
    def run(other):
        with rolled_back():
            before = _state()
            response = client_for(manager).get(
                f"/crm/customers/{survivor.pk}/merge/", {"other": other}
            )
            assert response.status_code == 302
            assert _state() == before

    run()
