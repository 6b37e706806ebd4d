"""Reads about users: their menu tree and the page they land on."""

import copy
import hashlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from django.core.cache import caches
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import get_language, gettext

from accounts.models import Menu, Notification, Role, User


@dataclass
class MenuItem:
    name: str
    url: str | None
    icon: str
    order: int
    pk: int
    children: list["MenuItem"] = field(default_factory=list)
    active: bool = False


@dataclass(frozen=True)
class SiteTarget:
    """A URL of this site, resolved: what the permission rules decide on."""

    view_name: str
    url_kwargs: dict
    query: dict


def site_target(url: str) -> SiteTarget | None:
    """Return ``url`` resolved, or None when it leaves the site or names no page."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return SiteTarget(
        match.view_name, match.kwargs, parse_qs(parts.query, keep_blank_values=True)
    )


def target_guarded(target: SiteTarget) -> bool:
    """Return True if some permission rule is needed to open ``target``."""
    from kingadmin.permissions import registry
    from kingadmin.sites import site

    return target.view_name == f"{site.name}:index" or registry.guards(target.view_name)


def target_allowed(user, target: SiteTarget) -> bool:
    """Return True if the permission rules would let ``user`` GET ``target``.

    ``user`` may be a stand-in (``accounts.grants.Grants``). The kingadmin
    index is the site's decision (viewing any model opens it).
    """
    from kingadmin.permissions import registry
    from kingadmin.sites import site

    if target.view_name == f"{site.name}:index":
        return site.may_open_index(user)
    if not registry.guards(target.view_name):
        return True
    return bool(
        registry.decide(
            user,
            url_name=target.view_name,
            url_kwargs=target.url_kwargs,
            query=target.query,
        )
    )


def url_allowed(user: User, url: str) -> bool:
    """Return True if the permission rules would let ``user`` GET ``url``.

    Links to pages no rule guards (the home page, ...) are allowed; links
    that leave the site are refused (menus link to paths of this site only,
    see ``Menu.clean``).
    """
    target = site_target(url)
    return target is not None and target_allowed(user, target)


def _item(menu: Menu) -> MenuItem:
    # Seeded menu names are English msgids; names an admin typed pass unchanged.
    return MenuItem(
        name=gettext(menu.name),
        url=menu.resolve_url(),
        icon=menu.icon,
        order=menu.order,
        pk=menu.pk,
    )


MENU_FIELDS = ("pk", "name", "url_type", "url", "icon", "order", "parent_id")
SESSION_MENUS = "accounts.menus"


def _menu_rows(user: User, session) -> list[Menu]:
    """Return the menus of the user's roles, each with its parent loaded."""
    from accounts.backends import MENU_STAMP

    stamp = getattr(user, MENU_STAMP, None)
    cached = session.get(SESSION_MENUS) if session is not None else None
    if stamp and cached and cached["stamp"] == stamp and cached["user"] == user.pk:
        rows = cached["rows"]
    else:
        menus = (
            Menu.objects.filter(roles__users=user)
            .select_related("parent")
            .order_by("order", "pk")
            .distinct()
        )
        rows = []
        for menu in menus:
            rows.append([getattr(menu, name) for name in MENU_FIELDS])
            if menu.parent_id is not None:
                rows[-1].append([getattr(menu.parent, name) for name in MENU_FIELDS])
        if session is not None and stamp:
            session[SESSION_MENUS] = {"stamp": stamp, "user": user.pk, "rows": rows}
    return [_menu_of(row) for row in rows]


def _menu_of(row: list) -> Menu:
    menu = Menu(**dict(zip(MENU_FIELDS, row, strict=False)))
    if len(row) > len(MENU_FIELDS):
        menu.parent = _menu_of(row[-1])
    return menu


def user_menu(*, user: User, path: str = "", session=None) -> list[MenuItem]:
    """Return the user's menu tree (roles -> menus), de-duplicated and ordered.

    A sub-menu granted without its parent still appears under the parent's
    heading. Entries whose URL cannot be built, or whose page the permission
    rules would refuse the user, are left out, and so are empty headings. The
    entry whose URL is the longest prefix of ``path`` is active. With the
    request's ``session``, the menu rows are read once per menu stamp
    (``MenuStamp``); what the user may open is decided on every call.
    """
    if not user.is_authenticated:
        return []
    top: dict[int, MenuItem] = {}
    children: dict[int, dict[int, MenuItem]] = {}
    for menu in _menu_rows(user, session):
        if menu.parent_id is None:
            top.setdefault(menu.pk, _item(menu))
        else:
            top.setdefault(menu.parent_id, _item(menu.parent))
            children.setdefault(menu.parent_id, {})[menu.pk] = _item(menu)

    def visible(item: MenuItem) -> bool:
        return bool(item.url) and url_allowed(user, item.url)

    tree = []
    for parent in sorted(top.values(), key=lambda m: (m.order, m.pk)):
        kids = sorted(
            children.get(parent.pk, {}).values(), key=lambda m: (m.order, m.pk)
        )
        parent.children = [kid for kid in kids if visible(kid)]
        if not visible(parent):
            parent.url = None
        if parent.url or parent.children:
            tree.append(parent)
    _mark_active(tree, path)
    return tree


def _mark_active(tree: list[MenuItem], path: str) -> None:
    """Mark the entry matching ``path`` (and its heading) active."""
    best = _active_entry(tree, path)
    if best is not None:
        best.active = True
        for item in tree:
            if best in item.children:
                item.active = True


