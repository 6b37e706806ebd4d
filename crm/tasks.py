"""The CRM's jobs."""

from jobs.registry import Every, job, periodic


@periodic("crm-pool-fallback", Every(minutes=60))
@job()
def pool_fallback() -> int:
    """Move leads nobody followed up for CRM_STALE_LEAD_DAYS to the public pool."""
    from crm.pool import customers_fall_back

    return customers_fall_back()
