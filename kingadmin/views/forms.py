"""The add and change pages of a model admin: forms, relation choices, saving."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import router, transaction
from django.db.models import QuerySet
from django.forms.models import modelform_factory
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kingadmin.autocomplete import FIELD_VAR
from kingadmin.columns import Column
from kingadmin.formatting import display_for_field
from kingadmin.history import log_addition, log_change, snapshot
from kingadmin.sites import NotRegistered
from kingadmin.views import (
    ADD_ANOTHER_VAR,
    CONTINUE_VAR,
)
from kingadmin.widgets import (
    AutocompleteSelect,
    AutocompleteSelectMultiple,
    FilterHorizontal,
)


class ChangeFormViews:
    """The add / change views of ``ModelAdmin`` and the hooks building their forms."""

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

    def get_exclude(self, request, obj=None):
        """Return the model fields the forms leave out (``exclude``)."""
        return self.exclude

    def get_fieldsets(self, request, obj=None):
        """Return the ``(title, {"fields": ...})`` sections of the add / change page."""
        if self.fieldsets:
            return self.fieldsets
        return ((None, {"fields": self.get_fields(request, obj)}),)

    def get_fields(self, request, obj=None):
        """Return the fields of the add / change page (editable ones plus read-only)."""
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
        """Save the form's many-to-many values after ``save_model``."""
        form.save_m2m()

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

    def add_view(self, request):
        """Show the add page (GET) or add a row (POST)."""
        return self.changeform_view(request, None)

    def change_view(self, request, object_id):
        """Show the change page of a row the rules allow (GET) or save it (POST)."""
        return self.changeform_view(request, self.get_object(request, object_id))

    def changeform_view(self, request, obj):
        """Show or save the add page (``obj`` None) or the change page of ``obj``."""
        add = obj is None
        Form = self.get_form(request, obj)
        # On add, read-only fields hold their initial value (not a post's).
        initial = self.get_changeform_initial_data(request) if add else None
        if request.method == "POST":
            # Before validation, which writes the posted values into ``obj``.
            before = None if add else snapshot(obj, None)
            form = Form(request.POST, request.FILES, instance=obj, initial=initial)
            if form.is_valid():
                saved = self._save_form(request, form, obj, before)
                if saved is not None:
                    return self.response_after_save(request, saved, add)
            self.form_invalid(request, form)
            messages.error(request, _("Please correct the errors below."))
        else:
            form = Form(instance=obj, initial=initial)
        return self.render_change_form(request, form, obj)

    def _save_form(self, request, form, obj, before):
        """Save a valid form with its history; return the row, None if refused.

        ``before`` is the snapshot of ``obj`` taken before the form was bound.
        """
        add = obj is None
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
            return None
        return new_obj

    def render_change_form(self, request, form, obj):
        """Return the add / change page showing ``form`` (named as in Django)."""
        add = obj is None
        name = self.opts.verbose_name
        context = self.base_context(
            request,
            title=(_("Add %(name)s") if add else _("Change %(name)s")) % {"name": name},
            object=obj,
            form=form,
            fieldsets=self._fieldsets(request, obj, form),
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
        """Return where a saved form goes: the list, the form again, or a new one."""
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
        return redirect(self.admin_site.route("index"))
