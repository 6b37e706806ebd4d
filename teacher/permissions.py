"""Permission rules of the teacher portal."""

from kingadmin.permissions import PermissionRule, Route, register

register(
    PermissionRule(
        "teacher.courserecord",
        "use_teacher_portal",
        "Can use the teacher portal",
        (Route("teacher:class_list", {"GET"}),),
    ),
)
