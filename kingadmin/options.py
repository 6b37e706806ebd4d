"""Per-model admin options and the views they drive (list, add, change, ...).

Every option is a class attribute with an inert default and a
``get_<option>(request)`` hook. An instance is shared by all requests and
threads: it never stores per-request state.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import (
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models, router, transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.forms.models import modelform_factory, modelformset_factory
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kingadmin.autocomplete import FIELD_VAR, AutocompleteJsonView
from kingadmin.changelist import ChangeList, Column
from kingadmin.export import csv_response, xlsx_response
from kingadmin.fields import out_of_range
from kingadmin.formatting import display_for_field, is_masked
from kingadmin.forms import KingadminModelForm
from kingadmin.history import log_addition, log_change, log_deletion, snapshot
from kingadmin.permissions import ACTION_ROUTE, LIST_EDIT_ROUTE, registry
from kingadmin.sites import NotRegistered
from kingadmin.widgets import (
    AutocompleteSelect,
    AutocompleteSelectMultiple,
    FilterHorizontal,
)

IS_POPUP_VAR = "_popup"
ACTION_VAR = "action"
SELECTED_VAR = "_selected_action"
CONFIRM_VAR = "post"
SAVE_VAR = "_save"
CONTINUE_VAR = "_continue"
ADD_ANOTHER_VAR = "_addanother"


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


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    func: object


class ModelAdmin:
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

    def __init__(self, model: type[models.Model], admin_site):
        self.model = model
        self.opts = model._meta
        self.admin_site = admin_site

    def __str__(self) -> str:
        return f"{self.opts.label} in kingadmin"

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
        return self.list_display

    def get_list_display_links(self, request, list_display):
        if self.list_display_links is None:
            return ()
        return self.list_display_links or tuple(list_display[:1])

    def get_list_filter(self, request):
        return self.list_filter

    def get_search_fields(self, request):
        return self.search_fields

    def get_ordering(self, request):
        return self.ordering or self.opts.ordering or ("-pk",)

    def get_list_per_page(self, request):
        return self.list_per_page

    def get_list_select_related(self, request):
        return self.list_select_related

    def get_list_editable(self, request):
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

        if registry.view_decision(request.user, get_user_model()):
            return ()
        return tuple(self.current_user_fields)

    def related_rows(self, request, model, queryset=None) -> QuerySet:
        """Return the rows of ``model`` the user may view: choices and filter options.

        The same rules as the model's own list decide (a user without a view
        rule on ``model`` gets none), so a form or a filter never offers a row
        its list would hide. ``queryset`` (all rows by default) is narrowed.
        """
        return registry.visible(request, model, queryset)

    def get_field_queryset(self, db, db_field, request) -> QuerySet | None:
        """Return the rows relation ``db_field`` may offer; override to narrow them.

        As in Django's admin, the default follows the ordering of the related
        model's admin when it declares one, and None means every row. Narrow
        a relation to the rows that make sense as its value (e.g. the members
        of a role) here: the form field, its autocomplete and the list filter
        of the relation all use it (``choices_queryset``), with the rows the
        user may view applied on top. For a list filter on a path
        (``course__branch``), ``db_field`` is the path's last field.
        """
        related = db_field.related_model
        try:
            related_admin = self.admin_site.get_model_admin(related)
        except NotRegistered:
            return None
        if not related_admin.ordering:
            return None
        return related._default_manager.using(db).order_by(
            *related_admin.get_ordering(request)
        )

    def choices_queryset(self, db_field, request, *, keep=None) -> QuerySet:
        """Return the choices of relation ``db_field``: what the user may pick.

        ``get_field_queryset()`` narrowed to the rows the user may view. The
        rows ``keep`` names (the stored value of the object being changed)
        stay choices when the user may view them, so saving a form does not
        drop a value that no longer qualifies (a teacher who left the role).
        """
        model = db_field.related_model
        queryset = self.get_field_queryset(None, db_field, request)
        if queryset is None:
            queryset = model._default_manager.all()
        if keep is not None:
            stored = model._default_manager.filter(pk__in=keep)
            if queryset.query.distinct:
                stored = stored.distinct()
            queryset = queryset | stored
        return self.related_rows(request, model, queryset)

    def autocomplete_url(self, db_field) -> str:
        """Return the URL of the JSON choices of ``db_field`` (autocomplete)."""
        return f"{self.url('autocomplete')}?{urlencode({FIELD_VAR: db_field.name})}"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Return the form field of ``db_field``, relations narrowed to visible rows."""
        if db_field.many_to_many:
            return self.formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.many_to_one or db_field.one_to_one:
            return self.formfield_for_foreignkey(db_field, request, **kwargs)
        return db_field.formfield(**kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Return the form field of a foreign key; override to narrow the choices.

        ``kwargs["queryset"]`` defaults to ``choices_queryset()`` (see
        ``get_field_queryset``); the field's ``limit_choices_to`` still
        applies on top. A field of ``autocomplete_fields`` gets the search
        widget, which renders the chosen row only.
        """
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(
            request
        ):
            kwargs["widget"] = AutocompleteSelect(
                self.autocomplete_url(db_field), str(db_field.verbose_name)
            )
        if "queryset" not in kwargs:
            kwargs["queryset"] = self.choices_queryset(db_field, request)
        return db_field.formfield(**kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        """Return the form field of a many-to-many field (choices as for FKs)."""
        if "queryset" not in kwargs:
            kwargs["queryset"] = self.choices_queryset(db_field, request)
        if "widget" not in kwargs:
            if db_field.name in self.get_autocomplete_fields(request):
                kwargs["widget"] = AutocompleteSelectMultiple(
                    self.autocomplete_url(db_field), str(db_field.verbose_name)
                )
            elif db_field.name in self.filter_horizontal:
                kwargs["widget"] = FilterHorizontal(str(db_field.verbose_name))
        return db_field.formfield(**kwargs)

    def _formfield_callback(self, request, obj=None, readonly=frozenset()):
        def callback(db_field, **kwargs):
            if db_field.is_relation and db_field.name in readonly:
                kwargs["queryset"] = self._stored_rows(request, db_field, obj)
            elif db_field.is_relation and obj is not None and obj.pk is not None:
                keep = self._stored_pks(db_field, obj)
                if keep is not None:
                    kwargs["queryset"] = self.choices_queryset(
                        db_field, request, keep=keep
                    )
            return self.formfield_for_dbfield(db_field, request, **kwargs)

        return callback

    def _stored_pks(self, db_field, obj):
        """Return the related ids ``obj`` stores in ``db_field`` (None if none)."""
        if db_field.many_to_many:
            return getattr(obj, db_field.name).values("pk")
        if db_field.many_to_one or db_field.one_to_one:
            value = getattr(obj, db_field.attname)
            if value is None:
                return None
            target = db_field.target_field
            if target.primary_key:
                return [value]
            manager = db_field.related_model._default_manager
            return manager.filter(**{target.attname: value}).values("pk")
        return None

    def _stored_rows(self, request, db_field, obj) -> QuerySet:
        """Return the rows a read-only relation accepts: its stored value(s).

        A read-only field offers no choice; its form field only checks that a
        post did not change it. It accepts the stored value (or the value an
        add starts with) and, to name a tampered value in the error, the rows
        the user may view; no other row is ever named.
        """
        manager = db_field.related_model._default_manager
        visible = self.related_rows(request, db_field.related_model)
        if db_field.many_to_many:
            if obj is None or obj.pk is None:
                return visible
            return (
                manager.filter(pk__in=getattr(obj, db_field.name).values("pk"))
                | visible
            )
        if obj is not None:
            value = getattr(obj, db_field.attname)
        else:
            value = self.get_changeform_initial_data(request).get(db_field.name)
        if value is None:
            return visible
        return manager.filter(pk=value) | visible

    def get_exclude(self, request, obj=None):
        return self.exclude

    def get_fieldsets(self, request, obj=None):
        if self.fieldsets:
            return self.fieldsets
        return ((None, {"fields": self.get_fields(request, obj)}),)

    def get_fields(self, request, obj=None):
        if self.fields:
            return self.fields
        if self.fieldsets:
            return tuple(
                name for _title, options in self.fieldsets for name in options["fields"]
            )
        readonly = self.get_readonly_fields(request, obj)
        exclude = set(self.get_exclude(request, obj))
        names = [
            field.name
            for field in (*self.opts.fields, *self.opts.many_to_many)
            if field.editable and not field.auto_created and field.name not in exclude
        ]
        names += [name for name in readonly if name not in names]
        return tuple(names)

    def get_search_results(self, request, queryset, search_term):
        """Return ``(queryset, may_have_duplicates)`` for ``search_term``.

        Every word must match one of the search fields (OR over fields, AND
        over words). ``^field`` matches the start, ``=field`` the whole value.
        """
        from kingadmin.changelist import search_queryset

        return search_queryset(queryset, self.get_search_fields(request), search_term)

    def save_model(self, request, obj, form, change):
        """Save ``obj`` (override to call a service)."""
        obj.save()

    def get_changeform_initial_data(self, request) -> dict:
        """Return the initial values of the add form (the current-user fields)."""
        return dict.fromkeys(self.current_user_fields, request.user.pk)

    def form_invalid(self, request, form):
        """Run after an add/change form was refused, outside its transaction.

        Override to act on a refusal (notify someone, log an attempt).
        """

    def save_related(self, request, form, change):
        form.save_m2m()

    def delete_model(self, request, obj):
        """Delete ``obj`` (override to call a service)."""
        obj.delete()

    def delete_queryset(self, request, queryset):
        """Delete the rows of a bulk delete (override to call a service)."""
        queryset.delete()

    # ------------------------------------------------------------ permissions
    def _kwargs(self, **extra):
        return {
            "app_label": self.opts.app_label,
            "model_name": self.opts.model_name,
            **extra,
        }

    def decide(self, request, url_name, method="GET", **extra):
        return registry.decide(
            request.user,
            url_name=url_name,
            method=method,
            url_kwargs=self._kwargs(**extra),
        )

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allows(request, self.decide(request, "kingadmin:changelist"), obj)

    def has_add_permission(self, request) -> bool:
        return bool(self.decide(request, "kingadmin:add", "POST"))

    def has_change_permission(self, request, obj=None) -> bool:
        decision = self.decide(
            request,
            "kingadmin:change",
            "POST",
            **({"object_id": obj.pk} if obj else {}),
        )
        return self._allows(request, decision, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        decision = self.decide(
            request,
            "kingadmin:delete",
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

    def url(self, name: str, *args) -> str:
        kwargs = self._kwargs()
        if args:
            kwargs["object_id"] = args[0]
        return reverse(f"{self.admin_site.name}:{name}", kwargs=kwargs)

    # ---------------------------------------------------------------- actions
    def actions_declared(self) -> list[str]:
        return list(self.actions or ())

    def get_actions(self, request) -> dict[str, Action]:
        """Return the declared actions the user may run, by name."""
        available = {}
        for name in self.actions_declared():
            if name == "delete_selected":
                func = delete_selected
                description = gettext_lazy("Delete selected %(verbose_name_plural)s")
            else:
                func = getattr(type(self), name)
                description = getattr(
                    func, "short_description", capfirst(name.replace("_", " "))
                )
            decision = self.decide(request, ACTION_ROUTE, "POST", action=name)
            if decision:
                text = (
                    str(description)
                    % {"verbose_name_plural": self.opts.verbose_name_plural}
                    if "%(" in str(description)
                    else str(description)
                )
                available[name] = Action(name, text, func)
        return available

    def response_action(self, request, queryset):
        """Run the posted action on the selected rows, or explain why not."""
        name = request.POST.get(ACTION_VAR, "")
        if name not in self.actions_declared():
            messages.error(request, _("Unknown action."))
            return None
        actions = self.get_actions(request)
        if name not in actions:
            raise PermissionDenied
        selected = request.POST.getlist(SELECTED_VAR)
        pk_field = self.opts.pk
        try:
            pks = {pk_field.to_python(pk) for pk in selected}
        except ValidationError:
            pks = set()
        if not pks:
            messages.warning(
                request, _("Select at least one row for the action to work on.")
            )
            return None
        # An id no column can hold names no row, and the driver would refuse it.
        storable = {pk for pk in pks if not out_of_range(self.model, pk)}
        chosen = self._action_scope(request, name, queryset).filter(pk__in=storable)
        found = chosen.count()
        if found < len(pks):
            messages.warning(
                request,
                ngettext(
                    "%(count)d selected row is not available to you and was skipped.",
                    "%(count)d selected rows are not available to you and were "
                    "skipped.",
                    len(pks) - found,
                )
                % {"count": len(pks) - found},
            )
        if not found:
            return None
        response = actions[name].func(self, request, chosen)
        return response

    def _action_scope(self, request, name, queryset):
        decision = self.decide(request, ACTION_ROUTE, "POST", action=name)
        return decision.scope(request, queryset)

    # ------------------------------------------------------------------ lists
    def get_columns(self, request) -> list[Column]:
        list_display = self.get_list_display(request)
        links = set(self.get_list_display_links(request, list_display))
        return [Column.build(self, name, link=name in links) for name in list_display]

    def get_changelist(self, request, queryset) -> ChangeList:
        return ChangeList(request, self, queryset)

    def scoped_queryset(self, request) -> QuerySet:
        """Return the rows the current request's deciding rules allow."""
        return request.access.scope(request, self.get_queryset(request))

    def _templates(self, name: str) -> list[str]:
        return [
            f"kingadmin/{self.opts.app_label}/{self.opts.model_name}/{name}",
            f"kingadmin/{self.opts.app_label}/{name}",
            f"kingadmin/{name}",
        ]

    def base_context(self, request, **extra) -> dict:
        return {
            "opts": self.opts,
            "model_admin": self,
            "app_label": self.opts.app_label,
            "verbose_name": self.opts.verbose_name,
            "verbose_name_plural": self.opts.verbose_name_plural,
            "changelist_url": self.url("changelist"),
            "has_add_permission": self.has_add_permission(request),
            "may_open_index": self.admin_site.has_index_permission(request),
            **extra,
        }

    def changelist_view(self, request):
        """Show the list (GET) or run an action / save list_editable (POST)."""
        queryset = self.scoped_queryset(request)
        if request.method == "POST":
            if SAVE_VAR in request.POST and self.get_list_editable(request):
                response = self._save_list_editable(request, queryset)
                if response is not None:
                    return response
            else:
                with transaction.atomic(using=router.db_for_write(self.model)):
                    response = self.response_action(request, queryset)
                if response is not None:
                    return response
                return HttpResponseRedirect(request.get_full_path())
        changelist = self.get_changelist(request, queryset)
        formset = None
        if self.get_list_editable(request) and self.decide(
            request, LIST_EDIT_ROUTE, "POST"
        ):
            formset = self._list_editable_formset(request)(
                queryset=self.model._default_manager.filter(
                    pk__in=[obj.pk for obj in changelist.result_list]
                ).order_by(*changelist.ordering)
            )
        context = self.base_context(
            request,
            title=capfirst(self.opts.verbose_name_plural),
            cl=changelist,
            rows=changelist.rows(formset),
            formset=formset,
            actions=list(self.get_actions(request).values()),
            export_formats=self.export_formats,
            action_var=ACTION_VAR,
            selected_var=SELECTED_VAR,
        )
        return TemplateResponse(
            request,
            self.change_list_template or self._templates("change_list.html"),
            context,
        )

    def _list_editable_formset(self, request):
        # edit_only: a tampered post can never create rows through the list.
        return modelformset_factory(
            self.model,
            form=self.form,
            fields=self.get_list_editable(request),
            extra=0,
            edit_only=True,
            formfield_callback=self._formfield_callback(request),
        )

    def _posted_pks(self, request) -> set:
        """Return the row ids a list_editable post names (at most a page's worth)."""
        try:
            total = int(request.POST.get("form-TOTAL_FORMS", "0"))
        except ValueError:
            return set()
        pks = set()
        for i in range(min(max(total, 0), max(self.list_per_page_choices))):
            try:
                pk = self.opts.pk.to_python(request.POST.get(f"form-{i}-id"))
            except ValidationError:
                continue
            if pk is not None and not out_of_range(self.model, pk):
                pks.add(pk)
        return pks

    def _save_list_editable(self, request, queryset):
        if not self.decide(request, LIST_EDIT_ROUTE, "POST"):
            raise PermissionDenied
        editable = self.get_list_editable(request)
        # Only rows the row rules allow are loaded; a foreign id fails validation.
        rows = queryset.filter(pk__in=self._posted_pks(request))
        before = {obj.pk: snapshot(obj, editable) for obj in rows}
        formset = self._list_editable_formset(request)(request.POST, queryset=rows)
        if not formset.is_valid():
            messages.error(request, _("Please correct the errors below."))
            for error in formset.non_form_errors():
                messages.error(request, error)
            for form in formset.initial_forms:
                for field, errors in form.errors.items():
                    label = form.fields[field].label if field in form.fields else ""
                    messages.error(
                        request, f"{form.instance}: {label} {' '.join(errors)}"
                    )
            return HttpResponseRedirect(request.get_full_path())
        changed = 0
        with transaction.atomic(using=router.db_for_write(self.model)):
            for form in formset.initial_forms:
                if not form.has_changed() or form.instance.pk not in before:
                    continue
                obj = form.save(commit=False)
                self.save_model(request, obj, form, change=True)
                self.save_related(request, form, change=True)
                log_change(request.user, obj, before[obj.pk], form.changed_data)
                changed += 1
        messages.success(
            request,
            ngettext(
                "%(count)d %(name)s was changed.",
                "%(count)d %(name)s were changed.",
                changed,
            )
            % {
                "count": changed,
                "name": self.opts.verbose_name
                if changed == 1
                else self.opts.verbose_name_plural,
            },
        )
        return HttpResponseRedirect(request.get_full_path())

    def export_view(self, request):
        """Download the filtered, sorted list as CSV or Excel (streamed)."""
        fmt = request.GET.get("format", "csv")
        if fmt not in self.export_formats:
            raise Http404
        changelist = self.get_changelist(request, self.scoped_queryset(request))
        headers = [str(column.header) for column in changelist.columns]
        rows = changelist.export_rows()
        filename = f"{self.opts.verbose_name_plural}.{fmt}"
        if fmt == "csv":
            return csv_response(filename=filename, headers=headers, rows=rows)
        return xlsx_response(
            filename=filename,
            headers=headers,
            rows=rows,
            sheet_title=str(capfirst(self.opts.verbose_name_plural)),
        )

    def autocomplete_view(self, request):
        """Return the JSON choices of one ``autocomplete_fields`` relation."""
        return AutocompleteJsonView(self)(request)

    # ------------------------------------------------------------------ forms
    def get_form(self, request, obj=None):
        """Return the ModelForm class for the add or change page."""
        fields = [
            name for name in self.get_fields(request, obj) if self._is_model_field(name)
        ]
        readonly = set(self.get_readonly_fields(request, obj))
        # A masked field is not in the form at all: not even a hidden copy.
        masked = set(self.get_masked_fields(request, obj))
        editable_readonly = [
            name
            for name in fields
            if name in readonly
            and name not in masked
            and self.opts.get_field(name).editable
        ]
        form_fields = [n for n in fields if n not in readonly or n in editable_readonly]
        base = self.add_form if obj is None and self.add_form else self.form
        form_class = modelform_factory(
            self.model,
            form=base,
            fields=form_fields,
            formfield_callback=self._formfield_callback(request, obj, readonly),
        )
        return type(
            form_class.__name__,
            (form_class,),
            {"readonly_names": tuple(editable_readonly)},
        )

    def _is_model_field(self, name: str) -> bool:
        try:
            field = self.opts.get_field(name)
        except FieldDoesNotExist:
            return False
        return (not field.auto_created and field.concrete) or field.many_to_many

    def readonly_display(self, request, obj, form) -> dict[str, object]:
        """Return the display text of each read-only field, by name."""
        result = {}
        for name in self.get_readonly_fields(request, obj):
            if obj is None:
                result[name] = self.empty_value_display
            elif self._is_model_field(name):
                result[name] = display_for_field(obj, self.opts.get_field(name))
            else:
                column = Column.build(self, name)
                result[name] = column.value(obj)
        return result

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

    def add_view(self, request):
        return self.changeform_view(request, None)

    def change_view(self, request, object_id):
        return self.changeform_view(request, self.get_object(request, object_id))

    def changeform_view(self, request, obj):
        add = obj is None
        Form = self.get_form(request, obj)
        if request.method == "POST":
            before = snapshot(obj, None) if obj is not None else None
            # On add, read-only fields hold their initial value (not a post's).
            initial = self.get_changeform_initial_data(request) if add else None
            form = Form(request.POST, request.FILES, instance=obj, initial=initial)
            if form.is_valid():
                try:
                    with transaction.atomic(using=router.db_for_write(self.model)):
                        new_obj = form.save(commit=False)
                        if add:
                            for name in self.get_locked_user_fields(request):
                                setattr(new_obj, name, request.user)
                        self.save_model(request, new_obj, form, change=not add)
                        self.save_related(request, form, change=not add)
                        if add:
                            log_addition(request.user, new_obj)
                        else:
                            log_change(request.user, new_obj, before, form.changed_data)
                except ValidationError as error:
                    # A service refused the save (e.g. the database's unique
                    # constraint won a race): nothing was saved; show why.
                    form.add_error(None, error)
                    if add:
                        form.instance.pk = None
                else:
                    return self.response_after_save(request, new_obj, add)
            self.form_invalid(request, form)
            messages.error(request, _("Please correct the errors below."))
        else:
            initial = self.get_changeform_initial_data(request) if add else None
            form = Form(instance=obj, initial=initial)
        fieldsets = self._fieldsets(request, obj, form)
        name = self.opts.verbose_name
        context = self.base_context(
            request,
            title=(_("Add %(name)s") if add else _("Change %(name)s")) % {"name": name},
            object=obj,
            form=form,
            fieldsets=fieldsets,
            add=add,
            media=form.media,
            has_delete_permission=not add and self.has_delete_permission(request, obj),
            history_url=None if add else self.url("history", obj.pk),
            delete_url=None if add else self.url("delete", obj.pk),
            readonly_hidden=[form[n] for n in form.readonly_names],
        )
        return TemplateResponse(
            request,
            self.change_form_template or self._templates("change_form.html"),
            context,
        )

    def _fieldsets(self, request, obj, form):
        readonly = set(self.get_readonly_fields(request, obj))
        shown = self.readonly_display(request, obj, form)
        result = []
        for title, options in self.get_fieldsets(request, obj):
            rows = []
            for name in options["fields"]:
                if name in readonly:
                    label = self._label(name)
                    rows.append(
                        {
                            "readonly": True,
                            "name": name,
                            "label": label,
                            "value": shown.get(name),
                            "errors": form.errors.get(name),
                        }
                    )
                elif name in form.fields:
                    rows.append({"readonly": False, "field": form[name]})
            result.append(
                {"title": title, "rows": rows, "classes": options.get("classes", ())}
            )
        return result

    def _label(self, name):
        if self._is_model_field(name):
            return capfirst(self.opts.get_field(name).verbose_name)
        return Column.build(self, name).header

    def response_after_save(self, request, obj, add):
        opts = self.opts
        text = (
            _("The %(name)s “%(obj)s” was added.")
            if add
            else _("The %(name)s “%(obj)s” was changed.")
        ) % {"name": opts.verbose_name, "obj": obj}
        messages.success(request, text)
        if CONTINUE_VAR in request.POST:
            return redirect(self.url("change", obj.pk))
        if ADD_ANOTHER_VAR in request.POST:
            return redirect(self.url("add"))
        if self.has_view_permission(request):
            return redirect(self.url("changelist"))
        return redirect("kingadmin:index")

    # ---------------------------------------------------------------- delete
    def collect_deleted_objects(self, request, objs):
        """Return ``(nested summary, counts by model, protected objects)``."""
        using = router.db_for_write(self.model)
        collector = NestedObjects(using=using, origin=objs)
        collector.collect(objs)

        def label(item):
            return f"{capfirst(item._meta.verbose_name)}: {item}"

        nested = collector.nested(label)
        counts = {
            model._meta.verbose_name_plural: len(items)
            for model, items in collector.model_objs.items()
        }
        protected = [label(obj) for obj in collector.protected]
        return nested, counts, protected

    def delete_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        nested, counts, protected = self.collect_deleted_objects(request, [obj])
        if request.method == "POST" and not protected:
            try:
                with transaction.atomic(using=router.db_for_write(self.model)):
                    log_deletion(request.user, obj)
                    self.delete_model(request, obj)
            except (ProtectedError, RestrictedError):
                messages.error(
                    request, _("This object is still in use and cannot be deleted.")
                )
                return redirect(self.url("change", obj.pk))
            messages.success(
                request,
                _("The %(name)s “%(obj)s” was deleted.")
                % {"name": self.opts.verbose_name, "obj": obj},
            )
            return redirect(self.url("changelist"))
        context = self.base_context(
            request,
            title=_("Delete %(name)s") % {"name": self.opts.verbose_name},
            object=obj,
            deleted_objects=nested,
            model_counts=counts,
            protected=protected,
        )
        return TemplateResponse(
            request,
            self.delete_confirmation_template
            or self._templates("delete_confirmation.html"),
            context,
        )

    def history_view(self, request, object_id):
        from kingadmin.history import history_for

        obj = self.get_object(request, object_id)
        context = self.base_context(
            request,
            title=_("History of %(obj)s") % {"obj": obj},
            object=obj,
            entries=history_for(obj),
            change_url=self.url("change", obj.pk),
        )
        return TemplateResponse(
            request, self.history_template or self._templates("history.html"), context
        )


def delete_selected(model_admin: ModelAdmin, request: HttpRequest, queryset: QuerySet):
    """Delete the selected rows after a confirmation page listing what goes."""
    objs = list(queryset)
    nested, counts, protected = model_admin.collect_deleted_objects(request, objs)
    if request.POST.get(CONFIRM_VAR) == "yes" and not protected:
        count = len(objs)
        for obj in objs:
            log_deletion(request.user, obj)
        model_admin.delete_queryset(request, queryset)
        messages.success(
            request,
            ngettext(
                "%(count)d %(name)s was deleted.",
                "%(count)d %(name)s were deleted.",
                count,
            )
            % {
                "count": count,
                "name": model_admin.opts.verbose_name
                if count == 1
                else model_admin.opts.verbose_name_plural,
            },
        )
        return None
    context = model_admin.base_context(
        request,
        title=_("Delete the selected %(name)s")
        % {"name": model_admin.opts.verbose_name_plural},
        objects=objs,
        deleted_objects=nested,
        model_counts=counts,
        protected=protected,
        action_var=ACTION_VAR,
        selected_var=SELECTED_VAR,
        confirm_var=CONFIRM_VAR,
        return_url=request.get_full_path(),
    )
    return TemplateResponse(
        request,
        model_admin.delete_selected_confirmation_template
        or model_admin._templates("delete_selected_confirmation.html"),
        context,
    )


delete_selected.short_description = gettext_lazy(
    "Delete selected %(verbose_name_plural)s"
)
