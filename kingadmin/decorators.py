"""Guards that apply the permission rules to views."""

import logging
from functools import wraps

from django.core.exceptions import PermissionDenied

from kingadmin.permissions import registry

logger = logging.getLogger(__name__)


def rule_required(view):
    """Allow a view only to users holding a permission rule for the request.

    Anonymous users are redirected to the login page; a user without a
    matching rule gets the 403 page. The decision is stored on the request
    as ``request.access`` so the view can scope its querysets with
    ``request.access.scope(request, queryset)``.
    """

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        view_name = request.resolver_match.view_name
        if not registry.guards(view_name):
            logger.error("No permission rule mentions %r: refusing.", view_name)
            raise PermissionDenied
        decision = registry.decide_request(request)
        if not decision:
            raise PermissionDenied
        request.access = decision
        return view(request, *args, **kwargs)

    guarded.kingadmin_guarded = True
    return guarded


class RuleRequiredMixin:
    """Class-based-view version of :func:`rule_required`."""

    @classmethod
    def as_view(cls, **initkwargs):
        return rule_required(super().as_view(**initkwargs))
