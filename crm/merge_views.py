"""Pages of duplicate customers: the list, the side-by-side merge, the undo."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.merge import (
    MERGE_FIELDS,
    customer_merge,
    customer_merge_undo,
    customer_relations,
    duplicate_candidates,
    merge_conflicts,
)
from crm.models import Customer, CustomerMerge, Payment
from crm.normalize import normalize_phone, normalize_qq
from kingadmin.decorators import rule_required
from kingadmin.fields import parse_pk
from kingadmin.formatting import text_for_field

SURVIVOR, MERGED = "survivor", "merged"
OTHER_PARAM = "other"


def merge_url(survivor_pk: int, merged_pk: int) -> str:
    """Return the side-by-side page of merging ``merged_pk`` into ``survivor_pk``."""
    query = urlencode({SURVIVOR: survivor_pk, MERGED: merged_pk})
    return f"{reverse('crm:customer_merge')}?{query}"


def _in_scope(request: HttpRequest, value) -> Customer:
    """Return the customer if the deciding rules show it: 403 if not, 404 if none."""
    pk = parse_pk(Customer, value)
    if pk is None:
        raise Http404
    customer = (
        request.access.scope(request, Customer.objects.all())
        .select_related("consultant", "consult_course", "user")
        .filter(pk=pk)
        .first()
    )
    if customer is None:
        if Customer.objects.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return customer


class MergeForm(forms.Form):
    """One choice per field the two customers differ in: whose value to keep."""

    def __init__(self, *args, survivor: Customer, merged: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for name in MERGE_FIELDS:
            field = Customer._meta.get_field(name)
            kept = field.value_from_object(survivor)
            other = field.value_from_object(merged)
            row = {
                "name": name,
                "label": field.verbose_name,
                "survivor": text_for_field(survivor, field),
                "merged": text_for_field(merged, field),
                "choice": None,
            }
            if kept != other:
                default = SURVIVOR if kept not in (None, "") else MERGED
                self.fields[f"take_{name}"] = forms.ChoiceField(
                    label=field.verbose_name,
                    choices=[(SURVIVOR, row["survivor"]), (MERGED, row["merged"])],
                    initial=default,
                    widget=forms.RadioSelect,
                )
                row["choice"] = f"take_{name}"
            self.rows.append(row)

    def bound_rows(self) -> list[dict]:
        """Return the rows with their bound field (None where both agree)."""
        return [
            {**row, "field": self[row["choice"]] if row["choice"] else None}
            for row in self.rows
        ]

    def fields_taken(self) -> list[str]:
        """Return the fields whose merged customer's value was chosen."""
        return [
            name
            for name in MERGE_FIELDS
            if self.cleaned_data.get(f"take_{name}") == MERGED
        ]


def _moving(merged: Customer) -> list[tuple[str, int]]:
    """Return what moves to the survivor: (what, how many), one query each."""
    counts = []
    for relation in customer_relations():
        count = (
            relation.model._default_manager.filter(**{relation.name: merged.pk})
            .order_by()
            .count()
        )
        if count:
            counts.append((relation.model._meta.verbose_name_plural, count))
    payments = Payment.objects.filter(enrollment__customer=merged).order_by().count()
    if payments:
        counts.append((Payment._meta.verbose_name_plural, payments))
    tags = merged.tags.count()
    if tags:
        counts.append((Customer._meta.get_field("tags").verbose_name, tags))
    return counts


@require_GET
@rule_required
def customer_duplicates(request: HttpRequest) -> HttpResponse:
    """List pairs of customers who look like one person, each with a merge link."""
    scoped = request.access.scope(request, Customer.objects.all())
    pairs = duplicate_candidates(scoped)
    return render(
        request,
        "crm/merge/duplicates.html",
        {
            "pairs": [
                {"pair": pair, "url": merge_url(pair.first.pk, pair.second.pk)}
                for pair in pairs
            ],
        },
    )


@require_http_methods(["GET", "POST"])
@rule_required
def customer_merge_view(request: HttpRequest) -> HttpResponse:
    """Show two customers side by side; POST merges the second into the first."""
    survivor = _in_scope(request, request.GET.get(SURVIVOR))
    merged = _in_scope(request, request.GET.get(MERGED))
    if survivor.pk == merged.pk:
        messages.error(request, _("Choose two different customers to merge."))
        return redirect("crm:customer_detail", pk=survivor.pk)
    data = request.POST if request.method == "POST" else None
    form = MergeForm(data, survivor=survivor, merged=merged)
    if form.is_valid():
        try:
            customer_merge(
                survivor=survivor,
                merged=merged,
                fields_taken=form.fields_taken(),
                by=request.user,
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _(
                    "“%(merged)s” was merged into “%(survivor)s”. Undo it below if "
                    "it was a mistake."
                )
                % {"merged": merged, "survivor": survivor},
            )
            return redirect("crm:customer_detail", pk=survivor.pk)
    return render(
        request,
        "crm/merge/merge.html",
        {
            "survivor": survivor,
            "merged": merged,
            "form": form,
            "rows": form.bound_rows(),
            "conflicts": merge_conflicts(survivor, merged),
            "moving": _moving(merged),
            "swap_url": merge_url(merged.pk, survivor.pk),
        },
        status=200,
    )


def _find(request: HttpRequest, customer: Customer, term: str) -> Customer | None:
    """Return the other customer ``term`` names: phone, QQ or number (#12)."""
    term = term.replace("\x00", "").strip()[:64]
    if not term:
        return None
    scoped = request.access.scope(request, Customer.objects.all()).exclude(
        pk=customer.pk
    )
    numbers = Q(pk__in=[])
    for normalize, fields in (
        (normalize_phone, ("phone", "qq")),
        (normalize_qq, ("qq", "phone")),
    ):
        try:
            value = normalize(term)
        except ValidationError:
            continue
        for name in fields:
            numbers |= Q(**{name: value})
    found = scoped.filter(numbers).order_by("pk").first()
    if found is None and term.lstrip("#").isdigit():
        pk = parse_pk(Customer, term.lstrip("#"))
        if pk is not None:
            found = scoped.filter(pk=pk).first()
    return found


@require_GET
@rule_required
def customer_merge_find(request: HttpRequest, pk: int) -> HttpResponse:
    """Find the customer to merge into this one by phone, QQ or number."""
    customer = _in_scope(request, pk)
    other = _find(request, customer, request.GET.get(OTHER_PARAM, ""))
    if other is None:
        messages.error(
            request,
            _("No other customer you may see has this phone, QQ or number."),
        )
        return redirect("crm:customer_detail", pk=customer.pk)
    return redirect(merge_url(customer.pk, other.pk))


@require_POST
@rule_required
def customer_merge_undo_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a merge into a customer one may see."""
    merge_pk = parse_pk(CustomerMerge, pk)
    merge = CustomerMerge.objects.filter(pk=merge_pk).first()
    if merge is None:
        raise Http404
    survivor = _in_scope(request, merge.survivor_id)
    try:
        restored = customer_merge_undo(merge=merge, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The merge was undone: “%(merged)s” is a customer of its own again.")
            % {"merged": restored},
        )
    return redirect("crm:customer_detail", pk=survivor.pk)
