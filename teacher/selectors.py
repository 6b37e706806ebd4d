"""Reads for the teacher portal."""

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from crm.models import ClassList, Enrollment


def class_list_taught_by(*, teacher: User) -> QuerySet[ClassList]:
    """Return the classes ``teacher`` teaches, with student and lesson counts."""
    return (
        ClassList.objects.filter(teachers=teacher)
        .select_related("course", "branch")
        .annotate(
            student_count=Count(
                "enrollments",
                filter=Q(enrollments__state=Enrollment.State.APPROVED),
                distinct=True,
            ),
            lesson_count=Count("course_records", distinct=True),
        )
        .order_by("-start_date", "pk")
    )
