"""Permission rules as people read them, and what a set of permissions allows.

Rule names are English msgids (``gettext_noop`` where they are declared):
``rule_label`` shows them translated. kingadmin's default view / add /
change / delete rules are named from the action and the model's
translated verbose name instead of their stored English name.

``Grants`` stands in for a user who holds exactly some permissions, so the
code that decides requests (``kingadmin.permissions``) also says what a
role alone would allow, without a user.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from kingadmin.permissions import PermissionRule

# kingadmin's default rules of a registered model, in the matrix's order.
DEFAULT_ACTIONS = ("view", "add", "change", "delete")

ADMINISTRATION = gettext_lazy("Administration")
# Column headings of the matrix; a context keeps them apart from "Change" (a
# noun elsewhere) and the other short words of the catalogue.
ACTION_NAMES = {
    "view": pgettext_lazy("permission column", "View"),
    "add": pgettext_lazy("permission column", "Add"),
    "change": pgettext_lazy("permission column", "Change"),
    "delete": pgettext_lazy("permission column", "Delete"),
}
ACTION_LABELS = {
    "view": gettext_lazy("Can view %(models)s"),
    "add": gettext_lazy("Can add %(models)s"),
    "change": gettext_lazy("Can change %(models)s"),
    "delete": gettext_lazy("Can delete %(models)s"),
}
ACTION_HELP = {
    "view": gettext_lazy(
        "The list, its export, each row's page and history (the rows the row "
        "rules allow)."
    ),
    "add": gettext_lazy("The add page."),
    "change": gettext_lazy(
        "Editing rows on their page and in the list, and the list's actions."
    ),
    "delete": gettext_lazy("Deleting rows, one at a time or selected in the list."),
}


class Grants:
    """A stand-in user who holds exactly ``perms`` (``"app_label.codename"``).

    The permission engine asks a user ``is_authenticated``, ``is_active``,
    ``is_superuser`` and ``has_perm``; this answers for a set of permissions
    (a role's), never a superuser. Row hooks are not run by a decision, so
    nothing else of a user is needed to say whether a URL opens.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_superuser = False
    pk = None

    def __init__(self, perms: Iterable[str]):
        self.perms = frozenset(perms)

    def has_perm(self, perm: str, obj=None) -> bool:
        return obj is None and perm in self.perms

    def __repr__(self) -> str:
        return f"Grants({sorted(self.perms)!r})"


def default_action(rule: PermissionRule) -> str | None:
    """Return "view", "add", "change" or "delete" for a default rule, else None."""
    model_name = rule.model.split(".", 1)[1]
    for action in DEFAULT_ACTIONS:
        if rule.codename == f"{action}_{model_name}":
            return action
    return None


def rule_group_name(rule: PermissionRule) -> str:
    """Return the heading a rule is listed under: its model's plural name.

    The kingadmin index rule is stored on the change log's model but is about
    the administration index, and is listed as such.
    """
    from kingadmin.sites import INDEX_RULE

    if rule.perm == INDEX_RULE.perm:
        return str(ADMINISTRATION)
    return str(capfirst(rule.get_model()._meta.verbose_name_plural))


def rule_label(rule: PermissionRule) -> str:
    """Return the rule's name in the active language."""
    action = default_action(rule)
    if action is not None:
        plural = str(rule.get_model()._meta.verbose_name_plural)
        return str(ACTION_LABELS[action]) % {"models": plural}
    return gettext(rule.name)


def rule_help(rule: PermissionRule) -> str:
    """Return what granting the rule means, in the active language ("" if unsaid)."""
    if rule.help:
        return gettext(rule.help)
    action = default_action(rule)
    return str(ACTION_HELP[action]) if action is not None else ""


def permission_label(permission) -> str:
    """Return "<list> · <rule>" for a stored permission, in the active language.

    A permission of no rule (Django's own, of a model kingadmin does not
    serve) keeps Django's text. ``permission.content_type`` should be loaded.
    """
    from kingadmin.permissions import registry

    content_type = permission.content_type
    rule = registry.get(f"{content_type.app_label}.{permission.codename}")
    if rule is None or rule.model != f"{content_type.app_label}.{content_type.model}":
        return str(permission)
    return f"{rule_group_name(rule)} · {rule_label(rule)}"
