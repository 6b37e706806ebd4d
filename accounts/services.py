"""Writes about users: in-app notifications (and their e-mail copies)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from accounts.models import Notification, User


def notification_send(
    *, recipient: User, text: str, link: str = "", email_subject: str | None = None
) -> Notification:
    """Notify ``recipient`` in the app; also e-mail them if a subject is given.

    The e-mail leaves after the surrounding transaction commits, so a
    rolled-back action never mails anybody.
    """
    notification = Notification(recipient=recipient, text=text[:500], link=link)
    notification.full_clean()
    notification.save()
    if email_subject and recipient.email:
        transaction.on_commit(
            lambda: send_mail(
                email_subject,
                text,
                settings.DEFAULT_FROM_EMAIL,
                [recipient.email],
                fail_silently=True,
            )
        )
    return notification


def notification_mark_read(*, user: User, notification_ids=None) -> int:
    """Mark ``user``'s notifications (all, or the given ids) read; return how many."""
    unread = Notification.objects.filter(recipient=user, is_read=False)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(is_read=True)
