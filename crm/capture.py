"""Public lead forms (issue 17): a campaign's visitor becomes a lead, or comes again.

``lead_form_submit`` takes what a visitor typed into a ``LeadForm``
(``/f/<token>/``, crm.capture_views) and records a ``LeadSubmission``:

- **new**: a lead is created with the form's source, campus and course; its
  owner is chosen by the assignment rules (``crm.assignment.lead_owner``,
  the form's owner when no rule applies) and told;
- **again**: the phone or QQ belongs to a customer already (however it was
  typed, and even typed into the other field: a mobile number in the QQ
  box); nothing about that customer changes except a follow-up saying the
  person came again through this campaign, with what they wrote, and their
  owner is told. The visitor sees the same page either way: a form never
  reveals whether someone is a customer.

Follow-ups and notifications are stored in the school's language
(``LANGUAGE_CODE``), not the visitor's.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from accounts.services import notification_send
from crm.models import Customer, CustomerFollowUp, LeadForm, LeadSubmission
from crm.normalize import normalize_phone, normalize_qq
from crm.services import DuplicateCustomer, customer_save

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
UTM_MAX = 128
REFERRER_MAX = 500
# Always asked (one of them is required); the form's ``fields`` add the others.
IDENTIFIERS = (LeadForm.Field.PHONE, LeadForm.Field.QQ)


def lead_form_save(*, lead_form: LeadForm, by) -> LeadForm:
    """Create or change a lead form; ``by`` is its creator when it is new.

    ``fields`` keeps the known optional fields, in their order (phone and
    QQ are always asked, so they are not stored).
    """
    if lead_form.pk is None:
        lead_form.created_by = by
    chosen = set(lead_form.fields or ())
    lead_form.fields = [
        value
        for value in LeadForm.Field.values
        if value in chosen and value not in IDENTIFIERS
    ]
    lead_form.full_clean()
    lead_form.save()
    return lead_form


def embed_snippet(url: str, *, title: str) -> str:
    """Return the ``<iframe>`` HTML another site pastes to show the form at ``url``.

    Plain text (it is shown to be copied, so the page escapes it again).
    """
    return (
        f'<iframe src="{escape(url)}" title="{escape(title)}" width="100%" '
        'height="640" loading="lazy"></iframe>'
    )


def _clean_text(value, limit: int) -> str:
    """Return ``value`` as one stripped line of at most ``limit`` characters."""
    if not isinstance(value, str):
        return ""
    text = "".join(ch for ch in value if ch.isprintable())
    return text.strip()[:limit]


def utm_from(params: Mapping) -> dict[str, str]:
    """Return the five UTM tags of ``params`` (query string or post), truncated."""
    return {name: _clean_text(params.get(name, ""), UTM_MAX) for name in UTM_FIELDS}


def referrer_clean(value) -> str:
    """Return a referring page worth keeping (an http(s) URL), truncated."""
    text = _clean_text(value, REFERRER_MAX)
    return text if text.startswith(("http://", "https://")) else ""


def lead_identifiers(*, phone: str | None, qq: str | None) -> tuple[str | None, str]:
    """Return the normalised (phone, QQ) of what was typed; raise ValidationError.

    A mobile number typed into the QQ box (with the phone box empty) is the
    phone; a QQ number typed into the phone box (with the QQ box empty) is
    the QQ. Errors are keyed by the box they came from.
    """
    phone = (phone or "").strip() or None
    qq = (qq or "").strip() or None
    if qq and not phone:
        try:
            as_phone = normalize_phone(qq)
        except ValidationError:
            as_phone = None
        # A landline starts with 0, which no QQ number does: only a mobile
        # number can be mistaken for a QQ number.
        if as_phone and as_phone.startswith("1"):
            return as_phone, None
    if phone and not qq:
        try:
            normalize_phone(phone)
        except ValidationError:
            try:
                return None, normalize_qq(phone)
            except ValidationError:
                pass
    errors = {}
    try:
        phone = normalize_phone(phone)
    except ValidationError as error:
        errors["phone"] = error.messages
    try:
        qq = normalize_qq(qq)
    except ValidationError as error:
        errors["qq"] = error.messages
    if errors:
        raise ValidationError(errors)
    if not phone and not qq:
        raise ValidationError(
            {"phone": [_("Enter a phone number or a QQ number.")]}, code="required"
        )
    return phone, qq


def customer_find_by_numbers(numbers: set[str]) -> Customer | None:
    """Return the customer who has one of ``numbers`` as phone or as QQ.

    Either field: a visitor who once gave their mobile number as QQ (or the
    sales typed it there) is found by it as a phone, and the other way round.
    """
    if not numbers:
        return None
    return (
        Customer.objects.filter(Q(phone__in=numbers) | Q(qq__in=numbers))
        .select_related("consultant")
        .order_by("pk")
        .first()
    )


@transaction.atomic
def lead_form_submit(
    *,
    form: LeadForm,
    data: Mapping[str, str],
    utm: Mapping[str, str],
    referrer: str,
) -> LeadSubmission:
    """Record a visitor's submission of ``form``: a new lead, or one come again.

    ``data`` holds what the visitor typed (name, phone, qq, email, notes);
    ``utm`` the ad's UTM tags; ``referrer`` the page the visitor came from.
    Raise ValidationError (keyed by field) when the phone or QQ is unusable;
    then nothing is stored.
    """
    phone, qq = lead_identifiers(phone=data.get("phone"), qq=data.get("qq"))
    typed = {
        "name": _clean_text(data.get("name", ""), 64),
        "email": _clean_text(data.get("email", ""), 254),
        "notes": (data.get("notes") or "").replace("\x00", "").strip()[:2000],
    }
    existing = customer_find_by_numbers({n for n in (phone, qq) if n})
    outcome = LeadSubmission.Outcome.AGAIN
    if existing is None:
        try:
            existing = _lead_create(form=form, phone=phone, qq=qq, typed=typed)
        except DuplicateCustomer as duplicate:
            # Someone with the same number was saved meanwhile.
            existing = Customer.objects.select_related("consultant").get(
                pk=duplicate.existing.pk
            )
        else:
            outcome = LeadSubmission.Outcome.NEW
    if outcome == LeadSubmission.Outcome.AGAIN:
        _came_again(form=form, customer=existing, phone=phone, qq=qq, typed=typed)
    submission = LeadSubmission(
        form=form,
        customer=existing,
        outcome=outcome,
        referrer=referrer_clean(referrer),
        **utm_from(utm),
    )
    submission.full_clean(exclude=["form", "customer"])
    submission.save()
    return submission


def _lead_create(*, form: LeadForm, phone, qq, typed: dict) -> Customer:
    from crm.assignment import lead_owner

    customer = Customer(
        name=typed["name"],
        phone=phone,
        qq=qq,
        email=typed["email"],
        notes=typed["notes"],
        source=form.source,
        consult_course_id=form.course_id,
    )
    # Refuse a bad e-mail before a rule's turn is spent on this lead.
    # (The relations are the form's own: no query to check them.)
    customer.full_clean(
        exclude=["consultant", "consult_course"], validate_constraints=False
    )
    assigned = lead_owner(
        campus=form.campus_id,
        course=form.course_id,
        source=form.source,
        fallback=form.owner,
    )
    customer.consultant = assigned.consultant
    customer.unassigned = assigned.unassigned
    # Saving indexes the name for search (crm.search.reindex_on_save).
    customer_save(customer=customer, by=assigned.consultant)
    with translation.override(settings.LANGUAGE_CODE):
        notification_send(
            recipient=customer.consultant,
            text=_("New lead “%(customer)s” from the lead form “%(form)s”.")
            % {"customer": customer, "form": form.name},
            link=reverse("crm:customer_detail", args=[customer.pk]),
        )
    return customer


def _visitor_wrote(phone, qq, typed: dict) -> str:
    parts = [
        (_("Name"), typed["name"]),
        (_("Phone"), phone),
        (_("QQ"), qq),
        (_("E-mail"), typed["email"]),
        (_("Message"), typed["notes"]),
    ]
    return "\n".join(f"{label}: {value}" for label, value in parts if value)


def _came_again(*, form: LeadForm, customer: Customer, phone, qq, typed) -> None:
    """Add the "came again" follow-up to ``customer`` and tell its owner.

    The follow-up keeps the lead's last intention (a blacklisted lead stays
    blacklisted). It is not the owner's work, so it restarts neither the
    private pool's protection nor "last follow-up" (crm.pool).
    """
    last = (
        CustomerFollowUp.objects.filter(customer=customer)
        .order_by("-created_at", "-pk")
        .values_list("intention", flat=True)
        .first()
    )
    with translation.override(settings.LANGUAGE_CODE):
        content = _("Came again via the lead form “%(form)s”.") % {"form": form.name}
        wrote = _visitor_wrote(phone, qq, typed)
        if wrote:
            content += "\n" + _("They wrote:") + "\n" + wrote
        followup = CustomerFollowUp(
            customer=customer,
            consultant=customer.consultant,
            content=content,
            intention=last or CustomerFollowUp.Intention.NO_PLAN,
        )
        followup.full_clean(exclude=["customer", "consultant"])
        followup.save()
        text = _(
            "Your lead “%(customer)s” came again via the lead form “%(form)s”."
        ) % {"customer": customer, "form": form.name}
        notification_send(
            recipient=customer.consultant,
            text=text,
            link=reverse("crm:customer_detail", args=[customer.pk]),
            email_subject=_("Lead came again: %(customer)s") % {"customer": customer},
        )
