"""Pages of the tuition ledger: an enrollment's account, balances, overdue
instalments, refund decisions and receipts.

Every view is guarded by a rule of ``finance.permissions`` and reads the
enrollments through the rule that allowed it
(``request.access.scope(request, Enrollment...)``): receipts, entries and
refund requests are found through their enrollment, so an id outside the
user's scope is a 404, whoever's it is. Writes go through
``finance.services`` (which lock and validate); a POST that succeeds
redirects with a message, one that fails shows the page again with the
errors and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from crm.models import Branch, ClassList, Enrollment
from finance import services
from finance.forms import (
    PaymentForm,
    PlanForm,
    RefundDecisionForm,
    RefundRequestForm,
    ReverseForm,
    SuspendForm,
    TransferForm,
)
from finance.ledger import CENT, HOURS_ZERO, TENTH, balance_of
from finance.ledger import entry_reverse as entry_reverse_service
from finance.models import ZERO, Instalment, LedgerEntry, Receipt, RefundRequest
from finance.selectors import (
    MONEY,
    counts_as,
    overdue_instalments,
    plan_status,
    value_of_hours,
)
from finance.templatetags.finance_tags import rmb_capital
from kingadmin.decorators import rule_required
from kingadmin.links import reverse_id
from kingadmin.permissions import registry

# Query-string names of the list pages.
CAMPUS_PARAM = "campus"
PAGE_PARAM = "page"
PER_PAGE = 100
PENDING_REFUNDS_SHOWN = 200
DECIDED_REFUNDS_SHOWN = 50

# The routes the account page offers forms or links for, with their method.
ACCOUNT_ROUTES = {
    "payment_new": "POST",
    "plan_set": "POST",
    "refund_request": "POST",
    "transfer": "POST",
    "suspend": "POST",
    "entry_reverse": "POST",
    "receipt": "GET",
}


def _enrollments(request: HttpRequest) -> QuerySet[Enrollment]:
    """Return the enrollments the rule that allowed the request scopes."""
    return request.access.scope(request, Enrollment.objects.all())


def _enrollment_in_scope(request: HttpRequest, pk: int) -> Enrollment:
    """Return enrollment ``pk`` with what its account shows; 404 outside the scope."""
    enrollment = (
        _enrollments(request)
        .select_related(
            "customer",
            "consultant",
            "class_list__course",
            "class_list__branch",
            "contract_terms",
            "transfer_out__target__class_list",
            "transfer_in__source__class_list",
        )
        .filter(pk=pk)
        .first()
    )
    if enrollment is None:
        raise Http404
    return enrollment


def _allowed_routes(request: HttpRequest, enrollment: Enrollment) -> dict[str, bool]:
    """Return, per route of ACCOUNT_ROUTES, whether the user may use it here.

    Decided as the route's own request would be (its rules, then their row
    scope on this enrollment): a form is shown only when posting it would
    be allowed. Routes decided by the same rules share one query.
    """
    allowed, by_rules = {}, {}
    for name, method in ACCOUNT_ROUTES.items():
        decision = registry.decide(
            request.user, url_name=f"finance:{name}", method=method
        )
        if not decision:
            allowed[name] = False
            continue
        key = decision.rules
        if key not in by_rules:
            rows = decision.restrict(
                request, Enrollment.objects.filter(pk=enrollment.pk)
            )
            by_rules[key] = rows is None or rows.exists()
        allowed[name] = by_rules[key]
    return allowed


def _viewable_accounts(request: HttpRequest, ids) -> set[int] | None:
    """Return which of enrollments ``ids`` the user may open the account of.

    None means all of them (an unrestricted rule: no query).
    """
    decision = registry.decide(request.user, url_name="finance:enrollment")
    if not decision:
        return set()
    rows = decision.restrict(request, Enrollment.objects.filter(pk__in=list(ids)))
    return None if rows is None else set(rows.values_list("pk", flat=True))


def _add_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError on ``form`` (unknown fields: on the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# -- an enrollment's account


def _account_page(
    request: HttpRequest, enrollment: Enrollment, **bound: Form
) -> HttpResponse:
    """Render the account page; ``bound`` are the forms posted with errors."""
    today = timezone.localdate()
    terms = getattr(enrollment, "contract_terms", None)
    balance = balance_of(enrollment)
    may = _allowed_routes(request, enrollment)
    is_open = enrollment.state == Enrollment.State.APPROVED
    price = terms.price if terms else enrollment.class_list.course.price
    suspensions = list(enrollment.suspensions.select_related("created_by"))
    refund_requests = list(
        enrollment.refund_requests.select_related("requested_by", "decided_by")
    )
    pending_refund = any(
        r.state == RefundRequest.State.PENDING for r in refund_requests
    )
    entries = []
    for entry in enrollment.ledger_entries.select_related(
        "created_by", "reverses", "reversed_by", "receipt"
    ).order_by("-sequence"):
        reversed_by = getattr(entry, "reversed_by", None)
        entries.append(
            {
                "entry": entry,
                "receipt": getattr(entry, "receipt", None),
                "reversed_by": reversed_by,
                # What entry_reverse accepts: not a correction, not reversed
                # yet, moving something.
                "reversible": reversed_by is None
                and entry.kind
                not in (LedgerEntry.Kind.CORRECTION, LedgerEntry.Kind.SUSPENSION),
            }
        )
    context = {
        "enrollment": enrollment,
        "customer": enrollment.customer,
        "class_list": enrollment.class_list,
        "terms": terms,
        "balance": balance,
        "price": price,
        "due": price - balance.paid,
        "plan": plan_status(list(enrollment.instalments.all()), balance.paid, today),
        "entries": entries,
        "suspensions": suspensions,
        "refund_requests": refund_requests,
        "transfer_out": getattr(enrollment, "transfer_out", None),
        "transfer_in": getattr(enrollment, "transfer_in", None),
        "may": may,
        "failed": bool(bound),
    }
    if terms:
        context.update(
            valid_until=services.valid_until_with(terms, suspensions),
            value_bought=value_of_hours(terms.price, terms.hours, balance.hours_bought),
            value_consumed=value_of_hours(
                terms.price, terms.hours, balance.hours_consumed
            ),
            value_remaining=value_of_hours(
                terms.price, terms.hours, balance.hours_remaining
            ),
        )
    # The forms the user may post and the enrollment takes; a form posted
    # with errors is shown whatever the state, with them.
    context.update(bound)
    if is_open and may["payment_new"]:
        context.setdefault("payment_form", PaymentForm())
    if is_open and terms:
        if may["plan_set"]:
            context.setdefault(
                "plan_form",
                PlanForm(
                    initial={"first_due": max(enrollment.class_list.start_date, today)}
                ),
            )
        if may["refund_request"] and not pending_refund:
            context.setdefault("refund_form", RefundRequestForm())
        if may["transfer"]:
            context.setdefault(
                "transfer_form",
                TransferForm(
                    classes=registry.visible(request, ClassList),
                    current=enrollment.class_list,
                ),
            )
        if may["suspend"]:
            context.setdefault("suspend_form", SuspendForm())
    if terms and "refund_form" in context:
        context["refund_preview"] = services.refund_preview(enrollment)
    if terms and "transfer_form" in context:
        context["transfer_value"] = services.transfer_value(enrollment)[0]
    return render(request, "finance/enrollment.html", context)


@require_GET
@rule_required
def enrollment(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an enrollment's account: terms, hours, money, plan, ledger, forms."""
    return _account_page(request, _enrollment_in_scope(request, pk))


