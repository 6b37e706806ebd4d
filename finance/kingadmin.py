"""The tuition ledger in kingadmin: read only (finance.ledger writes it)."""

import kingadmin
from finance.models import LedgerEntry


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
