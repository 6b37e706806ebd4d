"""Two instances on loopback, sharing PostgreSQL, Redis and S3: do they act as one?

    scripts/two-instances          # starts PostgreSQL, then this script

Run by ``scripts/two-instances`` (through ``scripts/with-postgres``, which sets
DATABASE_URL). This script starts a Redis server (the OS's ``redis-server``)
and an S3 server (``moto`` in server mode) on free loopback ports, prepares
the database (migrate, collectstatic, seed_demo) in production mode, then two
gunicorn instances and two job workers, and checks, as the README's
"Scaling out" section promises:

1. a session opened on instance 1 is logged in on instance 2;
2. an ID document uploaded through instance 1 lands in S3 and the reviewer
   opens it through instance 2, byte for byte;
3. a long export started on instance 1 is written by a worker (into S3)
   and downloads through instance 2;
4. a job enqueued by a request on instance 1 (a password-reset mail) runs
   exactly once, and each periodic job's due time ran once, with two workers;
5. the login throttle counts failures made on both instances together;
6. a worker killed in the middle of a job loses nothing: the other worker
   picks the job up again and finishes it (the job ran to its end once).

Everything it started is stopped however it ends; exit 1 on any failure.
"""

from __future__ import annotations

import http.cookiejar
import io
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PASSWORD = "demo-pass-2026"  # noqa: S105 - the documented demo password
FAILURES_PER_ADDRESS = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, what: str, timeout: float = 60.0, every: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class Processes:
    """The servers this script started, stopped in reverse order at the end."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env=None) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - with the process
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.started.append((name, process))
        return process

    def stop_all(self, *, show_logs: bool) -> None:
        for name, process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
            if show_logs:
                log = (self.workdir / f"{name}.log").read_text(errors="replace")
                print(f"--- {name} log (last 25 lines) ---", file=sys.stderr)
                print("\n".join(log.splitlines()[-25:]), file=sys.stderr)


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Browser:
    """A cookie jar and a CSRF-aware form poster, like one user's browser."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def get(self, url: str) -> tuple[int, bytes, dict]:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, fields: dict, files: dict | None = None, referer=None):
        fields = {"csrfmiddlewaretoken": self.cookie("csrftoken"), **fields}
        if files:
            body, content_type = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(url, data=body, method="POST")
        request.add_header("Content-Type", content_type)
        request.add_header("Referer", referer or url)
        return self._open(request)

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; ".encode())
        out.write(f'name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        out.write(f"--{boundary}\r\nContent-Disposition: form-data; ".encode())
        out.write(f'name="{name}"; filename="{filename}"\r\n'.encode())
        out.write(f"Content-Type: {content_type}\r\n\r\n".encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def log_in(browser: Browser, base: str, username: str, password=PASSWORD) -> int:
    browser.get(f"{base}/accounts/login/")
    status, _body, _headers = browser.post(
        f"{base}/accounts/login/", {"username": username, "password": password}
    )
    return status


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "PNG")
    return buffer.getvalue()


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Run through scripts/two-instances (PostgreSQL).", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="crm-two-"))
    processes = Processes(workdir)
    failed = True
    try:
        run(processes, workdir)
        failed = False
    finally:
        processes.stop_all(show_logs=failed)
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    print("two instances: every check passed")
    return 0


def run(processes: Processes, workdir: Path) -> None:
    redis_port, s3_port = free_port(), free_port()
    processes.start(
        "redis",
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
    )
    processes.start(
        "s3",
        [str(ROOT / ".venv/bin/moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
    )
    wait_for(lambda: listening(redis_port) and listening(s3_port), "Redis and S3")
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "0",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "no-local-uploads"),
        "EMAIL_BACKEND": "file",
        "EMAIL_FILE_PATH": str(workdir / "mail"),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "S3_BUCKET": "crm-private",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
        "LOGIN_FAILURES_PER_ADDRESS": str(FAILURES_PER_ADDRESS),
        "JOBS_LOST_AFTER_SECONDS": "6",
        "EXPORT_IN_BACKGROUND_ABOVE": "5",
        "TASKS_BACKEND": "database",
    }
    os.environ.update(env)
    import boto3

    boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's fake key
        region_name="us-east-1",
    ).create_bucket(Bucket="crm-private")
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [PY, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    subprocess.run(
        [PY, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )

    ports = [free_port(), free_port()]
    for n, port in enumerate(ports, 1):
        processes.start(
            f"web{n}",
            [
                PY,
                "-m",
                "gunicorn",
                "crm_project.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
            ],
            env,
        )
    workers = {}
    for n in (1, 2):
        workers[f"worker-{n}"] = processes.start(
            f"worker{n}",
            [
                PY,
                "manage.py",
                "worker",
                "--no-reload",
                "--interval",
                "0.2",
                "--worker-id",
                f"worker-{n}",
                "--no-startup-delay",
            ],
            env,
        )
    wait_for(lambda: all(listening(p) for p in ports), "both instances")
    one, two = (f"http://127.0.0.1:{port}" for port in ports)

    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_project.settings")
    django.setup()
    check_sessions(one, two)
    check_uploads(one, two)
    check_background_export(one, two)
    check_jobs_run_once(one)
    check_login_throttle(one, two)  # last: it blocks the address from logging in
    check_killed_worker(workers)


def check_sessions(one: str, two: str) -> None:
    browser = Browser()
    assert log_in(browser, one, "sales_a") == 302, "login on instance 1"
    status, body, _ = browser.get(f"{two}/kingadmin/crm/customer/")
    assert status == 200, f"instance 2 did not know the session: {status}"
    assert "sales_a" in body.decode() or "销售" in body.decode()
    print("ok: logged in on instance 1, recognised on instance 2")


def check_uploads(one: str, two: str) -> None:
    from django.core.files.storage import default_storage, storages

    from accounts.models import User
    from crm.models import ClassList, Customer, EnrollmentDocument
    from crm.services import enrollment_link_create

    sales = User.objects.get(username="sales_a")
    customer = Customer.objects.filter(consultant=sales).first()
    klass = ClassList.objects.order_by("pk").first()
    link, token = enrollment_link_create(customer=customer, class_list=klass, by=sales)
    visitor = Browser()
    visitor.get(f"{one}/enroll/{token}/")
    content = png_bytes()
    status, _body, _ = visitor.post(
        f"{one}/enroll/{token}/",
        {"action": "upload"},
        {"documents": ("身份证.png", content, "image/png")},
    )
    assert status in (200, 302), f"upload on instance 1: {status}"
    document = EnrollmentDocument.objects.get(enrollment=link.enrollment)
    assert type(storages["default"]).__name__ == "S3Storage"
    assert default_storage.exists(document.file.name), "the file is not in S3"
    reviewer = Browser()
    assert log_in(reviewer, two, "admin") == 302
    url = f"{two}/crm/enrollments/{link.enrollment_id}/documents/{document.pk}/"
    status, body, _ = reviewer.get(url)
    assert status == 200 and body == content, f"document on instance 2: {status}"
    print("ok: an ID document uploaded on 1 (to S3) opened on 2, byte for byte")


def check_login_throttle(one: str, two: str) -> None:
    attacker = Browser()
    statuses = []
    for n in range(FAILURES_PER_ADDRESS):
        base = one if n % 2 == 0 else two
        statuses.append(log_in(attacker, base, f"nobody{n}", password="wrong"))  # noqa: S106
    assert statuses == [200] * FAILURES_PER_ADDRESS, statuses
    for base in (one, two):
        status, _body, _ = attacker.get(f"{base}/accounts/login/")
        assert status == 429, f"{base} did not count the other's failures: {status}"
    print(f"ok: {FAILURES_PER_ADDRESS} failures split over both, both answer 429")


def check_jobs_run_once(one: str) -> None:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from jobs.models import PeriodicRun
    from jobs.registry import PERIODIC

    mail = Path(os.environ["EMAIL_FILE_PATH"])
    mails = DBTaskResult.objects.filter(task_path="jobs.tasks.send_email")
    unfinished = (TaskResultStatus.READY, TaskResultStatus.RUNNING)

    def quiet():
        """The periodic jobs of the workers' start ran, with the mails they sent.

        (The overdue reminders mail the demo student, for one.)
        """
        runs = PeriodicRun.objects.filter(name__in=list(PERIODIC))
        if runs.count() < len(PERIODIC):
            return False
        ids = list(runs.values_list("task_id", flat=True))  # text, not uuid
        started = DBTaskResult.objects.filter(pk__in=ids)
        return not started.filter(status__in=unfinished).exists() and not (
            mails.filter(status__in=unfinished).exists()
        )

    wait_for(quiet, "the periodic jobs of the start")
    before = set(mails.values_list("pk", flat=True))
    files_before = set(mail.glob("*.log")) if mail.exists() else set()
    visitor = Browser()
    visitor.get(f"{one}/accounts/password/reset/")
    status, _body, _ = visitor.post(
        f"{one}/accounts/password/reset/", {"email": "student@example.com"}
    )
    assert status == 302, f"password reset on instance 1: {status}"
    job = wait_for(
        lambda: (
            mails.filter(status=TaskResultStatus.SUCCESSFUL)
            .exclude(pk__in=before)
            .first()
        ),
        "the mail job",
    )
    time.sleep(1.5)  # time for a second (wrong) run to show
    assert len(job.worker_ids) == 1, job.worker_ids
    assert mails.exclude(pk__in=before).count() == 1
    sent = (set(mail.glob("*.log")) if mail.exists() else set()) - files_before
    assert len(sent) == 1, f"{len(sent)} mail files"
    for name in PERIODIC:
        runs = PeriodicRun.objects.filter(name=name)
        assert runs.count() == 1, f"{name}: {runs.count()} runs of one due time"
        [result] = DBTaskResult.objects.filter(pk=runs.get().task_id)
        assert len(result.worker_ids) == 1
    print("ok: a job enqueued on 1 ran once; each periodic due time ran once")


def check_background_export(one: str, two: str) -> None:
    from crm.models import Customer
    from jobs.models import Export

    manager = Browser()
    assert log_in(manager, one, "manager") == 302
    status, _body, headers = manager.get(
        f"{one}/kingadmin/crm/customer/export/?format=csv"
    )
    assert status == 302 and "/jobs/exports/" in headers["Location"], status
    export = wait_for(
        lambda: Export.objects.filter(state=Export.State.DONE).first(),
        "the export job",
    )
    status, body, _ = manager.get(f"{two}/jobs/exports/{export.pk}/download/")
    assert status == 200, f"download on instance 2: {status}"
    lines = body.decode("utf-8-sig").splitlines()
    assert len(lines) == Customer.objects.count() + 1, len(lines)
    print(f"ok: a long export queued on 1 ran on a worker; {len(lines) - 1} rows on 2")


def check_killed_worker(workers: dict) -> None:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from jobs.tests.sample_jobs import slow

    result = slow.enqueue(seconds=4, note="survived")
    row = wait_for(
        lambda: DBTaskResult.objects.filter(
            pk=result.id, status=TaskResultStatus.RUNNING
        ).first(),
        "the slow job to start",
    )
    victim = row.worker_ids[-1]
    workers[victim].send_signal(signal.SIGKILL)
    workers[victim].wait()
    done = wait_for(
        lambda: DBTaskResult.objects.filter(
            pk=result.id, status=TaskResultStatus.SUCCESSFUL
        ).first(),
        "the job to finish on the other worker",
        timeout=90,
    )
    survivor = next(w for w in workers if w != victim)
    assert done.worker_ids == [victim, survivor], done.worker_ids
    assert "stopped before it finished" in done.traceback or done.traceback == ""
    from accounts.models import Notification

    assert Notification.objects.filter(text="survived").count() == 1
    print(f"ok: {victim} killed mid-job; {survivor} picked the job up and finished it")


if __name__ == "__main__":
    raise SystemExit(main())
