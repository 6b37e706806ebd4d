"""Fixtures of the teacher portal tests: a teacher, their class and lessons."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from crm.models import ClassList, Enrollment
from teacher.models import CourseRecord, StudyRecord
from tests.factories import (
    ClassListFactory,
    CourseRecordFactory,
    CustomerFactory,
    EnrollmentFactory,
    RoleFactory,
    StudyRecordFactory,
    UserFactory,
)


@pytest.fixture
def teacher_role(db):
    return RoleFactory(
        name="Teacher",
        permissions=[Permission.objects.get(codename="use_teacher_portal")],
    )


@pytest.fixture
def teacher(teacher_role):
    return UserFactory(username="teacher", roles=[teacher_role])


@pytest.fixture
def other_teacher(teacher_role):
    return UserFactory(username="other_teacher", roles=[teacher_role])


@dataclass
class School:
    """A class taught by ``teacher`` and one taught by ``other_teacher``."""

    mine: ClassList
    theirs: ClassList
    lesson: CourseRecord
    their_lesson: CourseRecord
    enrollments: list[Enrollment]

    def record_of(self, enrollment: Enrollment, lesson=None) -> StudyRecord:
        return StudyRecord.objects.get(
            enrollment=enrollment, course_record=lesson or self.lesson
        )


def add_students(class_list: ClassList, names, lessons=()) -> list[Enrollment]:
    """Enroll approved students, each with a record of every lesson given."""
    enrollments = [
        EnrollmentFactory(
            customer=CustomerFactory(name=name), class_list=class_list, approved=True
        )
        for name in names
    ]
    StudyRecord.objects.bulk_create(
        StudyRecord(enrollment=enrollment, course_record=lesson)
        for enrollment in enrollments
        for lesson in lessons
    )
    return enrollments


def hand_in(record: StudyRecord, content: bytes, name: str = "work.py") -> None:
    record.homework_file.save(name, ContentFile(content), save=False)
    record.homework_original_name = name
    record.submitted_at = timezone.now()
    record.save()


@pytest.fixture
def school(teacher, other_teacher) -> School:
    mine = ClassListFactory(name="Python S9", teachers=[teacher])
    theirs = ClassListFactory(name="Linux 40", teachers=[other_teacher])
    lesson = CourseRecordFactory(
        class_list=mine, lesson_number=1, teacher=teacher, title="Basics"
    )
    their_lesson = CourseRecordFactory(
        class_list=theirs, lesson_number=1, teacher=other_teacher
    )
    enrollments = add_students(mine, ["Kobe", "李雷", "Han"], [lesson])
    StudyRecordFactory(course_record=their_lesson, enrollment__class_list=theirs)
    return School(mine, theirs, lesson, their_lesson, enrollments)


@pytest.fixture
def student_user(db) -> User:
    role = RoleFactory(
        name="Student",
        permissions=[Permission.objects.get(codename="use_student_portal")],
    )
    return UserFactory(username="a_student", roles=[role])