def _active_entry(tree: list[MenuItem], path: str) -> MenuItem | None:
    """Return the entry matching ``path`` (a path with its query string).

    An entry matches when its path is a prefix of the current one (at a "/")
    and each of its query parameters is in the current query string; the
    longest path wins, then the most query parameters.
    """
    current = urlsplit(path)
    current_query = parse_qs(current.query, keep_blank_values=True)
    best, best_key = None, None
    for item in tree:
        for candidate in [item, *item.children]:
            if not candidate.url:
                continue
            target = urlsplit(candidate.url)
            if not current.path.startswith(target.path):
                continue
            if target.path != current.path and not target.path.endswith("/"):
                continue  # "/crm" must not match "/crmx/"
            wanted = parse_qs(target.query, keep_blank_values=True)
            if any(current_query.get(k) != v for k, v in wanted.items()):
                continue
            key = (len(target.path), len(wanted))
            if best_key is None or key > best_key:
                best, best_key = candidate, key
    return best


#: The cache (per process) of rendered menus, and how long an entry lives.
MENU_CACHE = "local"
MENU_CACHE_SECONDS = 300


def menu_html(request) -> str:
    """Return the sidebar menu of ``request``'s user, rendered, for this page.

    Rendering the menu (deciding each entry's page, then its template) cost
    a tenth of a list page. What the user may open is decided by the menu
    rows (the menu stamp), the user's permission names and flags: keyed by
    those (``_menu_key``), the tree and its HTML (one per active entry) are
    kept in the process's own cache. A stale menu could only show or hide a
    link for ``MENU_CACHE_SECONDS`` (every page decides access itself), and
    the key changes as soon as the stamp or the user's permissions do.
    """
    user, path = request.user, request.get_full_path()
    session = getattr(request, "session", None)
    key = _menu_key(user)
    if key is None:
        return _render_menu(user_menu(user=user, path=path, session=session))
    cache = caches[MENU_CACHE]
    tree = cache.get(key)
    if tree is None:
        tree = user_menu(user=user, session=session)
        cache.set(key, tree, MENU_CACHE_SECONDS)
    active = _active_entry(tree, path)
    html_key = f"{key}:{active.url if active else ''}"
    html = cache.get(html_key)
    if html is None:
        tree = copy.deepcopy(tree)
        _mark_active(tree, path)
        html = _render_menu(tree)
        cache.set(html_key, html, MENU_CACHE_SECONDS)
    return html


def _render_menu(tree: list[MenuItem]) -> str:
    return render_to_string("partials/menu.html", {"nav_menu": tree}) if tree else ""


def _menu_key(user: User) -> str | None:
    """Return what decides ``user``'s menu, as a cache key; None if unknown.

    The permission rules decide on the user's flags and permission names
    alone (``kingadmin.permissions.RuleRegistry.decide``); the menu rows on
    the stamp; the entries' names on the language.
    """
    from accounts.backends import MENU_STAMP

    stamp = getattr(user, MENU_STAMP, None)
    if not stamp or not user.is_authenticated:
        return None
    perms = () if user.is_superuser else sorted(user.get_all_permissions())
    what = (user.pk, stamp, user.is_active, user.is_superuser, perms, get_language())
    return "menu:" + hashlib.blake2b(repr(what).encode(), digest_size=16).hexdigest()


def home_url(*, user: User) -> str | None:
    """Return where ``user`` lands after logging in, None if nowhere.

    The home of the user's role whose home menu comes first wins (so an
    admin who also sells lands on the admin home); superusers without a role
    land on the admin index; otherwise the first entry of the user's menu,
    and without one the admin index if the user may view some list there.
    """
    roles = (
        Role.objects.filter(users=user, home__isnull=False)
        .select_related("home")
        .order_by("home__order", "pk")
    )
    for role in roles:
        url = role.home.resolve_url()
        if url and url_allowed(user, url):
            return url
    if user.is_superuser:
        return reverse("kingadmin:index")
    for item in user_menu(user=user):
        if item.url:
            return item.url
        if item.children:
            return item.children[0].url
    from kingadmin.sites import site

    # No menu, but a list to view: the index shows them.
    if site.may_open_index(user):
        return reverse(f"{site.name}:index")
    return None


def unread_count(*, user: User) -> int:
    """Return how many unread notifications ``user`` has.

    A user loaded for the request (``RoleBackend.get_user``) carries the
    count already; any other user costs a query.
    """
    from accounts.backends import UNREAD

    known = getattr(user, UNREAD, None)
    if known is not None:
        return known
    return Notification.objects.filter(recipient=user, is_read=False).count()


def users_with_permission(
    perm: str, *, users: QuerySet[User] | None = None
) -> QuerySet[User]:
    """Return the active ``users`` holding ``perm`` ("app_label.codename") by a role.

    Roles are how this project grants permissions (``RoleBackend``), so these
    are the members of the roles that hold it, e.g. the sales
    (``crm.view_own_customers``) or the teachers (``teacher.use_teacher_portal``).
    Superusers are members only through a role of theirs. ``users`` (all
    accounts by default) is narrowed, keeping its order; each user appears
    once: the roles are matched in a subquery, not joined.
    """
    app_label, _, codename = perm.partition(".")
    holders = User.roles.through.objects.filter(
        role__permissions__codename=codename,
        role__permissions__content_type__app_label=app_label,
    ).values("user_id")
    users = User.objects.all() if users is None else users
    return users.filter(is_active=True, pk__in=holders)
