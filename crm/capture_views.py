"""The public lead form pages: ``/f/<token>/`` and its thank-you page.

No login, like the enrollment form (crm.views.enroll): the form's random
token is the key, and an inactive or unknown form is a 404. These pages,
and only these, may be framed by other sites (an ad's landing page embeds
them in an ``<iframe>``): no ``X-Frame-Options``, and the CSP's
``frame-ancestors`` is ``CRM_LEAD_FORM_FRAME_ANCESTORS``.

Cross-site request forgery: inside another site's frame the browser keeps
the CSRF cookie back (it is ``SameSite=Lax``, and third-party cookies are
blocked more and more), so Django's cookie check would refuse every
embedded visitor. The post is checked without a cookie instead: its
``Origin`` must be this site (a page of another site cannot pass), and it
must carry the signed, dated ticket its page was given (``ticket_for``).

Posts are counted per client address (crm.ratelimit); past the limit the
visitor is asked to slow down (429) and nothing is stored. A post whose
hidden honeypot field is filled in gets the thank-you page and stores
nothing. A new lead and a known one get the same thank-you page.
"""

from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from accounts.client_ip import client_ip
from crm.capture import UTM_FIELDS, lead_form_submit, referrer_clean, utm_from
from crm.capture_forms import HONEYPOT, LeadCaptureForm, ticket_for, ticket_valid
from crm.models import LeadForm
from crm.ratelimit import too_many

TOKEN_MAX = 32


def embeddable(view):
    """Let other sites frame the pages ``view`` returns (this view only)."""

    @xframe_options_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        ancestors = list(settings.CRM_LEAD_FORM_FRAME_ANCESTORS)
        # None drops the directive: any site may frame the page.
        response._csp_replace = {"frame-ancestors": ancestors or None}
        return response

    return wrapped


def _lead_form(token: str) -> LeadForm:
    """Return the active lead form of ``token``; 404 for any other."""
    if not token or len(token) > TOKEN_MAX:
        raise Http404
    form = (
        LeadForm.objects.select_related("owner")
        .filter(token=token, is_active=True)
        .first()
    )
    if form is None:
        raise Http404
    return form


def _same_origin(request: HttpRequest) -> bool:
    """Return False if the browser says the post came from another site's page.

    Browsers send ``Origin`` with every form post; a client that sends none
    is not a browser on a forging page, and still needs a ticket.
    """
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return True
    scheme = "https" if request.is_secure() else "http"
    return (
        origin == f"{scheme}://{request.get_host()}"
        or origin in settings.CSRF_TRUSTED_ORIGINS
    )


def _page(request, lead_form, form, *, utm, ref, status=200):
    response = render(
        request,
        "crm/capture/form.html",
        {
            "lead_form": lead_form,
            "form": form,
            "utm": [(name, utm.get(name, "")) for name in UTM_FIELDS],
            "ref": ref,
            "ticket": ticket_for(lead_form),
            "honeypot": HONEYPOT,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _message(request, *, title: str, text: str, status: int) -> HttpResponse:
    return render(
        request,
        "crm/capture/message.html",
        {"title": title, "text": text},
        status=status,
    )


@csrf_exempt  # checked without a cookie: see the module docstring
@embeddable
@require_http_methods(["GET", "POST"])
def lead_form(request: HttpRequest, token: str) -> HttpResponse:
    """Show a campaign's lead form (GET) or take a visitor's submission (POST)."""
    lead_form = _lead_form(token)
    if request.method == "GET":
        return _page(
            request,
            lead_form,
            LeadCaptureForm(lead_form=lead_form),
            utm=utm_from(request.GET),
            ref=referrer_clean(request.META.get("HTTP_REFERER", "")),
        )
    limit = settings.CRM_LEAD_FORM_RATE_LIMIT
    window = settings.CRM_LEAD_FORM_RATE_WINDOW
    if too_many(f"lead-form-ip:{client_ip(request)}", limit=limit, window=window):
        return _message(
            request,
            title=_("Please slow down"),
            text=_(
                "Too many forms were sent from your address. Please wait a few "
                "minutes and try again."
            ),
            status=429,
        )
    if not _same_origin(request):
        return _message(
            request,
            title=_("Form refused"),
            text=_("This form can only be sent from its own page."),
            status=403,
        )
    if request.POST.get(HONEYPOT):
        # A bot filled in the field people never see: it learns nothing.
        return redirect("lead_form_thanks", token=lead_form.token)
    utm = utm_from(request.POST)
    ref = referrer_clean(request.POST.get("ref", ""))
    form = LeadCaptureForm(request.POST, lead_form=lead_form)
    if not ticket_valid(lead_form, request.POST.get("ticket")):
        form.is_valid()  # show what was typed, with its errors
        form.add_error(
            None, _("This page was open too long. Please send the form again.")
        )
        return _page(request, lead_form, form, utm=utm, ref=ref, status=400)
    if form.is_valid():
        try:
            lead_form_submit(
                form=lead_form, data=form.cleaned_data, utm=utm, referrer=ref
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("lead_form_thanks", token=lead_form.token)
    return _page(request, lead_form, form, utm=utm, ref=ref)


@embeddable
@require_GET
def lead_form_thanks(request: HttpRequest, token: str) -> HttpResponse:
    """Thank the visitor: the same page whoever they are."""
    return render(request, "crm/capture/thanks.html", {"lead_form": _lead_form(token)})
