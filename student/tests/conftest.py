"""A small school for the student portal's tests: a student, a classmate, a stranger."""

import io
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import User
from crm.models import ClassList, Enrollment, EnrollmentDocument
from teacher.models import CourseRecord, StudyRecord
from tests.factories import (
    ClassListFactory,
    ContractTemplateFactory,
    CourseFactory,
    CourseRecordFactory,
    CustomerFactory,
    EnrollmentFactory,
    PaymentFactory,
    RoleFactory,
    StudyRecordFactory,
    UserFactory,
)


def png_bytes(size=(4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def grade(record: StudyRecord, score: int | None, *, by: User | None = None):
    """Give ``record`` a score (None: ungraded) the way the teacher portal does."""
    record.score = score
    if score is None:
        record.graded_by, record.graded_at = None, None
    else:
        record.graded_by = by or record.course_record.teacher
        record.graded_at = timezone.now()
    record.save()
    return record


def add_lesson(
    class_list: ClassList, number: int, scores: dict[Enrollment, int | None], **kw
) -> CourseRecord:
    """Create lesson ``number`` with a study record (graded or not) per enrollment."""
    lesson = CourseRecordFactory(
        class_list=class_list,
        lesson_number=number,
        teacher=class_list.teachers.first() or UserFactory(),
        title=kw.pop("title", f"Lesson title {number}"),
        content=kw.pop("content", f"Content of lesson {number}"),
        homework_title=kw.pop("homework_title", f"Homework {number}"),
        homework_requirements=kw.pop(
            "homework_requirements", f"Requirements of homework {number}"
        ),
        **kw,
    )
    for enrollment, score in scores.items():
        grade(StudyRecordFactory(enrollment=enrollment, course_record=lesson), score)
    return lesson


@dataclass
class School:
    teacher: User
    class_list: ClassList
    user: User
    enrollment: Enrollment
    classmate: Enrollment
    stranger: User
    stranger_enrollment: Enrollment
    lessons: list[CourseRecord] = field(default_factory=list)

    def record(self, lesson: CourseRecord, enrollment=None) -> StudyRecord:
        return StudyRecord.objects.get(
            course_record=lesson, enrollment=enrollment or self.enrollment
        )


@pytest.fixture
def student_role(db):
    return RoleFactory(
        name="Student",
        permissions=[Permission.objects.get(codename="use_student_portal")],
    )


@pytest.fixture
def answer_role(db):
    return RoleFactory(
        name="Teacher",
        permissions=[Permission.objects.get(codename="answer_questions")],
    )


@pytest.fixture
def school(student_role, answer_role) -> School:
    """Li Lei and classmate Kobe in Python S9 (2 lessons), a stranger in Linux 40."""
    teacher = UserFactory(username="alex", display_name="Alex", roles=[answer_role])
    class_list = ClassListFactory(
        name="Python S9",
        teachers=[teacher],
        course=CourseFactory(name="Python", outline="1. Basics\n2. Web frameworks"),
        contract_template=ContractTemplateFactory(
            content="Contract: {{ customer }} enrols in {{ class }} for {{ price }}."
        ),
    )
    user = UserFactory(username="lilei", display_name="Li Lei", roles=[student_role])
    enrollment = EnrollmentFactory(
        customer=CustomerFactory(user=user, name="Li Lei"),
        class_list=class_list,
        approved=True,
    )
    PaymentFactory(enrollment=enrollment)
    classmate = EnrollmentFactory(
        customer=CustomerFactory(name="Kobe Bryant"),
        class_list=class_list,
        approved=True,
    )
    stranger = UserFactory(username="stranger", roles=[student_role])
    stranger_enrollment = EnrollmentFactory(
        customer=CustomerFactory(user=stranger, name="Stranger"),
        class_list=ClassListFactory(name="Linux 40"),
        approved=True,
    )
    lessons = [
        add_lesson(class_list, 1, {enrollment: 90, classmate: 80}),
        add_lesson(class_list, 2, {enrollment: None, classmate: None}),
    ]
    add_lesson(stranger_enrollment.class_list, 1, {stranger_enrollment: 70})
    return School(
        teacher=teacher,
        class_list=class_list,
        user=user,
        enrollment=enrollment,
        classmate=classmate,
        stranger=stranger,
        stranger_enrollment=stranger_enrollment,
        lessons=lessons,
    )


def add_document(enrollment: Enrollment, name="id-front.png") -> EnrollmentDocument:
    data = png_bytes()
    document = EnrollmentDocument(
        enrollment=enrollment,
        original_name=name,
        size=len(data),
        content_type="image/png",
    )
    document.file.save(name, ContentFile(data), save=False)
    document.save()
    return document
