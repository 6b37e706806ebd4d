"""The tuition ledger in kingadmin: read only (finance.ledger writes it)."""

import kingadmin
from finance.models import ContractTerms, LedgerEntry, RefundPolicy


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
