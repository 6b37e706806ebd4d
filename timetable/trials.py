"""Trial lessons (试听): a lead booked into a scheduled session to try the class.

A sales books a lead into a session yet to start of a class the lead does
not study in (``trial_book``); the booking is noted in the lead's follow-ups
when the sales owns the lead, and the session's teacher is told. The
teacher marks at the roll call whether the lead came (``trials_mark``):
attending counts as activity on the lead (``Customer.last_activity_at``, as
a follow-up does, see ``crm.pool``). A trial is not an enrollment: it has no
study record and consumes no class hours.

One row per lead and session (a unique constraint): a cancelled booking is
booked again on the same row.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.models import Customer, CustomerFollowUp, Enrollment
from timetable.models import ClassSession, TrialLesson

# The session picker offers at most this many upcoming sessions.
SESSION_CHOICES = 30
OPEN_STATES = (TrialLesson.State.BOOKED, TrialLesson.State.ATTENDED)


def _describe(session: ClassSession) -> str:
    start = timezone.localtime(session.starts_at)
    return _("%(class)s on %(day)s at %(time)s") % {
        "class": session.class_list,
        "day": start.strftime("%Y-%m-%d"),
        "time": start.strftime("%H:%M"),
    }


# -- selectors
def trial_session_choices(
    *, customer: Customer, campus_id: int | None, limit: int = SESSION_CHOICES
) -> QuerySet[ClassSession]:
    """Return the sessions ``customer`` may be booked into, the soonest first.

    Scheduled sessions yet to start, of classes the lead does not study in
    and is not booked into already, at ``campus_id`` if given; those of the
    course the lead asked about come first. Unsliced: the caller bounds it
    (``[:limit]``) to show it and validates a choice against the whole.
    """
    studies = Enrollment.objects.filter(
        customer=customer, state=Enrollment.State.APPROVED
    ).values("class_list")
    booked = TrialLesson.objects.filter(
        customer=customer, state__in=OPEN_STATES
    ).values("session")
    sessions = (
        ClassSession.objects.filter(
            status=ClassSession.Status.SCHEDULED, starts_at__gt=timezone.now()
        )
        .exclude(class_list__in=studies)
        .exclude(pk__in=booked)
        .select_related("class_list__course", "room", "teacher")
    )
    if campus_id is not None:
        sessions = sessions.filter(class_list__branch_id=campus_id)
    if customer.consult_course_id is not None:
        first = Case(
            When(class_list__course_id=customer.consult_course_id, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return sessions.order_by(first, "starts_at", "pk")
    return sessions.order_by("starts_at", "pk")


def customer_trials(*, customer: Customer) -> QuerySet[TrialLesson]:
    """Return a lead's trial lessons with their sessions, the latest first."""
    return (
        TrialLesson.objects.filter(customer=customer)
        .select_related("session__class_list__course", "session__room", "booked_by")
        .order_by("-session__starts_at", "-pk")
    )


def session_trials(*, session_ids) -> QuerySet[TrialLesson]:
    """Return the trials (not cancelled) of sessions, by lead name."""
    return (
        TrialLesson.objects.filter(session_id__in=session_ids)
        .exclude(state=TrialLesson.State.CANCELLED)
        .select_related("customer")
        .order_by("customer__name", "pk")
    )


# -- services
def _followup_note(customer: Customer, by: User, text: str) -> None:
    """Note ``text`` in the lead's follow-ups if ``by`` owns the lead."""
    from crm.services import followup_add

    if customer.consultant_id != by.pk or customer.pool != Customer.Pool.PRIVATE:
        return
    intention = (
        customer.followups.order_by("-created_at", "-pk")
        .values_list("intention", flat=True)
        .first()
    ) or CustomerFollowUp.Intention.WITHIN_MONTH
    followup_add(customer=customer, by=by, content=text, intention=intention)


def _tell_teacher(session: ClassSession, text: str) -> None:
    from accounts.services import notification_send

    notification_send(
        recipient=session.teacher,
        text=text,
        link=reverse("teacher:class_detail", args=[session.class_list_id]),
    )


