"""What the teacher downloads: homework files named after their students.

A downloaded file is named ``<student name>-<student id>.<ext>``, the same
alone and inside the lesson's archive ``<class>-lesson<N>-homework.zip``.
The student id is the student's customer number (``crm.Customer`` pk), the
same in every class. The extension is the one stored with the file (checked
when it was uploaded); the name the student's computer gave it is not used.
"""

import re
import unicodedata
from pathlib import PurePosixPath

from django.db.models import QuerySet
from django.utils import timezone

from teacher.models import CourseRecord, StudyRecord
from teacher.selectors import lesson_study_records
from teacher.zipstream import ZipEntry

# Characters that are path separators or reserved in a Windows file name.
_UNSAFE = re.compile(r'[\\/:*?"<>|]+')
_MAX_STEM = 80


def safe_file_stem(text: str, *, fallback: str) -> str:
    """Return ``text`` usable as a file name on every desktop system."""
    text = "".join(
        " " if unicodedata.category(ch).startswith("C") else ch
        for ch in unicodedata.normalize("NFC", text)
    )
    text = _UNSAFE.sub("_", text)
    text = " ".join(text.split()).strip(". ")
    return text[:_MAX_STEM].rstrip(". ") or fallback


def homework_file_name(record: StudyRecord) -> str:
    """Return the download name of a study record's homework file."""
    customer = record.enrollment.customer
    stem = safe_file_stem(customer.name or str(customer), fallback="student")
    suffix = PurePosixPath(record.homework_file.name).suffix.lower()
    return f"{stem}-{customer.pk}{suffix}"


def homework_archive_name(course_record: CourseRecord) -> str:
    """Return ``<class>-lesson<N>-homework.zip`` for a lesson."""
    class_name = safe_file_stem(str(course_record.class_list), fallback="class")
    return f"{class_name}-lesson{course_record.lesson_number}-homework.zip"


def submitted_homework(*, course_record: CourseRecord) -> QuerySet[StudyRecord]:
    """Return the study records of a lesson that have a homework file."""
    return lesson_study_records(course_record=course_record).exclude(homework_file="")


def homework_archive_entries(*, course_record: CourseRecord) -> list[ZipEntry]:
    """Return the zip entries of every homework file handed in for a lesson.

    The list holds names and file paths only (a few hundred bytes a student):
    the files are opened one at a time while the archive is streamed.
    """
    entries = []
    for record in submitted_homework(course_record=course_record):
        stored = record.homework_file
        modified = record.submitted_at or course_record.created_at
        entries.append(
            ZipEntry(
                name=homework_file_name(record),
                open=_opener(stored.storage, stored.name),
                size=_sizer(stored.storage, stored.name),
                modified=timezone.localtime(modified).replace(tzinfo=None),
            )
        )
    return entries


def _opener(storage, name):
    return lambda: storage.open(name, "rb")


def _sizer(storage, name):
    return lambda: storage.size(name)
