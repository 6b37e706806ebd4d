"""System checks: configuration mistakes in admin classes and permission rules.

Messages name the option, the position and the model, like Django's admin
checks; ids are stable: kingadmin.E001 ...
"""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, get_resolver

from kingadmin.changelist import resolve_field_path

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
    "rule_url": "kingadmin.E020",
    "rule_hook": "kingadmin.E021",
    "rule_query": "kingadmin.E022",
}


def _error(admin_class, option, msg):
    return checks.Error(msg, obj=admin_class, id=E[option])


def _path_ok(model, path) -> bool:
    try:
        resolve_field_path(model, path)
    except FieldDoesNotExist:
        return False
    return True


def check_model_admin(admin) -> list[checks.Error]:
    from kingadmin.filters import FieldListFilter, ListFilter

    model = admin.model
    label = model._meta.label
    cls = type(admin)
    errors = []

    def ref(option, index, value, what):
        return _error(
            cls,
            option,
            f"The value of '{option}[{index}]' refers to '{value}', which is not "
            f"{what} of '{label}'.",
        )

    for i, name in enumerate(admin.list_display):
        if not isinstance(name, str):
            errors.append(ref("list_display", i, name, "a name of a field or method"))
        elif name == "__str__" or hasattr(cls, name) or hasattr(model, name):
            continue
        elif not _path_ok(model, name):
            errors.append(
                ref("list_display", i, name, "a field, a method or an attribute")
            )

    for i, entry in enumerate(admin.list_filter):
        if isinstance(entry, type):
            if not issubclass(entry, ListFilter) or issubclass(entry, FieldListFilter):
                errors.append(
                    _error(
                        cls,
                        "list_filter",
                        f"The value of 'list_filter[{i}]' must be a SimpleListFilter "
                        "subclass, a field name or (field, filter class).",
                    )
                )
            elif not getattr(entry, "parameter_name", ""):
                errors.append(
                    _error(
                        cls,
                        "list_filter",
                        f"The value of 'list_filter[{i}]' has no 'parameter_name'.",
                    )
                )
            continue
        path = entry[0] if isinstance(entry, tuple | list) else entry
        if not isinstance(path, str) or not _path_ok(model, path):
            errors.append(ref("list_filter", i, path, "a field"))
            continue
        if not isinstance(entry, tuple | list):
            field = resolve_field_path(model, path)[-1]
            if FieldListFilter.for_field(field) is None:
                errors.append(
                    _error(
                        cls,
                        "list_filter",
                        f"The value of 'list_filter[{i}]' refers to '{path}', which "
                        "has no choices, relation, boolean or date to filter by; "
                        "use a SimpleListFilter.",
                    )
                )

    def not_a_name(option, i, value):
        return _error(
            cls,
            option,
            f"The value of '{option}[{i}]' must be a name (a string), not {value!r}.",
        )

    for i, name in enumerate(admin.search_fields):
        if not isinstance(name, str):
            errors.append(not_a_name("search_fields", i, name))
            continue
        path = name.lstrip("^=")
        if not _path_ok(model, path):
            errors.append(ref("search_fields", i, name, "a field"))

    for i, name in enumerate(admin.ordering):
        path = str(name).lstrip("-")
        if path not in {"pk", "?"} and not _path_ok(model, path):
            errors.append(ref("ordering", i, name, "a field"))

    for i, name in enumerate(admin.readonly_fields):
        if not isinstance(name, str):
            errors.append(not_a_name("readonly_fields", i, name))
        elif not (hasattr(cls, name) or hasattr(model, name) or _path_ok(model, name)):
            errors.append(
                ref("readonly_fields", i, name, "a field, a method or an attribute")
            )

    for i, name in enumerate(admin.filter_horizontal):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            errors.append(ref("filter_horizontal", i, name, "a field"))
            continue
        if not field.many_to_many:
            errors.append(
                _error(
                    cls,
                    "filter_horizontal",
                    f"The value of 'filter_horizontal[{i}]' must be a many-to-many "
                    f"field; '{name}' of '{label}' is not.",
                )
            )

    for i, name in enumerate(admin.actions or ()):
        if not isinstance(name, str):
            errors.append(not_a_name("actions", i, name))
            continue
        if name == "delete_selected":
            continue
        if not callable(getattr(cls, name, None)):
            errors.append(
                _error(
                    cls,
                    "actions",
                    f"The value of 'actions[{i}]' refers to '{name}', which is not a "
                    f"method of '{cls.__name__}'.",
                )
            )

    for i, name in enumerate(admin.list_editable):
        if name not in admin.list_display:
            errors.append(
                _error(
                    cls,
                    "list_editable",
                    f"The value of 'list_editable[{i}]' refers to '{name}', which is "
                    "not in 'list_display'.",
                )
            )
        elif admin.list_display_links is not None and name in (
            admin.list_display_links or admin.list_display[:1]
        ):
            errors.append(
                _error(
                    cls,
                    "list_editable",
                    f"The value of 'list_editable[{i}]' refers to '{name}', which is "
                    "the link to the change page and cannot be edited in the list.",
                )
            )
        else:
            try:
                if not model._meta.get_field(name).editable:
                    errors.append(
                        _error(
                            cls,
                            "list_editable",
                            f"The value of 'list_editable[{i}]' refers to '{name}', "
                            "which is not editable.",
                        )
                    )
            except FieldDoesNotExist:
                errors.append(ref("list_editable", i, name, "a field"))

    for option in ("fields", "exclude"):
        for i, name in enumerate(getattr(admin, option) or ()):
            if not _path_ok(model, name) and name not in admin.readonly_fields:
                errors.append(
                    _error(
                        cls,
                        "fields",
                        f"The value of '{option}[{i}]' refers to '{name}', which is "
                        f"not a field of '{label}'.",
                    )
                )
    for i, (_title, options) in enumerate(admin.fieldsets or ()):
        for name in options.get("fields", ()):
            if not _path_ok(model, name) and name not in admin.readonly_fields:
                errors.append(
                    _error(
                        cls,
                        "fields",
                        f"The value of 'fieldsets[{i}]' refers to '{name}', which is "
                        f"not a field of '{label}'.",
                    )
                )

    if not isinstance(admin.list_per_page, int) or admin.list_per_page < 1:
        errors.append(
            _error(
                cls,
                "list_per_page",
                "The value of 'list_per_page' must be a positive integer.",
            )
        )
    if admin.list_select_related not in (True, False) and not isinstance(
        admin.list_select_related, tuple | list
    ):
        errors.append(
            _error(
                cls,
                "list_select_related",
                "The value of 'list_select_related' must be a boolean, a tuple or a "
                "list.",
            )
        )
    errors.extend(_check_autocomplete_fields(admin))
    return errors


