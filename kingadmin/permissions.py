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

Rules are declared once per app, in ``<app>/permissions.py`` as a module
level ``rules`` list, and the kingadmin site adds the default view / add /
change / delete rules of every registered model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import QuerySet

if TYPE_CHECKING:
    from django.http import HttpRequest

RowHook = Callable[["HttpRequest", QuerySet], QuerySet]

# Names of operations that are not URLs of their own but are decided like one.
ACTION_ROUTE = "kingadmin:action"
LIST_EDIT_ROUTE = "kingadmin:list_edit"


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
        return len(self.url_kwargs) + len(self.query)

    def matches(
        self,
        *,
        url_name: str,
        method: str,
        url_kwargs: Mapping[str, object],
        query: Mapping[str, list[str]],
    ) -> bool:
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
    model's content type as ``codename``.
    """

    model: str
    codename: str
    name: str
    routes: tuple[Route, ...]
    hook: RowHook | None = None

    @property
    def app_label(self) -> str:
        return self.model.split(".", 1)[0]

    @property
    def perm(self) -> str:
        """Return the ``app_label.codename`` string ``user.has_perm`` takes."""
        return f"{self.app_label}.{self.codename}"

    def get_model(self):
        return apps.get_model(self.model)


@dataclass(frozen=True)
class Decision:
    """The outcome of ``decide()``: allowed or not, and the rules that decided."""

    allowed: bool
    rules: tuple[PermissionRule, ...] = ()
    unrestricted: bool = False

    def __bool__(self) -> bool:
        return self.allowed

    def scope(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Return ``queryset`` narrowed to the rows the deciding rules allow."""
        if not self.allowed:
            return queryset.none()
        if self.unrestricted or any(rule.hook is None for rule in self.rules):
            return queryset
        scoped = None
        for rule in self.rules:
            rows = rule.hook(request, queryset)
            scoped = rows if scoped is None else scoped | rows
        return scoped


ALLOW_ALL = Decision(allowed=True, unrestricted=True)
DENY = Decision(allowed=False)


class RuleRegistry:
    """All permission rules of the project, indexed by URL name."""

    def __init__(self):
        self._rules: dict[str, PermissionRule] = {}
        self._by_url: dict[str, list[tuple[Route, PermissionRule]]] = defaultdict(list)

    def register(self, *rules: PermissionRule) -> None:
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
        rule = self._rules.pop(perm)
        for route in rule.routes:
            self._by_url[route.url_name] = [
                (r, owner) for r, owner in self._by_url[route.url_name] if owner != rule
            ]

    def __iter__(self):
        return iter(self._rules.values())

    def __contains__(self, perm: str) -> bool:
        return perm in self._rules

    def get(self, perm: str) -> PermissionRule | None:
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
    ) -> Decision:
        """Decide whether ``user`` may make this request; see the module doc."""
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
        return Decision(allowed=True, rules=deciding)

    def decide_request(self, request: HttpRequest) -> Decision:
        """Decide the current request from its resolved URL, method and query."""
        match = request.resolver_match
        return self.decide(
            request.user,
            url_name=match.view_name,
            method=request.method,
            url_kwargs=match.kwargs,
            query={key: request.GET.getlist(key) for key in request.GET},
        )


registry = RuleRegistry()


def register(*rules: PermissionRule) -> None:
    """Register permission rules with the project's rule registry."""
    registry.register(*rules)


def model_rules(
    model,
    *,
    url_kwargs: Mapping[str, str] | None = None,
    actions: Iterable[str] = (),
) -> list[PermissionRule]:
    """Return the default view / add / change / delete rules of a kingadmin model.

    They use Django's default permission codenames (``view_customer`` ...),
    so the permissions already exist and mean the same thing everywhere.
    """
    opts = model._meta
    kw = dict(
        url_kwargs or {"app_label": opts.app_label, "model_name": opts.model_name}
    )
    label = f"{opts.app_label}.{opts.model_name}"
    # The untranslated name: rules must not depend on the active language.
    name = opts.verbose_name_raw

    def route(url_name, *methods, **extra):
        return Route(url_name, frozenset(methods), {**kw, **extra})

    custom_actions = [a for a in actions if a != "delete_selected"]
    return [
        PermissionRule(
            label,
            f"view_{opts.model_name}",
            f"Can view {name}",
            (
                route("kingadmin:changelist", "GET", "POST"),
                route("kingadmin:export", "GET"),
                route("kingadmin:change", "GET"),
                route("kingadmin:history", "GET"),
            ),
        ),
        PermissionRule(
            label,
            f"add_{opts.model_name}",
            f"Can add {name}",
            (route("kingadmin:add", "GET", "POST"),),
        ),
        PermissionRule(
            label,
            f"change_{opts.model_name}",
            f"Can change {name}",
            (
                route("kingadmin:change", "GET", "POST"),
                route(LIST_EDIT_ROUTE, "POST"),
                *(route(ACTION_ROUTE, "POST", action=a) for a in custom_actions),
            ),
        ),
        PermissionRule(
            label,
            f"delete_{opts.model_name}",
            f"Can delete {name}",
            (
                route("kingadmin:delete", "GET", "POST"),
                route(ACTION_ROUTE, "POST", action="delete_selected"),
            ),
        ),
    ]
