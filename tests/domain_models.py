"""The models of the domain apps an admin works with (what kingadmin must offer)."""

from django.apps import apps

DOMAIN_APPS = ("accounts", "crm", "teacher", "student")
# Bookkeeping of the code itself, nothing an admin reads or edits.
INTERNAL_MODELS = frozenset(
    {"accounts.MenuStamp", "crm.CustomerSearchGram", "crm.RateCounter"}
)


def domain_models(app_label: str | None = None) -> list:
    """Return the non-internal models of ``app_label`` (default: every domain app)."""
    labels = DOMAIN_APPS if app_label is None else (app_label,)
    return [
        model
        for label in labels
        for model in apps.get_app_config(label).get_models()
        if model._meta.label not in INTERNAL_MODELS
    ]
