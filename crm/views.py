from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.forms import FollowUpForm
from crm.models import Customer
from crm.selectors import customer_detail as customer_detail_query
from crm.services import followup_add as followup_add_service
from crm.services import is_stale
from kingadmin.decorators import rule_required
from kingadmin.sites import site


def _customer_in_scope(request: HttpRequest, pk: int) -> Customer:
    """Return the customer if the deciding rules allow it: 403 if not, 404 if gone."""
    if not request.access.scope(request, Customer.objects.all()).filter(pk=pk).exists():
        if Customer.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return customer_detail_query(pk=pk)


def _page(request, customer, form):
    admin = site.get_model_admin(Customer)
    return render(
        request,
        "crm/customer_detail.html",
        {
            "customer": customer,
            "followups": customer.followups.all(),
            "enrollments": customer.enrollments.all(),
            "form": form,
            "is_owner": customer.consultant_id == request.user.pk,
            "is_stale": is_stale(customer),
            "can_change": admin.has_change_permission(request, customer),
            "change_url": admin.url("change", customer.pk),
        },
    )


@require_GET
@rule_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a customer: details, follow-up timeline, enrollments and payments."""
    customer = _customer_in_scope(request, pk)
    return _page(request, customer, FollowUpForm())


@require_POST
@rule_required
def followup_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a follow-up on a customer (may claim a stale lead)."""
    customer = _customer_in_scope(request, pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            followup_add_service(
                customer=customer,
                by=request.user,
                content=form.cleaned_data["content"],
                intention=form.cleaned_data["intention"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The follow-up was recorded."))
            return redirect("crm:customer_detail", pk=customer.pk)
    customer = customer_detail_query(pk=customer.pk)
    return _page(request, customer, form)
