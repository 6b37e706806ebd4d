"""Views of the accounts app: login, password reset, homes, notifications, rights."""

import math
from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Permission
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import LoginForm, QueuedPasswordResetForm, RolePermissionsForm
from accounts.models import Menu, Notification, Role, User
from accounts.rights import role_matrix, rule_catalogue
from accounts.rights import user_rights as user_rights_query
from accounts.selectors import home_url, url_allowed
from accounts.services import notification_mark_read, role_permissions_set
from accounts.services import role_copy as role_copy_service
from crm import ratelimit
from kingadmin.decorators import rule_required
from kingadmin.fields import parse_pk
from kingadmin.sites import site


@dataclass(frozen=True)
class AddressThrottle:
    """A limit of events per client address and window, counted in the cache.

    The address is the one django-axes locks on
    (``axes.helpers.get_client_ip_address``), so both agree on who the client
    is, behind a reverse proxy too once axes is set up for it. The limit and
    the window (in minutes) are read from settings on every use.
    """

    kind: str
    limit_setting: str
    window_setting: str

    def _key(self, request: HttpRequest) -> str:
        return f"{self.kind}:{get_client_ip_address(request) or ''}"

    def _window(self) -> int:
        return getattr(settings, self.window_setting) * 60

    def wait(self, request: HttpRequest) -> int | None:
        """Return the seconds the address must wait, or None if it may go on."""
        window = self._window()
        limit = getattr(settings, self.limit_setting)
        if ratelimit.count(self._key(request), window=window) < limit:
            return None
        return ratelimit.seconds_left(window=window)

    def record(self, request: HttpRequest) -> None:
        """Count one event of the request's address."""
        ratelimit.record(self._key(request), window=self._window())

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        """Return the 429 page while the address must wait, else None."""
        seconds = self.wait(request)
        if seconds is None:
            return None
        response = render(
            request,
            "registration/login_throttled.html",
            {"kind": self.kind, "minutes": math.ceil(seconds / 60)},
            status=429,
        )
        response["Retry-After"] = str(seconds)
        add_never_cache_headers(response)
        return response


LOGIN_FAILURES = AddressThrottle(
    kind="login",
    limit_setting="LOGIN_FAILURES_PER_ADDRESS",
    window_setting="LOGIN_FAILURE_WINDOW_MINUTES",
)
PASSWORD_RESETS = AddressThrottle(
    kind="password_reset",
    limit_setting="PASSWORD_RESET_PER_ADDRESS",
    window_setting="PASSWORD_RESET_WINDOW_MINUTES",
)


class LoginView(auth_views.LoginView):
    """Django's login; ``?next=`` is honoured only for URLs of this site.

    On top of django-axes (which locks a user name *from one address*), an
    address with too many failed logins in the window gets the 429 page for
    every attempt, whatever the user name, and no password is checked. A
    successful login does not reset the count.
    """

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        refusal = LOGIN_FAILURES.refusal(request)
        if refusal is not None:
            return refusal
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        # Before the form is bound: a throttled address gets no password checked.
        refusal = LOGIN_FAILURES.refusal(request)
        if refusal is not None:
            return refusal
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        # A non-field error means authenticate() ran and let nobody in: a wrong
        # password, an inactive account or a pair django-axes has locked. An
        # incomplete form checked no password and is not counted.
        if form.has_error(NON_FIELD_ERRORS):
            LOGIN_FAILURES.record(self.request)
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with a per-address limit of requests (mails).

    The mail is a job (``QueuedPasswordResetForm``).
    """

    form_class = QueuedPasswordResetForm

    def get(self, request, *args, **kwargs):
        refusal = PASSWORD_RESETS.refusal(request)
        if refusal is not None:
            return refusal
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        refusal = PASSWORD_RESETS.refusal(request)
        if refusal is not None:
            return refusal
        PASSWORD_RESETS.record(request)
        return super().post(request, *args, **kwargs)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send the user to the home page of their role."""
    url = home_url(user=request.user)
    if url:
        return redirect(url)
    roles = list(request.user.roles.order_by("name"))
    if not roles:
        return render(request, "accounts/no_role.html")
    # Roles, but none opens a page: say so rather than "no role".
    return render(request, "accounts/no_home.html", {"roles": roles})


# Notifications are every user's own: the row scope (recipient = the logged-in
# user) is the whole rule, so these views need a login and no permission.


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """List the logged-in user's notifications, newest first."""
    paginator = Paginator(
        Notification.objects.filter(recipient=request.user).order_by(
            "-created_at", "-pk"
        ),
        30,
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/notification_list.html",
        {"page": page, "page_range": paginator.get_elided_page_range(page.number)},
    )


