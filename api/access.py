"""The API is decided by the same permission rules as the pages (api.permissions).

``RuleAccess`` decides each call like ``kingadmin.decorators.rule_required``
decides a page: the route is the API's URL name, a user holding no rule for
it gets 403 (401 without credentials), a URL name no rule mentions is
refused. The decision is kept as ``request.access``; ``ScopedMixin`` narrows
the view's rows with it, so a foreign id is a 404.
"""

import logging

from rest_framework.permissions import BasePermission

from kingadmin.permissions import registry

logger = logging.getLogger(__name__)


class RuleAccess(BasePermission):
    """Allow a call when the user holds a permission rule for its route."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        match = request.resolver_match
        if not registry.guards(match.view_name):
            logger.error("No permission rule mentions %r: refusing.", match.view_name)
            return False
        decision = registry.decide(
            user,
            url_name=match.view_name,
            method=request.method,
            url_kwargs=match.kwargs,
        )
        request.access = decision
        return bool(decision)


class ScopedMixin:
    """Rows of the view's model the deciding rules allow (and nothing else)."""

    model = None
    # Ids are numbers: anything else is not found before a query is made.
    lookup_value_regex = "[0-9]{1,18}"

    def base_queryset(self):
        return self.model._default_manager.all()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generator
            return self.model._default_manager.none()
        return self.request.access.scope(self.request, self.base_queryset())
