from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm.selectors import customer_list_owned
from kingadmin.decorators import rule_required

CUSTOMERS_PER_PAGE = 25


@require_GET
@rule_required
def customer_list(request: HttpRequest) -> HttpResponse:
    """List the customers the logged-in consultant owns."""
    search = request.GET.get("q", "")[:100]
    paginator = Paginator(
        customer_list_owned(user=request.user, search=search), CUSTOMERS_PER_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "crm/customer_list.html",
        {
            "page": page,
            "search": search,
            "page_range": paginator.get_elided_page_range(page.number),
        },
    )
