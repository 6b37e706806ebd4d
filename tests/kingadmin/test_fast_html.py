"""kingadmin's cell formatting is Django's format_html, only faster."""

from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from kingadmin.columns import fast_format_html

TEMPLATE = '<td class="{}"><a href="{}">{}</a></td>'


@given(st.text(), st.text(), st.one_of(st.text(), st.integers(), st.none()))
def test_any_text_is_escaped_exactly_as_format_html_does(css, url, value):
    ours = fast_format_html(TEMPLATE, css, url, value)
    assert ours == format_html(TEMPLATE, css, url, value)
    assert isinstance(ours, SafeString)


def test_safe_and_lazy_values_are_treated_as_format_html_treats_them():
    lazy_safe = lazy(lambda: mark_safe("<i>x</i>"), str)()
    for value in (
        mark_safe("<b>kept</b>"),
        "<script>alert(1)</script>",
        gettext_lazy("Select row"),
        lazy_safe,
        3.5,
    ):
        assert fast_format_html("<td>{}</td>", value) == format_html(
            "<td>{}</td>", value
        )
    assert fast_format_html("{}", "<b>") == "&lt;b&gt;"
