"""The timetable: rooms, closed days, recurring schedules and the sessions they plan.

A *session* is one planned lesson of a class: when, where, who teaches it.
Schedules generate sessions (crm classes meet e.g. Tuesday and Thursday
evenings for a term), skipping the school's holidays; a session can also be
planned on its own. Two scheduled sessions never overlap in one room, for one
teacher or for one class: ``timetable.services`` refuses them under a lock,
and on PostgreSQL exclusion constraints over the time range hold it in the
database too (migration 0002).
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

# No session lasts longer (calendars bound their index range by it).
MAX_SESSION = timedelta(hours=12)

WEEKDAYS = (
    ("1", _("Monday")),
    ("2", _("Tuesday")),
    ("3", _("Wednesday")),
    ("4", _("Thursday")),
    ("5", _("Friday")),
    ("6", _("Saturday")),
    ("7", _("Sunday")),
)


def list_separator() -> str:
    """Return the separator of a short list in the current language (", " / "、")."""
    return pgettext("list separator", ", ")


class Room(models.Model):
    """A classroom of a campus."""

    branch = models.ForeignKey(
        "crm.Branch",
        verbose_name=_("campus"),
        on_delete=models.PROTECT,
        related_name="rooms",
    )
    name = models.CharField(_("name"), max_length=32)
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(
        _("in use"),
        default=True,
        help_text=_("Rooms no longer in use keep their past sessions."),
    )

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["branch", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "name"],
                name="room_name_unique_per_campus",
                violation_error_message=_("This campus already has a room so named."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1), name="room_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """Days the school (or one campus) is closed: no session is planned on them."""

    name = models.CharField(_("name"), max_length=64)
    branch = models.ForeignKey(
        "crm.Branch",
        verbose_name=_("campus"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="holidays",
        help_text=_("Empty: the whole school is closed."),
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["-first_day", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")),
                name="holiday_ends_after_it_starts",
                violation_error_message=_(
                    "The last day cannot be before the first day."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["first_day", "last_day"], name="holiday_days_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Schedule(models.Model):
    """A class's weekly pattern: weekdays, time, room and teacher, between two dates."""

    class_list = models.ForeignKey(
        "crm.ClassList",
        verbose_name=_("class"),
        on_delete=models.CASCADE,
        related_name="schedules",
    )
    weekdays = models.CharField(
        _("weekdays"),
        max_length=7,
        help_text=_("The days of the week the class meets."),
    )
    start_time = models.TimeField(_("start time"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        validators=[MinValueValidator(15), MaxValueValidator(12 * 60)],
    )
    room = models.ForeignKey(
        Room,
        verbose_name=_("room"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        help_text=_("Empty for online classes."),
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teacher"),
        on_delete=models.PROTECT,
        related_name="schedules",
    )
    first_date = models.DateField(_("from"))
    last_date = models.DateField(_("until"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        ordering = ["class_list", "first_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_date__gte=F("first_date")),
                name="schedule_ends_after_it_starts",
                violation_error_message=_("The last date cannot be before the first."),
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15, duration_minutes__lte=720),
                name="schedule_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.class_list} · {self.weekday_labels} {self.start_time:%H:%M}"

    @property
    def weekday_labels(self) -> str:
        """Return the names of the weekdays the class meets."""
        return list_separator().join(
            str(label) for value, label in WEEKDAYS if value in self.weekdays
        )

    @property
    def weekday_numbers(self) -> list[int]:
        """Return the ISO weekdays (1 = Monday) the class meets."""
        return sorted({int(day) for day in self.weekdays})


class ClassSession(models.Model):
    """One planned lesson of a class: when, where, who; cancelled ones stay listed."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    class_list = models.ForeignKey(
        "crm.ClassList",
        verbose_name=_("class"),
        on_delete=models.CASCADE,
        related_name="sessions",
    )
    schedule = models.ForeignKey(
        Schedule,
        verbose_name=_("schedule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
    )
    number = models.PositiveSmallIntegerField(
        _("number"),
        null=True,
        blank=True,
        help_text=_("The lesson's place among the class's scheduled sessions."),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    room = models.ForeignKey(
        Room,
        verbose_name=_("room"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teacher"),
        on_delete=models.PROTECT,
        related_name="class_sessions",
    )
    topic = models.CharField(_("topic"), max_length=128, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status,
        default=Status.SCHEDULED,
    )
    cancel_reason = models.CharField(
        _("reason for cancelling"), max_length=255, blank=True
    )
    course_record = models.OneToOneField(
        "teacher.CourseRecord",
        verbose_name=_("lesson record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="session",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_it_starts",
                violation_error_message=_("A session must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(status="scheduled") | Q(number__isnull=True),
                name="session_cancelled_has_no_number",
            ),
        ]
        indexes = [
            models.Index(fields=["starts_at"], name="session_starts_idx"),
            models.Index(fields=["class_list", "starts_at"], name="session_class_idx"),
            models.Index(fields=["teacher", "starts_at"], name="session_teacher_idx"),
            models.Index(fields=["room", "starts_at"], name="session_room_idx"),
        ]

    def __str__(self) -> str:
        return _("%(class)s session %(when)s") % {
            "class": self.class_list,
            "when": self.local_start.strftime("%Y-%m-%d %H:%M"),
        }

    @property
    def local_start(self):
        """Return the start in the school's time zone."""
        return timezone.localtime(self.starts_at)

    @property
    def is_cancelled(self) -> bool:
        """Return True if the session was cancelled."""
        return self.status == self.Status.CANCELLED


class CalendarSettings(models.Model):
    """A user's timetable settings: evening reminders, the secret calendar feed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="calendar_settings",
    )
    reminders = models.BooleanField(
        _("evening reminders"),
        default=True,
        help_text=_("A reminder the evening before each day with sessions."),
    )
    # The feed's secret is shown once; only its SHA-256 is kept.
    # NULL, not "": several users have no feed, and the hash is unique.
    feed_token_hash = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True
    )
    feed_created_at = models.DateTimeField(_("feed created at"), null=True)

    class Meta:
        verbose_name = _("calendar settings")
        verbose_name_plural = _("calendar settings")

    def __str__(self) -> str:
        return str(self.user)


class LeaveRequest(models.Model):
    """A student's request to miss a session (请假), and the teacher's decision."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    session = models.ForeignKey(
        ClassSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="leave_requests",
    )
    enrollment = models.ForeignKey(
        "crm.Enrollment",
        verbose_name=_("enrollment"),
        on_delete=models.CASCADE,
        related_name="leave_requests",
    )
    reason = models.CharField(_("reason"), max_length=500)
    state = models.CharField(
        _("state"), max_length=16, choices=State, default=State.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=255, blank=True)
    makeup_session = models.ForeignKey(
        ClassSession,
        verbose_name=_("make-up session"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="makeup_for",
        help_text=_("A session of another class of the same course."),
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "enrollment"],
                name="leave_once_per_session",
                violation_error_message=_("Leave was already asked for this session."),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="leave_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment.customer} · {self.session}"


class TrialLesson(models.Model):
    """A lead booked into a scheduled session to try the class (试听)."""

    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        ATTENDED = "attended", _("Attended")
        ABSENT = "absent", _("Did not come")
        CANCELLED = "cancelled", _("Cancelled")

    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        related_name="trial_lessons",
    )
    session = models.ForeignKey(
        ClassSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="trial_lessons",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State, default=State.BOOKED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    booked_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("trial lesson")
        verbose_name_plural = _("trial lessons")
        ordering = ["-booked_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "session"],
                name="trial_once_per_session",
                violation_error_message=_(
                    "This lead is already booked into this session."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["booked_at"], name="trial_booked_idx"),
            models.Index(fields=["state", "booked_at"], name="trial_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.session}"
