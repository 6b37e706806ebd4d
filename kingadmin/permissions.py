"""The permission engine: "perm_dic" rules declared in code, granted as data.

A :class:`PermissionRule` names one permission (stored as an
``auth.Permission`` of its model, so ``user.has_perm("crm.<codename>")``
works and an admin grants it to roles in the UI) and the requests it allows:
one or more :class:`Route` entries (URL name, HTTP methods, required URL
arguments, required query-string values), plus an optional row **hook** that
narrows querysets using the logged-in user (never a request parameter).

How a request is decided (``decide()``):

1. Anonymous users are sent to the login page (by the decorator).
2. Superusers are allowed, with no row restriction.
3. Every rule with a route matching the request is a candidate. A route
   matches when the URL name is the same, the method is one of its methods
   (HEAD counts as GET), each required URL argument has the required value,
   and each required query parameter is present exactly once with the
   required value.
4. Specificity of a match = number of required URL arguments + number of
   required query values. Among the candidates the user holds, those of the
   highest specificity decide: the request is allowed, and the rows are the
   union of what their hooks allow (a rule without a hook allows every row).
5. A user holding no candidate gets 403. A URL name no rule mentions at all
   is refused too (fail closed): every guarded view needs a rule.

Row scope is declared once and inherited (``inherit_scope()``): a model that
hangs off another one (follow-ups off customers, payments off enrollments)
names the relation to its parent, and a deciding rule *without* a hook then
allows the rows whose parent the user may view, i.e. the rows of the
parent's list as the same user's rules scope it, recursively. A hook of the
child's own replaces the inherited scope; ``all_rows`` as a hook allows
every row. The rows a user may *view* of a model (``RuleRegistry.visible``)
are what its kingadmin list would show; they also bound the choices of
foreign keys that point to the model, and the options of list filters.

Rules are declared once per app, in ``<app>/permissions.py`` as a module
level ``rules`` list, and the kingadmin site adds the default view / add /
change / delete rules of every registered model.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import QuerySet

if TYPE_CHECKING:
    from django.http import HttpRequest

RowHook = Callable[["HttpRequest", QuerySet], QuerySet]

# The name of the default site (``kingadmin.site``): its URL namespace. Every
# other site names its routes after its own name (``site_route``).
DEFAULT_SITE_NAME = "kingadmin"
# Names of operations that are not URLs of their own but are decided like one.
ACTION = "action"
LIST_EDIT = "list_edit"
# The route whose rules say which rows of a model a user may view.
VIEW = "changelist"


def site_route(site_name: str, name: str) -> str:
    """Return the URL name of the view ``name`` of the site called ``site_name``."""
    return f"{site_name}:{name}"


# The default site's pseudo-routes, for rules a project declares in code.
ACTION_ROUTE = site_route(DEFAULT_SITE_NAME, ACTION)
LIST_EDIT_ROUTE = site_route(DEFAULT_SITE_NAME, LIST_EDIT)
# Parents of parents are followed this deep at most (declarations are checked
# for cycles; this only bounds the work).
MAX_SCOPE_DEPTH = 8


def all_rows(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Allow every row: the hook of a rule that is unrestricted on purpose.

    A rule without a hook on a model that inherits its scope allows only the
    rows of visible parents; this hook says "every row" explicitly.
    """
    return queryset


@dataclass(frozen=True)
class Route:
    """One request shape a permission allows (an entry of the old perm_dic)."""

    url_name: str
    methods: frozenset[str] = frozenset({"GET"})
    url_kwargs: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "methods", frozenset(m.upper() for m in self.methods))
        object.__setattr__(self, "url_kwargs", dict(self.url_kwargs))
        object.__setattr__(self, "query", dict(self.query))

    def __hash__(self):
        return hash(
            (
                self.url_name,
                self.methods,
                tuple(sorted(self.url_kwargs.items())),
                tuple(sorted(self.query.items())),
            )
        )

    @property
    def specificity(self) -> int:
        """Return how specific the route is: required URL arguments + query values."""
        return len(self.url_kwargs) + len(self.query)

    def matches(
        self,
        *,
        url_name: str,
        method: str,
        url_kwargs: Mapping[str, object],
        query: Mapping[str, list[str]],
    ) -> bool:
        """Return True if a request with these parts is one this route allows."""
        method = "GET" if method.upper() == "HEAD" else method.upper()
        if url_name != self.url_name or method not in self.methods:
            return False
        for key, value in self.url_kwargs.items():
            if str(url_kwargs.get(key)) != value:
                return False
        return all(query.get(key) == [value] for key, value in self.query.items())


