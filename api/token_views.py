"""The API tokens page: one's own (or everyone's, for managers), new and revoked."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import TokenForm, token_users
from api.models import ApiToken
from api.tokens import api_token_create, api_token_revoke
from kingadmin.decorators import rule_required
from kingadmin.fields import parse_pk

NEW_TOKEN_KEY = "api_new_token"  # noqa: S105 (a session key, not a secret)
MANAGE = "api.manage_api_tokens"


def _manages(request) -> bool:
    return request.user.is_superuser or request.user.has_perm(MANAGE)


@rule_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List the tokens the user may see; create one (shown once)."""
    users = token_users() if _manages(request) else None
    data = request.POST if request.method == "POST" else None
    form = TokenForm(data, users=users, initial={"user": request.user})
    if request.method == "POST" and form.is_valid():
        owner = form.cleaned_data.get("user") or request.user
        try:
            token, text = api_token_create(
                user=owner,
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "The token “%(name)s” was created. Copy it now: it is not shown "
                    "again."
                )
                % {"name": token.name},
            )
            # Shown once, on the page this redirects to: reloading shows it no more.
            request.session[NEW_TOKEN_KEY] = text
            return redirect("api:tokens")
    rows = request.access.scope(
        request, ApiToken.objects.select_related("user", "created_by")
    )[:200]
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": rows,
            "new_token": request.session.pop(NEW_TOKEN_KEY, ""),
            "manages": users is not None,
        },
        status=400 if form.errors else 200,
    )


@rule_required
@require_POST
def token_revoke(request: HttpRequest, pk: str) -> HttpResponse:
    """Revoke a token the user may see; any other id is not found."""
    token_pk = parse_pk(ApiToken, pk)
    token = (
        request.access.scope(request, ApiToken.objects.all())
        .filter(pk=token_pk)
        .first()
        if token_pk
        else None
    )
    if token is None:
        raise Http404
    api_token_revoke(token=token)
    messages.success(
        request, _("The token “%(name)s” was revoked.") % {"name": token.name}
    )
    return redirect("api:tokens")
