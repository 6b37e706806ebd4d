"""Reads behind the rights pages: a role's permission matrix, a user's rights.

Both pages show permission rules the way the people who grant them read
them (``accounts.grants``), and what they imply is decided by the code that
decides requests and builds menus (``accounts.selectors.target_allowed``),
for a role through a stand-in user holding exactly its permissions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.models import Permission
from django.db.models import Prefetch
from django.utils.translation import gettext

from accounts.grants import (
    ACTION_NAMES,
    DEFAULT_ACTIONS,
    Grants,
    default_action,
    rule_group_name,
    rule_help,
    rule_label,
)
from accounts.models import Menu, Role, User
from accounts.selectors import (
    MenuItem,
    home_url,
    site_target,
    target_allowed,
    target_guarded,
    user_menu,
)
from kingadmin.permissions import PermissionRule, registry

# A menu's "needs" names at most this many rules, then "or N more".
NEEDS_SHOWN = 3


# ----------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class GrantableRule:
    """A registered rule and the stored permission that grants it."""

    rule: PermissionRule
    permission_id: int


def rule_catalogue() -> dict[int, GrantableRule]:
    """Return every registered rule whose permission is stored, by permission id.

    One query. A rule declared after the last ``migrate`` has no permission
    yet and cannot be granted, so it is left out.
    """
    rules = {(rule.model, rule.codename): rule for rule in registry}
    found = Permission.objects.filter(
        codename__in={codename for _, codename in rules}
    ).values_list("pk", "content_type__app_label", "content_type__model", "codename")
    catalogue = {}
    for pk, app_label, model_name, codename in found:
        rule = rules.get((f"{app_label}.{model_name}", codename))
        if rule is not None:
            catalogue[pk] = GrantableRule(rule, pk)
    return catalogue


# ------------------------------------------------------------- role matrix
@dataclass
class RuleChoice:
    """One permission of the matrix: a checkbox (default rule) or a switch."""

    permission_id: int
    perm: str
    label: str
    help: str
    checked: bool
    action: str | None = None


@dataclass
class ModelRow:
    """A model of the matrix: its default rules by column, then its own rules."""

    label: str
    name: str
    defaults: list[RuleChoice | None] = field(default_factory=list)
    custom: list[RuleChoice] = field(default_factory=list)


@dataclass
class AppGroup:
    name: str
    models: list[ModelRow] = field(default_factory=list)


@dataclass
class MenuChoice:
    """A menu of the matrix and whether the role's permissions open its page."""

    pk: int
    name: str
    url: str | None
    checked: bool
    is_child: bool
    # "heading" (no URL), "broken" (no page), "open" (no rule needed),
    # "allowed" or "refused" by the role's permissions.
    state: str
    needs: list[str] = field(default_factory=list)
    more_needs: int = 0


@dataclass
class RoleMatrix:
    role: Role
    apps: list[AppGroup]
    others: list[ModelRow]
    menus: list[MenuChoice]
    home_choices: list[tuple[int, str]]
    home_id: int | None
    home_state: str | None
    kept_count: int
    columns: list[tuple[str, str]]


def _choice(grantable: GrantableRule, checked: bool) -> RuleChoice:
    rule = grantable.rule
    return RuleChoice(
        permission_id=grantable.permission_id,
        perm=rule.perm,
        label=rule_label(rule),
        help=rule_help(rule),
        checked=checked,
        action=default_action(rule),
    )


def _rule_rows(
    catalogue: dict[int, GrantableRule], checked: set[int]
) -> tuple[list[AppGroup], list[ModelRow]]:
    """Return the models of kingadmin grouped by app, and the rules of others."""
    from kingadmin.sites import site

    by_model: dict[str, list[GrantableRule]] = defaultdict(list)
    for grantable in catalogue.values():
        by_model[grantable.rule.model].append(grantable)
    declared = {rule.perm: i for i, rule in enumerate(registry)}
    groups: dict[str, AppGroup] = {}
    others = []
    for label, grantables in by_model.items():
        model = apps.get_model(label)
        grantables.sort(key=lambda g: declared[g.rule.perm])
        row = ModelRow(label=label, name=rule_group_name(grantables[0].rule))
        defaults = {}
        for grantable in grantables:
            choice = _choice(grantable, grantable.permission_id in checked)
            if choice.action is None:
                row.custom.append(choice)
            else:
                defaults[choice.action] = choice
        if site.is_registered(model):
            row.defaults = [defaults.get(action) for action in DEFAULT_ACTIONS]
            app_name = str(model._meta.app_config.verbose_name)
            groups.setdefault(app_name, AppGroup(app_name)).models.append(row)
        else:
            row.custom = [*defaults.values(), *row.custom]
            others.append(row)
    ordered = sorted(groups.values(), key=lambda g: g.name.lower())
    for group in ordered:
        group.models.sort(key=lambda m: m.name.lower())
    others.sort(key=lambda m: m.name.lower())
    return ordered, others


