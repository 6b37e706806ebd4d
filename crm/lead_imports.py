"""Importing a spreadsheet of leads: upload, preview, commit (a job), revert.

- ``lead_import_start`` checks the upload (``crm.imports.IMPORT_FILE``),
  stores it privately and guesses the columns from the header;
- ``lead_import_preview`` says of each row what importing it would do
  (``crm.import_preview``); ``lead_import_page`` gives one page of it with
  the counts of the whole file; ``lead_import_choose`` leaves new rows out;
- ``lead_import_commit`` queues the job ``lead_import_run``, which first
  checks every row again (its progress, ``checked`` of ``rows``, is visible
  while it runs), then creates the chosen new rows' leads in one transaction
  (all or none), owned by the chosen consultant or given by the assignment
  rules (``crm.assignment``), with their search index, and records the
  counts;
- ``lead_import_revert`` deletes the import's leads nobody has worked yet
  (no follow-up, no enrollment, same owner) and keeps the others.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.assignment import Assigner
from crm.import_preview import FIELDS, PreviewRow, Status, columns_guess, import_preview
from crm.imports import sheet_check, sheet_rows
from crm.models import Customer, LeadImport
from crm.search import index_customers
from jobs.queue import enqueue_on_commit
from jobs.registry import job
from webhooks.models import Event
from webhooks.payloads import lead_payload
from webhooks.services import event_wanted, events_emit

BATCH = 1000


def lead_import_start(
    *,
    upload,
    by: User,
    consultant: User,
    default_source: str,
    use_rules: bool = False,
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
        use_rules=use_rules,
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


@dataclass
class PreviewPage:
    """One page of an import's preview, with the counts of the whole file."""

    counts: dict[str, int]
    total: int
    chosen: int
    rows: list[PreviewRow]
    number: int
    pages: int


def lead_import_page(
    lead_import: LeadImport,
    *,
    status: str | None = None,
    number: int = 1,
    per_page: int = 100,
) -> PreviewPage:
    """Return page ``number`` of the rows of ``status`` (all if None).

    The whole file is read (streamed) for the counts; only the page's rows
    are kept. The total is remembered on the import for the progress of its
    commit.
    """
    counts = {Status.NEW: 0, Status.DUPLICATE: 0, Status.ERROR: 0}
    skipped = set(lead_import.skipped)
    first = (max(number, 1) - 1) * per_page
    rows, matching, chosen = [], 0, 0
    for preview in lead_import_preview(lead_import):
        counts[preview.status] += 1
        if preview.status == Status.NEW and preview.number not in skipped:
            chosen += 1
        if status is None or preview.status == status:
            if first <= matching < first + per_page:
                rows.append(preview)
            matching += 1
    total = sum(counts.values())
    if lead_import.rows != total and lead_import.state == LeadImport.State.PREVIEWED:
        LeadImport.objects.filter(pk=lead_import.pk).update(rows=total)
        lead_import.rows = total
    return PreviewPage(
        counts=counts,
        total=total,
        chosen=chosen,
        rows=rows,
        number=max(number, 1),
        pages=max(1, math.ceil(matching / per_page)),
    )


def lead_import_choose(
    *, lead_import: LeadImport, shown: Iterable[int], chosen: Iterable[int]
) -> LeadImport:
    """Import the ``chosen`` rows among those ``shown``; leave the others out."""
    if lead_import.state != LeadImport.State.PREVIEWED:
        raise ValidationError(_("This import has been committed already."))
    shown, chosen = set(shown), set(chosen)
    if chosen - shown:
        raise ValidationError(_("Choose among the rows shown."))
    skipped = (set(lead_import.skipped) - shown) | (shown - chosen)
    lead_import.skipped = sorted(skipped)
    lead_import.save(update_fields=["skipped"])
    return lead_import


