"""Filtering and search by the same parameters as the kingadmin list of the model.

``?source=baidu&status=not_enrolled&q=138`` does on ``/api/v1/customers/``
what it does on the customer list page: the list filters of the model's
kingadmin admin (``list_filter``) and its search (``q``, index-backed for
customers: crm.search). Unknown parameters are ignored, as on the page.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.filters import BaseFilterBackend

import kingadmin
from kingadmin.changelist import MAX_SEARCH_LENGTH, SEARCH_VAR
from kingadmin.filters import build_filters, resolve_field_path


def _admin_of(view):
    return kingadmin.site.get_model_admin(view.model)


class AdminListFilter(BaseFilterBackend):
    """Apply the list filters and the search of the model's kingadmin admin."""

    def filter_queryset(self, request, queryset, view):
        admin = _admin_of(view)
        for spec in build_filters(request, admin, asked_only=True):
            queryset = spec.queryset(request, queryset)
        term = request.query_params.get(SEARCH_VAR, "")
        term = term.replace("\x00", "")[:MAX_SEARCH_LENGTH]
        if term and admin.get_search_fields(request):
            queryset, duplicates = admin.get_search_results(request, queryset, term)
            if duplicates:
                queryset = queryset.filter(pk__in=queryset.values("pk"))
        return queryset

    def get_schema_operation_parameters(self, view):
        admin = _admin_of(view)
        names = []
        for entry in admin.list_filter:
            if isinstance(entry, tuple | list):
                entry = entry[0]
            if not isinstance(entry, str):
                names.append((entry.parameter_name, None))
                continue
            field = resolve_field_path(admin.model, entry)[-1]
            names.append((entry, None))
            if isinstance(field, models.DateField):
                names += [(f"{entry}__since", "date"), (f"{entry}__until", "date")]
        parameters = [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": str(
                    _("Filter as the list page's “%(name)s” filter does.")
                    % {"name": name}
                ),
                "schema": {"type": "string", **({"format": fmt} if fmt else {})},
            }
            for name, fmt in names
        ]
        if admin.search_fields:
            parameters.append(
                {
                    "name": SEARCH_VAR,
                    "required": False,
                    "in": "query",
                    "description": str(_("Search as the list page does.")),
                    "schema": {"type": "string", "maxLength": MAX_SEARCH_LENGTH},
                }
            )
        return parameters
