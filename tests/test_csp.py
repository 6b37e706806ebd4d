"""Every HTML page carries the Content-Security-Policy; downloads keep theirs.

The policy allows no inline script or style, so the templates must not have
any: that is checked here too, on the template files themselves.
"""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import path

from accounts.models import Role
from crm.services import enrollment_link_create
from teacher.models import StudyRecord
from tests.factories import ClassListFactory, CustomerFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = ("accounts", "crm", "jobs", "kingadmin", "student", "teacher")

EXPECTED_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "font-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
DOWNLOAD_POLICY = "sandbox; default-src 'none'"


def policy(response) -> dict[str, set[str]]:
    """Return the response's Content-Security-Policy as directive -> sources."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def html_page(client: Client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/html")
    return response


@pytest.mark.django_db
def test_login_page_has_the_policy():
    response = html_page(Client(), "/accounts/login/")
    assert policy(response) == EXPECTED_POLICY
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_error_pages_have_the_policy(client):
    client.force_login(UserFactory())
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert policy(response) == EXPECTED_POLICY


@pytest.mark.parametrize(
    ("login", "url"),
    [
        ("admin", "/kingadmin/"),
        ("admin", "/kingadmin/crm/customer/"),
        ("admin", "/kingadmin/crm/customer/add/"),
        ("admin", "/kingadmin/accounts/user/"),
        ("sales_a", "/kingadmin/crm/customer/?mine=1"),
        ("teacher", "/teacher/"),
        ("student", "/student/"),
    ],
)
def test_pages_of_each_role_have_the_policy(demo, client, login, url):
    client.force_login(demo[login])
    assert policy(html_page(client, url)) == EXPECTED_POLICY


@pytest.mark.django_db
def test_enrollment_form_has_the_policy_and_its_own_referrer_policy():
    Role.objects.get_or_create(name="Student")
    sales = UserFactory()
    customer = CustomerFactory(consultant=sales)
    _link, token = enrollment_link_create(
        customer=customer, class_list=ClassListFactory(), by=sales
    )
    response = html_page(Client(), f"/enroll/{token}/")
    assert policy(response) == EXPECTED_POLICY
    assert response["Referrer-Policy"] == "same-origin"


def test_private_download_keeps_its_sandbox_policy(demo, client):
    record = StudyRecord.objects.filter(
        enrollment__customer__user=demo["student"]
    ).exclude(homework_file="")[0]
    client.force_login(demo["student"])
    response = client.get(f"/student/homework/{record.pk}/file/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == DOWNLOAD_POLICY
    assert b"".join(response.streaming_content).startswith(b"# ")


def template_files() -> list[Path]:
    folders = [Path(folder) for folder in settings.TEMPLATES[0]["DIRS"]]
    folders += [
        Path(apps.get_app_config(app).path) / "templates" for app in PROJECT_APPS
    ]
    return sorted(path for folder in folders for path in folder.rglob("*.html"))


INLINE = re.compile(
    r"""<style\b|\sstyle\s*=|<script\b(?![^>]*\bsrc=)|\son[a-z]+\s*=|javascript:""",
    re.IGNORECASE,
)


def test_no_template_has_inline_style_or_script():
    files = template_files()
    assert len(files) > 50
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INLINE.search(line)
    ]
    assert offenders == []


def broken_view(request):
    raise RuntimeError("broken on purpose")


urlpatterns = [path("broken/", broken_view)]


@pytest.mark.django_db
def test_server_error_page_has_the_policy_and_its_stylesheet(settings):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert policy(response) == EXPECTED_POLICY
    assert '<link rel="stylesheet" href="/static/css/error.css">' in response.text
    assert (ROOT / "static" / "css" / "error.css").is_file()
    # No tags: it renders even when the static manifest is broken.
    assert "{%" not in (ROOT / "templates" / "500.html").read_text(encoding="utf-8")


def test_site_javascript_evaluates_no_strings():
    scripts = [*(ROOT / "static" / "js").glob("*.js")]
    scripts += [*(ROOT / "kingadmin" / "static").rglob("*.js")]
    assert scripts
    forbidden = re.compile(
        r"\beval\(|new Function\(|setAttribute\(\s*['\"](style|on[a-z]+)['\"]"
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in scripts
        if forbidden.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
