"""Deleting through a model admin (one row or the selected rows) and history."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import NestedObjects
from django.db import router, transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kingadmin.history import log_deletion
from kingadmin.views import (
    ACTION_VAR,
    CONFIRM_VAR,
    SELECTED_VAR,
)


class DeletionViews:
    """The delete and history views of ``ModelAdmin``."""

    def delete_model(self, request, obj):
        """Delete ``obj`` (override to call a service)."""
        obj.delete()

    def delete_queryset(self, request, queryset):
        """Delete the rows of a bulk delete (override to call a service)."""
        queryset.delete()

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
        """Show what deleting a row takes with it (GET) or delete it (POST)."""
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
        """Show the change history of a row the rules allow."""
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


def delete_selected(model_admin, request: HttpRequest, queryset: QuerySet):
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
