"""kingadmin is the only admin: django.contrib.admin is not installed.

Every domain model is served by kingadmin, where the row rules and the record
of who saw a full ID number apply; /admin/ does not exist. The benchmarks
register Django's admin as a peer in bench/settings.py only.
"""

import pytest
from django.apps import apps
from django.test import RequestFactory
from django.utils.text import capfirst

import kingadmin
from crm.models import Customer, CustomerFollowUp
from tests.domain_models import domain_models

pytestmark = pytest.mark.django_db

DOMAIN_MODELS = domain_models()


def kingadmin_url(name: str, model, *args) -> str:
    return kingadmin.site.get_model_admin(model).url(name, *args)


def test_django_admin_is_not_installed():
    assert not apps.is_installed("django.contrib.admin")


def test_every_domain_model_is_registered_with_kingadmin():
    missing = [
        m._meta.label for m in DOMAIN_MODELS if not kingadmin.site.is_registered(m)
    ]
    assert missing == []


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=lambda m: m._meta.label)
def test_superuser_opens_the_list_and_add_page_of_each_model_in_kingadmin(
    demo, client, model
):
    client.force_login(demo["admin"])
    changelist = client.get(kingadmin_url("changelist", model))
    assert changelist.status_code == 200
    assert changelist.context["opts"] is model._meta
    assert str(capfirst(model._meta.verbose_name_plural)) in changelist.text

    request = RequestFactory().get("/")
    request.user = demo["admin"]
    # Append-only records (who saw personal data) have no add page.
    addable = kingadmin.site.get_model_admin(model).has_add_permission(request)
    add = client.get(kingadmin_url("add", model))
    assert add.status_code == (200 if addable else 403)
    if addable:
        assert add.context["opts"] is model._meta


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/crm/customer/"])
def test_django_admin_urls_are_gone(demo, client, path):
    client.force_login(demo["admin"])
    assert client.get(path).status_code == 404


def test_kingadmin_delete_page_lists_what_goes_without_the_admin_app(demo, client):
    # kingadmin collects the related rows with django.contrib.admin.utils'
    # NestedObjects, which must keep working with the admin app not installed.
    followup = CustomerFollowUp.objects.select_related("customer").first()
    customer = followup.customer
    client.force_login(demo["admin"])
    response = client.get(kingadmin_url("delete", Customer, customer.pk))
    assert response.status_code == 200
    assert f"{capfirst(CustomerFollowUp._meta.verbose_name)}: {followup}" in str(
        response.context["deleted_objects"]
    )
    assert Customer.objects.filter(pk=customer.pk).exists()