@transaction.atomic
def trial_book(
    *, customer: Customer, session: ClassSession, by: User, note: str = ""
) -> TrialLesson:
    """Book ``customer`` into ``session`` as a trial; the teacher is told.

    Refused for a session cancelled or already started, for a student of
    the session's class, and twice for one session. A booking cancelled
    before is booked again.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    session = ClassSession.objects.select_related("class_list__course", "teacher").get(
        pk=session.pk
    )
    note = note.strip()
    if session.is_cancelled:
        raise ValidationError(_("This session was cancelled."), code="cancelled")
    if session.starts_at <= timezone.now():
        raise ValidationError(
            _("This session has started: book a session yet to come."),
            code="started",
        )
    if Enrollment.objects.filter(
        customer=customer,
        class_list_id=session.class_list_id,
        state=Enrollment.State.APPROVED,
    ).exists():
        raise ValidationError(
            _("%(customer)s already studies in %(class)s.")
            % {"customer": customer, "class": session.class_list},
            code="student",
        )
    trial = TrialLesson.objects.filter(customer=customer, session=session).first()
    if trial is not None and trial.state != TrialLesson.State.CANCELLED:
        raise ValidationError(
            _("This lead is already booked into this session."), code="unique"
        )
    if trial is None:
        trial = TrialLesson(customer=customer, session=session)
    else:
        trial.booked_at = timezone.now()
    trial.state = TrialLesson.State.BOOKED
    trial.booked_by = by
    trial.note = note[:255]
    trial.full_clean(exclude=["customer", "session", "booked_by"])
    try:
        with transaction.atomic():
            trial.save()
    except IntegrityError:
        # Another booking of the same lead and session won the race.
        raise ValidationError(
            _("This lead is already booked into this session."), code="unique"
        ) from None
    described = _describe(session)
    _followup_note(
        customer, by, _("Booked a trial lesson: %(session)s") % {"session": described}
    )
    _tell_teacher(
        session,
        _("%(customer)s is booked for a trial lesson in %(session)s.")
        % {"customer": customer, "session": described},
    )
    return trial


@transaction.atomic
def trial_cancel(*, trial: TrialLesson, by: User) -> TrialLesson:
    """Cancel a booked trial before its session starts; the teacher is told."""
    trial = (
        TrialLesson.objects.select_for_update(of=("self",))
        .select_related("customer", "session__class_list__course", "session__teacher")
        .get(pk=trial.pk)
    )
    if trial.state != TrialLesson.State.BOOKED:
        raise ValidationError(
            _("Only a booked trial can be cancelled."), code="not_booked"
        )
    if trial.session.starts_at <= timezone.now():
        raise ValidationError(
            _("The session has started: mark the trial at the roll call instead."),
            code="started",
        )
    trial.state = TrialLesson.State.CANCELLED
    trial.save(update_fields=["state"])
    if not trial.session.is_cancelled:
        _tell_teacher(
            trial.session,
            _("The trial lesson of %(customer)s in %(session)s was cancelled.")
            % {"customer": trial.customer, "session": _describe(trial.session)},
        )
    return trial


@transaction.atomic
def trials_mark(
    *, session: ClassSession, attended: Mapping[int, bool], by: User
) -> list[TrialLesson]:
    """Record whether the trial leads of ``session`` came: trial id -> came.

    For a teacher of the session's class, once the session has started.
    Leads who came count as worked (``last_activity_at``). A constant
    number of queries; return the trials whose state changed.
    """
    session = ClassSession.objects.select_related("class_list").get(pk=session.pk)
    if not (
        session.teacher_id == by.pk
        or session.class_list.teachers.filter(pk=by.pk).exists()
    ):
        raise ValidationError(
            _("%(user)s does not teach %(class)s.")
            % {"user": by, "class": session.class_list},
            code="not_a_teacher",
        )
    if session.is_cancelled:
        raise ValidationError(_("This session was cancelled."), code="cancelled")
    if session.starts_at > timezone.now():
        raise ValidationError(
            _("A trial is marked once the session has started."), code="not_started"
        )
    trials = {
        trial.pk: trial
        for trial in TrialLesson.objects.select_for_update().filter(
            session=session, pk__in=list(attended)
        )
    }
    if unknown := set(attended) - set(trials):
        raise ValidationError(
            _("These trial lessons are not of this session: %(ids)s.")
            % {"ids": ", ".join(str(pk) for pk in sorted(unknown))},
            code="unknown_trial",
        )
    if cancelled := [
        t for t in trials.values() if t.state == TrialLesson.State.CANCELLED
    ]:
        raise ValidationError(
            _("A cancelled trial cannot be marked: %(ids)s.")
            % {"ids": ", ".join(str(t.pk) for t in cancelled)},
            code="cancelled_trial",
        )
    changed = []
    for pk, came in attended.items():
        trial = trials[pk]
        state = TrialLesson.State.ATTENDED if came else TrialLesson.State.ABSENT
        if trial.state != state:
            trial.state = state
            changed.append(trial)
    TrialLesson.objects.bulk_update(changed, ["state"])
    came = [t.customer_id for t in changed if t.state == TrialLesson.State.ATTENDED]
    if came:
        # Coming to a trial is work on the lead, like a follow-up.
        now = timezone.now()
        Customer.objects.filter(pk__in=came, last_activity_at__lt=now).update(
            last_activity_at=now
        )
    return changed


def trial_mark(*, trial: TrialLesson, attended: bool, by: User) -> TrialLesson:
    """Record whether one trial lead came (see ``trials_mark``)."""
    trials_mark(session=trial.session, attended={trial.pk: attended}, by=by)
    trial.refresh_from_db(fields=["state"])
    return trial
