"""Views of the accounts app: logging in, password reset, homes, notifications."""

import math
from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import LoginForm
from accounts.models import Notification
from accounts.selectors import home_url
from accounts.services import notification_mark_read
from crm import ratelimit
from kingadmin.fields import parse_pk


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
    """Django's password reset, with a per-address limit of requests (mails)."""

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
    return render(request, "accounts/no_role.html")


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
