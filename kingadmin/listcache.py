"""Short-lived caches of two parts of a list page, per process.

With ``KINGADMIN_LIST_CACHE`` naming a cache (a per-process one, such as
Django's ``LocMemCache``), a list page keeps two things for
``KINGADMIN_LIST_CACHE_SECONDS`` (default 60); without it nothing is kept.

**The options of a related list filter** (``RelatedFieldListFilter``): the
rows of the relation the user may view, one query, a model instance and a
``str()`` each, on every list page, for rows that rarely change (courses,
sales, tags). They are keyed by what decides them:

- the site, model, class, field path and limit of the filter;
- the user (id, flags and permission names: the row rules that narrow the
  options decide on them);
- the language (a row's ``str()`` may be translated);
- this process's generation of relevant writes: saving or deleting a row of
  a model some filter offered (or of the user model, or a permission), or
  changing a many-to-many relation touching one, starts a new generation,
  so a change made in this process shows at once.

A change made in another process (another web instance, a worker, a
``.update()`` that sends no signal) shows within the timeout. Only what the
filter *offers* can be stale: the list's rows are always queried under the
list's own row rules, so a stale option can only narrow what the user may
see anyway.

**The rendered filters and column headers**: the filters' entries (a link
per choice, date and search forms) were a fifth of a list page. The filters
are built on every page (their values narrow the rows); the HTML is kept by
what it shows: the query string and each filter's ``render_state()`` (its
class, template, title, options and value). A filter whose
``render_state()`` is None (the default of ``ListFilter``; built-in filters
whose ``choices()`` a subclass overrides) makes the panel render every time.
The headers are kept by the admin, its columns and the query string (their
sort links).

**Lists known to exceed ``count_limit``**: a list shows "more than N
results" past its count limit, and counting those N+1 rows was the costliest
part of its query. A list (site, model, user and permissions, its filters
and search: the query string but for page, sort and page size) found over
the limit is not recounted within the timeout; its page is read alone. An
empty page (rows deleted since) counts again. Only "more than N" can lag,
after a mass deletion; an exact count is always counted.
"""

from __future__ import annotations

import hashlib
import itertools

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import caches
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import get_language

CACHE_SETTING = "KINGADMIN_LIST_CACHE"
SECONDS_SETTING = "KINGADMIN_LIST_CACHE_SECONDS"
DEFAULT_SECONDS = 60

#: Models whose writes start a new generation: those a filter offered here.
_watched: set[type] = set()
_generations = itertools.count(1)
_generation = 0


def options_get(spec) -> tuple[list, bool] | None:
    """Return the cached ``(options, truncated)`` of related filter ``spec``."""
    key = _options_key(spec)
    return None if key is None else caches[_alias()].get(key)


def options_put(spec, options: list, truncated: bool) -> None:
    """Keep ``spec``'s ``options`` (and whether the limit cut them)."""
    key = _options_key(spec)
    if key is not None:
        caches[_alias()].set(key, (options, truncated), _seconds())


def filter_panel(changelist, render):
    """Return ``render()`` (the filters' entries), kept by what they show."""
    return _kept(_panel_key(changelist), render)


def header_cells(changelist, render):
    """Return ``render()`` (the column headers), kept by the list's query string.

    A header shows its column's label (the admin's, in the language) and a
    link sorting by it, which keeps the rest of the query string.
    """
    if not _alias():
        return render()
    admin = changelist.model_admin
    kind = type(admin)
    return _kept(
        _digest(
            "kingadmin-headers",
            (
                admin.admin_site.name,
                changelist.model._meta.label,
                kind.__module__,
                kind.__qualname__,
                get_language(),
                tuple(column.name for column in changelist.columns),
                sorted(changelist.params.lists()),
                tuple(changelist.ignored),
            ),
        ),
        render,
    )


def _kept(key: str | None, render):
    if key is None:
        return render()
    cache = caches[_alias()]
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, _seconds())
    return html