def url_needs(target) -> list[str]:
    """Return the labels of the rules any one of which alone opens ``target``."""
    return sorted(
        (
            rule_label(rule)
            for rule in registry
            if target_allowed(Grants({rule.perm}), target)
        ),
        key=str.lower,
    )


def _menu_choice(menu: Menu, grants: Grants, checked: set[int]) -> MenuChoice:
    url = menu.resolve_url()
    choice = MenuChoice(
        pk=menu.pk,
        name=gettext(menu.name),
        url=url,
        checked=menu.pk in checked,
        is_child=menu.parent_id is not None,
        state="heading",
    )
    if not menu.url:
        return choice
    target = site_target(url) if url else None
    if target is None:
        choice.state = "broken"
    elif not target_guarded(target):
        choice.state = "open"
    elif target_allowed(grants, target):
        choice.state = "allowed"
    else:
        choice.state = "refused"
        needs = url_needs(target)
        choice.needs = needs[:NEEDS_SHOWN]
        choice.more_needs = max(len(needs) - NEEDS_SHOWN, 0)
    return choice


def role_matrix(
    *,
    role: Role,
    catalogue: dict[int, GrantableRule],
    permission_ids: set[int],
    menu_ids: set[int],
    home_id: int | None,
    kept_count: int = 0,
) -> RoleMatrix:
    """Return the permission page of ``role`` with these choices ticked.

    The choices are the role's (a GET) or the ones posted (a refused POST,
    shown again). What each menu needs is decided for a user holding
    exactly the ticked permissions.
    """
    apps_, others = _rule_rows(catalogue, permission_ids)
    grants = Grants(catalogue[pk].rule.perm for pk in permission_ids if pk in catalogue)
    menus = list(Menu.objects.order_by("order", "pk"))
    top = [menu for menu in menus if menu.parent_id is None]
    children = defaultdict(list)
    for menu in menus:
        if menu.parent_id is not None:
            children[menu.parent_id].append(menu)
    choices = []
    for menu in top:
        choices.append(_menu_choice(menu, grants, menu_ids))
        choices.extend(_menu_choice(kid, grants, menu_ids) for kid in children[menu.pk])
    home_choices = [(c.pk, c.name) for c in choices if c.state != "heading"]
    home_state = next((c.state for c in choices if c.pk == home_id), None)
    return RoleMatrix(
        role=role,
        apps=apps_,
        others=others,
        menus=choices,
        home_choices=home_choices,
        home_id=home_id,
        home_state=home_state,
        kept_count=kept_count,
        columns=[(action, str(ACTION_NAMES[action])) for action in DEFAULT_ACTIONS],
    )


# --------------------------------------------------------------- user rights
@dataclass
class RightLine:
    perm: str
    label: str
    help: str
    sources: list[str]


@dataclass
class RightGroup:
    name: str
    rules: list[RightLine] = field(default_factory=list)


@dataclass
class UserRights:
    user: User
    roles: list[Role]
    groups: list[RightGroup]
    menu: list[MenuItem]
    home: str | None
    home_name: str | None


def _home_name(home: str | None, menu: list[MenuItem]) -> str | None:
    for item in menu:
        for candidate in (item, *item.children):
            if candidate.url == home:
                return candidate.name
    return None


def user_rights(*, user: User) -> UserRights:
    """Return what ``user`` may do: roles, the rules they hold, menu and home.

    The rules are those of the user's roles and of permissions given to the
    user directly, each with where it comes from; an inactive user holds
    none (the permission engine refuses them everything).
    """
    permissions = Permission.objects.select_related("content_type")
    roles = list(
        user.roles.order_by("name").prefetch_related(
            Prefetch("permissions", queryset=permissions)
        )
    )
    sources: dict[str, list[str]] = defaultdict(list)
    for role in roles:
        for permission in role.permissions.all():
            perm = f"{permission.content_type.app_label}.{permission.codename}"
            sources[perm].append(role.name)
    direct = gettext("given to the account directly")
    for permission in user.user_permissions.all().select_related("content_type"):
        sources[f"{permission.content_type.app_label}.{permission.codename}"].append(
            direct
        )
    groups: dict[str, RightGroup] = {}
    if user.is_active:
        for rule in registry:
            if rule.perm not in sources:
                continue
            name = rule_group_name(rule)
            groups.setdefault(name, RightGroup(name)).rules.append(
                RightLine(
                    perm=rule.perm,
                    label=rule_label(rule),
                    help=rule_help(rule),
                    sources=sources[rule.perm],
                )
            )
    menu = user_menu(user=user)
    home = home_url(user=user)
    return UserRights(
        user=user,
        roles=roles,
        groups=sorted(groups.values(), key=lambda g: g.name.lower()),
        menu=menu,
        home=home,
        home_name=_home_name(home, menu) if home else None,
    )
