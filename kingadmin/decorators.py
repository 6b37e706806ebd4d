"""Guards that apply the permission rules to views."""

import logging
from functools import wraps

from django.core.exceptions import PermissionDenied

from kingadmin.permissions import registry

logger = logging.getLogger(__name__)


def rule_required(view=None, *, rules=None):
    """Allow a view only to users holding a permission rule for the request.

    ``rules`` is the rule registry deciding (the project's by default).
    Usable bare (``@rule_required``) or called (``@rule_required(rules=...)``).

    Anonymous users are redirected to the login page; a user without a
    matching rule gets the 403 page. The decision is stored on the request
    as ``request.access`` so the view can scope its querysets with
    ``request.access.scope(request, queryset)``.
    """

    if view is None:
        return lambda view: rule_required(view, rules=rules)
    deciding = registry if rules is None else rules

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        view_name = request.resolver_match.view_name
        if not deciding.guards(view_name):
            logger.error("No permission rule mentions %r: refusing.", view_name)
            raise PermissionDenied
        decision = deciding.decide_request(request)
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
        """Return the view guarded by the permission rules."""
        return rule_required(super().as_view(**initkwargs))