@require_POST
@login_required
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one (``id``) or all of the user's notifications read, then go on."""
    raw = request.POST.get("id")
    ids = None
    if raw is not None:
        pk = parse_pk(Notification, raw)
        ids = [] if pk is None else [pk]
    notification_mark_read(user=request.user, notification_ids=ids)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("notifications")
    # Not redirect(): it would look a relative "next" such as "0" up as a URL name.
    return HttpResponseRedirect(target)


# Roles and rights. Each view is guarded by its rule (accounts/permissions.py).


def _in_scope(request: HttpRequest, queryset: QuerySet, pk: int) -> Model:
    """Return the row if the deciding rules allow it: 403 if not, 404 if gone."""
    found = request.access.scope(request, queryset).filter(pk=pk).first()
    if found is None:
        if queryset.filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return found


def _posted_ids(request: HttpRequest, model, name: str) -> set:
    """Return the ids posted as ``name`` that could name a row (to show them again)."""
    ids = (parse_pk(model, raw) for raw in request.POST.getlist(name))
    return {pk for pk in ids if pk is not None}


def _form_errors(form) -> str:
    return " ".join(
        f"{form.fields[name].label}: {' '.join(errors)}"
        if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    )


def _link_if_allowed(user, url: str) -> str | None:
    return url if url_allowed(user, url) else None


@require_http_methods(["GET", "POST"])
@rule_required
def role_permissions(request: HttpRequest, pk: int) -> HttpResponse:
    """Show and save a role's permissions, menus and home page on one page."""
    role = _in_scope(request, Role.objects.all(), pk)
    catalogue = rule_catalogue()
    stored = set(role.permissions.values_list("pk", flat=True))
    status = 200
    if request.method == "POST":
        form = RolePermissionsForm(request.POST, role=role, permission_ids=catalogue)
        if form.is_valid():
            try:
                role_permissions_set(
                    role=role,
                    permissions=form.permissions_to_store(),
                    menus=form.cleaned_data["menus"],
                    home=form.cleaned_data["home"],
                    by=request.user,
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("The permissions, menus and home page of “%(role)s” were saved.")
                    % {"role": role},
                )
                return redirect("role_permissions", pk=role.pk)
        else:
            messages.error(
                request,
                _("Nothing was saved: %(errors)s") % {"errors": _form_errors(form)},
            )
        status = 400 if form.errors else 200
        permission_ids = _posted_ids(request, Permission, "permissions") & set(
            catalogue
        )
        menu_ids = _posted_ids(request, Menu, "menus")
        home_id = parse_pk(Menu, request.POST.get("home", ""))
    else:
        permission_ids = stored & set(catalogue)
        menu_ids = set(role.menus.values_list("pk", flat=True))
        home_id = role.home_id
    matrix = role_matrix(
        role=role,
        catalogue=catalogue,
        permission_ids=permission_ids,
        menu_ids=menu_ids,
        home_id=home_id,
        kept_count=len(stored - set(catalogue)),
    )
    members = list(role.users.order_by("username"))
    return render(
        request,
        "accounts/role_permissions.html",
        {
            "matrix": matrix,
            "role": role,
            "members": members,
            "change_url": _link_if_allowed(
                request.user, site.get_model_admin(Role).url("change", role.pk)
            ),
            "roles_url": _link_if_allowed(
                request.user, site.get_model_admin(Role).url("changelist")
            ),
            "rights_allowed": bool(members)
            and url_allowed(request.user, reverse("user_rights", args=[members[0].pk])),
        },
        status=status,
    )


@require_POST
@rule_required
def role_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a role (permissions, menus, home) and open the copy's permission page."""
    role = _in_scope(request, Role.objects.all(), pk)
    try:
        copy = role_copy_service(role=role, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("role_permissions", pk=role.pk)
    messages.success(
        request,
        _("“%(copy)s” was created as a copy of “%(role)s”.")
        % {"copy": copy, "role": role},
    )
    return redirect("role_permissions", pk=copy.pk)


@require_GET
@rule_required
def user_rights(request: HttpRequest, pk: int) -> HttpResponse:
    """Show what one account may do: roles, rules, menus and home page."""
    account = _in_scope(request, User.objects.all(), pk)
    rights = user_rights_query(user=account)
    matrix_allowed = bool(rights.roles) and url_allowed(
        request.user, reverse("role_permissions", args=[rights.roles[0].pk])
    )
    return render(
        request,
        "accounts/user_rights.html",
        {
            "rights": rights,
            "account": account,
            "matrix_allowed": matrix_allowed,
            "change_url": _link_if_allowed(
                request.user, site.get_model_admin(User).url("change", account.pk)
            ),
        },
    )
