"""What the nightly cleanup job deletes (jobs.tasks.nightly_cleanup).

- Enrollment links that were never used and expired more than
  ``LINK_GRACE`` ago: they can no longer open anything; used links stay as
  the record of the submission.
- Upload leftovers: files under ``private/`` in the default storage that no
  row's file field names and that are older than ``LEFTOVER_AGE`` (a file
  whose save was rolled back, a replaced homework whose delete failed). Walked
  through the storage API, so it works on the local disk and on S3 alike.
"""

from __future__ import annotations

import datetime
import logging
import posixpath

from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models

from crm.models import EnrollmentLink

logger = logging.getLogger(__name__)

LINK_GRACE = datetime.timedelta(days=30)
LEFTOVER_AGE = datetime.timedelta(days=1)
PRIVATE_ROOT = "private"


def expired_links_delete(*, now: datetime.datetime) -> int:
    """Delete unused links expired more than LINK_GRACE ago; return how many."""
    stale = EnrollmentLink.objects.filter(
        used_at__isnull=True, expires_at__lt=now - LINK_GRACE
    )
    return stale.delete()[0]


def _stored_names() -> set[str]:
    """Return every file name a file field of any model holds."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                names.update(
                    model._default_manager.exclude(**{field.name: ""})
                    .values_list(field.name, flat=True)
                    .iterator(chunk_size=2000)
                )
    return names


def _walk(storage, directory: str):
    folders, files = storage.listdir(directory)
    for name in files:
        yield posixpath.join(directory, name)
    for folder in folders:
        yield from _walk(storage, posixpath.join(directory, folder))


def upload_leftovers_delete(*, now: datetime.datetime, storage=None) -> int:
    """Delete private files no row names, older than LEFTOVER_AGE; return how many."""
    storage = storage or default_storage
    try:
        found = list(_walk(storage, PRIVATE_ROOT))
    except FileNotFoundError:
        return 0
    if not found:
        return 0
    kept = _stored_names()
    deleted = 0
    for name in found:
        if name in kept:
            continue
        if storage.get_modified_time(name) > now - LEFTOVER_AGE:
            continue  # perhaps a save in progress
        storage.delete(name)
        deleted += 1
        logger.info("Deleted the upload leftover %s", name)
    return deleted
