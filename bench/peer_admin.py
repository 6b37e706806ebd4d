"""Django's admin as kingadmin's peer, for the benchmarks only.

django.contrib.admin is not part of the project (README, "kingadmin and
permissions"). The benchmarks time kingadmin's pages next to Django admin's
showing the same thing, so ``register()`` gives every model registered with
``kingadmin.site`` a ``django.contrib.admin.ModelAdmin`` derived from that
model's kingadmin admin: the kingadmin registrations are the one source of the
options, none is copied by hand.

Derived from the kingadmin admin's class attributes (its per-request hooks are
not called):

- as they are: ``list_display``, ``list_display_links``, ``search_fields``,
  ``ordering``, ``list_per_page``, ``autocomplete_fields``,
  ``filter_horizontal``, ``readonly_fields``;
- ``list_select_related`` with kingadmin's meaning: the listed relations plus
  the foreign-key columns, or (none listed) Django's "every foreign-key
  column" (False);
- the ``list_filter`` entries that are field names: kingadmin's filter
  classes are not Django's;
- ``fieldsets``, ``fields`` and ``exclude`` when they name model fields only
  (editable ones, or read-only ones), else Django's default form;
- ``get_queryset``: kingadmin's base queryset (before row rules), so columns
  that read an annotation (``permission_count``) find it.

Columns and read-only fields that are methods of the kingadmin admin
(``qq_link``) are that admin's bound methods themselves, so both admins render
the same cell, header and sort field.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models

import kingadmin

#: Options Django's admin takes as kingadmin's admin has them.
SAME_OPTIONS = (
    "list_display",
    "list_display_links",
    "search_fields",
    "ordering",
    "list_per_page",
    "autocomplete_fields",
    "filter_horizontal",
    "readonly_fields",
)


def register(site: admin.AdminSite = admin.site, king_site=kingadmin.site) -> None:
    """Register with ``site`` a peer of every model registered with ``king_site``.

    A model Django's admin registered by itself (auth's ``Group``) gets the
    peer instead, so that both admins list what kingadmin's options say.
    """
    for model in apps.get_models():
        if not king_site.is_registered(model):
            continue
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, peer_class(king_site.get_model_admin(model)))


def peer_class(king) -> type[admin.ModelAdmin]:
    """Return a Django ``ModelAdmin`` class showing what ``king`` shows."""
    model = king.model
    readonly = set(king.readonly_fields)
    options = {name: getattr(king, name) for name in SAME_OPTIONS}
    options["list_select_related"] = _list_select_related(king)
    options["list_filter"] = tuple(
        entry for entry in king.list_filter if isinstance(entry, str)
    )
    fieldset_names = [
        name for _title, fieldset in king.fieldsets or () for name in fieldset["fields"]
    ]
    if king.fieldsets and _form_fields(model, fieldset_names, readonly):
        options["fieldsets"] = king.fieldsets
    elif king.fields and _form_fields(model, king.fields, readonly):
        options["fields"] = king.fields
    if king.exclude and _form_fields(model, king.exclude, readonly):
        options["exclude"] = king.exclude
    methods = {
        name: staticmethod(getattr(king, name))
        for name in (*king.list_display, *king.readonly_fields)
        if _is_admin_method(king, name)
    }

    def get_queryset(self, request):
        return king.get_queryset(request)

    return type(
        f"{model.__name__}PeerAdmin",
        (admin.ModelAdmin,),
        {
            "__module__": __name__,
            "__doc__": f"Django admin's peer of {king}.",
            **options,
            **methods,
            "get_queryset": get_queryset,
        },
    )


def _list_select_related(king) -> tuple | bool:
    if king.list_select_related is True or not king.list_select_related:
        return bool(king.list_select_related)
    foreign_keys = [
        name
        for name in king.list_display
        if isinstance(name, str)
        and isinstance(_field(king.model, name), models.ForeignKey)
    ]
    return tuple(dict.fromkeys((*king.list_select_related, *foreign_keys)))


def _form_fields(model, names, readonly: set) -> bool:
    """Return True if ``names`` are read-only fields or editable model fields."""
    for name in names:
        if not isinstance(name, str):
            return False
        field = _field(model, name)
        if name not in readonly and (field is None or not field.editable):
            return False
    return True


def _is_admin_method(king, name) -> bool:
    if not isinstance(name, str) or _field(king.model, name) is not None:
        return False
    if hasattr(king.model, name) or not callable(getattr(king, name, None)):
        return False
    if hasattr(admin.ModelAdmin, name):
        raise ImproperlyConfigured(
            f"{type(king).__qualname__}.{name} would replace Django's "
            f"ModelAdmin.{name} in its peer admin; rename the column."
        )
    return True


def _field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
