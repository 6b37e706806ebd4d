from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.forms import LoginForm
from accounts.selectors import home_url


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
