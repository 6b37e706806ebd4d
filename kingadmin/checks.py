"""System checks: configuration mistakes in admin classes and permission rules.

Organised like ``django.contrib.admin.checks``: :class:`ModelAdminChecks`
checks one admin, one ``_check_<option>`` method per option;
:class:`RuleChecks` checks the rules of one rule registry as the sites
deciding by it serve them. :func:`check_kingadmin`, the registered system
check, runs both over every site (``kingadmin.sites.all_sites``) and over
the project's registry, which guards the apps' own views too.

Messages name the option, the position and the model, like Django's admin
checks; ids are stable: kingadmin.E001 ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import TYPE_CHECKING

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, get_resolver

from kingadmin.columns import resolve_field_path
from kingadmin.filters import FieldListFilter, ListFilter
from kingadmin.permissions import ACTION, LIST_EDIT, VIEW, registry
from kingadmin.sites import NotRegistered, all_sites

if TYPE_CHECKING:
    from django.apps import AppConfig

    from kingadmin.options import ModelAdmin
    from kingadmin.permissions import PermissionRule, Route, RuleRegistry
    from kingadmin.sites import AdminSite

E = {
    "list_display": "kingadmin.E001",
    "list_filter": "kingadmin.E002",
    "search_fields": "kingadmin.E003",
    "ordering": "kingadmin.E004",
    "readonly_fields": "kingadmin.E005",
    "filter_horizontal": "kingadmin.E006",
    "actions": "kingadmin.E007",
    "list_editable": "kingadmin.E008",
    "fields": "kingadmin.E009",
    "list_per_page": "kingadmin.E010",
    "list_select_related": "kingadmin.E011",
    "autocomplete_fields": "kingadmin.E012",
    "autocomplete_search": "kingadmin.E013",
    "list_only": "kingadmin.E014",
    "rule_url": "kingadmin.E020",
    "rule_hook": "kingadmin.E021",
    "rule_query": "kingadmin.E022",
}

Errors = list[checks.Error]


# ------------------------------------------------------------------ helpers


def _fail(obj: ModelAdmin, option: str, msg: str) -> Errors:
    """Return the error ``E[option]`` of the admin ``obj``, on its class."""
    return [checks.Error(msg, obj=type(obj), id=E[option])]


def _refers(obj: ModelAdmin, option: str, label: str, value, what: str) -> Errors:
    """Return the error of ``label`` naming ``value``, not ``what`` of the model."""
    return _fail(
        obj,
        option,
        f"The value of '{label}' refers to '{value}', which is not {what} of "
        f"'{obj.model._meta.label}'.",
    )


def _not_a_name(obj: ModelAdmin, option: str, label: str, value) -> Errors:
    """Return the error of ``label`` holding ``value`` where a name belongs."""
    return _fail(
        obj, option, f"The value of '{label}' must be a name (a string), not {value!r}."
    )


def _each(obj: ModelAdmin, option: str, check_item: Callable) -> Errors:
    """Return the errors ``check_item`` finds in the entries of ``option``."""
    return list(
        chain.from_iterable(
            check_item(obj, item, f"{option}[{index}]")
            for index, item in enumerate(getattr(obj, option) or ())
        )
    )


def _path_ok(model, path) -> bool:
    """Return True if ``path`` (``a__b``) leads through fields of ``model``."""
    try:
        resolve_field_path(model, path)
    except FieldDoesNotExist:
        return False
    return True


def _unique(errors: Iterable[checks.Error]) -> Errors:
    """Return ``errors`` without repeats (an admin class serving several sites)."""
    unique: Errors = []
    for error in errors:
        if error not in unique:
            unique.append(error)
    return unique


# ------------------------------------------------------------ admin classes


class ModelAdminChecks:
    """Check the options of one model admin, one ``_check_<option>`` each."""

    def check(self, admin_obj: ModelAdmin, **kwargs) -> Errors:
        """Return the errors of every option of ``admin_obj``."""
        return [
            *self._check_list_display(admin_obj),
            *self._check_list_filter(admin_obj),
            *self._check_search_fields(admin_obj),
            *self._check_ordering(admin_obj),
            *self._check_readonly_fields(admin_obj),
            *self._check_filter_horizontal(admin_obj),
            *self._check_actions(admin_obj),
            *self._check_list_editable(admin_obj),
            *self._check_fields(admin_obj),
            *self._check_exclude(admin_obj),
            *self._check_fieldsets(admin_obj),
            *self._check_list_per_page(admin_obj),
            *self._check_list_select_related(admin_obj),
            *self._check_list_only(admin_obj),
            *self._check_autocomplete_fields(admin_obj),
        ]

    # -- list_display, list_filter

    def _check_list_display(self, obj) -> Errors:
        """Return the errors of ``list_display``."""
        return _each(obj, "list_display", self._check_list_display_item)

    def _check_list_display_item(self, obj, item, label) -> Errors:
        """Return the errors of one column: a field, path, method or attribute."""
        if not isinstance(item, str):
            what = "a name of a field or method"
            return _refers(obj, "list_display", label, item, what)
        if item == "__str__" or hasattr(type(obj), item) or hasattr(obj.model, item):
            return []
        if not _path_ok(obj.model, item):
            what = "a field, a method or an attribute"
            return _refers(obj, "list_display", label, item, what)
        return []

    def _check_list_filter(self, obj) -> Errors:
        """Return the errors of ``list_filter``."""
        return _each(obj, "list_filter", self._check_list_filter_item)

    def _check_list_filter_item(self, obj, item, label) -> Errors:
        """Return the errors of one filter: a class, a field or (field, class)."""
        if isinstance(item, type):
            return self._check_list_filter_class(obj, item, label)
        pair = isinstance(item, tuple | list)
        path = item[0] if pair else item
        if not isinstance(path, str) or not _path_ok(obj.model, path):
            return _refers(obj, "list_filter", label, path, "a field")
        if pair or FieldListFilter.for_field(resolve_field_path(obj.model, path)[-1]):
            return []
        return _fail(
            obj,
            "list_filter",
            f"The value of '{label}' refers to '{path}', which has no choices, "
            "relation, boolean or date to filter by; use a SimpleListFilter.",
        )

    def _check_list_filter_class(self, obj, item, label) -> Errors:
        """Return the errors of a filter given as a class on its own."""
        if not issubclass(item, ListFilter) or issubclass(item, FieldListFilter):
            return _fail(
                obj,
                "list_filter",
                f"The value of '{label}' must be a SimpleListFilter subclass, a "
                "field name or (field, filter class).",
            )
        if not getattr(item, "parameter_name", ""):
            message = f"The value of '{label}' has no 'parameter_name'."
            return _fail(obj, "list_filter", message)
        return []

    # -- search_fields, ordering

    def _check_search_fields(self, obj) -> Errors:
        """Return the errors of ``search_fields``."""
        return _each(obj, "search_fields", self._check_search_fields_item)

    def _check_search_fields_item(self, obj, item, label) -> Errors:
        """Return the errors of one searched path (``^`` and ``=`` allowed)."""
        if not isinstance(item, str):
            return _not_a_name(obj, "search_fields", label, item)
        if not _path_ok(obj.model, item.lstrip("^=")):
            return _refers(obj, "search_fields", label, item, "a field")
        return []

    def _check_ordering(self, obj) -> Errors:
        """Return the errors of ``ordering``."""
        return _each(obj, "ordering", self._check_ordering_item)

    def _check_ordering_item(self, obj, item, label) -> Errors:
        """Return the errors of one sort key (``-``, ``pk`` and ``?`` allowed)."""
        path = str(item).lstrip("-")
        if path not in {"pk", "?"} and not _path_ok(obj.model, path):
            return _refers(obj, "ordering", label, item, "a field")
        return []

    # -- readonly_fields, filter_horizontal

    def _check_readonly_fields(self, obj) -> Errors:
        """Return the errors of ``readonly_fields``."""
        return _each(obj, "readonly_fields", self._check_readonly_fields_item)

    def _check_readonly_fields_item(self, obj, item, label) -> Errors:
        """Return the errors of one read-only field, method or attribute."""
        if not isinstance(item, str):
            return _not_a_name(obj, "readonly_fields", label, item)
        if hasattr(type(obj), item) or hasattr(obj.model, item):
            return []
        if not _path_ok(obj.model, item):
            what = "a field, a method or an attribute"
            return _refers(obj, "readonly_fields", label, item, what)
        return []

    def _check_filter_horizontal(self, obj) -> Errors:
        """Return the errors of ``filter_horizontal``."""
        return _each(obj, "filter_horizontal", self._check_filter_horizontal_item)

    def _check_filter_horizontal_item(self, obj, item, label) -> Errors:
        """Return the errors of one field that must be many-to-many."""
        try:
            field = obj.model._meta.get_field(item)
        except FieldDoesNotExist:
            return _refers(obj, "filter_horizontal", label, item, "a field")
        if field.many_to_many:
            return []
        return _fail(
            obj,
            "filter_horizontal",
            f"The value of '{label}' must be a many-to-many field; '{item}' of "
            f"'{obj.model._meta.label}' is not.",
        )

    # -- actions, list_editable

    def _check_actions(self, obj) -> Errors:
        """Return the errors of ``actions`` (None means no actions)."""
        return _each(obj, "actions", self._check_actions_item)

    def _check_actions_item(self, obj, item, label) -> Errors:
        """Return the errors of one action: ``delete_selected`` or a method name."""
        if not isinstance(item, str):
            return _not_a_name(obj, "actions", label, item)
        if item == "delete_selected" or callable(getattr(type(obj), item, None)):
            return []
        return _fail(
            obj,
            "actions",
            f"The value of '{label}' refers to '{item}', which is not a method of "
            f"'{type(obj).__name__}'.",
        )

    def _check_list_editable(self, obj) -> Errors:
        """Return the errors of ``list_editable``."""
        return _each(obj, "list_editable", self._check_list_editable_item)

    def _check_list_editable_item(self, obj, item, label) -> Errors:
        """Return the errors of one column edited in the list."""
        if item not in obj.list_display:
            reason = "is not in 'list_display'"
        elif obj.list_display_links is not None and item in (
            obj.list_display_links or obj.list_display[:1]
        ):
            reason = "is the link to the change page and cannot be edited in the list"
        else:
            try:
                field = obj.model._meta.get_field(item)
            except FieldDoesNotExist:
                return _refers(obj, "list_editable", label, item, "a field")
            if field.editable:
                return []
            reason = "is not editable"
        message = f"The value of '{label}' refers to '{item}', which {reason}."
        return _fail(obj, "list_editable", message)

    # -- fields, exclude, fieldsets

    def _check_fields(self, obj) -> Errors:
        """Return the errors of ``fields`` (None means every editable field)."""
        return _each(obj, "fields", self._check_form_field)

    def _check_exclude(self, obj) -> Errors:
        """Return the errors of ``exclude``."""
        return _each(obj, "exclude", self._check_form_field)

    def _check_fieldsets(self, obj) -> Errors:
        """Return the errors of the fields each of ``fieldsets`` names."""
        return list(
            chain.from_iterable(
                self._check_form_field(obj, name, f"fieldsets[{index}]")
                for index, (_title, options) in enumerate(obj.fieldsets or ())
                for name in options.get("fields", ())
            )
        )

    def _check_form_field(self, obj, item, label) -> Errors:
        """Return the errors of one name of the form: a field or a read-only one."""
        if _path_ok(obj.model, item) or item in obj.readonly_fields:
            return []
        return _refers(obj, "fields", label, item, "a field")

    # -- list_per_page, list_select_related

    def _check_list_per_page(self, obj) -> Errors:
        """Return the errors of ``list_per_page``."""
        if isinstance(obj.list_per_page, int) and obj.list_per_page >= 1:
            return []
        message = "The value of 'list_per_page' must be a positive integer."
        return _fail(obj, "list_per_page", message)

    def _check_list_select_related(self, obj) -> Errors:
        """Return the errors of ``list_select_related``."""
        value = obj.list_select_related
        if value in (True, False) or isinstance(value, tuple | list):
            return []
        return _fail(
            obj,
            "list_select_related",
            "The value of 'list_select_related' must be a boolean, a tuple or a list.",
        )

    def _check_list_only(self, obj) -> Errors:
        """Return the errors of ``list_only`` (None, or field paths)."""
        if obj.list_only is None:
            return []
        return _each(obj, "list_only", self._check_list_only_item)

    def _check_list_only_item(self, obj, item, label) -> Errors:
        """Return the errors of one column the list loads."""
        if not isinstance(item, str) or not _path_ok(obj.model, item):
            return _refers(obj, "list_only", label, item, "a field")
        return []

    # -- autocomplete_fields

    def _check_autocomplete_fields(self, obj) -> Errors:
        """Return the errors of ``autocomplete_fields``."""
        if not isinstance(obj.autocomplete_fields, tuple | list):
            message = "The value of 'autocomplete_fields' must be a tuple."
            return _fail(obj, "autocomplete_fields", message)
        return _each(obj, "autocomplete_fields", self._check_autocomplete_fields_item)

    def _check_autocomplete_fields_item(self, obj, item, label) -> Errors:
        """Return the errors of one field that must be a searchable relation."""
        if not isinstance(item, str):
            return _not_a_name(obj, "autocomplete_fields", label, item)
        try:
            field = obj.model._meta.get_field(item)
        except FieldDoesNotExist:
            return _refers(obj, "autocomplete_fields", label, item, "a field")
        if field.concrete and (
            field.many_to_one or field.one_to_one or field.many_to_many
        ):
            return self._check_autocomplete_search(obj, field, item, label)
        return _fail(
            obj,
            "autocomplete_fields",
            f"The value of '{label}' must be a foreign key or a many-to-many field; "
            f"'{item}' of '{obj.model._meta.label}' is not.",
        )

    def _check_autocomplete_search(self, obj, field, item, label) -> Errors:
        """Return the errors of a relation whose model's admin cannot search it."""
        related = field.related_model._meta.label
        try:
            related_admin = obj.admin_site.get_model_admin(field.related_model)
        except NotRegistered:
            message = (
                f"The value of '{label}' refers to '{item}', whose model "
                f"'{related}' is not registered with kingadmin; the autocomplete "
                "searches with its admin's search_fields."
            )
        else:
            if related_admin.search_fields:
                return []
            message = (
                f"The value of '{label}' refers to '{item}', but the admin of "
                f"'{related}' ({type(related_admin).__name__}) has no "
                "search_fields to search it with."
            )
        return _fail(obj, "autocomplete_search", message)