def _check_autocomplete_fields(admin) -> list[checks.Error]:
    """Check that each entry is a relation whose model's admin can search it."""
    from kingadmin.sites import NotRegistered

    model = admin.model
    label = model._meta.label
    cls = type(admin)
    option = "autocomplete_fields"
    if not isinstance(admin.autocomplete_fields, tuple | list):
        return [
            _error(cls, option, "The value of 'autocomplete_fields' must be a tuple.")
        ]
    errors = []
    for i, name in enumerate(admin.autocomplete_fields):
        where = f"'{option}[{i}]'"
        if not isinstance(name, str):
            errors.append(
                _error(
                    cls,
                    option,
                    f"The value of {where} must be a name (a string), not {name!r}.",
                )
            )
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            errors.append(
                _error(
                    cls,
                    option,
                    f"The value of {where} refers to '{name}', which is not a field "
                    f"of '{label}'.",
                )
            )
            continue
        if not field.concrete or not (
            field.many_to_one or field.one_to_one or field.many_to_many
        ):
            errors.append(
                _error(
                    cls,
                    option,
                    f"The value of {where} must be a foreign key or a many-to-many "
                    f"field; '{name}' of '{label}' is not.",
                )
            )
            continue
        related = field.related_model._meta.label
        try:
            related_admin = admin.admin_site.get_model_admin(field.related_model)
        except NotRegistered:
            errors.append(
                _error(
                    cls,
                    "autocomplete_search",
                    f"The value of {where} refers to '{name}', whose model "
                    f"'{related}' is not registered with kingadmin; the "
                    "autocomplete searches with its admin's search_fields.",
                )
            )
            continue
        if not related_admin.search_fields:
            errors.append(
                _error(
                    cls,
                    "autocomplete_search",
                    f"The value of {where} refers to '{name}', but the admin of "
                    f"'{related}' ({type(related_admin).__name__}) has no "
                    "search_fields to search it with.",
                )
            )
    return errors


