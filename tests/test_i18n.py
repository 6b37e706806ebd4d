import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# kingadmin ships its own catalogue.
KINGADMIN_CATALOGUE = (
    Path(settings.BASE_DIR) / "kingadmin" / "locale" / "zh_Hans" / "LC_MESSAGES"
) / "django.po"
CATALOGUES = pytest.mark.parametrize(
    "catalogue", [CATALOGUE, KINGADMIN_CATALOGUE], ids=["project", "kingadmin"]
)


@override_settings(LANGUAGE_CODE="zh-hans")
def test_chinese_is_the_default_language():
    html = Client().get("/accounts/login/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "<title>登录" in html


@override_settings(LANGUAGE_CODE="zh-hans")
def test_language_switch_in_the_header_changes_to_english_and_back():
    client = Client()
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}
    )
    assert response.url == "/accounts/login/"
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html
    assert "<title>Log in" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "<title>登录" in client.get("/accounts/login/").content.decode()


@override_settings(LANGUAGE_CODE="zh-hans")
def test_seeded_menu_names_are_shown_translated(demo):
    client = Client()
    client.force_login(demo["sales_a"])
    assert "我的客户" in client.get("/kingadmin/crm/customer/?mine=1").content.decode()


def _entries(po_text: str):
    """Yield (msgid, msgstr, flags) of a .po file (plural forms joined)."""
    for block in po_text.split("\n\n"):
        flags = " ".join(re.findall(r"^#, (.*)$", block, re.M))
        ids = re.findall(r'^msgid(?:_plural)? ((?:".*"\n?)+)', block + "\n", re.M)
        strs = re.findall(r"^msgstr(?:\[\d\])? ((?:\".*\"\n?)+)", block + "\n", re.M)
        if not ids:
            continue
        join = lambda parts: "".join(re.findall(r'"(.*)"', parts))  # noqa: E731
        msgid = join(ids[0])
        if msgid:
            yield msgid, [join(s) for s in strs], flags


@CATALOGUES
def test_every_message_of_the_chinese_catalogue_is_translated(catalogue):
    entries = list(_entries(catalogue.read_text(encoding="utf-8")))
    assert len(entries) > 100
    untranslated = [mid for mid, strs, _ in entries if not all(strs)]
    fuzzy = [mid for mid, _, flags in entries if "fuzzy" in flags]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_is_shipped_and_used():
    mo = CATALOGUE.with_suffix(".mo")
    assert mo.exists(), "run `make messages`"
    from django.utils.translation import gettext, override

    with override("zh-hans"):
        assert gettext("My customers") == "我的客户"
        # kingadmin's own catalogue, found in the app's locale folder.
        assert KINGADMIN_CATALOGUE.with_suffix(".mo").exists()
        assert gettext("Please correct the errors below.") == "请更正下面的错误。"


@CATALOGUES
def test_shipped_catalogue_compiles_and_matches_its_source(tmp_path, catalogue):
    import shutil
    import subprocess

    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is needed to check the catalogue"
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        [msgfmt, "--check-format", "-o", str(compiled), str(catalogue)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    shipped = catalogue.with_suffix(".mo").read_bytes()
    assert compiled.read_bytes() == shipped, "run `make messages` and commit the .mo"
