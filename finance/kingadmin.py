"""The tuition ledger in kingadmin: read only (finance.ledger writes it)."""

import kingadmin
from finance.models import (
    ContractTerms,
    Instalment,
    LedgerEntry,
    Receipt,
    RefundPolicy,
    RefundRequest,
    Suspension,
    Transfer,
)


@kingadmin.register(LedgerEntry)
class LedgerEntryAdmin(kingadmin.ReadOnlyModelAdmin):
    list_display = (
        "enrollment",
        "sequence",
        "kind",
        "amount",
        "hours",
        "reason",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "created_at")
    search_fields = ("enrollment__customer__name", "reason")
    list_select_related = (
        "enrollment__customer",
        "enrollment__class_list",
        "created_by",
    )
    ordering = ("-created_at",)


@kingadmin.register(RefundPolicy)
class RefundPolicyAdmin(kingadmin.ModelAdmin):
    list_display = (
        "name",
        "full_refund_before_start",
        "fee",
        "no_refund_after_percent",
        "absence_consumes",
        "is_default",
    )
    search_fields = ("name",)


@kingadmin.register(ContractTerms)
class ContractTermsAdmin(kingadmin.ReadOnlyModelAdmin):
    """Signed terms: frozen (the database refuses changes)."""

    list_display = ("enrollment", "price", "hours", "valid_until", "created_at")
    list_filter = ("created_at",)
    search_fields = ("enrollment__customer__name",)
    list_select_related = ("enrollment__customer", "enrollment__class_list")
    ordering = ("-created_at",)


@kingadmin.register(Instalment)
class InstalmentAdmin(kingadmin.ReadOnlyModelAdmin):
    """Payment plans are set on the enrollment's account page (finance.views)."""

    list_display = ("enrollment", "number", "due_date", "amount", "reminded_at")
    list_filter = ("due_date",)
    search_fields = ("enrollment__customer__name",)
    list_select_related = ("enrollment__customer", "enrollment__class_list")
    ordering = ("due_date",)


@kingadmin.register(Receipt)
class ReceiptAdmin(kingadmin.ReadOnlyModelAdmin):
    """Receipts are issued with their payment and never changed."""

    list_display = ("code", "branch", "payer", "method", "issued_at")
    list_filter = ("branch", "method", "issued_at")
    search_fields = ("payer",)
    list_select_related = ("branch",)
    ordering = ("-issued_at",)


@kingadmin.register(RefundRequest)
class RefundRequestAdmin(kingadmin.ReadOnlyModelAdmin):
    """Decided on the refunds page (finance.views.refunds), listed here."""

    list_display = (
        "enrollment",
        "amount",
        "state",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("state", "requested_at")
    search_fields = ("enrollment__customer__name", "reason")
    list_select_related = (
        "enrollment__customer",
        "enrollment__class_list",
        "requested_by",
        "decided_by",
    )
    ordering = ("-requested_at",)


@kingadmin.register(Transfer)
class TransferAdmin(kingadmin.ReadOnlyModelAdmin):
    list_display = ("source", "target", "value", "difference", "created_at")
    list_filter = ("created_at",)
    search_fields = ("source__customer__name",)
    list_select_related = (
        "source__customer",
        "source__class_list",
        "target__customer",
        "target__class_list",
    )
    ordering = ("-created_at",)


@kingadmin.register(Suspension)
class SuspensionAdmin(kingadmin.ReadOnlyModelAdmin):
    list_display = ("enrollment", "starts_on", "ends_on", "reason", "created_by")
    list_filter = ("starts_on",)
    search_fields = ("enrollment__customer__name",)
    list_select_related = (
        "enrollment__customer",
        "enrollment__class_list",
        "created_by",
    )
    ordering = ("-starts_on",)
