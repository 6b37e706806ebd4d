"""Settings come from the environment; production refuses unsafe defaults."""

import importlib
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


# Variables the tests set themselves, or that only a test run has: the
# caller's values (a developer's shell, CI) must not leak into the subprocess.
CONTROLLED = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "BEHIND_TLS_PROXY",
    "AXES_PROXY_COUNT",
    # Set by the browser tests' plugin (live server + Playwright); a deployment
    # never has it, and `check --deploy` rightly refuses it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}

# The production environment of README.md's "Production" section.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "crm.example.com",
    "DATABASE_URL": "postgres://crm:secret@db.example:5432/crm",
    "BEHIND_TLS_PROXY": "1",
    "AXES_PROXY_COUNT": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
}


def environment_with(env) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if key not in CONTROLLED
    }
    environment.update(env)
    return environment


def run(args, env):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment_with(env),
        capture_output=True,
        text=True,
        check=False,
    )


def load_settings(**env):
    code = (
        "import crm_project.settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.ALLOWED_HOSTS, "
        "s.STORAGES['staticfiles']['BACKEND'], s.EMAIL_BACKEND)"
    )
    return run(["-c", code], env)


def test_laptop_defaults_are_debug_sqlite_and_file_mail():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert "True django.db.backends.sqlite3" in result.stdout
    assert "filebased.EmailBackend" in result.stdout


def test_production_without_secret_key_refuses_to_start():
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_secret_key_is_strict():
    result = load_settings(
        DEBUG="0",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="crm.example.com",
        DATABASE_URL="postgres://u:p@db.example:5432/crm",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["False", "django.db.backends.postgresql"]
    assert "['crm.example.com']" in result.stdout
    assert "CompressedManifestStaticFilesStorage" in result.stdout


def test_production_without_allowed_hosts_refuses_to_start():
    result = load_settings(DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_laptop_defaults_answer_on_localhost_without_hsts():
    code = (
        "import crm_project.settings as s; "
        "print(s.ALLOWED_HOSTS[:2], hasattr(s, 'SECURE_HSTS_PRELOAD'))"
    )
    result = run(["-c", code], {})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['127.0.0.1', 'localhost'] False"


def test_hsts_settings_come_from_the_environment():
    code = (
        "import crm_project.settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SECURE_PROXY_SSL_HEADER)"
    )
    result = run(["-c", code], PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "31536000",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]


def test_documented_production_environment_passes_the_deploy_check():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_without_the_hsts_settings():
    env = dict(PRODUCTION, SECURE_HSTS_INCLUDE_SUBDOMAINS="", SECURE_HSTS_PRELOAD="")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode != 0
    assert "security.W005" in result.stderr
    assert "security.W021" in result.stderr


# `migrate` creates the database cache table (accounts/migrations/0003).


def test_migrate_creates_the_cache_table_and_can_run_again(tmp_path):
    database = tmp_path / "db.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    result = run(["manage.py", "migrate", "--noinput"], env)
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(database)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    assert "django_cache" in tables
    # Backwards is a no-op, forwards again finds the table and keeps it.
    for target in (["accounts", "0002"], []):
        result = run(["manage.py", "migrate", "--noinput", *target], env)
        assert result.returncode == 0, result.stderr
    result = run(["manage.py", "migrate", "--check"], env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_cache_table_migration_works_on_the_test_database():
    migration = importlib.import_module("accounts.migrations.0003_cache_table")
    editor = SimpleNamespace(connection=connection)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE django_cache")
    assert "django_cache" not in connection.introspection.table_names()
    migration.create_cache_tables(django_apps, editor)
    migration.create_cache_tables(django_apps, editor)  # exists: left alone
    assert "django_cache" in connection.introspection.table_names()
    cache.set("migrated", "yes")
    assert cache.get("migrated") == "yes"
