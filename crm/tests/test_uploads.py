import io
import random
import re
import struct
import zlib
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image, PngImagePlugin

from crm import upload_checks
from crm.models import enrollment_document_path
from crm.uploads import (
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENTS,
    CheckedDocument,
    check_document,
    check_document_count,
)
from student.homework_files import check_homework


def image_bytes(fmt: str, size=(16, 12), mode="RGB", noise=False, **save) -> bytes:
    if noise:
        pixels = random.Random(0).randbytes(size[0] * size[1] * len(mode))
        image = Image.frombytes(mode, size, pixels)
    else:
        image = Image.new(mode, size, "white" if mode != "1" else 1)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """Return a 1x1 PNG whose IHDR (with a valid CRC) claims ``width`` x ``height``."""
    data = bytearray(image_bytes("PNG", size=(1, 1), mode="1"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def pdf_bytes(size: int | None = None, after_header: bytes = b"") -> bytes:
    """Return a minimal PDF, padded with a comment line to exactly ``size`` bytes."""
    body = (
        b"%PDF-1.4\n"
        + after_header
        + b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        + b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        + b"trailer\n<< /Root 1 0 R >>\n"
    )
    tail = b"%%EOF\n"
    if size is not None:
        padding = size - len(body) - len(tail) - len(b"%\n")
        body += b"%" + b"0" * padding + b"\n"
    content = body + tail
    assert size is None or len(content) == size
    return content


def upload(content: bytes, name="id.png", content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(file) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_document(file)
    return info.value


def message(error: ValidationError) -> str:
    with translation.override("en"):
        return " ".join(error.messages)


# Accepted documents


def test_small_jpeg_passes_as_jpeg():
    content = image_bytes("JPEG")
    checked = check_document(upload(content, name="front.jpg"))
    assert checked == CheckedDocument(
        content_type="image/jpeg",
        extension=".jpg",
        size=len(content),
        original_name="front.jpg",
    )


def test_small_png_passes_as_png():
    content = image_bytes("PNG", mode="RGBA")
    checked = check_document(upload(content, name="back.png"))
    assert (checked.content_type, checked.extension) == ("image/png", ".png")
    assert checked.size == len(content)


def test_pdf_passes_as_pdf():
    checked = check_document(upload(pdf_bytes(), name="scan.pdf"))
    assert (checked.content_type, checked.extension) == ("application/pdf", ".pdf")


def test_type_comes_from_content_not_name_or_client_content_type():
    file = upload(image_bytes("PNG"), name="photo.jpg", content_type="image/jpeg")
    checked = check_document(file)
    assert (checked.content_type, checked.extension) == ("image/png", ".png")
    assert checked.original_name == "photo.jpg"


def test_jpeg_without_extension_passes_as_jpeg():
    checked = check_document(upload(image_bytes("JPEG"), name="IMG_0001"))
    assert checked.extension == ".jpg"


def test_upload_is_rewound_after_a_successful_check():
    content = image_bytes("PNG")
    file = upload(content)
    file.read(5)
    check_document(file)
    assert file.read() == content


def test_upload_is_rewound_after_a_refusal():
    content = b"not an image"
    file = upload(content, name="id.jpg")
    refusal(file)
    assert file.read() == content


# Size


def test_exactly_the_size_limit_passes():
    content = pdf_bytes(size=MAX_DOCUMENT_BYTES)
    assert check_document(upload(content, name="scan.pdf")).size == MAX_DOCUMENT_BYTES


def test_one_byte_over_the_size_limit_is_refused_naming_limit_and_file():
    error = refusal(upload(pdf_bytes(size=MAX_DOCUMENT_BYTES + 1), name="scan.pdf"))
    assert error.code == "too_large"
    assert "2 MB" in message(error)
    assert "scan.pdf" in message(error)


def test_oversized_content_is_refused_even_when_the_declared_size_is_small():
    file = upload(pdf_bytes(size=MAX_DOCUMENT_BYTES + 1), name="scan.pdf")
    file.size = 100
    assert refusal(file).code == "too_large"


def test_empty_file_is_refused():
    error = refusal(upload(b"", name="id.png"))
    assert error.code == "empty"
    assert "id.png" in message(error)


# Type


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (b"my id number is 110105...", "id.jpg", "image/jpeg"),
        (
            b"<!DOCTYPE html><html><script>alert(1)</script>",
            "id.pdf",
            "application/pdf",
        ),
        (image_bytes("GIF"), "id.gif", "image/gif"),
        (image_bytes("GIF"), "id.png", "image/png"),
        (image_bytes("BMP"), "id.jpg", "image/jpeg"),
        (image_bytes("WEBP"), "id.jpg", "image/jpeg"),
        (b" " + pdf_bytes(), "scan.pdf", "application/pdf"),  # magic not at offset 0
        (b"\xff\xd8", "id.jpg", "image/jpeg"),  # shorter than the magic
    ],
)
def test_content_that_is_not_jpeg_png_or_pdf_is_refused(content, name, content_type):
    error = refusal(upload(content, name=name, content_type=content_type))
    assert error.code == "bad_type"
    assert name in message(error)


# Damaged and hostile images


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_image_is_refused(fmt):
    content = image_bytes(fmt, size=(64, 64), noise=True)
    error = refusal(upload(content[: len(content) // 2]))
    assert error.code == "bad_image"


def test_png_with_a_corrupted_chunk_is_refused():
    content = bytearray(image_bytes("PNG", size=(64, 64), noise=True))
    content[200] ^= 0xFF  # inside IDAT, so its CRC no longer matches
    assert refusal(upload(bytes(content))).code == "bad_image"


def test_magic_bytes_followed_by_garbage_are_refused_as_a_bad_image():
    assert refusal(upload(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)).code == "bad_image"
    assert refusal(upload(b"\xff\xd8\xff" + b"\0" * 100)).code == "bad_image"


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (5_000, 5_000),  # over our limit, under Pillow's own
        (10_000, 10_000),  # over Pillow's warning threshold
        (20_000, 20_000),  # over Pillow's error threshold
        (24_000_001, 1),
    ],
)
def test_image_whose_header_claims_too_many_pixels_is_refused(width, height):
    content = png_claiming(width, height)
    assert len(content) < 100
    error = refusal(upload(content, name="huge.png"))
    assert error.code == "too_many_pixels"
    assert "huge.png" in message(error)
    assert "24 megapixels" in message(error)


def test_pixel_limit_holds_when_pillows_own_guard_is_switched_off(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    assert refusal(upload(png_claiming(5_000, 5_000))).code == "too_many_pixels"


def test_image_at_the_pixel_limit_passes_and_one_pixel_row_more_is_refused(
    settings,
):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 100
    assert check_document(upload(image_bytes("PNG", size=(10, 10)))).size > 0
    too_big = upload(image_bytes("PNG", size=(10, 11)))
    error = refusal(too_big)
    assert error.code == "too_many_pixels"
    assert "0.0001 megapixels" in message(error)


def test_default_pixel_cap_is_24_megapixels():
    assert upload_checks.max_image_pixels() == 24_000_000


def test_png_carrying_a_script_in_its_first_bytes_is_refused():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(document.cookie)</script>")
    content = image_bytes("PNG", pnginfo=info)
    assert b"<script>" in content[:1024]
    assert refusal(upload(content)).code == "bad_image"


def test_jpeg_carrying_html_in_its_first_bytes_is_refused():
    content = image_bytes("JPEG", comment=b"<HTML><body>hi</body></HTML>")
    assert refusal(upload(content, name="id.jpg")).code == "bad_image"


# PDFs


@pytest.mark.parametrize(
    "markup",
    [
        b"<html><script>alert(1)</script></html>\n",
        b"<!DOCTYPE HTML>\n",
        b"<SCRIPT>alert(1)</SCRIPT>\n",
    ],
)
def test_pdf_that_is_also_html_is_refused(markup):
    error = refusal(upload(pdf_bytes(after_header=markup), name="scan.pdf"))
    assert error.code == "bad_pdf"
    assert "scan.pdf" in message(error)


def test_markup_past_the_first_kilobyte_of_a_pdf_is_not_sniffed():
    content = pdf_bytes(after_header=b"%" + b"0" * 1100 + b"\n<html>\n")
    assert check_document(upload(content, name="scan.pdf")).extension == ".pdf"


def test_pdf_without_end_marker_is_refused():
    content = pdf_bytes().replace(b"%%EOF", b"")
    assert refusal(upload(content, name="scan.pdf")).code == "bad_pdf"


def test_pdf_whose_end_marker_is_not_near_the_end_is_refused():
    content = pdf_bytes() + b"%" + b"0" * 2000 + b"\n"
    assert refusal(upload(content, name="scan.pdf")).code == "bad_pdf"


def test_truncated_pdf_is_refused():
    content = pdf_bytes(size=10_000)
    assert refusal(upload(content[:5_000], name="scan.pdf")).code == "bad_pdf"


# Display name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\x\\id.png", "id.png"),
        ("C:\\temp\\", "document"),
        ("id\x00\r\n\x1b[31m.png", "id[31m.png"),
        ("\u202egnp.exe", "gnp.exe"),  # right-to-left override
        ("  front side.png  ", "front side.png"),
        ("身份证 正面.png", "身份证 正面.png"),
        ("\x00\x01", "document"),
        ("x\\..", "document"),
        (None, "document"),
    ],
)
def test_original_name_is_made_safe_for_display(name, shown):
    checked = check_document(upload(image_bytes("PNG"), name=name))
    assert checked.original_name == shown


def test_long_name_is_trimmed_to_100_characters_keeping_the_extension():
    checked = check_document(upload(image_bytes("PNG"), name="a" * 300 + ".png"))
    assert len(checked.original_name) == 100
    assert checked.original_name == "a" * 96 + ".png"


def test_long_name_without_extension_is_trimmed_to_100_characters():
    checked = check_document(upload(image_bytes("PNG"), name="b" * 300))
    assert checked.original_name == "b" * 100


def test_error_message_shows_the_safe_name_not_the_path():
    error = refusal(upload(b"plain text", name="../../secret/\x1bid.jpg"))
    assert "“id.jpg”" in message(error)
    assert "secret" not in message(error)


# Count


@pytest.mark.parametrize(("existing", "adding"), [(0, 0), (0, 3), (2, 1), (3, 0)])
def test_up_to_three_documents_are_allowed(existing, adding):
    assert MAX_DOCUMENTS == 3
    assert check_document_count(existing, adding) is None


@pytest.mark.parametrize(("existing", "adding"), [(0, 4), (3, 1), (2, 2)])
def test_a_fourth_document_is_refused(existing, adding):
    with pytest.raises(ValidationError) as info:
        check_document_count(existing, adding)
    assert info.value.code == "too_many"
    assert "At most 3 documents" in message(info.value)


# Storage path


@pytest.mark.parametrize(
    ("filename", "suffix"),
    [
        ("document.jpg", ".jpg"),
        ("document.PNG", ".png"),
        ("document.pdf", ".pdf"),
        ("document.jpeg", ""),  # the checker stores JPEGs as .jpg
        ("document.php", ""),
        ("document.html", ""),
        ("document.svg", ""),
        ("document.png.php", ""),
        ("document.php.png", ".png"),
        ("document", ""),
    ],
)
def test_document_path_suffix_comes_only_from_the_allow_list(filename, suffix):
    path = enrollment_document_path(SimpleNamespace(enrollment_id=7), filename)
    assert re.fullmatch(
        rf"private/enrollment/7/[0-9a-f]{{32}}{re.escape(suffix)}", path
    )


# The same checks for every policy: ID documents and homework


ENTRY_POINTS = [
    pytest.param(check_document, id="id-document"),
    pytest.param(check_homework, id="homework"),
]


def refused_by(check, content: bytes, name="file.bin") -> str:
    with pytest.raises(ValidationError) as info:
        check(upload(content, name=name))
    return info.value.code


@pytest.mark.parametrize("check", ENTRY_POINTS)
def test_truncated_jpeg_and_corrupt_png_are_refused_by_every_policy(check):
    jpeg = image_bytes("JPEG", size=(64, 64), noise=True)
    assert refused_by(check, jpeg[: len(jpeg) // 2], "cut.jpg") == "bad_image"
    png = bytearray(image_bytes("PNG", size=(64, 64), noise=True))
    png[200] ^= 0xFF  # inside IDAT, so its CRC no longer matches
    assert refused_by(check, bytes(png), "bad.png") == "bad_image"
    # The intact files pass, so the refusals are about the damage.
    assert check(upload(jpeg, name="whole.jpg")).extension == ".jpg"


@pytest.mark.parametrize("check", ENTRY_POINTS)
def test_pixel_cap_is_the_setting_for_every_policy(check, settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 100
    assert check(upload(image_bytes("PNG", size=(10, 10)), name="a.png")).size
    assert refused_by(check, image_bytes("PNG", size=(11, 10))) == "too_many_pixels"


@pytest.mark.parametrize("check", ENTRY_POINTS)
def test_header_over_the_pixel_cap_is_refused_before_any_decoding(check, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(Image.Image, "verify", no_decoding)
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "verify", no_decoding)
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", no_decoding)
    content = png_claiming(6_000, 4_001)  # one row over 24 megapixels
    assert refused_by(check, content, "huge.png") == "too_many_pixels"


@pytest.mark.parametrize("check", ENTRY_POINTS)
def test_decompression_bomb_warning_is_a_refusal_for_every_policy(
    check, settings, monkeypatch
):
    # Pillow's own limit below ours: its warning must not let the image in.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50)
    settings.UPLOAD_MAX_IMAGE_PIXELS = 1000
    content = image_bytes("PNG", size=(10, 10))  # warns (over 50, under 100)
    assert refused_by(check, content, "bomb.png") == "too_many_pixels"


@pytest.mark.parametrize("check", ENTRY_POINTS)
def test_pdf_with_markup_up_front_is_refused_by_every_policy(check):
    content = pdf_bytes(after_header=b"<script>alert(1)</script>\n")
    assert refused_by(check, content, "scan.pdf") == "bad_pdf"
