"""Benchmark: peak memory and time of the streamed "download all homework" zip.

Target (issue 5): memory does not grow with the archive: the peak RSS grows
by less than 32 MB while a 400 MB archive is downloaded. The bench hands in
``--files`` homework files (default 200) of ``--size-mb`` (2) of random bytes
(incompressible: the archive is as big as the files) for one lesson; then a
logged-in teacher GETs ``teacher:homework_zip`` through ``django.test.Client``
in this process, the archive read chunk by chunk into a file. The peak RSS
(``resource.getrusage().ru_maxrss``) before and after the first download is
the memory streaming cost. Then A, the download, is timed next to B, its
floor: the same files zipped straight to disk with ``zipfile`` (deflate,
the view's level), no Django, no streaming. Run by hand:

    .venv/bin/python bench/homework_zip.py [--files N] [--size-mb M] [--repeat N]
    DATABASE_URL=postgres://... .venv/bin/python bench/homework_zip.py
    .venv/bin/python bench/homework_zip.py --smoke   # works? (seconds; exit 1 if not)

Production mode (DEBUG=0, collected static files) as bench/harness.py sets it
up, always on a throwaway database (a SQLite file, or a database created on
the PostgreSQL server of DATABASE_URL) with uploads and archives in a
temporary folder, all removed at the end. The archive is checked (entry
names, CRCs) unless --no-verify. A full run exits 0; a smoke run exits 1 if
the download does not answer 200 or the archive is not as expected.
"""

import os
import resource
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import harness

WRITE_BLOCK = 1024 * 1024
PEAK_GROWTH_MB = 32


def parse_args():
    parser = harness.argument_parser(__doc__, repeat=3, warmup=0)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=2.0)
    parser.add_argument("--no-verify", action="store_true")
    return harness.parse_args(
        parser, smoke={"files": 5, "size_mb": 0.0625, "repeat": 2, "warmup": 0}
    )


def peak_rss_mb() -> float:
    # Linux reports kilobytes (macOS bytes; this bench targets Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


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


@dataclass
class Download:
    response: object
    bytes: int = 0
    chunks: int = 0
    biggest: int = 0


def download(client, url: str, path: Path) -> Download:
    """GET the archive and write it to ``path`` chunk by chunk."""
    result = Download(client.get(url))
    if result.response.status_code != 200:
        return result
    with path.open("wb") as out:
        for chunk in result.response.streaming_content:
            out.write(chunk)
            result.bytes += len(chunk)
            result.chunks += 1
            result.biggest = max(result.biggest, len(chunk))
    result.response.close()
    return result


def zip_floor(lesson, path: Path) -> None:
    """Zip the lesson's homework files straight to disk, as the view compresses."""
    from django.conf import settings

    from teacher.models import StudyRecord
    from teacher.zipstream import COMPRESS_LEVEL

    media = Path(settings.MEDIA_ROOT)
    names = StudyRecord.objects.filter(course_record=lesson).values_list(
        "pk", "homework_file"
    )
    with zipfile.ZipFile(
        path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    ) as archive:
        for pk, name in names:
            archive.write(media / name, f"{pk}-{Path(name).name}")


def archive_problems(path: Path, files: int) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        bad = archive.testzip()
    print(
        f"verified: {len(names)} entries, e.g. {names[0]!r}; CRCs "
        f"{'ok' if bad is None else f'BAD at {bad}'}"
        if names
        else "verified: the archive is EMPTY"
    )
    problems = [f"the archive holds {len(names)} entries, not {files}"]
    if bad is not None:
        problems.append(f"bad CRC in the archive at {bad}")
    return problems[len(names) == files :]


def main() -> int:
    args = parse_args()
    size = int(args.size_mb * 1024 * 1024)
    with harness.production(args, "homework_zip", fresh=True) as env:
        from django.urls import reverse

        started = time.monotonic()
        teacher, lesson = seed(args.files, size)
        print(
            f"Seeded {args.files} files of {size / 1024 / 1024:.2f} MB "
            f"in {time.monotonic() - started:.1f}s."
        )
        client = harness.logged_in_client(teacher.username)
        url = reverse("teacher:homework_zip", args=[lesson.pk])
        archive_path = env.tmp / "archive.zip"
        # Load the view's code and the middleware before measuring (the
        # archive itself is written only while the response is read).
        client.get(url).close()
        before_peak, before_now = peak_rss_mb(), current_rss_mb()
        first = download(client, url, archive_path)
        after_peak, after_now = peak_rss_mb(), current_rss_mb()
        row = harness.Row(f"zip of {args.files} files")
        row.problems = harness.status_problems(download=first.response)
        problems = []
        if not row.problems:
            response, megabytes = first.response, first.bytes / 1024 / 1024
            print(f"GET {url} -> {response.status_code} {response['Content-Type']}")
            print(
                f"  {response['Content-Disposition']}; {megabytes:.1f} MB in "
                f"{first.chunks} chunks (largest {first.biggest / 1024:.0f} KB)"
            )
            print(
                f"peak RSS {before_peak:.1f} MB before the download (current "
                f"{before_now:.1f}), {after_peak:.1f} MB after (current "
                f"{after_now:.1f})"
            )
            if not args.no_verify:
                problems = archive_problems(archive_path, args.files)
            floor_path = env.tmp / "floor.zip"
            row.timing = harness.interleave(
                lambda: download(client, url, archive_path),
                lambda: zip_floor(lesson, floor_path),
                repeat=args.repeat,
                warmup=args.warmup,
            )
            row.extra = {"archive MB": f"{megabytes:.1f}"}
        harness.print_table([row], a="download (view)", b="zipfile to disk")
        growth = after_peak - before_peak
        harness.print_target(
            f"peak RSS growth {growth:.1f} MB < {PEAK_GROWTH_MB} MB for the archive",
            met=growth < PEAK_GROWTH_MB if row.timing else None,
            env=env,
        )
        return harness.exit_status(env, [row], problems)


if __name__ == "__main__":
    raise SystemExit(main())