def _done(request: HttpRequest, enrollment: Enrollment, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("finance:enrollment", pk=enrollment.pk)


@require_POST
@rule_required
def payment_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Record money received, with its receipt."""
    enrollment = _enrollment_in_scope(request, pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment = services.payment_record(
                enrollment=enrollment, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _done(
                request,
                enrollment,
                _("%(amount)s yuan received; receipt %(code)s.")
                % {"amount": payment.amount, "code": payment.entry.receipt.code},
            )
    return _account_page(request, enrollment, payment_form=form)


@require_POST
@rule_required
def plan_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace the payment plan: the whole price at once, or monthly instalments."""
    enrollment = _enrollment_in_scope(request, pk)
    form = PlanForm(request.POST)
    terms = getattr(enrollment, "contract_terms", None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if terms is None:
                raise ValidationError(
                    _("This enrollment has no contract terms: it has no plan.")
                )
            if data["mode"] == PlanForm.MONTHLY:
                rows = services.plan_even(
                    price=terms.price, count=data["count"], first_due=data["first_due"]
                )
            else:
                rows = [(data["first_due"], terms.price)]
            instalments = services.plan_set(
                enrollment=enrollment, instalments=rows, by=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _done(
                request,
                enrollment,
                ngettext(
                    "The payment plan has %(count)s instalment now.",
                    "The payment plan has %(count)s instalments now.",
                    len(instalments),
                )
                % {"count": len(instalments)},
            )
    return _account_page(request, enrollment, plan_form=form)


@require_POST
@rule_required
def refund_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask finance to refund the enrollment and close it."""
    enrollment = _enrollment_in_scope(request, pk)
    form = RefundRequestForm(request.POST)
    if form.is_valid():
        try:
            asked = services.refund_request_create(
                enrollment=enrollment,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _done(
                request,
                enrollment,
                _("The refund of %(amount)s yuan was asked for; finance decides on it.")
                % {"amount": asked.amount},
            )
    return _account_page(request, enrollment, refund_form=form)


@require_POST
@rule_required
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the student to another class, carrying the enrollment's value."""
    enrollment = _enrollment_in_scope(request, pk)
    form = TransferForm(
        request.POST,
        classes=registry.visible(request, ClassList),
        current=enrollment.class_list,
    )
    if form.is_valid():
        try:
            moved = services.transfer(
                enrollment=enrollment, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(customer)s moved to %(class)s with %(value)s yuan.")
                % {
                    "customer": enrollment.customer,
                    "class": moved.target.class_list,
                    "value": moved.value,
                },
            )
            target = moved.target
            if _enrollments(request).filter(pk=target.pk).exists():
                return redirect("finance:enrollment", pk=target.pk)
            return redirect("finance:enrollment", pk=enrollment.pk)
    return _account_page(request, enrollment, transfer_form=form)


@require_POST
@rule_required
def suspend(request: HttpRequest, pk: int) -> HttpResponse:
    """Freeze the enrollment for a period (休学)."""
    enrollment = _enrollment_in_scope(request, pk)
    form = SuspendForm(request.POST)
    if form.is_valid():
        try:
            suspension = services.suspend(
                enrollment=enrollment, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _done(
                request,
                enrollment,
                _("The enrollment is suspended from %(start)s until %(end)s.")
                % {"start": suspension.starts_on, "end": suspension.ends_on},
            )
    return _account_page(request, enrollment, suspend_form=form)


@require_POST
@rule_required
def entry_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a mistaken ledger entry with a reversing one, saying why."""
    entry = (
        LedgerEntry.objects.filter(enrollment__in=_enrollments(request))
        .select_related("enrollment")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the entry is reversed."))
        return redirect("finance:enrollment", pk=entry.enrollment_id)
    try:
        correction = entry_reverse_service(
            entry=entry, reason=form.cleaned_data["reason"], by=request.user
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("Entry %(entry)s was reversed by entry %(correction)s.")
            % {"entry": entry.sequence, "correction": correction.sequence},
        )
    return redirect("finance:enrollment", pk=entry.enrollment_id)


# -- balances and overdue instalments


def _ledger_sums() -> dict:
    """Return the sums ``balance_of`` makes, as aggregates of ledger entries."""
    kinds = LedgerEntry.Kind
    return {
        "paid": Coalesce(Sum("amount"), ZERO, output_field=MONEY),
        "hours_remaining": Coalesce(Sum("hours"), HOURS_ZERO),
        "hours_bought": Coalesce(
            Sum("hours", filter=counts_as(kinds.HOURS_BOUGHT, kinds.TRANSFER_IN)),
            HOURS_ZERO,
        ),
        "hours_used": Coalesce(
            Sum("hours", filter=counts_as(kinds.CONSUMPTION)), HOURS_ZERO
        ),
    }


def _money(value) -> Decimal:
    """Return a sum of amounts as yuan and cents (SQLite sums decimals as floats)."""
    return Decimal(value or 0).quantize(CENT, ROUND_HALF_UP)


def _hours(value) -> Decimal:
    """Return a sum of hours with one decimal (SQLite sums decimals as floats)."""
    return Decimal(value or 0).quantize(TENTH, ROUND_HALF_UP)


def _sums(row: dict) -> dict:
    """Return ``_ledger_sums``' values of ``row``, rounded, consumption positive."""
    return {
        "paid": _money(row.get("paid")),
        "hours_bought": _hours(row.get("hours_bought")),
        "hours_consumed": -_hours(row.get("hours_used")),
        "hours_remaining": _hours(row.get("hours_remaining")),
    }


def _price():
    """Return an enrollment's price: its contract's, else its course's."""
    return Coalesce(
        "contract_terms__price", "class_list__course__price", output_field=MONEY
    )


def _scope_totals(enrollments: QuerySet[Enrollment], today) -> dict:
    """Return the price and overdue amount of ``enrollments``, in one query.

    The money an enrollment holds pays its instalments in due-date order
    (``finance.selectors``), so what is overdue of it is what the
    instalments due before today add up to beyond that money:
    ``overdue_instalments`` per instalment, summed; this is its total
    without a window over every instalment of the scope.
    """
    due_before = Coalesce(
        Subquery(
            Instalment.objects.filter(enrollment=OuterRef("pk"), due_date__lt=today)
            .order_by()
            .values("enrollment")
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=MONEY,
        ),
        ZERO,
        output_field=MONEY,
    )
    held = Coalesce(
        Subquery(
            LedgerEntry.objects.filter(enrollment=OuterRef("pk"))
            .order_by()
            .values("enrollment")
            .annotate(total=Sum("amount"))
            .values("total"),
            output_field=MONEY,
        ),
        ZERO,
        output_field=MONEY,
    )
    found = (
        enrollments.annotate(due_before=due_before, held=Greatest(held, ZERO))
        .order_by()
        .aggregate(
            price=Sum(_price()),
            overdue=Sum(Greatest(F("due_before") - F("held"), ZERO)),
        )
    )
    return {"price": _money(found["price"]), "overdue": _money(found["overdue"])}


@require_GET
@rule_required
def balances(request: HttpRequest) -> HttpResponse:
    """List the open enrollments of the user's scope with their money and hours.

    A page costs the same few queries however many enrollments there are:
    the page's ids, their rows, the sums of their entries in one grouped
    query, their overdue instalments in another; the totals of the whole
    scope are two aggregates (the ledger's sums; prices and overdue amounts).
    """
    today = timezone.localdate()
    scoped = request.access.scope(
        request, Enrollment.objects.filter(state=Enrollment.State.APPROVED)
    )
    # Only a user who sees every campus chooses one.
    every_campus = request.access.restrict(request, Enrollment.objects.all()) is None
    campuses, campus = [], None
    if every_campus:
        campuses = list(Branch.objects.order_by("name"))
        raw = request.GET.get(CAMPUS_PARAM, "")
        campus = next((c for c in campuses if str(c.pk) == raw), None)
        if campus is not None:
            scoped = scoped.filter(class_list__branch=campus)
    # The page's ids first (a narrow sort), then their rows: sorting the
    # whole campus with every column selected cost more than the rest.
    ordered = scoped.order_by(
        "class_list__start_date", "class_list_id", "customer__name", "pk"
    ).values_list("pk", flat=True)
    page = Paginator(ordered, PER_PAGE).get_page(request.GET.get(PAGE_PARAM))
    ids = list(page.object_list)
    by_pk = Enrollment.objects.select_related(
        "customer", "class_list__branch", "class_list__course", "contract_terms"
    ).in_bulk(ids)
    enrollments = [by_pk[pk] for pk in ids]
    sums = {
        row["enrollment_id"]: _sums(row)
        for row in LedgerEntry.objects.filter(enrollment_id__in=ids)
        .values("enrollment_id")
        .annotate(**_ledger_sums())
        .order_by()
    }
    overdue_of = defaultdict(lambda: ZERO)
    for row in overdue_instalments(Enrollment.objects.filter(pk__in=ids), today).values(
        "enrollment_id", "outstanding"
    ):
        overdue_of[row["enrollment_id"]] += _money(row["outstanding"])
    viewable = _viewable_accounts(request, ids)
    rows = []
    for enrollment in enrollments:
        terms = getattr(enrollment, "contract_terms", None)
        price = terms.price if terms else enrollment.class_list.course.price
        sum_of = sums.get(enrollment.pk) or _sums({})
        rows.append(
            {
                "enrollment": enrollment,
                "price": price,
                "due": price - sum_of["paid"],
                **sum_of,
                "overdue": overdue_of[enrollment.pk],
                "url": reverse_id("finance:enrollment", enrollment.pk)
                if viewable is None or enrollment.pk in viewable
                else "",
            }
        )
    totals = _sums(
        LedgerEntry.objects.filter(enrollment__in=scoped).aggregate(**_ledger_sums())
    )
    totals.update(_scope_totals(scoped, today))
    totals["due"] = totals["price"] - totals["paid"]
    return render(
        request,
        "finance/balances.html",
        {
            "rows": rows,
            "totals": totals,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "campuses": campuses,
            "campus": campus,
            # Kept in the links to the other pages.
            "page_query": f"{CAMPUS_PARAM}={campus.pk}&" if campus else "",
        },
    )


@require_GET
@rule_required
def overdue(request: HttpRequest) -> HttpResponse:
    """List the overdue instalments of the user's enrollments, earliest first."""
    today = timezone.localdate()
    instalments = overdue_instalments(_enrollments(request), today)
    page = Paginator(instalments, PER_PAGE).get_page(request.GET.get(PAGE_PARAM))
    rows = list(page.object_list)
    viewable = _viewable_accounts(request, {i.enrollment_id for i in rows})
    for instalment in rows:
        instalment.outstanding = _money(instalment.outstanding)
        instalment.days_overdue = (today - instalment.due_date).days
        instalment.viewable = viewable is None or instalment.enrollment_id in viewable
    total = _money(instalments.aggregate(total=Sum("outstanding"))["total"])
    return render(
        request,
        "finance/overdue.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
        },
    )


# -- refunds


def _refund_requests(request: HttpRequest) -> QuerySet[RefundRequest]:
    return RefundRequest.objects.filter(enrollment__in=_enrollments(request))


@require_GET
@rule_required
def refunds(request: HttpRequest) -> HttpResponse:
    """List the refund requests waiting for a decision, then the decided ones."""
    requests = _refund_requests(request).select_related(
        "enrollment__customer",
        "enrollment__class_list__branch",
        "requested_by",
        "decided_by",
    )
    pending = list(
        requests.filter(state=RefundRequest.State.PENDING).order_by(
            "requested_at", "pk"
        )[:PENDING_REFUNDS_SHOWN]
    )
    decided = list(
        requests.exclude(state=RefundRequest.State.PENDING).order_by(
            "-decided_at", "-pk"
        )[:DECIDED_REFUNDS_SHOWN]
    )
    viewable = _viewable_accounts(request, {r.enrollment_id for r in pending + decided})
    for asked in pending + decided:
        asked.viewable = viewable is None or asked.enrollment_id in viewable
    return render(
        request,
        "finance/refunds.html",
        {"pending": pending, "decided": decided},
    )


@require_POST
@rule_required
def refund_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (refund and close the enrollment) or reject a refund request."""
    asked = (
        _refund_requests(request)
        .select_related("enrollment__customer")
        .filter(pk=pk)
        .first()
    )
    if asked is None:
        raise Http404
    form = RefundDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("finance:refunds")
    approve = form.cleaned_data["decision"] == RefundDecisionForm.APPROVE
    try:
        decided = services.refund_decide(
            request=asked,
            approve=approve,
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        customer = asked.enrollment.customer
        if approve:
            text = _(
                "The refund of %(amount)s yuan to %(customer)s was approved; the "
                "enrollment is closed."
            ) % {"amount": decided.amount, "customer": customer}
        else:
            text = _("The refund to %(customer)s was rejected.") % {
                "customer": customer
            }
        messages.success(request, text)
    return redirect("finance:refunds")


# -- receipts


def receipt_context(receipt: Receipt) -> dict:
    """Return what a receipt shows (the staff's page and the student's)."""
    entry = receipt.entry
    return {
        "receipt": receipt,
        "entry": entry,
        "enrollment": entry.enrollment,
        "amount": entry.amount,
        "amount_in_words": rmb_capital(entry.amount),
        "cancelled_by": getattr(entry, "reversed_by", None),
    }


RECEIPT_RELATIONS = (
    "branch",
    "entry__enrollment__customer",
    "entry__enrollment__class_list__course",
    "entry__created_by",
    "entry__reversed_by",
)


@require_GET
@rule_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a payment's receipt, ready to print."""
    found = (
        Receipt.objects.filter(entry__enrollment__in=_enrollments(request))
        .select_related(*RECEIPT_RELATIONS)
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    context = receipt_context(found)
    viewable = _viewable_accounts(request, [found.entry.enrollment_id])
    if viewable is None or viewable:
        context["back_url"] = reverse(
            "finance:enrollment", args=[found.entry.enrollment_id]
        )
    return render(request, "finance/receipt.html", context)
