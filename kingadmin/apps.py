from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KingadminConfig(AppConfig):
    """The project's generic admin; its registry and views come with its own issue."""

    name = "kingadmin"
    verbose_name = _("kingadmin")
