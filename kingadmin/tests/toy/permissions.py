"""Permission rules of the toy app, besides the default ones of its models.

- "view own books": the books whose author has the user's e-mail address;
- "change own books": the change page, the list's inputs and the discount
  action, for those books only;
- "view active authors": the author list filtered on ``active=1`` only, a
  route more specific than the default list;
- "view every review": all reviews on purpose (``all_rows``), whereas the
  default review rule follows the books (reviews inherit their book's scope);
- "open the book report": a plain view guarded by ``rule_required``.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from kingadmin.permissions import (
    ACTION_ROUTE,
    LIST_EDIT_ROUTE,
    PermissionRule,
    Route,
    all_rows,
    inherit_scope,
    register,
    view_routes,
)

AUTHOR = {"app_label": "toy", "model_name": "author"}
BOOK = {"app_label": "toy", "model_name": "book"}
ACTIVE = {"active": "1"}


def own_books(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the books written under the logged-in user's e-mail address."""
    if not request.user.email:
        return queryset.none()
    return queryset.filter(author__email=request.user.email)


def active_authors(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the authors still active."""
    return queryset.filter(active=True)


register(
    PermissionRule(
        "toy.book",
        "view_own_books",
        gettext_noop("Can view own books"),
        view_routes("toy", "book"),
        hook=own_books,
        help=gettext_noop("The books whose author has the user's e-mail address."),
    ),
    PermissionRule(
        "toy.book",
        "change_own_books",
        gettext_noop("Can change own books"),
        (
            Route("kingadmin:change", {"GET", "POST"}, BOOK),
            Route(LIST_EDIT_ROUTE, {"POST"}, BOOK),
            Route(ACTION_ROUTE, {"POST"}, {**BOOK, "action": "discount"}),
        ),
        hook=own_books,
    ),
    PermissionRule(
        "toy.author",
        "view_active_authors",
        gettext_noop("Can view active authors"),
        (
            Route("kingadmin:changelist", {"GET"}, AUTHOR, ACTIVE),
            Route("kingadmin:export", {"GET"}, AUTHOR, ACTIVE),
        ),
        hook=active_authors,
    ),
    PermissionRule(
        "toy.review",
        "view_every_review",
        gettext_noop("Can view every review"),
        view_routes("toy", "review"),
        hook=all_rows,
    ),
    PermissionRule(
        "toy.book",
        "view_book_report",
        gettext_noop("Can open the book report"),
        (Route("book_report", {"GET"}),),
        hook=own_books,
    ),
)

# A review is visible with its book: "view own books" shows their reviews.
inherit_scope("toy.review", through="book")