def check_model_admin(admin: ModelAdmin) -> Errors:
    """Return the errors of ``admin``, found by its ``checks_class``."""
    checks_class = getattr(admin, "checks_class", ModelAdminChecks)
    return checks_class().check(admin)


# -------------------------------------------------------- permission rules


def _rule_fail(rule: PermissionRule, kind: str, msg: str) -> Errors:
    """Return the error ``E[kind]`` of ``rule``, on its permission."""
    return [checks.Error(msg, obj=rule.perm, id=E[kind])]


class RuleChecks:
    """Check the rules of one registry, as the sites deciding by it serve them."""

    def check(
        self,
        rules: RuleRegistry,
        sites: Sequence[AdminSite] = (),
        *,
        app_labels: Iterable[str] | None = None,
        **kwargs,
    ) -> Errors:
        """Return the errors of the rules in ``rules`` (of ``app_labels`` if given)."""
        labels = None if app_labels is None else set(app_labels)
        return [
            error
            for rule in rules
            if labels is None or rule.app_label in labels
            for error in self.check_rule(rule, sites)
        ]

    def check_rule(self, rule: PermissionRule, sites: Sequence[AdminSite]) -> Errors:
        """Return the errors of ``rule``: its routes, then its hook."""
        routes = (self._check_route(rule, route, sites) for route in rule.routes)
        return [*chain.from_iterable(routes), *self._check_hook(rule)]

    def _check_route(self, rule, route: Route, sites) -> Errors:
        """Return the errors of one route; a site's pseudo-routes are no URLs."""
        if any(route.url_name in _pseudo_routes(site) for site in sites):
            return []
        return [
            *self._check_url_name(rule, route),
            *self._check_query(rule, route, sites),
        ]

    def _check_url_name(self, rule, route: Route) -> Errors:
        """Return the error of a route naming a URL that does not exist."""
        try:
            _url_exists(route.url_name)
        except NoReverseMatch:
            return _rule_fail(
                rule,
                "rule_url",
                f"The permission rule '{rule.perm}' refers to the URL name "
                f"'{route.url_name}', which does not exist.",
            )
        return []

    def _check_query(self, rule, route: Route, sites) -> Errors:
        """Return the errors of query keys that a site's list does not filter by."""
        if not route.query:
            return []
        admins = [
            _admin_for(site, route.url_kwargs)
            for site in sites
            if route.url_name == site.route(VIEW)
        ]
        return [
            error
            for admin in admins
            if admin is not None
            for error in self._check_query_keys(rule, route, admin)
        ]

    def _check_query_keys(self, rule, route: Route, admin) -> Errors:
        """Return the errors of the keys of ``route`` no filter of ``admin`` reads."""
        allowed = _filter_params(admin)
        return [
            checks.Error(
                f"The permission rule '{rule.perm}' requires the query parameter "
                f"'{key}', which is not a list filter of "
                f"'{admin.model._meta.label}', so it would not narrow the list.",
                obj=rule.perm,
                id=E["rule_query"],
            )
            for key in route.query
            if key not in allowed
        ]

    def _check_hook(self, rule) -> Errors:
        """Return the error of a hook that is not callable."""
        if rule.hook is None or callable(rule.hook):
            return []
        message = f"The hook of the permission rule '{rule.perm}' is not callable."
        return _rule_fail(rule, "rule_hook", message)


