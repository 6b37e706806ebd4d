"""Plain views guarded by the rules, outside any admin site."""

from django.http import HttpRequest, HttpResponse

from kingadmin.decorators import rule_required
from kingadmin.tests.toy.models import Book


@rule_required
def book_report(request: HttpRequest) -> HttpResponse:
    """List the titles of the books the deciding rule lets the user see."""
    books = request.access.scope(request, Book.objects.order_by("title"))
    return HttpResponse("\n".join(book.title for book in books), "text/plain")


@rule_required
def orphan(request: HttpRequest) -> HttpResponse:
    """Guarded, but no rule mentions its URL name: nobody but superusers."""
    return HttpResponse("orphan")
