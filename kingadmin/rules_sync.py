"""Store every permission rule as an ``auth.Permission`` after migrations."""

from django.db import DEFAULT_DB_ALIAS, router
from django.utils import translation


def sync_rule_permissions(
    app_config=None, using=DEFAULT_DB_ALIAS, apps=None, verbosity=1, **kwargs
):
    """Create the Permission of each rule of ``app_config``'s models; keep its name.

    Runs on each app's post_migrate (creating content types and permissions
    it needs, whichever receiver runs first), so an admin can grant any rule
    to roles in the UI, wherever kingadmin stands in ``INSTALLED_APPS``. A
    rule whose description changed in code gets the new name (grants are
    kept: they refer to ids). Names are stored as declared, the English
    msgids (``gettext_noop``), whatever language is active; pages show them
    translated.
    """
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from kingadmin.permissions import registry

    if not router.allow_migrate_model(using, Permission):
        return
    for rule in registry:
        if app_config is not None and rule.app_label != app_config.label:
            continue
        model = rule.get_model()
        content_type = ContentType.objects.db_manager(using).get_for_model(
            model, for_concrete_model=False
        )
        with translation.override(None):
            name = str(rule.name)[:255]
        permission, created = Permission.objects.db_manager(using).get_or_create(
            content_type=content_type, codename=rule.codename, defaults={"name": name}
        )
        if not created and permission.name != name:
            permission.name = name
            permission.save(update_fields=["name"])
