"""The CRM's jobs."""

from django.utils import translation

from jobs.registry import Every, job, periodic


@periodic("crm-pool-fallback", Every(minutes=60))
@job()
def pool_fallback() -> int:
    """Move leads nobody followed up for CRM_STALE_LEAD_DAYS to the public pool."""
    from crm.pool import customers_fall_back

    return customers_fall_back()


@job(attempts=5)
def reviewers_notify(*, enrollment_id: int, language: str) -> int:
    """Tell the reviewers of a submitted enrollment (in the submitter's language)."""
    from crm.models import Enrollment
    from crm.services import enrollment_reviewers_notify

    enrollment = (
        Enrollment.objects.select_related("customer", "class_list__course")
        .filter(pk=enrollment_id)
        .first()
    )
    if enrollment is None:
        return 0
    with translation.override(language):
        return enrollment_reviewers_notify(enrollment=enrollment)
