from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import LoginForm
from accounts.models import Notification
from accounts.selectors import home_url
from accounts.services import notification_mark_read


class LoginView(auth_views.LoginView):
    """Django's login; ``?next=`` is honoured only for URLs of this site."""

    authentication_form = LoginForm
    redirect_authenticated_user = True


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
        ids = [int(raw)] if raw.isdigit() else []
    notification_mark_read(user=request.user, notification_ids=ids)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "notifications"
    return redirect(target)
