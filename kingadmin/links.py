"""Links to rows by id, reversed once per URL name and put together per row.

A list page links each of its rows; ``reverse()`` on each of them was a
twentieth of the page's time. The URL is reversed once with a marker id
and the row's id put in its place, which gives ``reverse()``'s result for
integer ids (they need no quoting); other ids go through ``reverse()``.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

MARKER = 918273645  # an id no URL holds otherwise
_parts: dict[tuple, tuple[str, str]] = {}


def split_at_marker(url: str) -> tuple[str, str]:
    """Return the parts of ``url`` before and after the marker id."""
    before, _marker, after = url.rpartition(str(MARKER))
    return before, after


# What reverse() depends on besides the name: the URLconf, the script
# prefix and (for translated patterns) the language; inside one_page(), read
# once for the block.
_where: ContextVar[tuple[str, str, str] | None] = ContextVar(
    "kingadmin_links_where", default=None
)


def _current_where() -> tuple[str, str, str]:
    return (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language())


@contextmanager
def one_page():
    """Within the block, read the URLconf, script prefix and language once.

    Reading the three costs 9 µs (thread- and task-local lookups), more than
    the rest of putting a row's link together; a page of rows reads them
    once. Nothing in the block may change them (a page's rows do not).
    """
    token = _where.set(_current_where())
    try:
        yield
    finally:
        _where.reset(token)


def reverse_id(viewname: str, pk) -> str:
    """Return ``reverse(viewname, args=[pk])``, quickly for integer ids."""
    if type(pk) is not int:
        return reverse(viewname, args=[pk])
    key = (viewname, *(_where.get() or _current_where()))
    parts = _parts.get(key)
    if parts is None:
        parts = _parts[key] = split_at_marker(reverse(viewname, args=[MARKER]))
    return f"{parts[0]}{pk}{parts[1]}"


_urls: dict[tuple, str] = {}


def reverse_fixed(viewname: str, kwargs: dict) -> str:
    """Return ``reverse(viewname, kwargs=kwargs)``, reversed once per process.

    For URLs that take no row id (a model's list, add and export pages):
    their kwargs are constants of the admin, so the cache stays as small as
    the site's URL map.
    """
    key = (viewname, tuple(kwargs.items()), *(_where.get() or _current_where()))
    url = _urls.get(key)
    if url is None:
        url = _urls[key] = reverse(viewname, kwargs=kwargs)
    return url
