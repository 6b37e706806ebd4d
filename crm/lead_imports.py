"""Importing a spreadsheet of leads: upload, preview, commit (a job), revert.

- ``lead_import_start`` checks the upload (``crm.imports.IMPORT_FILE``),
  stores it privately and guesses the columns from the header;
- ``lead_import_preview`` says of each row what importing it would do
  (``crm.import_preview``);
- ``lead_import_commit`` queues the job ``lead_import_run``, which creates
  the new rows' leads in one transaction (all or none), owned by the
  chosen consultant, with their search index, and records the counts;
- ``lead_import_revert`` deletes the import's leads nobody has worked yet
  (no follow-up, no enrollment, same owner) and keeps the others.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.import_preview import FIELDS, PreviewRow, Status, columns_guess, import_preview
from crm.imports import sheet_check, sheet_rows
from crm.models import Customer, LeadImport
from crm.search import index_customers
from jobs.queue import enqueue_on_commit
from jobs.registry import job

BATCH = 1000


def lead_import_start(
    *, upload, by: User, consultant: User, default_source: str
) -> LeadImport:
    """Check and store ``upload``; return the import, ready to preview."""
    if default_source not in Customer.Source.values:
        raise ValidationError({"default_source": _("Choose a source.")})
    checked = sheet_check(upload)
    rows = sheet_rows(upload, checked)
    header = next(rows, None)
    rows.close()
    if header is None:
        raise ValidationError(_("The file has no rows."), code="empty")
    lead_import = LeadImport(
        created_by=by,
        consultant=consultant,
        default_source=default_source,
        original_name=checked.original_name,
        kind=checked.kind,
        encoding=checked.encoding,
        mapping=columns_guess(header.cells),
    )
    upload.seek(0)
    lead_import.file.save(f"leads{checked.extension}", upload, save=False)
    lead_import.save()
    return lead_import


def _checked(lead_import: LeadImport):
    from crm.upload_checks import CheckedUpload

    return CheckedUpload(
        kind=lead_import.kind,
        extension="",
        content_type="",
        size=0,
        original_name=lead_import.original_name,
        encoding=lead_import.encoding,
    )


def lead_import_preview(lead_import: LeadImport) -> Iterator[PreviewRow]:
    """Yield what importing each row of the stored file would do."""
    with lead_import.file.open("rb") as stored:
        rows = sheet_rows(stored, _checked(lead_import))
        yield from import_preview(
            rows,
            {k: int(v) for k, v in lead_import.mapping.items()},
            default_source=lead_import.default_source,
        )


def lead_import_map(*, lead_import: LeadImport, mapping: dict[str, int]) -> None:
    """Set which column holds which field (as the user chose them)."""
    if lead_import.state != LeadImport.State.PREVIEWED:
        raise ValidationError(_("This import has been committed already."))
    if set(mapping) - set(FIELDS):
        raise ValidationError(_("Unknown field."))
    if len(set(mapping.values())) != len(mapping):
        raise ValidationError(_("One column cannot fill two fields."))
    lead_import.mapping = mapping
    lead_import.save(update_fields=["mapping"])


@transaction.atomic
def lead_import_commit(*, lead_import: LeadImport) -> LeadImport:
    """Queue the import of the new rows; the job does it."""
    lead_import = LeadImport.objects.select_for_update().get(pk=lead_import.pk)
    if lead_import.state != LeadImport.State.PREVIEWED:
        raise ValidationError(_("This import has been committed already."))
    lead_import.state = LeadImport.State.QUEUED
    lead_import.save(update_fields=["state"])
    enqueue_on_commit(lead_import_run, import_id=lead_import.pk)
    return lead_import


@job(attempts=1)
def lead_import_run(*, import_id: int) -> int:
    """Create the import's new leads, all in one transaction; return how many."""
    lead_import = LeadImport.objects.get(pk=import_id)
    if lead_import.state != LeadImport.State.QUEUED:
        return 0
    counts = {Status.NEW: 0, Status.DUPLICATE: 0, Status.ERROR: 0}
    try:
        with transaction.atomic():
            now = timezone.now()
            previews = lead_import_preview(lead_import)
            while batch := list(itertools.islice(previews, BATCH)):
                for preview in batch:
                    counts[preview.status] += 1
                leads = Customer.objects.bulk_create(
                    _lead(lead_import, preview, now)
                    for preview in batch
                    if preview.status == Status.NEW
                )
                index_customers(leads, new=True)
    except (IntegrityError, ValidationError) as error:
        # A lead entered meanwhile with one of the numbers, an unreadable
        # file: nothing was created; the log says why.
        LeadImport.objects.filter(pk=import_id).update(
            state=LeadImport.State.FAILED,
            failure=str(error)[:2000],
            finished_at=timezone.now(),
        )
        return 0
    LeadImport.objects.filter(pk=import_id).update(
        state=LeadImport.State.DONE,
        rows=sum(counts.values()),
        created=counts[Status.NEW],
        duplicates=counts[Status.DUPLICATE],
        errors=counts[Status.ERROR],
        finished_at=timezone.now(),
    )
    return counts[Status.NEW]


def _lead(lead_import: LeadImport, preview: PreviewRow, now) -> Customer:
    values = preview.values
    return Customer(
        name=values.get("name", ""),
        phone=values.get("phone") or None,
        qq=values.get("qq") or None,
        email=values.get("email", ""),
        source=values["source"],
        notes=values.get("notes", ""),
        consultant_id=lead_import.consultant_id,
        created_at=now,
        last_activity_at=now,
        lead_import=lead_import,
    )


@transaction.atomic
def lead_import_revert(*, lead_import: LeadImport, by: User) -> LeadImport:
    """Delete the import's leads nobody worked; keep (and count) the others."""
    lead_import = LeadImport.objects.select_for_update().get(pk=lead_import.pk)
    if lead_import.state != LeadImport.State.DONE:
        raise ValidationError(_("Only a finished import can be reverted."))
    leads = Customer.objects.filter(lead_import=lead_import)
    untouched = leads.filter(
        followups__isnull=True,
        enrollments__isnull=True,
        consultant_id=lead_import.consultant_id,
        user__isnull=True,
    )
    ids = list(untouched.values_list("pk", flat=True))
    kept = leads.exclude(pk__in=ids).count()
    for start in range(0, len(ids), BATCH):
        Customer.objects.filter(pk__in=ids[start : start + BATCH]).delete()
    lead_import.state = LeadImport.State.REVERTED
    lead_import.kept = kept
    lead_import.reverted_by = by
    lead_import.reverted_at = timezone.now()
    lead_import.save(update_fields=["state", "kept", "reverted_by", "reverted_at"])
    return lead_import