def _pseudo_routes(site: AdminSite) -> set[str]:
    """Return the names ``site`` decides like URLs that are none (actions, edits)."""
    return {site.route(ACTION), site.route(LIST_EDIT)}


def _url_exists(url_name: str) -> None:
    """Raise NoReverseMatch unless ``url_name`` (``ns:name``) is in the URLconf."""
    namespace, _, name = url_name.rpartition(":")
    resolver = get_resolver()
    for part in filter(None, namespace.split(":")):
        if part not in resolver.namespace_dict:
            raise NoReverseMatch(url_name)
        resolver = resolver.namespace_dict[part][1]
    if name not in resolver.reverse_dict:
        raise NoReverseMatch(url_name)


def _admin_for(site: AdminSite, url_kwargs) -> ModelAdmin | None:
    """Return the admin ``site`` serves at ``app_label``/``model_name``, or None."""
    wanted = (url_kwargs.get("app_label"), url_kwargs.get("model_name"))
    for model, admin in site._registry.items():
        if (model._meta.app_label, model._meta.model_name) == wanted:
            return admin
    return None


def _filter_params(admin: ModelAdmin) -> set[str]:
    """Return the query parameters the list filters of ``admin`` read."""
    params = set()
    for entry in admin.list_filter:
        if isinstance(entry, type):
            params.add(getattr(entry, "parameter_name", ""))
        else:
            path = entry[0] if isinstance(entry, tuple | list) else entry
            params |= {path, f"{path}__since", f"{path}__until"}
    return params


