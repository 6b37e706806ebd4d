"""Booking and cancelling a lead's trial lessons from the lead's page.

The routes are the CRM's (``crm:trial_book``, ``crm:trial_cancel``), granted
with the lead's page (``crm.permissions.LEAD_PAGES``): a user books trials
for the leads whose page the same rules open, and a lead out of their scope
answers 403 (404 if it does not exist).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.models import Customer
from kingadmin.decorators import rule_required
from kingadmin.permissions import registry
from timetable.forms import TrialBookForm
from timetable.models import TrialLesson
from timetable.trials import (
    SESSION_CHOICES,
    customer_trials,
    trial_book,
    trial_cancel,
    trial_session_choices,
)

BOOK = "crm:trial_book"


def _lead(request: HttpRequest, pk: int) -> Customer:
    """Return the lead if the deciding rules allow it: 403 if not, 404 if gone."""
    lead = request.access.scope(request, Customer.objects.all()).filter(pk=pk).first()
    if lead is None:
        if Customer.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return lead


def _form(request: HttpRequest, customer: Customer, data=None) -> TrialBookForm:
    sessions = trial_session_choices(
        customer=customer, campus_id=request.user.campus_id
    )
    return TrialBookForm(data, sessions=sessions, shown=SESSION_CHOICES)


def customer_trials_context(request: HttpRequest, customer: Customer) -> dict:
    """Return what the lead's page shows of its trials, in constant queries.

    The booking form only for a user whose rules would accept it for this
    lead.
    """
    decision = registry.decide(request.user, url_name=BOOK, method="POST")
    may_book = (
        decision.allowed
        and decision.scope(request, Customer.objects.filter(pk=customer.pk)).exists()
    )
    return {
        "trials": list(customer_trials(customer=customer)),
        "may_book_trial": may_book,
        "trial_form": _form(request, customer) if may_book else None,
    }


@require_POST
@rule_required
def trial_book_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Book the lead into an upcoming session as a trial lesson."""
    customer = _lead(request, pk)
    form = _form(request, customer, request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("crm:customer_detail", pk=customer.pk)
    try:
        trial = trial_book(
            customer=customer,
            session=form.cleaned_data["session"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(customer)s is booked for a trial lesson: %(session)s.")
            % {
                "customer": customer,
                "session": TrialBookForm.session_label(trial.session),
            },
        )
    return redirect("crm:customer_detail", pk=customer.pk)


@require_POST
@rule_required
def trial_cancel_view(request: HttpRequest, pk: int, trial_id: int) -> HttpResponse:
    """Cancel one of the lead's booked trial lessons."""
    customer = _lead(request, pk)
    trial = get_object_or_404(TrialLesson, pk=trial_id, customer=customer)
    try:
        trial_cancel(trial=trial, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The trial lesson was cancelled."))
    return redirect("crm:customer_detail", pk=customer.pk)
