import io
import os
import zipfile
from datetime import datetime

from teacher.homework import safe_file_stem
from teacher.zipstream import ZipEntry, stream_zip


def entry(name: str, data: bytes, modified=datetime(2026, 9, 1, 20, 0)):
    return ZipEntry(
        name=name,
        open=lambda: io.BytesIO(data),
        size=lambda: len(data),
        modified=modified,
    )


def test_the_stream_is_a_valid_zip_with_names_contents_and_times():
    big = os.urandom(300_000)
    chunks = list(
        stream_zip(
            [
                entry("李雷-7.py", b"print('hi')\n" * 100),
                entry("Kobe-8.bin", big),
                entry("old.txt", b"", modified=datetime(1970, 1, 1)),
            ],
            chunk_size=16 * 1024,
        )
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    assert archive.namelist() == ["李雷-7.py", "Kobe-8.bin", "old.txt"]
    assert archive.read("Kobe-8.bin") == big
    assert archive.getinfo("李雷-7.py").date_time == (2026, 9, 1, 20, 0, 0)
    assert archive.getinfo("old.txt").date_time == (1980, 1, 1, 0, 0, 0)
    # Written while read: many pieces, none much bigger than a read chunk.
    assert len(chunks) > 10
    assert max(len(c) for c in chunks) < 64 * 1024


def test_an_unreadable_file_is_left_out():
    def missing():
        raise FileNotFoundError("gone")

    broken = ZipEntry("gone.py", open=missing, size=lambda: 0, modified=datetime.now())
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(stream_zip([broken, entry("ok.py", b"ok")])))
    )
    assert archive.namelist() == ["ok.py"]


def test_an_empty_archive_is_still_a_zip():
    archive = zipfile.ZipFile(io.BytesIO(b"".join(stream_zip([]))))
    assert archive.namelist() == []


def test_file_stems_lose_path_separators_and_reserved_characters():
    assert safe_file_stem("../../etc/passwd", fallback="x") == "_.._etc_passwd"
    assert safe_file_stem('a\\b:c*d?"e<f>g|h', fallback="x") == "a_b_c_d_e_f_g_h"
    assert safe_file_stem("Line\nbreak\ttab", fallback="x") == "Line break tab"
    assert safe_file_stem(" .. ", fallback="student") == "student"
    assert safe_file_stem("王 芳", fallback="x") == "王 芳"