def known_capped(changelist) -> bool:
    """Return True if ``changelist``'s rows were found over its count limit."""
    key = _capped_key(changelist)
    return key is not None and caches[_alias()].get(key) is not None


def remember_capped(changelist) -> None:
    """Say that ``changelist`` holds more rows than its count limit."""
    key = _capped_key(changelist)
    if key is not None:
        caches[_alias()].set(key, True, _seconds())


def forget_capped(changelist) -> None:
    """Count ``changelist``'s rows again on its next page."""
    key = _capped_key(changelist)
    if key is not None:
        caches[_alias()].delete(key)


def _capped_key(changelist) -> str | None:
    from kingadmin.changelist import NOT_COUNTED_VARS

    who = _who(changelist.request.user)
    if who is None:
        return None
    params = sorted(
        (key, tuple(values))
        for key, values in changelist.params.lists()
        if key not in NOT_COUNTED_VARS and key not in changelist.ignored
    )
    return _digest(
        "kingadmin-capped",
        (
            changelist.model_admin.admin_site.name,
            changelist.model._meta.label,
            changelist.model_admin.count_limit,
            who,
            tuple(params),
        ),
    )


def _alias() -> str | None:
    return getattr(settings, CACHE_SETTING, None)


def _seconds() -> int:
    return getattr(settings, SECONDS_SETTING, DEFAULT_SECONDS)


def _who(user) -> tuple | None:
    """Return what the row rules decide on of ``user``; None if not to be kept.

    Its id, flags and permission names (a superuser's are all of them).
    """
    if not _alias() or not user.is_authenticated:
        return None
    perms = () if user.is_superuser else tuple(sorted(user.get_all_permissions()))
    return (user.pk, user.is_active, user.is_superuser, perms)


def _digest(prefix: str, what: tuple) -> str:
    digest = hashlib.blake2b(repr(what).encode(), digest_size=16).hexdigest()
    return f"{prefix}:{digest}"


def _options_key(spec) -> str | None:
    who = _who(spec.request.user)
    if who is None:
        return None
    _watch(spec.field.related_model)
    return _digest(
        "kingadmin-options",
        (
            spec.model_admin.admin_site.name,
            spec.model._meta.label,
            type(spec).__module__,
            type(spec).__qualname__,
            spec.field_path,
            spec.limit,
            who,
            get_language(),
            _generation,
        ),
    )


def _panel_key(changelist) -> str | None:
    if not _alias():
        return None
    states = []
    for spec in changelist.filters:
        state = spec.render_state()
        if state is None:
            return None
        kind = type(spec)
        states.append(
            (kind.__module__, kind.__qualname__, spec.template, str(spec.title), state)
        )
    return _digest(
        "kingadmin-filters",
        (
            changelist.model_admin.admin_site.name,
            changelist.model._meta.label,
            get_language(),
            sorted(changelist.params.lists()),
            tuple(changelist.ignored),
            tuple(states),
        ),
    )


def _watch(model: type) -> None:
    """Start a new generation on each write of ``model`` from now on.

    Receivers are connected to ``model`` alone: a delete receiver for every
    model would cost every other bulk delete Django's fast path.
    """
    if model in _watched:
        return
    _watched.add(model)
    uid = f"kingadmin_listcache_{model._meta.label_lower}"
    post_save.connect(_written, sender=model, dispatch_uid=f"{uid}_saved")
    post_delete.connect(_written, sender=model, dispatch_uid=f"{uid}_deleted")


def _written(sender, **kwargs) -> None:
    global _generation
    _generation = next(_generations)


def _related_written(sender, instance, model, **kwargs) -> None:
    global _generation
    if type(instance) in _watched or model in _watched:
        _generation = next(_generations)


def connect() -> None:
    """Watch the user model and permissions (``KingadminConfig.ready``).

    The row rules that narrow a filter's options decide on the user and
    their permissions (a role's permissions, a user's roles: many-to-many).
    """
    _watch(get_user_model())
    _watch(Permission)
    m2m_changed.connect(_related_written, dispatch_uid="kingadmin_listcache_m2m")
