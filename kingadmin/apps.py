from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class KingadminConfig(AppConfig):
    """The project's generic admin and permission engine."""

    name = "kingadmin"
    verbose_name = _("kingadmin")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        """Register the checks, discover the rules and admins, sync permissions."""
        from kingadmin import checks  # noqa: F401 - registers the system checks
        from kingadmin.listcache import connect as watch_list_writes
        from kingadmin.rules_sync import sync_rule_permissions

        # Each app declares its rules in permissions.py and its admin classes
        # in kingadmin.py; importing them registers both.
        autodiscover_modules("permissions", "kingadmin")
        post_migrate.connect(sync_rule_permissions, dispatch_uid="kingadmin_rules")
        watch_list_writes()
