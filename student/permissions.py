"""Permission rules of the student portal."""

from kingadmin.permissions import PermissionRule, Route, register

register(
    PermissionRule(
        "student.question",
        "use_student_portal",
        "Can use the student portal",
        (Route("student:home", {"GET"}),),
    ),
)
