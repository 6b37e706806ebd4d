"""The customer page's merge panel: merges to undo, a form to find a duplicate."""

from django import template

from crm.models import CustomerMerge
from kingadmin.permissions import registry

register = template.Library()


@register.inclusion_tag("crm/merge/_panel.html", takes_context=True)
def merge_panel(context, customer) -> dict:
    """Return the panel's context: shown only to users who may merge."""
    request = context["request"]
    may_merge = registry.decide(
        request.user, url_name="crm:customer_merge_find"
    ).allowed
    merges = []
    if may_merge:
        merges = CustomerMerge.objects.filter(
            survivor=customer, undone_at__isnull=True
        ).select_related("merged_by")
    return {
        "may_merge": may_merge,
        "customer": customer,
        "merges": merges,
        "csrf_token": context.get("csrf_token"),
    }