def _sites() -> list[AdminSite]:
    """Return every site, in the order of their names."""
    return sorted(all_sites, key=lambda site: site.name)


def _registries(sites: Iterable[AdminSite]) -> list[tuple[RuleRegistry, list]]:
    """Return each rule registry once, with the sites deciding by it.

    The project's registry always counts: it guards the apps' own views too.
    """
    groups: dict[int, tuple[RuleRegistry, list]] = {id(registry): (registry, [])}
    for site in sites:
        groups.setdefault(id(site.rules), (site.rules, []))[1].append(site)
    return list(groups.values())


def check_rules(
    sites: Iterable[AdminSite] | None = None,
    *,
    app_labels: Iterable[str] | None = None,
) -> Errors:
    """Return the errors of the project's rules and of each registry of ``sites``."""
    sites = _sites() if sites is None else list(sites)
    labels = None if app_labels is None else list(app_labels)
    return _unique(
        error
        for rules, served in _registries(sites)
        for error in RuleChecks().check(rules, served, app_labels=labels)
    )


# ------------------------------------------------------------ system check


@checks.register(checks.Tags.admin)
def check_kingadmin(app_configs: Sequence[AppConfig] | None = None, **kwargs) -> Errors:
    """Return the errors of every admin of every site, then of every rule."""
    sites = _sites()
    errors = []
    for site in sites:
        for model, admin in site._registry.items():
            if app_configs is None or model._meta.app_config in app_configs:
                check = getattr(admin, "check", None)
                errors.extend(check() if check else check_model_admin(admin))
    labels = None if app_configs is None else [c.label for c in app_configs]
    errors.extend(check_rules(sites, app_labels=labels))
    return _unique(errors)