def lead_import_map(*, lead_import: LeadImport, mapping: dict[str, int]) -> None:
    """Set which column holds which field (as the user chose them)."""
    if lead_import.state != LeadImport.State.PREVIEWED:
        raise ValidationError(_("This import has been committed already."))
    if set(mapping) - set(FIELDS):
        raise ValidationError(_("Unknown field."))
    if len(set(mapping.values())) != len(mapping):
        raise ValidationError(_("One column cannot fill two fields."))
    lead_import.mapping = mapping
    # Other columns make other rows: the choices made on the old ones go.
    lead_import.skipped = []
    lead_import.save(update_fields=["mapping", "skipped"])


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
    """Create the import's chosen new leads, all in one transaction; return how many.

    A first pass checks every row and shows its progress (``checked``): a
    transaction's own writes are invisible to the page that polls, so the
    rows are counted outside it. The second pass checks them again inside
    the transaction, where a lead entered meanwhile is seen, and writes.
    """
    lead_import = LeadImport.objects.select_related("consultant").get(pk=import_id)
    if lead_import.state != LeadImport.State.QUEUED:
        return 0
    try:
        checked = 0
        previews = lead_import_preview(lead_import)
        while batch := list(itertools.islice(previews, BATCH)):
            checked += len(batch)
            LeadImport.objects.filter(pk=import_id).update(
                checked=checked, rows=max(checked, lead_import.rows)
            )
        with transaction.atomic():
            counts, unassigned = _create_leads(lead_import)
    except (IntegrityError, ValidationError) as error:
        # A lead entered meanwhile with one of the numbers, an unreadable
        # file: nothing was created; the log says why.
        LeadImport.objects.filter(pk=import_id).update(
            state=LeadImport.State.FAILED,
            failure=str(error)[:2000],
            finished_at=timezone.now(),
        )
        return 0
    except Exception as error:
        # Anything else: the import must not wait forever in "queued"; the
        # job's own record keeps the traceback.
        LeadImport.objects.filter(pk=import_id).update(
            state=LeadImport.State.FAILED,
            failure=_("The import stopped on an unexpected error (%(error)s).")
            % {"error": type(error).__name__},
            finished_at=timezone.now(),
        )
        raise
    LeadImport.objects.filter(pk=import_id).update(
        state=LeadImport.State.DONE,
        rows=sum(counts.values()),
        checked=sum(counts.values()),
        created=counts[Status.NEW],
        duplicates=counts[Status.DUPLICATE],
        errors=counts[Status.ERROR],
        unassigned=unassigned,
        finished_at=timezone.now(),
    )
    return counts[Status.NEW]


def _create_leads(lead_import: LeadImport) -> tuple[dict[str, int], int]:
    counts = {Status.NEW: 0, Status.DUPLICATE: 0, Status.ERROR: 0}
    skipped = set(lead_import.skipped)
    assigner = (
        Assigner(fallback=lead_import.consultant) if lead_import.use_rules else None
    )
    campus_id = lead_import.consultant.campus_id
    unassigned = 0
    now = timezone.now()
    previews = lead_import_preview(lead_import)
    while batch := list(itertools.islice(previews, BATCH)):
        leads = []
        for preview in batch:
            if preview.status == Status.NEW and preview.number in skipped:
                continue
            counts[preview.status] += 1
            if preview.status != Status.NEW:
                continue
            lead = _lead(lead_import, preview, now)
            if assigner is not None:
                assigned = assigner.owner(
                    campus_id=campus_id, course_id=None, source=lead.source
                )
                lead.consultant = assigned.consultant
                lead.unassigned = assigned.unassigned
                unassigned += assigned.unassigned
            leads.append(lead)
        leads = Customer.objects.bulk_create(leads)
        index_customers(leads, new=True)
        if event_wanted(Event.LEAD_CREATED):
            events_emit(Event.LEAD_CREATED, [lead_payload(lead) for lead in leads])
    if assigner is not None:
        assigner.finish()
    return counts, unassigned


def _lead(lead_import: LeadImport, preview: PreviewRow, now) -> Customer:
    values = preview.values
    return Customer(
        name=values.get("name", ""),
        phone=values.get("phone") or None,
        qq=values.get("qq") or None,
        email=values.get("email", ""),
        source=values["source"],
        notes=values.get("notes", ""),
        consultant=lead_import.consultant,
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
    # Untouched: nobody followed it up, enrolled it, booked it a trial,
    # merged a duplicate into it, and it came no other way (a lead form);
    # nobody gave it to another owner or claimed it (the activity moves).
    untouched = leads.filter(
        followups__isnull=True,
        enrollments__isnull=True,
        trial_lessons__isnull=True,
        merges__isnull=True,
        submissions__isnull=True,
        user__isnull=True,
        last_activity_at=F("created_at"),
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
