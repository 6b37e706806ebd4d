"""Permission rules of the teacher portal.

One rule covers the whole portal; which classes, lessons and students a
teacher reaches is decided by the portal's selectors (only the classes they
teach), so another teacher's ids answer 404.

In kingadmin, lesson records follow the row rules of their class and study
records those of their lesson: a teacher holding the "classes one teaches"
rule sees the lessons and roll calls of those classes only.
"""

from django.utils.translation import gettext_noop

from kingadmin.permissions import PermissionRule, Route, inherit_scope, register

register(
    PermissionRule(
        "teacher.courserecord",
        "use_teacher_portal",
        gettext_noop("Can use the teacher portal"),
        (
            Route("teacher:class_list", {"GET"}),
            Route("teacher:class_detail", {"GET"}),
            Route("teacher:lesson_create", {"GET", "POST"}),
            Route("teacher:session_record", {"GET", "POST"}),
            Route("teacher:roll_call", {"GET", "POST"}),
            Route("teacher:homework", {"GET"}),
            Route("teacher:homework_download", {"GET"}),
            Route("teacher:homework_zip", {"GET"}),
            Route("teacher:grading", {"GET", "POST"}),
        ),
        help=gettext_noop(
            "The classes one teaches: lessons, roll calls, homework downloads "
            "and grading. Only classes the user is a teacher of."
        ),
    ),
)

inherit_scope("teacher.courserecord", through="class_list")
inherit_scope("teacher.studyrecord", through="course_record")
