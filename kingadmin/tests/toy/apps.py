from django.apps import AppConfig


class ToyConfig(AppConfig):
    """Authors, their books, tags and reviews: kingadmin's test models."""

    name = "kingadmin.tests.toy"
    label = "toy"
    default_auto_field = "django.db.models.BigAutoField"
