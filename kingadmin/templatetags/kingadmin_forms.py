"""Render form fields in Bootstrap 5 markup with Django alone.

``kingadmin/includes/field.html`` lays a bound field out as crispy-bootstrap5
does (the same wrapper ids, classes, error and help-text ids), so the change
form needs no form library and a project that styled its forms for
crispy-forms sees kingadmin's forms unchanged.
"""

import copy

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

register = template.Library()

#: The layouts of ``kingadmin/includes/field.html``, by widget kind.
HIDDEN = "hidden"
CHOICES = "choices"  # radio buttons, or checkboxes of a multiple choice
CHECKBOX = "checkbox"
FILE = "file"
SELECT = "select"  # single and multiple selects, autocomplete widgets
INPUT = "input"  # text-like inputs and textareas


@register.filter
def field_layout(bound_field: BoundField) -> str:
    """Return how ``kingadmin/includes/field.html`` lays ``bound_field`` out."""
    widget = bound_field.field.widget
    if bound_field.is_hidden:
        return HIDDEN
    # Before CheckboxInput: CheckboxSelectMultiple is a RadioSelect.
    if isinstance(widget, forms.RadioSelect):
        return CHOICES
    if isinstance(widget, forms.CheckboxInput):
        return CHECKBOX
    if isinstance(widget, forms.FileInput):
        return FILE
    if isinstance(widget, forms.Select):
        return SELECT
    return INPUT


@register.filter
def choice_groups(bound_field: BoundField) -> list:
    """Return the ``(group, options, index)`` of a radio or checkbox list.

    Each option is the dict Django's own option templates get (``value``,
    ``label``, ``attrs`` with ``id`` and ``checked``).
    """
    widget = bound_field.field.widget
    id_ = widget.attrs.get("id") or bound_field.auto_id
    attrs = bound_field.build_widget_attrs({"id": id_} if id_ else {})
    values = widget.format_value(bound_field.value())
    return widget.optgroups(bound_field.html_name, values, attrs)


@register.simple_tag
def bootstrap_widget(bound_field: BoundField, css_class: str) -> SafeString:
    """Render the widget of ``bound_field`` with ``css_class`` added to its classes.

    A field with errors gets ``is-invalid`` too. As with crispy-forms, each
    widget (each part of a multi-widget) keeps its own classes and gets its
    lower-case class name ("textinput", "select"), which project styles may
    target. The field's widget itself is left alone: a copy is rendered.
    """
    classes = css_class.split()
    if bound_field.errors:
        classes.append("is-invalid")
    widget = copy.deepcopy(bound_field.field.widget)
    if hasattr(widget, "widgets"):  # MultiWidget: its copy has copied parts
        parts = widget.widgets
    elif hasattr(widget, "widget"):  # a wrapper; a plain copy shares the inner
        widget.widget = copy.deepcopy(widget.widget)
        parts = [widget.widget]
    else:
        parts = [widget]
    for part in parts:
        part.attrs = {**part.attrs, "class": _with_classes(part, classes)}
    html = bound_field.as_widget(widget=widget)
    if bound_field.field.show_hidden_initial:
        html += bound_field.as_hidden(only_initial=True)
    return html


def _with_classes(widget: forms.Widget, classes: list[str]) -> str:
    """Return the class attribute of ``widget`` with its name and ``classes``."""
    current = widget.attrs.get("class", "")
    name = type(widget).__name__.lower()
    # A substring test, as crispy-forms does (a "form-select" counts as "select").
    if name not in current:
        current = f"{current} {name}" if current else name
    words = current.split()
    return " ".join(words + [c for c in classes if c not in words])
