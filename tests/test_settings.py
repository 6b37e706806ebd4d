"""Settings come from the environment; production refuses unsafe defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"}
    }
    environment.update(env)
    code = (
        "import crm_project.settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.ALLOWED_HOSTS, "
        "s.STORAGES['staticfiles']['BACKEND'], s.EMAIL_BACKEND)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


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