@dataclass(frozen=True)
class PermissionRule:
    """A named permission: which requests it allows and which rows it shows.

    ``model`` is ``"app_label.model_name"``; the permission is stored on that
    model's content type as ``codename``. ``name`` (stored as the permission's
    name) and ``help`` (what granting it means, for the people who grant it)
    are English msgids marked with ``gettext_noop``: stored in English, shown
    translated.
    """

    model: str
    codename: str
    name: str
    routes: tuple[Route, ...]
    hook: RowHook | None = None
    help: str = ""

    @property
    def app_label(self) -> str:
        """Return the app label of the rule's model."""
        return self.model.split(".", 1)[0]

    @property
    def perm(self) -> str:
        """Return the ``app_label.codename`` string ``user.has_perm`` takes."""
        return f"{self.app_label}.{self.codename}"

    def get_model(self):
        """Return the model class the permission is stored on."""
        return apps.get_model(self.model)


@dataclass(frozen=True)
class Decision:
    """The outcome of ``decide()``: allowed or not, and the rules that decided."""

    allowed: bool
    rules: tuple[PermissionRule, ...] = ()
    unrestricted: bool = False
    registry: RuleRegistry | None = field(default=None, compare=False, repr=False)
    # The site whose lists say which parents are visible (inherited scope).
    site_name: str = field(default=DEFAULT_SITE_NAME, compare=False)

    def __bool__(self) -> bool:
        return self.allowed

    def scope(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Return ``queryset`` narrowed to the rows the deciding rules allow."""
        rows = self.restrict(request, queryset)
        return queryset if rows is None else rows

    def restrict(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        """Return the allowed rows of ``queryset``, or None when all are allowed."""
        return self._restrict(request, queryset, depth=0)

    def _restrict(self, request, queryset, *, depth: int) -> QuerySet | None:
        if not self.allowed:
            return queryset.none()
        if self.unrestricted:
            return None
        scoped = None
        for rule in self.rules:
            if rule.hook is all_rows:
                return None
            if rule.hook is not None:
                rows = rule.hook(request, queryset)
            elif self.registry is None:
                return None
            else:
                rows = self.registry.inherited(
                    request, queryset, depth=depth, site_name=self.site_name
                )
                if rows is None:
                    return None
            scoped = rows if scoped is None else scoped | rows
        return scoped


ALLOW_ALL = Decision(allowed=True, unrestricted=True)
DENY = Decision(allowed=False)


class RuleRegistry:
    """All permission rules of the project, indexed by URL name."""

    def __init__(self):
        self._rules: dict[str, PermissionRule] = {}
        self._by_url: dict[str, list[tuple[Route, PermissionRule]]] = defaultdict(list)
        # perm -> how many ``extend`` calls added each of its routes.
        self._route_uses: dict[str, Counter[Route]] = defaultdict(Counter)
        # "app_label.model_name" of a child -> the relation path to its parent.
        self._parents: dict[str, str] = {}

    def inherit_scope(self, model: str, *, through: str) -> None:
        """Declare that rows of ``model`` follow the row rules of a parent.

        ``through`` is the foreign-key path from ``model`` to the parent,
        e.g. ``inherit_scope("crm.payment", through="enrollment")``. A rule
        without a hook then allows a row when the user may view its parent.
        """
        child = apps.get_model(model)
        fields = _relation_path(child, through)
        parent = fields[-1].related_model
        label = child._meta.label_lower
        existing = self._parents.get(label)
        if existing is not None and existing != through:
            raise ValueError(
                f"The scope of {label!r} is inherited through {existing!r} already; "
                "a model inherits from one parent."
            )
        ancestor = parent
        while ancestor is not None:
            if ancestor._meta.label_lower == label:
                raise ValueError(
                    f"Inheriting the scope of {label!r} through {through!r} makes a "
                    "cycle of parents."
                )
            found = self.scope_parent(ancestor)
            ancestor = found[1] if found else None
        self._parents[label] = through

    def scope_parent(self, model) -> tuple[str, type] | None:
        """Return ``(path, parent model)`` when ``model`` inherits its scope."""
        path = self._parents.get(model._meta.label_lower)
        if path is None:
            return None
        return path, _relation_path(model, path)[-1].related_model

    def view_decision(
        self, user, model, *, site_name: str = DEFAULT_SITE_NAME
    ) -> Decision:
        """Decide whether ``user`` may list ``model`` on a site (rules: which rows)."""
        opts = model._meta
        return self.decide(
            user,
            url_name=site_route(site_name, VIEW),
            url_kwargs={"app_label": opts.app_label, "model_name": opts.model_name},
            site_name=site_name,
        )

    def visible(
        self,
        request: HttpRequest,
        model,
        queryset=None,
        *,
        site_name: str = DEFAULT_SITE_NAME,
    ) -> QuerySet:
        """Return the rows of ``model`` the user may view (none without a view rule)."""
        queryset = model._default_manager.all() if queryset is None else queryset
        decision = self.view_decision(request.user, model, site_name=site_name)
        rows = decision.restrict(request, queryset)
        if rows is None:
            return queryset
        # Hooks may join to-many relations; choice fields need each row once.
        return queryset.filter(pk__in=rows.values("pk"))

    def inherited(
        self,
        request,
        queryset,
        *,
        depth: int = 0,
        site_name: str = DEFAULT_SITE_NAME,
    ) -> QuerySet | None:
        """Return the rows of ``queryset`` whose parent the user may view.

        None means every row (no parent declared, or every parent visible).
        """
        found = self.scope_parent(queryset.model)
        if found is None:
            return None
        if depth >= MAX_SCOPE_DEPTH:
            return queryset.none()
        path, parent = found
        decision = self.view_decision(request.user, parent, site_name=site_name)
        parents = decision._restrict(
            request, parent._default_manager.all(), depth=depth + 1
        )
        if parents is None:
            return None
        return queryset.filter(**{f"{path}__in": parents.values("pk")})

    def register(self, *rules: PermissionRule) -> None:
        """Add ``rules``; raise ValueError for a permission declared differently."""
        for rule in rules:
            key = rule.perm
            existing = self._rules.get(key)
            if existing is not None:
                if existing == rule:
                    continue
                raise ValueError(
                    f"The permission rule {key!r} is declared twice with different "
                    "content; each permission is declared once."
                )
            self._rules[key] = rule
            for route in rule.routes:
                self._by_url[route.url_name].append((route, rule))

    def unregister(self, perm: str) -> None:
        """Remove the rule of ``perm`` and its routes."""
        rule = self._rules.pop(perm)
        for route in rule.routes:
            self._by_url[route.url_name] = [
                (r, owner) for r, owner in self._by_url[route.url_name] if owner != rule
            ]

    def extend(self, *rules: PermissionRule) -> None:
        """Add ``rules``, merging the routes of a permission declared already.

        Each site serving a model adds the model's default rules with routes
        named after the site; the permission stays one (``view_<model>``
        means the same on every site), its routes are the union.
        """
        for rule in rules:
            existing = self._rules.get(rule.perm)
            if existing is not None and replace(existing, routes=rule.routes) != rule:
                raise ValueError(
                    f"The permission rule {rule.perm!r} is declared twice with "
                    "different content; each permission is declared once."
                )
        for rule in rules:
            existing = self._rules.get(rule.perm)
            uses = self._route_uses[rule.perm]
            uses.update(rule.routes)
            if existing is None:
                self.register(rule)
                continue
            added = tuple(r for r in rule.routes if r not in existing.routes)
            if added:
                self.unregister(rule.perm)
                self.register(replace(existing, routes=existing.routes + added))

    def retract(self, *rules: PermissionRule) -> None:
        """Take back the routes of ``rules`` added by ``extend``.

        A route stays while another ``extend`` added it too (two sites of
        the same name); a rule left without routes goes.
        """
        for rule in rules:
            existing = self._rules.get(rule.perm)
            if existing is None:
                continue
            uses = self._route_uses[rule.perm]
            uses.subtract(rule.routes)
            kept = tuple(r for r in existing.routes if uses[r] > 0)
            self.unregister(rule.perm)
            if kept:
                self.register(replace(existing, routes=kept))
            else:
                del self._route_uses[rule.perm]

    def __iter__(self):
        return iter(self._rules.values())

    def __contains__(self, perm: str) -> bool:
        return perm in self._rules

    def get(self, perm: str) -> PermissionRule | None:
        """Return the rule of ``perm`` (``app_label.codename``), or None."""
        return self._rules.get(perm)

    def guards(self, url_name: str) -> bool:
        """Return True when some rule mentions ``url_name``."""
        return bool(self._by_url.get(url_name))

    def decide(
        self,
        user,
        *,
        url_name: str,
        method: str = "GET",
        url_kwargs: Mapping[str, object] | None = None,
        query: Mapping[str, list[str]] | None = None,
        site_name: str = DEFAULT_SITE_NAME,
    ) -> Decision:
        """Decide whether ``user`` may make this request; see the module doc.

        ``site_name`` is the site whose lists bound inherited row scopes.
        """
        if not user.is_authenticated or not user.is_active:
            return DENY
        if user.is_superuser:
            return ALLOW_ALL
        url_kwargs = url_kwargs or {}
        query = query or {}
        candidates = [
            (route.specificity, rule)
            for route, rule in self._by_url.get(url_name, ())
            if route.matches(
                url_name=url_name, method=method, url_kwargs=url_kwargs, query=query
            )
        ]
        held = [(spec, rule) for spec, rule in candidates if user.has_perm(rule.perm)]
        if not held:
            return DENY
        best = max(spec for spec, _ in held)
        deciding = tuple(dict.fromkeys(rule for spec, rule in held if spec == best))
        return Decision(
            allowed=True, rules=deciding, registry=self, site_name=site_name
        )

    def decide_request(self, request: HttpRequest) -> Decision:
        """Decide the current request from its resolved URL, method and query.

        A site's views set ``request.current_app`` to the site's name (as
        Django's admin does), which then bounds inherited row scopes.
        """
        match = request.resolver_match
        return self.decide(
            request.user,
            url_name=match.view_name,
            method=request.method,
            url_kwargs=match.kwargs,
            query={key: request.GET.getlist(key) for key in request.GET},
            site_name=getattr(request, "current_app", None) or DEFAULT_SITE_NAME,
        )


registry = RuleRegistry()


def register(*rules: PermissionRule) -> None:
    """Register permission rules with the project's rule registry."""
    registry.register(*rules)


def view_routes(
    app_label: str, model_name: str, *, site_name: str = DEFAULT_SITE_NAME
) -> tuple[Route, ...]:
    """Return the routes of reading a model on a site: list, export, change, history.

    For rules that let a user view some rows (with a hook), like the default
    ``view_<model>`` rule but read-only (the list's actions are not included).
    """
    kw = {"app_label": app_label, "model_name": model_name}
    return tuple(
        Route(site_route(site_name, name), {"GET"}, kw)
        for name in (VIEW, "export", "change", "history")
    )


def inherit_scope(model: str, *, through: str) -> None:
    """Declare with the project's registry that ``model`` inherits its row scope."""
    registry.inherit_scope(model, through=through)


def _relation_path(model, path: str) -> list:
    """Return the foreign keys along ``path``; raise ValueError if it is not one."""
    from django.core.exceptions import FieldDoesNotExist

    fields = []
    current = model
    for part in path.split("__"):
        try:
            field_ = current._meta.get_field(part)
        except FieldDoesNotExist:
            raise ValueError(
                f"{path!r} is not a relation path of {model._meta.label}."
            ) from None
        if not (field_.many_to_one or field_.one_to_one) or not field_.concrete:
            raise ValueError(
                f"{path!r} of {model._meta.label} must follow foreign keys only."
            )
        fields.append(field_)
        current = field_.related_model
    return fields


def model_rules(
    model,
    *,
    site_name: str = DEFAULT_SITE_NAME,
    url_kwargs: Mapping[str, str] | None = None,
    actions: Mapping[str, str] | Iterable[str] = (),
) -> list[PermissionRule]:
    """Return the default view / add / change / delete rules of a model on a site.

    They use Django's default permission codenames (``view_customer`` ...),
    so the permissions already exist and mean the same thing everywhere; the
    routes are the site's (named after ``site_name``). ``actions`` maps each
    bulk action to the permission it is part of (``"change"`` ...); a plain
    list of names makes ``delete_selected`` a delete and the others changes.
    """
    opts = model._meta
    kw = dict(
        url_kwargs or {"app_label": opts.app_label, "model_name": opts.model_name}
    )
    label = f"{opts.app_label}.{opts.model_name}"
    # The untranslated name: rules must not depend on the active language.
    name = opts.verbose_name_raw

    def route(view, *methods, **extra):
        return Route(site_route(site_name, view), frozenset(methods), {**kw, **extra})

    if not isinstance(actions, Mapping):
        actions = {a: "delete" if a == "delete_selected" else "change" for a in actions}

    def action_routes(verb):
        return tuple(
            route(ACTION, "POST", action=a) for a, v in actions.items() if v == verb
        )

    routes = {
        "view": (
            route(VIEW, "GET", "POST"),
            route("export", "GET"),
            route("change", "GET"),
            route("history", "GET"),
            *action_routes("view"),
        ),
        "add": (
            route("add", "GET", "POST"),
            route("autocomplete", "GET"),
            *action_routes("add"),
        ),
        "change": (
            route("change", "GET", "POST"),
            route("autocomplete", "GET"),
            route(LIST_EDIT, "POST"),
            *action_routes("change"),
        ),
        "delete": (route("delete", "GET", "POST"), *action_routes("delete")),
    }
    return [
        PermissionRule(
            label, f"{verb}_{opts.model_name}", f"Can {verb} {name}", verb_routes
        )
        for verb, verb_routes in routes.items()
    ]
