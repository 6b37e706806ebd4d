"""Customers loaded from the database are what Django's own loading makes."""

import pytest
from django.db.models import signals

from crm import models
from crm.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def djangos(queryset, monkeypatch) -> Customer:
    """Return the queryset's one customer, loaded through Django's from_db."""
    with monkeypatch.context() as patch:
        patch.setattr(models, "_plain_loading", lambda model: False)
        return queryset.get()


def state(customer: Customer) -> tuple:
    loaded = {k: v for k, v in vars(customer).items() if k != "_state"}
    return (
        loaded,
        customer._state.adding,
        customer._state.db,
        customer.get_deferred_fields(),
    )


@pytest.mark.parametrize(
    "narrow",
    [
        lambda qs: qs,
        lambda qs: qs.only("name", "phone", "consultant"),
        lambda qs: qs.defer("notes").select_related("consultant"),
    ],
)
def test_a_loaded_customer_is_the_one_djangos_loading_makes(narrow, monkeypatch):
    made = CustomerFactory(name="张伟", qq_name="伟哥")
    queryset = narrow(Customer.objects.filter(pk=made.pk))
    ours, theirs = queryset.get(), djangos(queryset, monkeypatch)
    assert state(ours) == state(theirs)
    assert ours.notes == made.notes  # a deferred field loads on access


def test_a_loaded_customer_saves_as_an_update(django_assert_num_queries):
    made = CustomerFactory(name="张伟")
    customer = Customer.objects.only("name", "phone", "qq").get(pk=made.pk)
    customer.phone = "13900000000"
    with django_assert_num_queries(1):  # UPDATE: loaded, not new; name unchanged
        customer.save(update_fields=["phone"])
    assert Customer.objects.get(pk=made.pk).phone == "13900000000"


def test_a_post_init_receiver_gets_every_loaded_customer():
    made = CustomerFactory()
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    signals.post_init.connect(receiver, sender=Customer)
    try:
        Customer.objects.get(pk=made.pk)
    finally:
        signals.post_init.disconnect(receiver, sender=Customer)
    assert seen == [made.pk]
