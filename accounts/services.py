"""Writes about users: in-app notifications (and their e-mail copies), roles."""

from collections.abc import Iterable
from uuid import uuid4

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.backends import UNREAD
from accounts.models import Menu, MenuStamp, Notification, Role, User
from jobs.queue import enqueue_on_commit
from jobs.tasks import send_email
from kingadmin.history import log_addition, log_change, snapshot

# The fields of a role the permission page sets, as its history names them.
ROLE_RIGHTS_FIELDS = ("permissions", "menus", "home")
# How many "(copy n)" names a copy tries before giving up.
MAX_COPY_NUMBER = 100


def notification_send(
    *, recipient: User, text: str, link: str = "", email_subject: str | None = None
) -> Notification:
    """Notify ``recipient`` in the app; also e-mail them if a subject is given.

    The e-mail is a job (jobs.tasks.send_email) started with the surrounding
    transaction: a rolled-back action mails nobody, and a mail server outage
    delays the mail (retried), never the action.
    """
    notification = Notification(recipient=recipient, text=text[:500], link=link)
    notification.full_clean()
    notification.save()
    if email_subject and recipient.email:
        enqueue_on_commit(
            send_email,
            subject=str(email_subject),
            body=str(text),
            to=[recipient.email],
        )
    return notification


def notifications_send(*, recipients: Iterable[User], text: str, link: str = "") -> int:
    """Notify each of ``recipients`` in the app at once; return how many.

    The text and link are checked once and the notifications written in one
    query, however many people are told.
    """
    recipients = list(dict.fromkeys(recipients))
    if not recipients:
        return 0
    sample = Notification(recipient=recipients[0], text=text[:500], link=link)
    sample.full_clean(exclude=["recipient"])
    Notification.objects.bulk_create(
        Notification(recipient=user, text=sample.text, link=sample.link)
        for user in recipients
    )
    return len(recipients)


def menu_stamp_bump() -> None:
    """Say that menus may have changed: each session reads its menu again."""
    MenuStamp.objects.update_or_create(pk=1, defaults={"value": uuid4().hex})


def notification_mark_read(*, user: User, notification_ids=None) -> int:
    """Mark ``user``'s notifications (all, or the given ids) read; return how many."""
    unread = Notification.objects.filter(recipient=user, is_read=False)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    marked = unread.update(is_read=True)
    # The count loaded with the request's user is out of date now.
    user.__dict__.pop(UNREAD, None)
    return marked


def role_permissions_set(
    *,
    role: Role,
    permissions: Iterable[Permission],
    menus: Iterable[Menu],
    home: Menu | None,
    by: User,
) -> Role:
    """Give ``role`` exactly these permissions, menus and home page, in one go.

    A change is recorded in the role's kingadmin history (old and new values
    of each field that changed); nothing is saved if the role is invalid.
    """
    permissions, menus = list(permissions), list(menus)
    with transaction.atomic():
        role = Role.objects.select_for_update().get(pk=role.pk)
        before = snapshot(role, ROLE_RIGHTS_FIELDS)
        role.home = home
        role.full_clean()
        role.save(update_fields=["home"])
        role.permissions.set(permissions)
        role.menus.set(menus)
        if snapshot(role, ROLE_RIGHTS_FIELDS) != before:
            log_change(by, role, before, ROLE_RIGHTS_FIELDS)
    return role


def _copy_name(name: str, number: int) -> str:
    """Return "<name> (copy)" (number 1) or "<name> (copy <number>)" that fits.

    A long name is shortened, never the "(copy)" part.
    """
    limit = Role._meta.get_field("name").max_length

    def text(base: str) -> str:
        if number == 1:
            return _("%(name)s (copy)") % {"name": base}
        return _("%(name)s (copy %(number)d)") % {"name": base, "number": number}

    overflow = len(text(name)) - limit
    return text(name[: len(name) - overflow]) if overflow > 0 else text(name)


def role_copy(*, role: Role, by: User, name: str | None = None) -> Role:
    """Create a role with ``role``'s permissions, menus and home page.

    Without ``name`` the copy is called "<name> (copy)", or "(copy 2)" ...
    when that name is taken (also by a copy made at the same moment). A
    ``name`` that is taken is refused with a ValidationError.
    """
    candidates = (
        [name]
        if name is not None
        else (_copy_name(role.name, n) for n in range(1, MAX_COPY_NUMBER + 1))
    )
    for candidate in candidates:
        copy = Role(name=candidate, home=role.home)
        try:
            copy.full_clean()
        except ValidationError as error:
            if name is None and "name" in error.message_dict:
                continue
            raise
        try:
            with transaction.atomic():
                copy.save()
                copy.permissions.set(role.permissions.all())
                copy.menus.set(role.menus.all())
                log_addition(by, copy)
        except IntegrityError:
            # Taken between the check and the insert (a concurrent copy).
            if name is not None:
                raise copy.unique_error_message(Role, ["name"]) from None
            continue
        return copy
    raise ValidationError(
        _("Every copy name of “%(name)s” is taken.") % {"name": role.name}
    )
