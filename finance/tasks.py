"""The tuition ledger's jobs: few hours left, refunds, overdue instalments."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jobs.registry import Daily, job, periodic

# Overdue instalments are reminded at this local time.
REMINDER_TIME = datetime.time(9, 0)


def _staff_link(enrollment_id: int) -> str:
    return reverse("finance:enrollment", args=[enrollment_id])


def _student_link(enrollment_id: int) -> str:
    return reverse("student:contract", args=[enrollment_id])


@job(attempts=5)
def low_balance_notify(*, enrollment_id: int, remaining: str, language: str) -> int:
    """Tell the student and the consultant that few class hours are left."""
    from accounts.services import notification_send
    from crm.models import Enrollment

    enrollment = (
        Enrollment.objects.select_related("customer__user", "consultant", "class_list")
        .filter(pk=enrollment_id)
        .first()
    )
    if enrollment is None:
        return 0
    told = 0
    with translation.override(language):
        values = {"class": enrollment.class_list, "hours": remaining}
        subject = _("Few class hours left: %(class)s") % values
        student = enrollment.customer.user
        if student is not None and student.is_active:
            notification_send(
                recipient=student,
                text=_("%(class)s: %(hours)s class hours are left on your contract.")
                % values,
                link=_student_link(enrollment_id),
                email_subject=subject,
            )
            told += 1
        consultant = enrollment.consultant
        if consultant.is_active:
            notification_send(
                recipient=consultant,
                text=_("%(customer)s, %(class)s: %(hours)s class hours are left.")
                % {**values, "customer": enrollment.customer},
                link=_staff_link(enrollment_id),
                email_subject=subject,
            )
            told += 1
    return told


def _finance_deciders():
    """Return the active users who may decide refunds (by a role of theirs)."""
    from accounts.selectors import users_with_permission

    return users_with_permission("finance.decide_refunds")


@job(attempts=5)
def refund_requested_notify(*, request_id: int, language: str) -> int:
    """Tell the people who decide refunds that one waits."""
    from accounts.services import notifications_send
    from finance.models import RefundRequest

    request = (
        RefundRequest.objects.select_related(
            "enrollment__customer", "enrollment__class_list"
        )
        .filter(pk=request_id, state=RefundRequest.State.PENDING)
        .first()
    )
    if request is None:
        return 0
    with translation.override(language):
        text = _("Refund asked for %(enrollment)s: %(amount)s yuan.") % {
            "enrollment": request.enrollment,
            "amount": request.amount,
        }
        return notifications_send(
            recipients=_finance_deciders(), text=text, link=reverse("finance:refunds")
        )


@job(attempts=5)
def refund_decided_notify(*, request_id: int, language: str) -> int:
    """Tell whoever asked for a refund, and the student, what was decided."""
    from accounts.services import notification_send
    from finance.models import RefundRequest

    request = (
        RefundRequest.objects.select_related(
            "enrollment__customer__user", "enrollment__class_list", "requested_by"
        )
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.state == RefundRequest.State.PENDING:
        return 0
    approved = request.state == RefundRequest.State.APPROVED
    told = 0
    with translation.override(language):
        values = {
            "enrollment": request.enrollment,
            "amount": request.amount,
            "note": request.decision_note,
        }
        if approved:
            text = _("Refund approved for %(enrollment)s: %(amount)s yuan.") % values
        else:
            text = _("Refund rejected for %(enrollment)s: %(note)s") % values
        notification_send(
            recipient=request.requested_by,
            text=text,
            link=_staff_link(request.enrollment_id),
        )
        told += 1
        student = request.enrollment.customer.user
        if approved and student is not None and student.is_active:
            notification_send(
                recipient=student,
                text=_(
                    "Your refund of %(amount)s yuan for %(class)s is approved; "
                    "the enrollment is closed."
                )
                % {"amount": request.amount, "class": request.enrollment.class_list},
                email_subject=_("Your refund is approved"),
            )
            told += 1
    return told


@periodic("finance-overdue-reminders", Daily(REMINDER_TIME))
@job()
def overdue_remind() -> int:
    """Remind consultants and students of overdue instalments, weekly per instalment."""
    from accounts.services import notification_send
    from crm.models import Enrollment
    from finance.models import Instalment
    from finance.selectors import overdue_instalments

    now = timezone.now()
    again = now - datetime.timedelta(days=settings.FINANCE_REMIND_EVERY_DAYS)
    due = [
        instalment
        for instalment in overdue_instalments(
            Enrollment.objects.all(), timezone.localdate(now)
        ).select_related("enrollment__customer__user")
        if instalment.reminded_at is None or instalment.reminded_at < again
    ]
    told = 0
    with translation.override(settings.LANGUAGE_CODE):
        for instalment in due:
            enrollment = instalment.enrollment
            values = {
                "customer": enrollment.customer,
                "class": enrollment.class_list,
                # SQLite computes it as a float: yuan and cents.
                "amount": Decimal(instalment.outstanding).quantize(Decimal("0.01")),
                "date": instalment.due_date,
            }
            subject = _("Payment overdue: %(class)s") % values
            notification_send(
                recipient=enrollment.consultant,
                text=_("%(customer)s, %(class)s: %(amount)s yuan was due on %(date)s.")
                % values,
                link=_staff_link(enrollment.pk),
                email_subject=subject,
            )
            told += 1
            student = enrollment.customer.user
            if student is not None and student.is_active:
                notification_send(
                    recipient=student,
                    text=_(
                        "%(class)s: %(amount)s yuan of your tuition was due on "
                        "%(date)s."
                    )
                    % values,
                    link=_student_link(enrollment.pk),
                    email_subject=subject,
                )
                told += 1
    Instalment.objects.filter(pk__in=[i.pk for i in due]).update(reminded_at=now)
    return told
