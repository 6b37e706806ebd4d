"""Rooms, holidays, schedules and sessions in kingadmin.

Adding a schedule plans its sessions (``schedule_create``); a session's page
moves it, changes its teacher or cancels it, alone or with the following
ones. Each write goes through ``timetable.services``, whose refusals (a
clash, naming the other session) show on the form.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import kingadmin
from timetable import services
from timetable.forms import ClassSessionForm, ScheduleForm
from timetable.models import (
    ClassSession,
    Holiday,
    Room,
    Schedule,
    TrialLesson,
    list_separator,
)

TEACHERS = "teacher.use_teacher_portal"


def _only_teachers(queryset):
    from accounts.selectors import users_with_permission

    return users_with_permission(TEACHERS, users=queryset)


def _report(request, booking: services.Booking) -> None:
    if booking.skipped:
        days = list_separator().join(
            day.strftime("%Y-%m-%d") for day in booking.skipped
        )
        messages.info(request, _("Skipped for holidays: %(days)s.") % {"days": days})
    for warning in booking.warnings:
        messages.warning(request, warning)


@kingadmin.register(Room)
class RoomAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "branch", "capacity", "active")
    list_filter = ("branch", "active")
    search_fields = ("name",)
    ordering = ("branch", "name")


@kingadmin.register(Holiday)
class HolidayAdmin(kingadmin.ModelAdmin):
    list_display = ("name", "first_day", "last_day", "branch")
    list_filter = ("branch", "first_day")
    search_fields = ("name",)


@kingadmin.register(Schedule)
class ScheduleAdmin(kingadmin.ModelAdmin):
    form = ScheduleForm
    list_display = (
        "class_list",
        "weekday_names",
        "start_time",
        "duration_minutes",
        "room",
        "teacher",
        "first_date",
        "last_date",
    )
    list_filter = ("class_list", "room", "teacher", "first_date")
    list_select_related = ("class_list__course", "room", "teacher")
    autocomplete_fields = ("teacher",)
    ordering = ("-first_date",)

    @kingadmin.display(description=gettext_lazy("weekdays"))
    def weekday_names(self, obj):
        return obj.weekday_labels

    def get_readonly_fields(self, request, obj=None):
        # A schedule's sessions are planned when it is added; later changes
        # are made to the sessions (move, teacher, cancel).
        if obj is not None:
            return tuple(
                f.name
                for f in Schedule._meta.fields
                if f.editable and not f.auto_created
            )
        return ()

    def get_field_queryset(self, db, db_field, request):
        """Offer only teachers (holders of the teacher portal) as the teacher."""
        queryset = super().get_field_queryset(db, db_field, request)
        if db_field.name == "teacher":
            return _only_teachers(queryset)
        return queryset

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        created, booking = services.schedule_create(
            class_list=obj.class_list,
            weekdays=[int(day) for day in obj.weekdays],
            start_time=obj.start_time,
            duration_minutes=obj.duration_minutes,
            room=obj.room,
            teacher=obj.teacher,
            first_date=obj.first_date,
            last_date=obj.last_date,
        )
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding = False
        messages.success(
            request,
            _("%(count)s sessions planned.") % {"count": len(booking.sessions)},
        )
        _report(request, booking)

    def delete_model(self, request, obj):
        services.schedule_delete(schedule=obj)


@kingadmin.register(ClassSession)
class ClassSessionAdmin(kingadmin.ModelAdmin):
    form = ClassSessionForm
    list_display = (
        "starts_at",
        "ends_at",
        "class_list",
        "number",
        "room",
        "teacher",
        "topic",
        "status",
    )
    list_filter = ("status", "class_list", "room", "teacher", "starts_at")
    search_fields = ("topic",)
    list_select_related = ("class_list__course", "room", "teacher")
    autocomplete_fields = ("teacher",)
    ordering = ("starts_at",)

    def get_fieldsets(self, request, obj=None):
        fields = ["class_list", "starts_at", "ends_at", "room", "teacher", "topic"]
        if obj is None:
            return ((None, {"fields": fields}),)
        return (
            (None, {"fields": ["number", *fields, "status", "schedule"]}),
            (
                _("Cancel or apply to later sessions"),
                {"fields": ["cancel", "cancel_reason", "following"]},
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = ["class_list", "number", "status", "schedule", "course_record"]
        if obj.is_cancelled:
            readonly += ["starts_at", "ends_at", "room", "teacher", "cancel_reason"]
        return tuple(readonly)

    def get_field_queryset(self, db, db_field, request):
        """Offer only teachers (holders of the teacher portal) as the teacher."""
        queryset = super().get_field_queryset(db, db_field, request)
        if db_field.name == "teacher":
            return _only_teachers(queryset)
        return queryset

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created, booking = services.session_create(
                class_list=obj.class_list,
                starts_at=obj.starts_at,
                ends_at=obj.ends_at,
                room=obj.room,
                teacher=obj.teacher,
                topic=obj.topic,
            )
            obj.pk, obj.number = created.pk, created.number
            obj._state.adding = False
            _report(request, booking)
            return
        if obj.is_cancelled:
            raise ValidationError(_("This session was cancelled."))
        stored = ClassSession.objects.select_related("class_list").get(pk=obj.pk)
        following = data.get("following", False)
        if data.get("cancel"):
            services.session_cancel(
                session=stored, reason=data["cancel_reason"], following=following
            )
            obj.refresh_from_db()
            return
        if (stored.starts_at, stored.ends_at, stored.room_id) != (
            obj.starts_at,
            obj.ends_at,
            obj.room_id,
        ):
            booking = services.session_move(
                session=stored,
                starts_at=obj.starts_at,
                ends_at=obj.ends_at,
                room=obj.room,
                following=following,
            )
            _report(request, booking)
            stored.refresh_from_db()
        if stored.teacher_id != obj.teacher_id:
            services.session_change_teacher(
                session=stored, teacher=obj.teacher, following=following
            )
        if stored.topic != obj.topic:
            ClassSession.objects.filter(pk=obj.pk).update(topic=obj.topic)
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.sessions_delete(sessions=[obj])

    def delete_queryset(self, request, queryset):
        services.sessions_delete(sessions=list(queryset))


@kingadmin.register(TrialLesson)
class TrialLessonAdmin(kingadmin.ReadOnlyModelAdmin):
    """Trial lessons are booked on the lead's page and marked at the roll call."""

    list_display = ("session", "customer", "state", "booked_by", "booked_at")
    list_filter = ("state", "booked_at")
    search_fields = ("customer__name",)
    list_select_related = ("session__class_list__course", "customer", "booked_by")
    ordering = ("-booked_at",)
