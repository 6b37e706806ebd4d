"""Permission rules of the teacher portal.

One rule covers the whole portal; which classes, lessons and students a
teacher reaches is decided by the portal's selectors (only the classes they
teach), so another teacher's ids answer 404.
"""

from kingadmin.permissions import PermissionRule, Route, register

register(
    PermissionRule(
        "teacher.courserecord",
        "use_teacher_portal",
        "Can use the teacher portal",
        (
            Route("teacher:class_list", {"GET"}),
            Route("teacher:class_detail", {"GET"}),
            Route("teacher:lesson_create", {"GET", "POST"}),
            Route("teacher:roll_call", {"GET", "POST"}),
            Route("teacher:homework", {"GET"}),
            Route("teacher:homework_download", {"GET"}),
            Route("teacher:homework_zip", {"GET"}),
            Route("teacher:grading", {"GET", "POST"}),
        ),
    ),
)
