"""The kingadmin site: the model registry, its URLs and the index page."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from kingadmin.decorators import rule_required
from kingadmin.permissions import PermissionRule, Route, model_rules, registry

# Not needed to open the index (viewing any model is enough, see
# ``AdminSite.may_open_index``); kept so an admin can grant the index alone.
INDEX_RULE = PermissionRule(
    "kingadmin.changelog",
    "view_kingadmin_index",
    gettext_noop("Can open the kingadmin index"),
    (Route("kingadmin:index"),),
    help=gettext_noop(
        "Not needed: whoever may view any list opens the administration index, "
        "which shows the lists they may view."
    ),
)


# How many sites serve each model: the default rules are shared by all sites.
_RULE_USERS: dict[type[Model], int] = {}


class AlreadyRegistered(ImproperlyConfigured):
    """The model is registered with kingadmin already."""


class NotRegistered(ImproperlyConfigured):
    """The model is not registered with kingadmin."""


class AdminSite:
    """A registry of models and their admin classes, and the URLs serving them."""

    name = "kingadmin"
    index_title = _("Administration")

    def __init__(self):
        self._registry: dict[type[Model], object] = {}

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
        registry.register(*model_rules(model, actions=admin.actions_declared()))
        self._registry[model] = admin
        _RULE_USERS[model] = _RULE_USERS.get(model, 0) + 1

    def unregister(self, model: type[Model]) -> None:
        if model not in self._registry:
            raise NotRegistered(f"The model {model._meta.label} is not registered.")
        admin = self._registry.pop(model)
        _RULE_USERS[model] -= 1
        if _RULE_USERS[model] == 0:
            # No site serves the model any more: its default rules go too.
            del _RULE_USERS[model]
            for rule in model_rules(model, actions=admin.actions_declared()):
                if rule.perm in registry:
                    registry.unregister(rule.perm)

    def is_registered(self, model: type[Model]) -> bool:
        return model in self._registry

    def get_model_admin(self, model: type[Model]):
        try:
            return self._registry[model]
        except KeyError:
            raise NotRegistered(
                f"The model {model._meta.label} is not registered."
            ) from None

    def admin_for(self, app_label: str, model_name: str):
        """Return the admin of ``app_label.model_name`` or raise Http404."""
        for model, admin in self._registry.items():
            if (model._meta.app_label, model._meta.model_name) == (
                app_label,
                model_name,
            ):
                return admin
        raise Http404

    def admin_view(self, view: Callable, *, guarded: bool = True) -> Callable:
        """Wrap a view of this site with the permission rules."""
        wrapped = rule_required(view) if guarded else view
        return update_wrapper(wrapped, view)

    def get_urls(self):
        def model_view(name):
            def dispatch(request, app_label, model_name, *args, **kwargs):
                admin = self.admin_for(app_label, model_name)
                return getattr(admin, name)(request, *args, **kwargs)

            dispatch.__name__ = name
            return self.admin_view(dispatch)

        prefix = "<slug:app_label>/<slug:model_name>/"
        return [
            # The index decides itself (has_index_permission): it is implied.
            path("", self.index, name="index"),
            path(prefix, model_view("changelist_view"), name="changelist"),
            path(prefix + "export/", model_view("export_view"), name="export"),
            path(prefix + "add/", model_view("add_view"), name="add"),
            path(
                prefix + "autocomplete/",
                model_view("autocomplete_view"),
                name="autocomplete",
            ),
            path(
                prefix + "<str:object_id>/change/",
                model_view("change_view"),
                name="change",
            ),
            path(
                prefix + "<str:object_id>/delete/",
                model_view("delete_view"),
                name="delete",
            ),
            path(
                prefix + "<str:object_id>/history/",
                model_view("history_view"),
                name="history",
            ),
        ]

    @property
    def urls(self):
        return self.get_urls(), "kingadmin", self.name

    def get_app_list(self, request: HttpRequest) -> list[dict]:
        """Return the apps and models ``request.user`` may list, sorted by name."""
        by_app: dict[str, dict] = {}
        for model, admin in self._registry.items():
            if not admin.has_view_permission(request):
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
                    "add_url": admin.url("add")
                    if admin.has_add_permission(request)
                    else None,
                }
            )
        ordered = sorted(by_app.values(), key=lambda a: str(a["name"]).lower())
        for app in ordered:
            app["models"].sort(key=lambda m: str(m["name"]).lower())
        return ordered

    def may_open_index(self, user) -> bool:
        """Return True if ``user`` may open the index.

        The index lists the models the user may view, so a view rule of any
        registered model opens it; ``INDEX_RULE`` grants it explicitly too.
        Menus ask this (``accounts.selectors.url_allowed``), so they agree.
        """
        if registry.decide(user, url_name=f"{self.name}:index"):
            return True
        return any(registry.view_decision(user, model) for model in self._registry)

    def has_index_permission(self, request: HttpRequest) -> bool:
        """Return True if ``request.user`` may open the index."""
        return self.may_open_index(request.user)

    def index(self, request: HttpRequest) -> HttpResponse:
        """List the apps and models the user may see."""
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
                "title": self.index_title,
                "app_list": self.get_app_list(request),
                "may_open_index": True,
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
