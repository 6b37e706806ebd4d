"""What a homework upload may be: checked by content, zip archives inspected."""

import io
import random
import re
import stat
import zipfile
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from crm import upload_checks
from crm.upload_checks import SAFE_TEXT_EXTENSIONS, check_zip_members
from student import homework_files
from student.homework_files import (
    HOMEWORK,
    check_homework,
    content_type_for,
    display_name,
)
from student.tests.conftest import png_bytes, upload
from teacher.models import homework_path


def zip_bytes(members: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def refused(name, content) -> str:
    with pytest.raises(ValidationError) as caught:
        check_homework(upload(name, content))
    return caught.value.code


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ole(stream: str) -> bytes:
    return OLE_MAGIC + b"\0" * 504 + (stream + "\0").encode("utf-16-le") + b"\0" * 64


@pytest.mark.parametrize(
    ("name", "content", "kind", "extension"),
    [
        ("report.pdf", PDF, "pdf", ".pdf"),
        ("screen.PNG", png_bytes(), "png", ".png"),
        ("no-extension", png_bytes(), "png", ".png"),
        ("hello.py", "print('你好')\n".encode(), "text", ".py"),
        ("Main.java", b"class Main {}\n", "text", ".java"),
        ("notes.md", "# 笔记\n".encode(), "text", ".md"),
        ("query.SQL", b"select 1;\n", "text", ".sql"),
        ("Makefile", b"all:\n\techo hi\n", "text", ".txt"),
        ("strange.exe", b"just text, whatever the name says\n", "text", ".txt"),
        ("project.zip", zip_bytes({"src/app.py": b"print(1)\n"}), "zip", ".zip"),
        ("empty.zip", zip_bytes({}), "zip", ".zip"),
        (
            "essay.docx",
            zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}),
            "docx",
            ".docx",
        ),
        (
            "table.xlsx",
            zip_bytes({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<w/>"}),
            "xlsx",
            ".xlsx",
        ),
        (
            "slides.pptx",
            zip_bytes(
                {"[Content_Types].xml": b"<x/>", "ppt/presentation.xml": b"<p/>"}
            ),
            "pptx",
            ".pptx",
        ),
        ("old.doc", ole("WordDocument"), "doc", ".doc"),
        ("old.xls", ole("Workbook"), "xls", ".xls"),
        ("old.ppt", ole("PowerPoint Document"), "ppt", ".ppt"),
    ],
)
def test_allowed_files_are_recognised_by_content(name, content, kind, extension):
    checked = check_homework(upload(name, content))
    assert (checked.kind, checked.extension) == (kind, extension)
    assert checked.size == len(content)
    assert checked.original_name == name


def test_gif_and_jpeg_images_are_allowed():
    for fmt, kind in (("GIF", "gif"), ("JPEG", "jpeg")):
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), "blue").save(buffer, fmt)
        assert check_homework(upload("x.bin", buffer.getvalue())).kind == kind


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.py", b"", "empty"),
        ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00", "bad_type"),
        ("hello.py", b"print('hi')\x00\n", "bad_type"),
        ("latin1.txt", "café".encode("latin-1"), "bad_type"),
        ("utf16.txt", "hello".encode("utf-16"), "bad_type"),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "bad_image"),
        ("cut.pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\n", "bad_pdf"),
        ("broken.zip", b"PK\x03\x04" + b"not really a zip" * 4, "bad_zip"),
        ("installer.msi", ole("SummaryInformation"), "bad_office"),
    ],
)
def test_other_files_are_refused(name, content, code):
    assert refused(name, content) == code


def test_size_limit_is_configurable(settings):
    settings.STUDENT_HOMEWORK_MAX_BYTES = 100
    assert check_homework(upload("a.txt", b"x" * 100)).size == 100
    assert refused("b.txt", b"x" * 101) == "too_large"


def test_size_limit_holds_when_the_declared_size_is_wrong(settings):
    settings.STUDENT_HOMEWORK_MAX_BYTES = 100
    lying = upload("b.txt", b"x" * 500)
    lying.size = 10
    with pytest.raises(ValidationError) as caught:
        check_homework(lying)
    assert caught.value.code == "too_large"