def check_rules() -> list[checks.Error]:
    from kingadmin.permissions import ACTION_ROUTE, LIST_EDIT_ROUTE, registry
    from kingadmin.sites import site

    virtual = {ACTION_ROUTE, LIST_EDIT_ROUTE}
    errors = []
    for rule in registry:
        for route in rule.routes:
            if route.url_name in virtual:
                continue
            try:
                _url_exists(route.url_name)
            except NoReverseMatch:
                errors.append(
                    checks.Error(
                        f"The permission rule '{rule.perm}' refers to the URL name "
                        f"'{route.url_name}', which does not exist.",
                        obj=rule.perm,
                        id=E["rule_url"],
                    )
                )
            if route.url_name == "kingadmin:changelist" and route.query:
                model = _registered(site, route.url_kwargs)
                if model is not None:
                    admin = site.get_model_admin(model)
                    allowed = _filter_params(admin)
                    for key in route.query:
                        if key not in allowed:
                            errors.append(
                                checks.Error(
                                    f"The permission rule '{rule.perm}' requires the "
                                    f"query parameter '{key}', which is not a list "
                                    f"filter of '{model._meta.label}', so it would "
                                    "not narrow the list.",
                                    obj=rule.perm,
                                    id=E["rule_query"],
                                )
                            )
        if rule.hook is not None and not callable(rule.hook):
            errors.append(
                checks.Error(
                    f"The hook of the permission rule '{rule.perm}' is not callable.",
                    obj=rule.perm,
                    id=E["rule_hook"],
                )
            )
    return errors


def _url_exists(url_name: str) -> None:
    namespace, _, name = url_name.rpartition(":")
    resolver = get_resolver()
    for part in filter(None, namespace.split(":")):
        resolver = (
            resolver.namespace_dict[part][1]
            if part in resolver.namespace_dict
            else None
        )
        if resolver is None:
            raise NoReverseMatch(url_name)
    if name not in resolver.reverse_dict:
        raise NoReverseMatch(url_name)


def _registered(site, url_kwargs):
    for model in site._registry:
        opts = model._meta
        if (opts.app_label, opts.model_name) == (
            url_kwargs.get("app_label"),
            url_kwargs.get("model_name"),
        ):
            return model
    return None


def _filter_params(admin) -> set[str]:
    params = set()
    for entry in admin.list_filter:
        if isinstance(entry, type):
            params.add(entry.parameter_name)
        else:
            path = entry[0] if isinstance(entry, tuple | list) else entry
            params |= {path, f"{path}__since", f"{path}__until"}
    return params


@checks.register(checks.Tags.admin)
def check_kingadmin(app_configs=None, **kwargs):
    """Check every registered admin class and every permission rule."""
    from kingadmin.sites import site

    errors = []
    for admin in site._registry.values():
        errors.extend(check_model_admin(admin))
    errors.extend(check_rules())
    return errors
