"""Write a zip archive as a stream of chunks, with flat memory.

``zipfile`` can write to a stream it cannot seek: it then puts each entry's
CRC and sizes in a data descriptor after the entry's data instead of going
back to patch the local header. :class:`_ChunkSink` is such a stream: it
keeps what was written until the generator hands it out, so at most one read
chunk (plus zlib's window) is in memory at any time, however big the archive.
"""

import io
import logging
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
# Level 1: homework is mostly small text or already compressed (zip, pdf,
# images), where higher levels cost CPU time for next to nothing.
COMPRESS_LEVEL = 1
# Zip time stamps cannot be older than this.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ZipEntry:
    """One file of the archive: its name inside it and how to read it."""

    name: str
    open: Callable[[], BinaryIO]
    size: Callable[[], int]
    # Local wall-clock time, as zip time stamps have no time zone.
    modified: datetime


class _ChunkSink(io.RawIOBase):
    """An unseekable, write-only stream that hands out what was written."""

    def __init__(self):
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        chunks, self._chunks = self._chunks, []
        return b"".join(chunks)


def stream_zip(
    entries: Iterable[ZipEntry], *, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield the bytes of a deflated zip archive of ``entries``, piece by piece.

    An entry whose file cannot be opened is left out (and logged) rather than
    breaking an archive that is already half sent.
    """
    sink = _ChunkSink()
    with zipfile.ZipFile(
        sink, mode="w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    ) as archive:
        for entry in entries:
            try:
                source = entry.open()
                size = entry.size()
            except OSError:
                logger.warning("Left %r out of a zip: file unreadable.", entry.name)
                continue
            info = zipfile.ZipInfo(
                entry.name, date_time=max(entry.modified.timetuple()[:6], _ZIP_EPOCH)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            # ZipInfo has no public compression level before Python 3.13.
            info._compresslevel = COMPRESS_LEVEL
            # The announced size lets zipfile choose ZIP64 headers up front.
            info.file_size = size
            with source, archive.open(info, mode="w") as target:
                while chunk := source.read(chunk_size):
                    target.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    yield sink.take()