def test_default_limit_is_20_megabytes_and_follows_the_setting(settings):
    assert homework_files.max_homework_bytes() == 20 * 1024 * 1024
    settings.STUDENT_HOMEWORK_MAX_BYTES = 1024
    assert homework_files.max_homework_bytes() == 1024


def test_upload_is_rewound_after_the_check():
    file = upload("a.py", b"print(1)\n")
    check_homework(file)
    assert file.read() == b"print(1)\n"


@pytest.mark.parametrize(
    "member",
    [
        "../evil.py",
        "src/../../evil.py",
        "/etc/passwd",
        "C:/Windows/evil.dll",
        "src\\..\\evil.py",
        "bidi\u202egpj.py",
        "bell\x07.py",
    ],
)
def test_zip_with_unsafe_member_names_is_refused(member):
    content = zip_bytes({"ok.py": b"1", member: b"2"})
    assert refused("project.zip", content) == "zip_unsafe_name"


def test_zip_member_name_with_a_nul_byte_is_refused():
    # zipfile cuts names at NUL when writing: put the byte in afterwards.
    content = zip_bytes({"ok.py": b"1", "nameX.py": b"2"})
    content = content.replace(b"nameX.py", b"name\x00.py")
    assert refused("project.zip", content) == "zip_unsafe_name"


def test_zip_with_a_symlink_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("link")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert refused("project.zip", buffer.getvalue()) == "zip_unsafe_name"


def test_office_document_with_traversal_is_refused_too():
    content = zip_bytes(
        {
            "[Content_Types].xml": b"<x/>",
            "word/document.xml": b"<w/>",
            "../../evil": b"x",
        }
    )
    assert refused("essay.docx", content) == "zip_unsafe_name"


def test_highly_compressed_member_is_a_bomb():
    content = zip_bytes({"zeros.txt": b"\0" * (4 * 1024 * 1024)})
    assert len(content) < 50_000
    assert refused("bomb.zip", content) == "zip_bomb"


def test_small_members_may_compress_well():
    content = zip_bytes({"blank.txt": b" " * 200_000})
    assert check_homework(upload("blank.zip", content)).kind == "zip"


def test_total_unpacked_size_is_limited(monkeypatch):
    monkeypatch.setattr(upload_checks, "MAX_ZIP_UNCOMPRESSED_BYTES", 1000)
    content = zip_bytes(
        {f"f{i}.txt": bytes(range(256)) * 2 for i in range(3)},
        compression=zipfile.ZIP_STORED,
    )
    assert refused("big.zip", content) == "zip_bomb"


def test_number_of_members_is_limited(monkeypatch):
    monkeypatch.setattr(upload_checks, "MAX_ZIP_MEMBERS", 3)
    content = zip_bytes({f"f{i}.txt": b"x" for i in range(4)})
    assert refused("many.zip", content) == "zip_too_many"


def test_overlapping_members_are_a_bomb():
    first = zipfile.ZipInfo("a.txt")
    first.header_offset, first.compress_size, first.file_size = 0, 1000, 1000
    second = zipfile.ZipInfo("b.txt")
    second.header_offset, second.compress_size, second.file_size = 10, 1000, 1000
    with pytest.raises(ValidationError) as caught:
        check_zip_members([first, second], name="overlap.zip")
    assert caught.value.code == "zip_bomb"


def test_archive_is_never_extracted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    check_homework(upload("project.zip", zip_bytes({"a/b.py": b"1"})))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("hello.py", "hello.py"),
        ("C:\\Users\\me\\hello.py", "hello.py"),
        ("../../etc/passwd", "passwd"),
        ("ev\x00il\x1b[31m.py", "evil[31m.py"),
        ("report\u202etxt.exe", "reporttxt.exe"),
        ("..", "homework"),
        ("", "homework"),
        ("a" * 300 + ".py", "a" * 117 + ".py"),
    ],
)
def test_display_name_is_the_printable_base_name(raw, shown):
    assert display_name(raw) == shown


