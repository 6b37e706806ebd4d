"""django.contrib.admin stays installed with every domain model registered."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("accounts", "crm", "teacher", "student")


def test_every_domain_model_is_registered():
    models = [
        model for app in DOMAIN_APPS for model in apps.get_app_config(app).get_models()
    ]
    missing = [m._meta.label for m in models if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.parametrize(
    "model",
    [model for app in DOMAIN_APPS for model in apps.get_app_config(app).get_models()],
    ids=lambda m: m._meta.label,
)
def test_superuser_opens_the_list_and_add_page_of_each_model(demo, client, model):
    client.force_login(demo["admin"])
    opts = model._meta
    changelist = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    )
    assert changelist.status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    # Append-only records (who saw personal data) have no add page.
    addable = admin.site.get_model_admin(model).has_add_permission(
        type("Request", (), {"user": demo["admin"]})()
    )
    assert add.status_code == (200 if addable else 403)


def test_sales_user_cannot_enter_django_admin(demo, client):
    client.force_login(demo["sales_a"])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url
