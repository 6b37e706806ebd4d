"""The kingadmin site: the model registry, its URLs and the index page."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from weakref import WeakSet

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import include, path
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from kingadmin.decorators import rule_required
from kingadmin.permissions import (
    DEFAULT_SITE_NAME,
    PermissionRule,
    Route,
    RuleRegistry,
    model_rules,
    registry,
    site_route,
)

# Every site, for the system checks (as ``django.contrib.admin.sites.all_sites``).
all_sites: WeakSet[AdminSite] = WeakSet()


def index_rule(site_name: str) -> PermissionRule:
    """Return the rule that grants a site's index on its own.

    Not needed to open the index (viewing any model is enough, see
    ``AdminSite.may_open_index``); kept so an admin can grant the index alone.
    Every site adds its index route to the one permission.
    """
    return PermissionRule(
        "kingadmin.changelog",
        "view_kingadmin_index",
        gettext_noop("Can open the kingadmin index"),
        (Route(site_route(site_name, "index")),),
        help=gettext_noop(
            "Not needed: whoever may view any list opens the administration index, "
            "which shows the lists they may view."
        ),
    )


INDEX_RULE = index_rule(DEFAULT_SITE_NAME)


class AlreadyRegistered(ImproperlyConfigured):
    """The model is registered with kingadmin already."""


class NotRegistered(ImproperlyConfigured):
    """The model is not registered with kingadmin."""


class AdminSite:
    """A registry of models and their admin classes, and the URLs serving them."""

    #: The application namespace of every site's URLs (``{% url 'kingadmin:index' %}``
    #: reverses the current site's index: its views set ``request.current_app``).
    app_name = "kingadmin"
    index_title = _("Administration")
    #: Shown in the header of kingadmin's own layout (``kingadmin/layout.html``).
    site_header = _("Administration")
    #: Where the header's home link and "log out" point (URL names or paths);
    #: None leaves them out.
    site_url: str | None = "/"
    logout_url: str | None = None

    def __init__(
        self, name: str = DEFAULT_SITE_NAME, *, rules: RuleRegistry | None = None
    ):
        """Create a site called ``name`` (its URL namespace) deciding by ``rules``.

        ``rules`` defaults to the project's registry (where each app's
        ``permissions.py`` declares its rules); a site given its own registry
        shares no rule with the others.
        """
        self.name = name
        self.rules = registry if rules is None else rules
        self._registry: dict[type[Model], object] = {}
        self.rules.extend(index_rule(name))
        all_sites.add(self)

    def route(self, name: str) -> str:
        """Return the URL name of this site's view ``name`` (``<site>:<name>``)."""
        return site_route(self.name, name)

    def model_rules(self, model: type[Model], admin) -> list[PermissionRule]:
        """Return the default rules of ``model`` on this site."""
        return model_rules(
            model, site_name=self.name, actions=admin.action_permissions()
        )

    def register(self, model: type[Model], admin_class: type | None = None) -> None:
        """Register ``model`` with ``admin_class`` (the base ``ModelAdmin`` if None)."""
        from kingadmin.options import ModelAdmin

        if model._meta.abstract:
            raise ImproperlyConfigured(
                f"The model {model.__name__} is abstract and cannot be registered."
            )
        if model in self._registry:
            existing = type(self._registry[model])
            raise AlreadyRegistered(
                f"The model {model._meta.label} is already registered with kingadmin "
                f"by {existing.__module__}.{existing.__qualname__}."
            )
        admin = (admin_class or ModelAdmin)(model, self)
        # Rules first: if the rule registry refuses them, nothing is registered.
        self.rules.extend(*self.model_rules(model, admin))
        self._registry[model] = admin

    def unregister(self, model: type[Model]) -> None:
        """Stop serving ``model``; its routes on this site leave its rules."""
        if model not in self._registry:
            raise NotRegistered(f"The model {model._meta.label} is not registered.")
        admin = self._registry.pop(model)
        # Routes are named after the site: other sites' routes stay.
        self.rules.retract(*self.model_rules(model, admin))

    def is_registered(self, model: type[Model]) -> bool:
        """Return True if ``model`` is registered with this site."""
        return model in self._registry

    def get_model_admin(self, model: type[Model]):
        """Return the admin of ``model``; raise NotRegistered if there is none."""
        try:
            return self._registry[model]
        except KeyError:
            raise NotRegistered(
                f"The model {model._meta.label} is not registered."
            ) from None

    def admin_view(self, view: Callable, *, guarded: bool = True) -> Callable:
        """Wrap a view of this site: the site as ``current_app``, then the rules."""
        wrapped = rule_required(view, rules=self.rules) if guarded else view

        def inner(request, *args, **kwargs):
            request.current_app = self.name
            return wrapped(request, *args, **kwargs)

        inner.kingadmin_guarded = guarded
        return update_wrapper(inner, view)

    def each_context(self, request: HttpRequest) -> dict:
        """Return the variables every page of this site gets (like Django's admin)."""
        return {
            "site_header": self.site_header,
            "site_url": self.site_url,
            "logout_url": self.logout_url,
            "may_open_index": self.may_open_index(request.user),
            "kingadmin_site": self,
        }

    def get_urls(self) -> list:
        """Return the site's URL patterns: the index, then each model's ``get_urls()``.

        Models registered after the URLconf was loaded get no URLs (as in
        Django's admin): register in the apps' ``kingadmin.py`` modules.
        """
        urls = [
            # The index decides itself (has_index_permission): it is implied.
            path("", self.index, name="index"),
        ]
        for model, admin in self._registry.items():
            opts = model._meta
            urls.append(
                path(f"{opts.app_label}/{opts.model_name}/", include(admin.urls))
            )
        return urls

    @property
    def urls(self):
        """Return ``(patterns, app_name, namespace)`` for ``path(..., site.urls)``."""
        return self.get_urls(), self.app_name, self.name

    def get_app_list(self, request: HttpRequest) -> list[dict]:
        """Return the apps and models ``request.user`` may list, sorted by name."""
        by_app: dict[str, dict] = {}
        for model, admin in self._registry.items():
            if not admin.has_module_permission(request):
                continue
            perms = admin.get_model_perms(request)
            if not perms["view"]:
                continue
            opts = model._meta
            app = by_app.setdefault(
                opts.app_label,
                {
                    "app_label": opts.app_label,
                    "name": opts.app_config.verbose_name,
                    "models": [],
                },
            )
            app["models"].append(
                {
                    "name": capfirst(opts.verbose_name_plural),
                    "object_name": opts.object_name,
                    "url": admin.url("changelist"),
                    "add_url": admin.url("add") if perms["add"] else None,
                }
            )
        ordered = sorted(by_app.values(), key=lambda a: str(a["name"]).lower())
        for app in ordered:
            app["models"].sort(key=lambda m: str(m["name"]).lower())
        return ordered

    def may_open_index(self, user) -> bool:
        """Return True if ``user`` may open the index.

        The index lists the models the user may view, so a view rule of any
        registered model opens it; the index rule grants it explicitly too.
        Menus ask this (``accounts.selectors.url_allowed``), so they agree.
        """
        if self.rules.decide(user, url_name=self.route("index"), site_name=self.name):
            return True
        return any(
            self.rules.view_decision(user, model, site_name=self.name)
            for model in self._registry
        )

    def has_index_permission(self, request: HttpRequest) -> bool:
        """Return True if ``request.user`` may open the index."""
        return self.may_open_index(request.user)

    def index(self, request: HttpRequest) -> HttpResponse:
        """List the apps and models the user may see."""
        request.current_app = self.name
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not self.has_index_permission(request):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return TemplateResponse(
            request,
            "kingadmin/index.html",
            {
                **self.each_context(request),
                "title": self.index_title,
                "app_list": self.get_app_list(request),
            },
        )


site = AdminSite()


def register(*models: type[Model]):
    """Register the decorated admin class for ``models`` with the default site.

    Usage: ``@kingadmin.register(Customer)`` above ``class CustomerAdmin``.
    """

    def decorator(admin_class):
        for model in models:
            site.register(model, admin_class)
        return admin_class

    return decorator
