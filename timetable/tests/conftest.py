"""Fixtures of the timetable tests: a campus, its rooms, a teacher, a class."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import User
from crm.models import Branch, ClassList
from tests.factories import (
    BranchFactory,
    ClassListFactory,
    CustomerFactory,
    EnrollmentFactory,
    RoleFactory,
    UserFactory,
)
from timetable.models import Room

# A Monday well ahead, so that nothing planned on it is in the past.
MONDAY = date(2030, 3, 4)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """Return an aware datetime on ``day`` at a local time."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def permissions(*codenames: str) -> list[Permission]:
    return [
        Permission.objects.get(
            content_type__app_label=name.split(".")[0], codename=name.split(".")[1]
        )
        for name in codenames
    ]


@dataclass
class Campus:
    branch: Branch
    room: Room
    small_room: Room
    teacher: User
    other_teacher: User
    klass: ClassList
    other_class: ClassList
    students: list[User]


@pytest.fixture
def campus(db) -> Campus:
    branch = BranchFactory(name="Beijing")
    teacher_role = RoleFactory(
        name="Teacher",
        permissions=permissions(
            "teacher.use_teacher_portal",
            "timetable.view_own_timetable",
            "timetable.view_classsession",
            "crm.view_taught_classes",
        ),
    )
    student_role = RoleFactory(
        name="Student",
        permissions=permissions(
            "student.use_student_portal", "timetable.view_own_timetable"
        ),
    )
    teacher = UserFactory(username="teacher", roles=[teacher_role], campus=branch)
    other = UserFactory(username="other_teacher", roles=[teacher_role], campus=branch)
    klass = ClassListFactory(
        branch=branch, name="Python S9", start_date=MONDAY, teachers=[teacher]
    )
    other_class = ClassListFactory(
        branch=branch, name="Linux 40", start_date=MONDAY, teachers=[other]
    )
    students = []
    for number in range(3):
        user = UserFactory(username=f"student{number}", roles=[student_role])
        EnrollmentFactory(
            customer=CustomerFactory(name=f"Student {number}", user=user),
            class_list=klass,
            approved=True,
        )
        students.append(user)
    return Campus(
        branch=branch,
        room=Room.objects.create(branch=branch, name="101", capacity=30),
        small_room=Room.objects.create(branch=branch, name="102", capacity=2),
        teacher=teacher,
        other_teacher=other,
        klass=klass,
        other_class=other_class,
        students=students,
    )


def week(start: date = MONDAY) -> tuple[date, date]:
    return start, start + timedelta(days=6)
