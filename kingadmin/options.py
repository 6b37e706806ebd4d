"""Per-model admin options and the views they drive (list, add, change, ...).

Every option is a class attribute with an inert default and a
``get_<option>(request)`` hook. An instance is shared by all requests and
threads: it never stores per-request state.
"""

from __future__ import annotations

from django.core.exceptions import (
    PermissionDenied,
    ValidationError,
)
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse

from kingadmin.checks import ModelAdminChecks
from kingadmin.formatting import is_masked
from kingadmin.forms import KingadminModelForm
from kingadmin.links import reverse_fixed
from kingadmin.permissions import VIEW
from kingadmin.views import (  # noqa: F401 - importable from here as before
    ACTION_VAR,
    ADD_ANOTHER_VAR,
    CONFIRM_VAR,
    CONTINUE_VAR,
    IS_POPUP_VAR,
    SAVE_VAR,
    SELECTED_VAR,
)
from kingadmin.views.deletion import DeletionViews
from kingadmin.views.forms import ChangeFormViews
from kingadmin.views.lists import ChangeListViews


def display(*, description=None, ordering=None, boolean=None, empty_value=None):
    """Decorate a list_display callable with its header, sort field and kind."""

    def decorator(func):
        if description is not None:
            func.short_description = description
        if ordering is not None:
            func.admin_order_field = ordering
        if boolean is not None:
            func.boolean = boolean
        if empty_value is not None:
            func.empty_value_display = empty_value
        return func

    return decorator


def action(*, description=None, permission="change"):
    """Decorate an admin method as a bulk action on the selected rows."""

    def decorator(func):
        if description is not None:
            func.short_description = description
        func.permission = permission
        return func

    return decorator


