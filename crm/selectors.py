"""Reads of customers that span relations."""

from django.db.models import Q, QuerySet

from accounts.models import User
from crm.models import Customer
from crm.normalize import normalize_phone, normalize_qq


def customer_search_q(term: str) -> Q:
    """Return a filter matching ``term`` against name, nickname, QQ and phone.

    A term that normalises to a QQ or phone number is also matched exactly in
    canonical form, so "138-1234-5678" finds 13812345678. NUL characters,
    which PostgreSQL refuses in text, are dropped.
    """
    term = term.replace("\x00", "").strip()
    condition = Q(name__icontains=term) | Q(qq_name__icontains=term)
    for normalize, field in ((normalize_qq, "qq"), (normalize_phone, "phone")):
        try:
            canonical = normalize(term)
        except Exception:  # noqa: BLE001 - not a number, then only text matches
            canonical = None
        if canonical:
            condition |= Q(**{f"{field}__startswith": canonical})
    return condition


def customer_list_owned(*, user: User, search: str = "") -> QuerySet[Customer]:
    """Return the customers ``user`` owns, newest first, ready for a list page."""
    customers = Customer.objects.filter(consultant=user)
    if search.replace("\x00", "").strip():
        customers = customers.filter(customer_search_q(search))
    return customers.select_related("consult_course").order_by("-created_at", "-pk")
