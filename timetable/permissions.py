"""Permission rules of the timetable.

- ``view_own_timetable``: one's own timetable (the sessions one teaches or
  studies in), its calendar feed and reminder settings. For teachers and
  students; the selectors pick the rows (another user's sessions are never
  in them).
- ``view_campus_timetable`` / ``view_all_timetables``: the timetable of
  every class of one's campus, or of every campus, by room and by teacher.

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
)


def sessions_of_my_campus(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Return the sessions of classes of the user's campus (none without one)."""
    campus = request.user.campus_id
    if campus is None:
        return queryset.none()
    return queryset.filter(class_list__branch_id=campus)


OWN_PAGES = (
    Route("timetable:mine", {"GET"}),
    Route("timetable:mine_events", {"GET"}),
    Route("timetable:settings", {"POST"}),
    Route("timetable:feed_renew", {"POST"}),
    Route("timetable:feed_revoke", {"POST"}),
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
)

inherit_scope("timetable.schedule", through="class_list")
inherit_scope("timetable.classsession", through="class_list")