class ModelAdmin(ChangeListViews, ChangeFormViews, DeletionViews):
    """The options of one model in kingadmin; subclass and override."""

    list_display: tuple = ("__str__",)
    list_display_links: tuple | None = ()
    list_filter: tuple = ()
    search_fields: tuple = ()
    search_help_text = None
    ordering: tuple = ()
    list_per_page: int = 25
    list_per_page_choices: tuple = (10, 25, 50, 100, 200)
    list_select_related: tuple | bool = ()
    list_editable: tuple = ()
    # The columns the list loads (QuerySet.only()), None for every column:
    # the fields its columns, __str__ and methods read, the joined relations
    # among them. Fewer columns, less to convert and build per row.
    list_only: tuple | None = None
    # The list shows an exact total up to this many rows and "N+" beyond; deep
    # pages past it are not served (filter or search instead).
    count_limit: int = 10_000
    fields: tuple | None = None
    exclude: tuple = ()
    fieldsets: tuple | None = None
    readonly_fields: tuple = ()
    filter_horizontal: tuple = ()
    # Foreign keys and many-to-many fields picked by searching (the related
    # model's admin needs search_fields) instead of a list of every choice.
    autocomplete_fields: tuple = ()
    # Foreign keys to the user model that default to the logged-in user; they
    # are read-only (and set to that user on add) for users who may not view
    # accounts, so nobody picks a person they cannot see.
    current_user_fields: tuple = ()
    actions: tuple = ("delete_selected",)
    export_formats: tuple = ("csv", "xlsx")
    form = KingadminModelForm
    # The form class of the add page, when it differs (e.g. a password pair).
    add_form = None
    empty_value_display = "—"

    # Templates; None means the default lookup (most specific first).
    change_list_template = None
    change_form_template = None
    delete_confirmation_template = None
    delete_selected_confirmation_template = None
    history_template = None

    #: The class whose ``check()`` returns this admin's configuration errors.
    checks_class = ModelAdminChecks

    def __init__(self, model: type[models.Model], admin_site):
        self.model = model
        self.opts = model._meta
        self.admin_site = admin_site

    def check(self, **kwargs) -> list:
        """Return the configuration errors of this admin (system checks)."""
        return self.checks_class().check(self, **kwargs)

    def __str__(self) -> str:
        return f"{self.opts.label} in {self.admin_site.name}"

    # ----------------------------------------------------------------- hooks
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Return all rows an admin could ever see; row rules narrow it later."""
        queryset = self.model._default_manager.get_queryset()
        return (
            queryset.order_by(*self.get_ordering(request))
            if self.ordering
            else queryset
        )

    def get_list_display(self, request):
        """Return the columns of the list (``list_display``)."""
        return self.list_display

    def get_list_display_links(self, request, list_display):
        """Return the columns linking to the change page (the first by default)."""
        if self.list_display_links is None:
            return ()
        return self.list_display_links or tuple(list_display[:1])

    def get_list_filter(self, request):
        """Return the filters of the list's sidebar (``list_filter``)."""
        return self.list_filter

    def get_search_fields(self, request):
        """Return the fields the search box searches (``search_fields``)."""
        return self.search_fields

    def get_ordering(self, request):
        """Return the default sort of the list (the model's, else newest first)."""
        return self.ordering or self.opts.ordering or ("-pk",)

    def get_list_per_page(self, request):
        """Return how many rows a page of the list shows by default."""
        return self.list_per_page

    def get_list_select_related(self, request):
        """Return the relations the list loads with a join."""
        return self.list_select_related

    def get_list_only(self, request):
        """Return the fields the list loads (``QuerySet.only()``), None for all."""
        return self.list_only

    def get_list_editable(self, request):
        """Return the columns edited in place on the list."""
        return self.list_editable

    def get_autocomplete_fields(self, request):
        """Return the relation fields picked with the search widget."""
        return self.autocomplete_fields

    def get_readonly_fields(self, request, obj=None):
        """Return the fields shown as text: ``readonly_fields`` plus locked ones.

        The locked ones are the ``current_user_fields`` the user may not
        choose (see ``get_locked_user_fields``).
        """
        extra = (
            *self.get_locked_user_fields(request),
            *self.get_masked_fields(request, obj),
        )
        return (
            *self.readonly_fields,
            *(n for n in extra if n not in self.readonly_fields),
        )

    def get_masked_fields(self, request, obj=None) -> tuple[str, ...]:
        """Return the personal-data fields shown masked (read-only) to this user.

        Fields with a ``mask()`` method (see kingadmin.formatting) are masked
        unless ``may_unmask`` allows the whole value on this page.
        """
        return tuple(
            field.name
            for field in self.opts.fields
            if is_masked(field) and not self.may_unmask(request, obj, field.name)
        )

    def may_unmask(self, request, obj, name: str) -> bool:
        """Return True if the add/change page may show ``name`` whole (and edit it).

        Superusers only by default; override to check a rule and record the view.
        """
        return request.user.is_superuser

    def get_locked_user_fields(self, request) -> tuple[str, ...]:
        """Return the ``current_user_fields`` the user may not choose a value of."""
        if not self.current_user_fields:
            return ()
        from django.contrib.auth import get_user_model

        if self.admin_site.rules.view_decision(
            request.user, get_user_model(), site_name=self.admin_site.name
        ):
            return ()
        return tuple(self.current_user_fields)

    def related_rows(self, request, model, queryset=None) -> QuerySet:
        """Return the rows of ``model`` the user may view: choices and filter options.

        The same rules as the model's own list decide (a user without a view
        rule on ``model`` gets none), so a form or a filter never offers a row
        its list would hide. ``queryset`` (all rows by default) is narrowed.
        """
        return self.admin_site.rules.visible(
            request, model, queryset, site_name=self.admin_site.name
        )

    def get_search_results(self, request, queryset, search_term):
        """Return ``(queryset, may_have_duplicates)`` for ``search_term``.

        Every word must match one of the search fields (OR over fields, AND
        over words). ``^field`` matches the start, ``=field`` the whole value.
        """
        from kingadmin.changelist import search_queryset

        return search_queryset(queryset, self.get_search_fields(request), search_term)

    # ------------------------------------------------------------ permissions
    def _kwargs(self, **extra):
        return {
            "app_label": self.opts.app_label,
            "model_name": self.opts.model_name,
            **extra,
        }

    def decide(self, request, name, method="GET", **extra):
        """Decide a request for this site's view ``name`` of this model.

        ``name`` is the view's name within the site (``"changelist"``,
        ``"change"``, ``ACTION`` ...); ``extra`` are further URL arguments.
        """
        return self.admin_site.rules.decide(
            request.user,
            url_name=self.admin_site.route(name),
            method=method,
            url_kwargs=self._kwargs(**extra),
            site_name=self.admin_site.name,
        )

    def has_module_permission(self, request) -> bool:
        """Return True if the index shows this model's app to the user.

        As in Django's admin: the app appears when the user may do anything
        with one of its models (view, add, change or delete).
        """
        return any(self.get_model_perms(request).values())

    def get_model_perms(self, request) -> dict[str, bool]:
        """Return what the user may do with the model: view, add, change, delete."""
        return {
            "view": self.has_view_permission(request),
            "add": self.has_add_permission(request),
            "change": self.has_change_permission(request),
            "delete": self.has_delete_permission(request),
        }

    def has_view_permission(self, request, obj=None) -> bool:
        """Return True if the user may view the list (and ``obj``, if given)."""
        return self._allows(request, self.decide(request, VIEW), obj)

    def has_add_permission(self, request) -> bool:
        """Return True if the user may add rows."""
        return bool(self.decide(request, "add", "POST"))

    def has_change_permission(self, request, obj=None) -> bool:
        """Return True if the user may change rows (``obj``, if given)."""
        decision = self.decide(
            request,
            "change",
            "POST",
            **({"object_id": obj.pk} if obj else {}),
        )
        return self._allows(request, decision, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        """Return True if the user may delete rows (``obj``, if given)."""
        decision = self.decide(
            request,
            "delete",
            "POST",
            **({"object_id": obj.pk} if obj else {}),
        )
        return self._allows(request, decision, obj)

    def _allows(self, request, decision, obj) -> bool:
        if not decision or obj is None:
            return bool(decision)
        return (
            decision.scope(request, self.get_queryset(request))
            .filter(pk=obj.pk)
            .exists()
        )

    # ------------------------------------------------------------------- URLs
    def url(self, name: str, *args) -> str:
        """Return the URL of this model's view ``name`` on its site (``args``: id)."""
        kwargs = self._kwargs()
        if not args:
            return reverse_fixed(self.admin_site.route(name), kwargs)
        kwargs["object_id"] = args[0]
        return reverse(self.admin_site.route(name), kwargs=kwargs)

    def get_urls(self) -> list:
        """Return the URL patterns of this model, below ``<app_label>/<model_name>/``.

        As in Django's admin, override to add views: put your patterns
        before ``super().get_urls()``, wrap each view in
        ``self.admin_site.admin_view()`` (login and the permission rules)
        and declare a rule whose route names ``<site name>:<url name>``.
        The standard views are named after the view (``changelist``,
        ``add``, ``change`` ...), with the model in the URL arguments
        (``app_label``, ``model_name``) that the rules match.
        """
        from django.urls import path

        info = self._kwargs()

        def wrap(view):
            def model_view(request, *args, app_label, model_name, **kwargs):
                return view(request, *args, **kwargs)

            model_view.__name__ = view.__name__
            return self.admin_site.admin_view(model_view)

        return [
            path("", wrap(self.changelist_view), info, name="changelist"),
            path("export/", wrap(self.export_view), info, name="export"),
            path("add/", wrap(self.add_view), info, name="add"),
            path(
                "autocomplete/", wrap(self.autocomplete_view), info, name="autocomplete"
            ),
            path(
                "<str:object_id>/change/", wrap(self.change_view), info, name="change"
            ),
            path(
                "<str:object_id>/delete/", wrap(self.delete_view), info, name="delete"
            ),
            path(
                "<str:object_id>/history/",
                wrap(self.history_view),
                info,
                name="history",
            ),
        ]

    @property
    def urls(self) -> list:
        """Return ``get_urls()``, for ``include()`` by the site."""
        return self.get_urls()

    # -------------------------------------------------------------- templates
    def _templates(self, name: str) -> list[str]:
        return [
            f"kingadmin/{self.opts.app_label}/{self.opts.model_name}/{name}",
            f"kingadmin/{self.opts.app_label}/{name}",
            f"kingadmin/{name}",
        ]

    def base_context(self, request, **extra) -> dict:
        """Return the context every page of this model gets, plus ``extra``."""
        return {
            "opts": self.opts,
            "model_admin": self,
            "app_label": self.opts.app_label,
            "verbose_name": self.opts.verbose_name,
            "verbose_name_plural": self.opts.verbose_name_plural,
            "changelist_url": self.url("changelist"),
            "has_add_permission": self.has_add_permission(request),
            **self.admin_site.each_context(request),
            **extra,
        }

    def get_object(self, request, object_id):
        """Return the object if the row rules allow it; 403 if not, 404 if gone."""
        try:
            pk = self.opts.pk.to_python(object_id)
        except ValidationError:
            raise Http404 from None
        obj = self.scoped_queryset(request).filter(pk=pk).first()
        if obj is None:
            if self.get_queryset(request).filter(pk=pk).exists():
                raise PermissionDenied
            raise Http404
        return obj


class ReadOnlyModelAdmin(ModelAdmin):
    """An admin of rows the code writes: listed and opened, never changed here.

    Every field is read-only; adding, saving and deleting are refused (403)
    whatever the rules grant, and the list has no actions. For records such
    as a ledger or an access log.
    """

    actions = ()

    def get_readonly_fields(self, request, obj=None):
        """Return every field of the model."""
        return tuple(
            field.name
            for field in (*self.opts.fields, *self.opts.many_to_many)
            if not field.auto_created
        )

    def has_add_permission(self, request) -> bool:
        """Return False: rows are written by the code."""
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        """Return False: rows are never deleted here."""
        return False

    def add_view(self, request):
        """Refuse: rows are written by the code."""
        raise PermissionDenied

    def delete_view(self, request, object_id):
        """Refuse: rows are never deleted here."""
        raise PermissionDenied

    def changeform_view(self, request, obj):
        """Show the row; refuse a save."""
        if request.method == "POST":
            raise PermissionDenied
        return super().changeform_view(request, obj)
