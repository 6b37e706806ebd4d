"""Lessons a teacher holds and each student's record of them."""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CourseRecord(models.Model):
    """One lesson of a class: what was taught and the homework set."""

    class_list = models.ForeignKey(
        "crm.ClassList",
        verbose_name=_("class"),
        on_delete=models.PROTECT,
        related_name="course_records",
    )
    lesson_number = models.PositiveSmallIntegerField(_("lesson number"))
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teacher"),
        on_delete=models.PROTECT,
        related_name="course_records",
    )
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=128)
    content = models.TextField(_("content"), blank=True)
    has_homework = models.BooleanField(_("has homework"), default=True)
    homework_title = models.CharField(_("homework title"), max_length=128, blank=True)
    homework_requirements = models.TextField(_("homework requirements"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lesson record")
        verbose_name_plural = _("lesson records")
        ordering = ["class_list", "lesson_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["class_list", "lesson_number"],
                name="lesson_number_unique_per_class",
                violation_error_message=_(
                    "This class already has a lesson with this number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(lesson_number__gte=1), name="lesson_number_positive"
            ),
            models.CheckConstraint(
                condition=Q(has_homework=True) | Q(homework_title=""),
                name="lesson_homework_title_needs_homework",
            ),
        ]
        indexes = [
            models.Index(fields=["class_list", "date"], name="lesson_class_date_idx"),
            models.Index(fields=["date"], name="lesson_date_idx"),
        ]

    def __str__(self) -> str:
        return _("%(class)s lesson %(number)s") % {
            "class": self.class_list,
            "number": self.lesson_number,
        }


def homework_path(instance: "StudyRecord", filename: str) -> str:
    """Return a generated storage path; the client's file name is never used.

    The suffix is kept only when the homework policy stores it (.pdf, .zip,
    .py, .txt, ...), else there is none: "x.php" is never stored as such.
    """
    from student.homework_files import HOMEWORK

    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in HOMEWORK.stored_extensions:
        suffix = ""
    return f"private/homework/{instance.course_record_id}/{uuid.uuid4().hex}{suffix}"


class StudyRecord(models.Model):
    """A student's attendance, homework and score for one lesson."""

    class Attendance(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")
        LEFT_EARLY = "left_early", _("Left early")
        # Excused by an approved leave request (请假): not attended, not missed.
        ON_LEAVE = "on_leave", _("On leave")
        # A lesson held before the student joined the class: neither attended
        # nor missed, so no attendance figure counts it.
        NOT_ENROLLED = "not_enrolled", _("Not enrolled yet")

    class Score(models.IntegerChoices):
        A_PLUS = 100, "A+"
        A = 90, "A"
        B_PLUS = 85, "B+"
        B = 80, "B"
        B_MINUS = 70, "B-"
        C_PLUS = 60, "C+"
        C = 50, "C"
        C_MINUS = 40, "C-"
        D = -50, "D"
        NOT_APPLICABLE = 0, "N/A"
        COPY = -100, _("COPY")

    enrollment = models.ForeignKey(
        "crm.Enrollment",
        verbose_name=_("enrollment"),
        on_delete=models.CASCADE,
        related_name="study_records",
    )
    course_record = models.ForeignKey(
        CourseRecord,
        verbose_name=_("lesson"),
        on_delete=models.CASCADE,
        related_name="study_records",
    )
    attendance = models.CharField(
        _("attendance"),
        max_length=16,
        choices=Attendance,
        default=Attendance.PRESENT,
    )
    score = models.SmallIntegerField(_("score"), choices=Score, null=True, blank=True)
    teacher_comment = models.TextField(_("teacher's comment"), blank=True)
    homework_file = models.FileField(
        _("homework file"), upload_to=homework_path, max_length=255, blank=True
    )
    homework_original_name = models.CharField(
        _("homework file name"), max_length=255, blank=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("graded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("study record")
        verbose_name_plural = _("study records")
        ordering = ["course_record", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "course_record"],
                name="study_record_unique_per_lesson",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=-100, score__lte=100),
                name="study_record_score_range",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True)
                | Q(graded_at__isnull=False, graded_by__isnull=False),
                name="study_record_score_has_grader",
            ),
        ]
        indexes = [
            models.Index(
                fields=["course_record", "attendance"], name="study_lesson_att_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment.customer} · {self.course_record}"
