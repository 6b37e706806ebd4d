"""Benchmark: peak memory of the streamed "download all homework" zip.

Target (issue 5): memory does not grow with the archive. The bench hands in
200 homework files of 2 MB of random bytes (incompressible: the archive is
as big as the files) for one lesson, then a logged-in teacher GETs
``teacher:homework_zip`` through ``django.test.Client`` in this process and
the archive is read chunk by chunk into a file. It reports the peak RSS
(``resource.getrusage().ru_maxrss``) before and after the download: the
difference is what streaming the archive cost. Run by hand:

    .venv/bin/python bench/homework_zip.py [--files N] [--size-mb M]

Everything lives in a temporary folder (SQLite database, uploads, archive)
removed at the end. The archive is checked (entry names, CRCs) unless
--no-verify. The report always exits 0.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITE_BLOCK = 1024 * 1024


def peak_rss_mb() -> float:
    # Linux reports kilobytes (macOS bytes; this bench targets Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def setup_django(tmp: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_project.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(files: int, size: int):
    """Create a teacher, a class of ``files`` students and one lesson's homework.

    Files are written 1 MB at a time, straight into MEDIA_ROOT, so that the
    seeding itself does not raise the peak RSS.
    """
    from datetime import date

    from django.conf import settings
    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from accounts.models import Role, User
    from crm.demo_data import BEIJING, PYTHON, PYTHON_S9, ROLE_TEACHER
    from crm.models import Branch, ClassList, Course, Customer, Enrollment
    from teacher.models import CourseRecord, StudyRecord, homework_path

    role = Role.objects.create(name=ROLE_TEACHER)
    role.permissions.add(Permission.objects.get(codename="use_teacher_portal"))
    teacher = User.objects.create_user("bench_teacher")
    teacher.roles.add(role)
    class_list = ClassList.objects.create(
        name=PYTHON_S9,
        branch=Branch.objects.create(name=BEIJING),
        course=Course.objects.create(name=PYTHON, price=9800, period_months=4),
        class_type=ClassList.ClassType.FULL_TIME,
        semester=9,
        start_date=date(2026, 9, 1),
    )
    class_list.teachers.add(teacher)
    lesson = CourseRecord.objects.create(
        class_list=class_list,
        lesson_number=1,
        teacher=teacher,
        date=date(2026, 9, 1),
        title="Python basics",
        homework_title="hello.py",
    )
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"学员{n:03d}",
            qq=str(900_000 + n),
            phone=None,
            source=Customer.Source.QQ_GROUP,
            consultant=teacher,
        )
        for n in range(files)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            customer=customer,
            class_list=class_list,
            consultant=teacher,
            state=Enrollment.State.APPROVED,
            approved_by=teacher,
            approved_at=now,
        )
        for customer in customers
    )
    records = []
    media = Path(settings.MEDIA_ROOT)
    for enrollment in enrollments:
        record = StudyRecord(enrollment=enrollment, course_record=lesson)
        name = homework_path(record, "homework.bin")
        path = media / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            left = size
            while left:
                block = min(left, WRITE_BLOCK)
                out.write(os.urandom(block))
                left -= block
        record.homework_file.name = name
        record.homework_original_name = "homework.bin"
        record.submitted_at = now
        records.append(record)
    StudyRecord.objects.bulk_create(records)
    return teacher, lesson


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=2.0)
    parser.add_argument("--no-verify", action="store_true")
    args = parser.parse_args()
    size = int(args.size_mb * 1024 * 1024)

    with tempfile.TemporaryDirectory(prefix="homework-zip-bench-") as tmp_name:
        tmp = Path(tmp_name)
        setup_django(tmp)
        from django.test import Client
        from django.urls import reverse

        started = time.monotonic()
        teacher, lesson = seed(args.files, size)
        print(
            f"Seeded {args.files} files of {size / 1024 / 1024:.1f} MB "
            f"in {time.monotonic() - started:.1f}s."
        )
        client = Client()
        client.force_login(teacher)
        url = reverse("teacher:homework_zip", args=[lesson.pk])
        before_peak, before_now = peak_rss_mb(), current_rss_mb()

        started = time.monotonic()
        response = client.get(url)
        archive_path = tmp / "archive.zip"
        written = chunks = biggest = 0
        with archive_path.open("wb") as out:
            for chunk in response.streaming_content:
                out.write(chunk)
                written += len(chunk)
                chunks += 1
                biggest = max(biggest, len(chunk))
        response.close()
        elapsed = time.monotonic() - started
        after_peak, after_now = peak_rss_mb(), current_rss_mb()

        print(f"GET {url} -> {response.status_code} {response['Content-Type']}")
        print(f"  {response['Content-Disposition']}")
        print(
            f"archive: {written / 1024 / 1024:.1f} MB in {chunks} chunks "
            f"(largest {biggest / 1024:.0f} KB), {elapsed:.1f}s, "
            f"{written / 1024 / 1024 / elapsed:.0f} MB/s"
        )
        print(
            f"peak RSS before the download: {before_peak:.1f} MB "
            f"(current {before_now:.1f} MB)"
        )
        print(
            f"peak RSS after the download:  {after_peak:.1f} MB "
            f"(current {after_now:.1f} MB)"
        )
        print(
            f"growth of the peak: {after_peak - before_peak:.1f} MB for an archive "
            f"of {written / 1024 / 1024:.0f} MB"
        )
        if not args.no_verify:
            with zipfile.ZipFile(archive_path) as archive:
                names = archive.namelist()
                bad = archive.testzip()
            ok = len(names) == args.files and bad is None
            print(
                f"verified: {len(names)} entries, e.g. {names[0]!r}; CRCs "
                f"{'ok' if bad is None else f'BAD at {bad}'}"
                if names
                else "verified: the archive is EMPTY"
            )
            if not ok:
                print("the archive is NOT as expected")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