def test_served_content_type_comes_from_the_stored_extension():
    assert content_type_for("private/homework/1/abc.py") == "text/plain; charset=utf-8"
    assert content_type_for("x/abc.html") == "text/plain; charset=utf-8"
    assert content_type_for("x/abc.pdf") == "application/pdf"
    assert content_type_for("x/abc.docx").startswith("application/vnd.openxml")
    assert content_type_for("x/abc") == "application/octet-stream"


# Stored extensions: from the allow-list only


@pytest.mark.parametrize(
    ("name", "content", "extension"),
    [
        ("hello.py", b"print(1)\n", ".py"),
        ("Main.JAVA", b"class Main {}\n", ".java"),
        ("data.csv", b"a,b\n1,2\n", ".csv"),
        ("shell.php", b"<?php system($_GET['c']); ?>\n", ".txt"),
        ("page.html", b"<html><script>alert(1)</script></html>\n", ".txt"),
        ("page.HTM", b"<p>hi</p>\n", ".txt"),
        ("app.js", b"alert(1)\n", ".txt"),
        ("app.mjs", b"export default 1\n", ".txt"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>\n', ".txt"),
        ("run.sh", b"#!/bin/sh\necho hi\n", ".txt"),
        ("data.xml", b"<a/>\n", ".txt"),
        ("x.phtml", b"hi\n", ".txt"),
        ("x.py.php", b"hi\n", ".txt"),
        ("x.php.py", b"hi\n", ".py"),
    ],
)
def test_text_homework_keeps_only_an_allow_listed_extension(name, content, extension):
    checked = check_homework(upload(name, content))
    assert (checked.kind, checked.extension) == ("text", extension)
    assert checked.original_name == name  # the label stays as the student named it


def test_allow_list_holds_nothing_a_server_runs_or_a_browser_renders():
    dangerous = {
        ".php",
        ".phtml",
        ".html",
        ".htm",
        ".shtml",
        ".js",
        ".mjs",
        ".sh",
        ".bat",
        ".cmd",
        ".ps1",
        ".pl",
        ".rb",
        ".cgi",
        ".asp",
        ".aspx",
        ".jsp",
        ".svg",
        ".xml",
    }
    assert SAFE_TEXT_EXTENSIONS.isdisjoint(dangerous)
    assert HOMEWORK.stored_extensions.isdisjoint(dangerous)
    assert {".py", ".txt", ".pdf", ".zip"} <= HOMEWORK.stored_extensions


@pytest.mark.parametrize(
    ("filename", "suffix"),
    [
        ("homework.py", ".py"),
        ("homework.TXT", ".txt"),
        ("homework.docx", ".docx"),
        ("homework.php", ""),
        ("homework.html", ""),
        ("homework.js", ""),
        ("homework.svg", ""),
        ("homework.py.php", ""),
        ("homework", ""),
    ],
)
def test_homework_path_suffix_comes_only_from_the_allow_list(filename, suffix):
    path = homework_path(SimpleNamespace(course_record_id=3), filename)
    assert re.fullmatch(rf"private/homework/3/[0-9a-f]{{32}}{re.escape(suffix)}", path)


def test_files_stored_with_a_text_extension_before_the_allow_list_stay_plain_text():
    for legacy in ("abc.php", "abc.htm", "abc.js", "abc.sh", "abc.xml"):
        assert content_type_for(f"private/homework/1/{legacy}") == (
            "text/plain; charset=utf-8"
        )
    assert content_type_for("x/abc.txt") == "text/plain; charset=utf-8"
    assert content_type_for("x/abc.svg") == "application/octet-stream"


# Images: the strict check of the one upload checker


def test_truncated_jpeg_homework_is_refused():
    buffer = io.BytesIO()
    noise = random.Random(0).randbytes(64 * 64 * 3)
    Image.frombytes("RGB", (64, 64), noise).save(buffer, "JPEG")
    content = buffer.getvalue()
    assert refused("photo.jpg", content[: len(content) // 2]) == "bad_image"


def test_homework_image_over_the_pixel_cap_is_refused(settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 15
    assert check_homework(upload("small.png", png_bytes((4, 3)))).kind == "png"
    assert refused("big.png", png_bytes((4, 4))) == "too_many_pixels"
