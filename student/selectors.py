"""Reads for the student portal; every read is scoped to the logged-in student."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from crm.models import Enrollment


def enrollment_list_of_student(*, user: User) -> QuerySet[Enrollment]:
    """Return the approved enrollments of the customer linked to ``user``."""
    return (
        Enrollment.objects.filter(customer__user=user, state=Enrollment.State.APPROVED)
        .select_related("class_list__course", "class_list__branch")
        .prefetch_related(
            Prefetch(
                "class_list__teachers",
                queryset=User.objects.order_by("display_name", "username"),
            )
        )
        .order_by("-class_list__start_date", "pk")
    )
