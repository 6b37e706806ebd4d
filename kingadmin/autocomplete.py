"""The autocomplete endpoint: the choices of one relation of an add/change form.

``GET /kingadmin/<app>/<model>/autocomplete/?field=<name>&term=<text>`` answers
``{"results": [{"id": "7", "text": "Alex"}], "more": false}``: at most
``RESULTS_LIMIT`` rows, and whether more match (type more to narrow them).

Decided as Django's ``AutocompleteJsonView`` does, on the model whose form
has the field (``<app>/<model>``), not on the related model:

1. the permission rules: the route is in the default add and change rules
   of every model, so whoever may add or change it may ask;
2. the field must be one of that admin's ``autocomplete_fields`` and a
   relation (else 404), editable by this user (a read-only field: 403), and
   the related model's admin must have ``search_fields`` (404; the system
   checks report it, kingadmin.E013);
3. the rows are the form field's own choices (``choices_queryset``: the
   admin's ``get_field_queryset`` narrowed to what the user may view), with
   the field's ``limit_choices_to``, searched by the related admin's
   ``get_search_results``. So it never names a row the form would refuse.
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, JsonResponse

from kingadmin.changelist import MAX_SEARCH_LENGTH

FIELD_VAR = "field"
TERM_VAR = "term"
RESULTS_LIMIT = 20


def clean_term(raw: str) -> str:
    """Return a typed search term as the search may use it."""
    return raw.replace("\x00", "").strip()[:MAX_SEARCH_LENGTH]


class AutocompleteJsonView:
    """Answer the autocomplete widget's requests for one model admin."""

    limit = RESULTS_LIMIT

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def __call__(self, request: HttpRequest) -> JsonResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        db_field, related_admin = self.process_request(request)
        if not self.has_perm(request, db_field):
            raise PermissionDenied
        term = clean_term(request.GET.get(TERM_VAR, ""))
        rows = list(
            self.get_queryset(request, db_field, related_admin, term)[: self.limit + 1]
        )
        to_field = self.to_field_name(db_field)
        return JsonResponse(
            {
                "results": [
                    self.serialize_result(obj, to_field) for obj in rows[: self.limit]
                ],
                "more": len(rows) > self.limit,
            }
        )

    def process_request(self, request: HttpRequest):
        """Return ``(relation field, related model's admin)`` or raise Http404."""
        admin = self.model_admin
        name = request.GET.get(FIELD_VAR, "")
        if name not in admin.get_autocomplete_fields(request):
            raise Http404
        try:
            db_field = admin.opts.get_field(name)
        except FieldDoesNotExist:
            raise Http404 from None
        relation = db_field.many_to_one or db_field.one_to_one or db_field.many_to_many
        if not (db_field.concrete and relation):
            raise Http404
        from kingadmin.sites import NotRegistered

        try:
            related_admin = admin.admin_site.get_model_admin(db_field.related_model)
        except NotRegistered:
            raise Http404 from None
        if not related_admin.get_search_fields(request):
            raise Http404
        return db_field, related_admin

    def has_perm(self, request: HttpRequest, db_field) -> bool:
        """Return True unless the field is read-only for this user.

        The rules allowed the request already (add or change the model); a
        field the user cannot choose (``current_user_fields`` they may not
        pick, ``readonly_fields``) has no choices to look up.
        """
        return db_field.name not in self.model_admin.get_readonly_fields(request)

    def get_queryset(self, request, db_field, related_admin, term: str):
        """Return the form field's choices that match ``term``, ordered."""
        base = self.model_admin.choices_queryset(db_field, request)
        limit = db_field.get_limit_choices_to()
        if limit:
            base = base.complex_filter(limit)
        queryset, duplicates = related_admin.get_search_results(request, base, term)
        if duplicates:
            queryset = base.filter(pk__in=queryset.values("pk"))
        return queryset if queryset.ordered else queryset.order_by("pk")

    def to_field_name(self, db_field) -> str:
        """Return the field whose value identifies a choice (the relation's target)."""
        remote = db_field.related_model._meta
        name = getattr(db_field.remote_field, "field_name", None) or remote.pk.name
        return remote.get_field(name).attname

    def serialize_result(self, obj, to_field_name: str) -> dict:
        """Return one result as the widget reads it: its value and its label."""
        return {"id": str(getattr(obj, to_field_name)), "text": str(obj)}
