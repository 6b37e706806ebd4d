"""FilterHorizontal renders a plain multiple select that JavaScript enhances."""

from html.parser import HTMLParser

from django import forms
from pytest_django.asserts import assertInHTML

from kingadmin.widgets import FilterHorizontal

ROLES = [
    ("sales", "Sales 销售"),
    ("teacher", "Teacher 讲师"),
    ("student", "Student 学员"),
    ("evil", "<script>alert(1)</script>"),
]


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=ROLES, widget=FilterHorizontal("roles"), required=False
    )


class _Elements(HTMLParser):
    """Collect the start tags of a fragment as (tag, attributes) pairs."""

    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html, tag):
    parser = _Elements()
    parser.feed(html)
    return [attrs for name, attrs in parser.elements if name == tag]


def test_renders_a_named_multiple_select_with_the_initial_values_selected():
    html = str(RolesForm(initial={"roles": ["teacher", "student"]})["roles"])

    [select] = elements(html, "select")
    assert select["name"] == "roles"
    assert select["id"] == "id_roles"
    assert "multiple" in select
    assertInHTML('<option value="teacher" selected>Teacher 讲师</option>', html)
    assertInHTML('<option value="student" selected>Student 学员</option>', html)
    assertInHTML('<option value="sales">Sales 销售</option>', html)


def test_bound_form_selects_the_submitted_values():
    form = RolesForm(data={"roles": ["sales"]})

    assert form.is_valid()
    assert form.cleaned_data["roles"] == ["sales"]
    html = str(form["roles"])
    assertInHTML('<option value="sales" selected>Sales 销售</option>', html)
    assertInHTML('<option value="teacher">Teacher 讲师</option>', html)


def test_wrapper_carries_the_translatable_labels_for_the_script():
    html = str(RolesForm()["roles"])

    [wrapper] = elements(html, "div")
    assert wrapper["class"] == "filter-horizontal"
    assert "data-filter-horizontal" in wrapper
    assert wrapper["data-verbose-name"] == "roles"
    assert wrapper["data-label-available"] == "Available roles"
    assert wrapper["data-label-chosen"] == "Chosen roles"
    assert wrapper["data-label-filter"] == "Filter"
    assert wrapper["data-label-choose"] == "Choose"
    assert wrapper["data-label-remove"] == "Remove"
    assert wrapper["data-label-choose-all"] == "Choose all"
    assert wrapper["data-label-remove-all"] == "Remove all"


def test_option_labels_are_escaped():
    html = str(RolesForm()["roles"])

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_verbose_name_is_escaped_once_in_the_attributes():
    field = forms.MultipleChoiceField(
        choices=ROLES, widget=FilterHorizontal('R&D "roles" <b>')
    )
    html = field.widget.render("roles", [])

    assert "<b>" not in html
    assert "&amp;amp;" not in html
    [wrapper] = elements(html, "div")
    assert wrapper["data-verbose-name"] == 'R&D "roles" <b>'
    assert wrapper["data-label-available"] == 'Available R&D "roles" <b>'
    assert wrapper["data-label-chosen"] == 'Chosen R&D "roles" <b>'


def test_required_field_keeps_the_required_attribute_without_javascript():
    class RequiredForm(forms.Form):
        roles = forms.MultipleChoiceField(
            choices=ROLES, widget=FilterHorizontal("roles")
        )

    [select] = elements(str(RequiredForm()["roles"]), "select")
    assert "required" in select


def test_form_media_includes_the_script():
    media = str(RolesForm().media)

    assert '<script src="/static/kingadmin/js/filter_horizontal.js"></script>' in media


def test_widget_copies_keep_their_verbose_name():
    first, second = RolesForm(), RolesForm()
    first.fields["roles"].widget.verbose_name = "groups"

    assert second.fields["roles"].widget.verbose_name == "roles"
    assert 'data-verbose-name="groups"' in str(first["roles"])
