"""Permission rules of the timetable.

- ``view_own_timetable``: one's own timetable (the sessions one teaches or
  studies in), its calendar feed and reminder settings. For teachers and
  students; the selectors pick the rows (another user's sessions are never
  in them).
- ``view_campus_timetable`` / ``view_all_timetables``: the timetable of
  every class of one's campus, or of every campus, by room and by teacher.
- ``decide_leave`` / ``decide_all_leave``: approve or refuse students'
  leave requests from the classes one teaches, or from every class.
- ``view_taught_trials``: the trial lessons (试听) booked in sessions of the
  classes one teaches, in kingadmin (read-only). Others see the trials of
  the leads they may see (the scope of the lead); booking is a lead page's.

In kingadmin, schedules and sessions follow the row rules of their class
(a teacher holding "classes one teaches" sees those classes' sessions);
rooms and holidays are reference data for those who may view them.
"""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_noop

from kingadmin.permissions import (
    PermissionRule,
    Route,
    all_rows,
    inherit_scope,
    register,
    view_routes,
)


def sessions_of_my_campus(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the sessions of classes of the user's campus (none without one)."""
    campus = request.user.campus_id
    if campus is None:
        return queryset.none()
    return queryset.filter(class_list__branch_id=campus)


def trials_of_my_classes(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the trial lessons in sessions of classes the user teaches."""
    return queryset.filter(session__class_list__teachers=request.user).distinct()


def leave_of_my_classes(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the leave requests from sessions of classes the user teaches."""
    return queryset.filter(session__class_list__teachers=request.user).distinct()


OWN_PAGES = (
    Route("timetable:mine", {"GET"}),
    Route("timetable:leave_new", {"GET", "POST"}),
    Route("timetable:mine_events", {"GET"}),
    Route("timetable:settings", {"POST"}),
    Route("timetable:feed_renew", {"POST"}),
    Route("timetable:feed_revoke", {"POST"}),
)
LEAVE_PAGES = (
    Route("timetable:leave_list", {"GET"}),
    Route("timetable:leave_decide", {"POST"}),
)
CAMPUS_PAGES = (
    Route("timetable:campus", {"GET"}),
    Route("timetable:campus_events", {"GET"}),
)

register(
    PermissionRule(
        "timetable.classsession",
        "view_own_timetable",
        gettext_noop("Can view own timetable"),
        OWN_PAGES,
        help=gettext_noop(
            "The sessions one teaches or studies in, week and month, with a "
            "personal calendar feed and evening reminders."
        ),
    ),
    PermissionRule(
        "timetable.classsession",
        "view_campus_timetable",
        gettext_noop("Can view the timetable of own campus"),
        CAMPUS_PAGES,
        hook=sessions_of_my_campus,
        help=gettext_noop(
            "Every session of one's campus, by room and by teacher. Read-only."
        ),
    ),
    PermissionRule(
        "timetable.classsession",
        "view_all_timetables",
        gettext_noop("Can view the timetable of every campus"),
        CAMPUS_PAGES,
        hook=all_rows,
        help=gettext_noop("The same timetable for every campus."),
    ),
    PermissionRule(
        "timetable.triallesson",
        "view_taught_trials",
        gettext_noop("Can view the trial lessons of the classes one teaches"),
        view_routes("timetable", "triallesson"),
        hook=trials_of_my_classes,
        help=gettext_noop(
            "The leads booked for a trial lesson (试听) in sessions of the classes "
            "one teaches, read-only. They are marked at the roll call."
        ),
    ),
    PermissionRule(
        "timetable.leaverequest",
        "decide_leave",
        gettext_noop("Can approve or refuse leave in the classes one teaches"),
        LEAVE_PAGES,
        hook=leave_of_my_classes,
        help=gettext_noop(
            "Students' leave requests (请假) from sessions of the classes one "
            "teaches: approve with a make-up session, or refuse."
        ),
    ),
    PermissionRule(
        "timetable.leaverequest",
        "decide_all_leave",
        gettext_noop("Can approve or refuse leave in every class"),
        LEAVE_PAGES,
        hook=all_rows,
        help=gettext_noop("The same for every class of every campus."),
    ),
)

inherit_scope("timetable.schedule", through="class_list")
inherit_scope("timetable.classsession", through="class_list")
# A sales sees the trials of the leads they may see; see also view_taught_trials.
inherit_scope("timetable.triallesson", through="customer")
