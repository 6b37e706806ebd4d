"""The list page of a model admin: the list, its actions, list_editable, export."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import QuerySet
from django.forms.models import modelformset_factory
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kingadmin.autocomplete import AutocompleteJsonView
from kingadmin.changelist import ChangeList
from kingadmin.columns import Column
from kingadmin.export import csv_response, xlsx_available, xlsx_response
from kingadmin.fields import out_of_range
from kingadmin.history import log_change, snapshot
from kingadmin.permissions import ACTION, LIST_EDIT
from kingadmin.views import (
    ACTION_VAR,
    SAVE_VAR,
    SELECTED_VAR,
)
from kingadmin.views.deletion import delete_selected


@dataclass(frozen=True)
class Action:
    """A bulk action the user may run: its name, label and function."""

    name: str
    description: str
    func: object


class ChangeListViews:
    """The list views of ``ModelAdmin``: list, actions, list_editable saves, export."""

    def get_columns(self, request) -> list[Column]:
        """Return the list's columns, with the ones linking to the change page."""
        list_display = self.get_list_display(request)
        links = set(self.get_list_display_links(request, list_display))
        return [Column.build(self, name, link=name in links) for name in list_display]

    def get_changelist(self, request, queryset) -> ChangeList:
        """Return the ChangeList of ``queryset`` for this request."""
        return ChangeList(request, self, queryset)

    def scoped_queryset(self, request) -> QuerySet:
        """Return the rows the current request's deciding rules allow."""
        return request.access.scope(request, self.get_queryset(request))

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
        if self.get_list_editable(request) and self.decide(request, LIST_EDIT, "POST"):
            formset = self._list_editable_formset(request)(
                queryset=self.model._default_manager.filter(
                    pk__in=[obj.pk for obj in changelist.result_list]
                ).order_by(*changelist.ordering)
            )
        actions = list(self.get_actions(request).values())
        context = self.base_context(
            request,
            title=capfirst(self.opts.verbose_name_plural),
            cl=changelist,
            rows=changelist.rows(formset, selectable=bool(actions)),
            formset=formset,
            actions=actions,
            export_formats=self.get_export_formats(request),
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
        decision = self.decide(request, LIST_EDIT, "POST")
        if not decision:
            raise PermissionDenied
        editable = self.get_list_editable(request)
        # Only rows both the list's rules and the editing rules allow are
        # loaded; a foreign id fails validation.
        rows = decision.scope(request, queryset).filter(
            pk__in=self._posted_pks(request)
        )
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
        """Download the filtered, sorted list as CSV or Excel (streamed).

        A list longer than ``KINGADMIN_EXPORT_IN_BACKGROUND_ABOVE`` rows is
        handed to ``KINGADMIN_EXPORT_IN_BACKGROUND`` (a dotted path to a
        callable ``(request, model_admin, changelist, fmt) -> response``) when
        the project sets one: e.g. a background job that writes the file.
        """
        fmt = request.GET.get("format", "csv")
        if fmt not in self.get_export_formats(request):
            raise Http404
        changelist = self.get_changelist(request, self.scoped_queryset(request))
        background = getattr(settings, "KINGADMIN_EXPORT_IN_BACKGROUND", None)
        above = getattr(settings, "KINGADMIN_EXPORT_IN_BACKGROUND_ABOVE", None)
        long_list = changelist.count_capped or (
            above is not None and changelist.result_count > above
        )
        if background and above is not None and long_list:
            return import_string(background)(request, self, changelist, fmt)
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

    def actions_declared(self) -> list[str]:
        """Return the names of the declared bulk actions."""
        return list(self.actions or ())

    def action_permissions(self) -> dict[str, str]:
        """Return each declared action's permission: view, add, change or delete.

        ``delete_selected`` is a delete; others say it with
        ``@kingadmin.action(permission=...)`` (a change by default). The
        action is then part of that rule (``<permission>_<model>``).
        """
        result = {}
        for name in self.actions_declared():
            if name == "delete_selected":
                result[name] = "delete"
            else:
                func = getattr(type(self), name, None)
                result[name] = getattr(func, "permission", "change")
        return result

    def get_export_formats(self, request) -> tuple[str, ...]:
        """Return the export formats offered: ``export_formats`` that can be written.

        XLSX needs openpyxl (``pip install kingadmin[xlsx]``); without it the
        list offers the other formats only.
        """
        return tuple(
            fmt for fmt in self.export_formats if fmt != "xlsx" or xlsx_available()
        )

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
            decision = self.decide(request, ACTION, "POST", action=name)
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
        decision = self.decide(request, ACTION, "POST", action=name)
        return decision.scope(request, queryset)
