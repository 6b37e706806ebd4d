"""Permission rules of the API (see kingadmin.permissions for how they decide).

Each API route is a rule route, like a page's. A resource's rule lets a role
use that part of the API; the rows are the ones its pages show the same
user: ``listed`` rows are those of the user's kingadmin list of the model,
and follow-ups (no hook) inherit the customers' scope. Writes are decided
again as the page doing the same would be (api.views): adding a customer
needs the customer list's "Add", a follow-up the customer page's.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from kingadmin.permissions import PermissionRule, Route, all_rows, register, registry


def listed(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the rows of the user's kingadmin list of the same model."""
    return registry.visible(request, queryset.model, queryset)


def own_tokens(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the API tokens of the logged-in user."""
    return queryset.filter(user=request.user)


def reads(name: str) -> tuple[Route, ...]:
    """Return the list and detail routes of the API resource ``name``."""
    return (Route(f"api:{name}-list", {"GET"}), Route(f"api:{name}-detail", {"GET"}))


TOKEN_PAGES = (
    Route("api:tokens", {"GET", "POST"}),
    Route("api:token_revoke", {"POST"}),
)

register(
    PermissionRule(
        "api.apitoken",
        "use_api",
        gettext_noop("Can create own API tokens and read the API documentation"),
        (*TOKEN_PAGES, Route("api:schema", {"GET"}), Route("api:docs", {"GET"})),
        hook=own_tokens,
        help=gettext_noop(
            "Personal API tokens for one's own programs (shown once, revocable) and "
            "the API's documentation. What a token may do is what the API rights "
            "below allow the user."
        ),
    ),
    PermissionRule(
        "api.apitoken",
        "manage_api_tokens",
        gettext_noop("Can create and revoke the API tokens of every user"),
        TOKEN_PAGES,
        hook=all_rows,
        help=gettext_noop(
            "Creating a token for another user (an integration's account) and "
            "revoking anyone's."
        ),
    ),
    PermissionRule(
        "crm.customer",
        "api_customers",
        gettext_noop("Can read and add customers through the API"),
        (*reads("customer"), Route("api:customer-list", {"POST"})),
        hook=listed,
        help=gettext_noop(
            "The customers of one's customer list, by API; adding one needs “Can "
            "add customers” too, and a duplicate is refused naming its owner."
        ),
    ),
    PermissionRule(
        "crm.customerfollowup",
        "api_followups",
        gettext_noop("Can read and add follow-ups through the API"),
        (*reads("followup"), Route("api:followup-list", {"POST"})),
        help=gettext_noop(
            "Follow-ups of the customers one may view, by API; adding one is for "
            "the lead's owner, as on its page."
        ),
    ),
    PermissionRule(
        "crm.enrollment",
        "api_enrollments",
        gettext_noop("Can read enrollments through the API"),
        reads("enrollment"),
        hook=listed,
        help=gettext_noop("The enrollments of one's enrollment list, read-only."),
    ),
    PermissionRule(
        "crm.classlist",
        "api_classes",
        gettext_noop("Can read classes through the API"),
        reads("class"),
        hook=listed,
        help=gettext_noop("The classes of one's class list, read-only."),
    ),
    PermissionRule(
        "timetable.classsession",
        "api_sessions",
        gettext_noop("Can read class sessions through the API"),
        reads("session"),
        hook=listed,
        help=gettext_noop("The sessions of one's session list, read-only."),
    ),
    PermissionRule(
        "crm.payment",
        "api_payments",
        gettext_noop("Can read payments through the API"),
        reads("payment"),
        hook=listed,
        help=gettext_noop("The payments of one's payment list, read-only."),
    ),
    PermissionRule(
        "crm.leadform",
        "api_capture_leads",
        gettext_noop("Can send leads through the lead forms by API"),
        (Route("api:lead-capture", {"POST"}),),
        help=gettext_noop(
            "For a website or an ad platform: a lead sent through any active lead "
            "form, as if typed into its page (same rules, same answer)."
        ),
    ),
)
