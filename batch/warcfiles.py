"""Reading responses back from WARC and ARC files: one record at a known
offset (re-extraction), or every response of a file (import), past damage.

WARC files from anywhere (our own, Common Crawl's CC-NEWS, the Internet
Archive, Browsertrix) are gzipped record by record, so a record can be read
at its offset, and after a corrupt record reading can resume at the next
gzip member (in an uncompressed WARC, at the next ``WARC/1.`` line). ARC
files, the Internet Archive's older format, are read through warcio's
ARC-to-WARC conversion. A record is given out whole or not at all: one cut
short (the file ends inside it, its gzip member is corrupt or never ends,
its block is shorter than its Content-Length) is a ``Damage``, never a page
with half its text. Records over a size cap are skipped unread.

A file is named by a path or a URI (``storage.warc_uris``: ``file://``
with the standard library, ``s3://``, ``https://``... through fsspec), and
a gzipped file can be read in byte ranges (``record_start``): a backfill
spreads one large file over several tasks, each reading the records that
begin in its range.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParser, StatusAndHeadersParserException
from warcio.utils import BUFF_SIZE

from storage.warc_uris import kind_of, local_path, open_warc, warc_size

logger = logging.getLogger(__name__)

# The crawl's DOWNLOAD_MAXSIZE (crawler/settings.py): a page the crawler
# would not download is not read from a file either. Content-Length is
# checked before reading, and a body that inflates past it (a gzip bomb) is
# cut off at the cap, so no record is ever held whole beyond it.
MAX_RECORD_SIZE = 32 * 1024 * 1024

_GZIP_MEMBER = b"\x1f\x8b\x08"
_WARC_RECORD = b"WARC/1."
# Longest first: warcio splits the status line after the matching prefix.
_HTTP = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/2", "HTTP/3"],
                               verify=True)


class DamagedRecord(ValueError):
    """A record that cannot be given out whole."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset


class NotAnArchive(Exception):
    """A path that is not a WARC or ARC file at all (one line: why)."""


# What warcio and zlib raise on a damaged record.
DAMAGE = (ArchiveLoadFailed, zlib.error, EOFError, OSError, ValueError)


@dataclass(frozen=True)
class WarcResponse:
    url: str
    status: int
    content_type: str | None
    body: bytes
    date: datetime
    offset: int
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Damage:
    """A record that could not be read: where, and why."""

    path: Path | str
    offset: int
    error: str

    def __str__(self) -> str:
        return f"{self.path}: damaged record at byte {self.offset}: {self.error}"


@dataclass(frozen=True)
class Skipped:
    """A response record left unread: ``too_large`` (over the cap),
    ``not_http`` (no HTTP status and headers), ``revisit`` (no body)."""

    path: Path | str
    offset: int
    reason: str


class _StrictReader(DecompressingBufferedReader):
    """warcio's reader, except that gzip data that stops inflating part-way
    raises: warcio writes the zlib error to stderr and reads on, each block
    failing, to the end of the file, so a corrupt record looks merely short
    and costs a read of everything after it."""

    def _decompress(self, data: bytes) -> bytes:
        if self.decompressor is not None and data and self.num_block_read:
            return self.decompressor.decompress(data)
        # The first block: warcio's own test of whether this is gzip at all.
        return super()._decompress(data)


class _Records(ArchiveIterator):
    # A Content-Length that does not end where the next record begins is
    # reported as a Damage with the record's offset, not as warcio's
    # warning on stderr.
    INC_RECORD = ""

    def __init__(self, stream: BinaryIO) -> None:
        # HTTP headers are parsed per record (``_http``): warcio's parse
        # failing would end the whole iteration.
        super().__init__(stream, no_record_parse=True, arc2warc=True)
        self.reader = _StrictReader(self.fh, block_size=BUFF_SIZE)


def _date(value: str | None) -> datetime:
    try:
        return datetime.fromisoformat((value or "").replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return datetime.now(UTC)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    if "non-chunked gzip" in text:
        return ("the file is gzipped as one stream, not record by record: "
                "`warcio recompress FILE NEW.warc.gz` makes it readable")
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:300]


def _block_length(record, offset: int) -> int:  # type: ignore[no-untyped-def]
    try:
        declared = int(record.rec_headers.get_header("Content-Length") or "")
    except ValueError:
        declared = -1
    if declared < 0 or not isinstance(record.length, int):
        raise DamagedRecord(offset, "no valid Content-Length")
    return int(record.length)


def _http(record, path: Path | str, offset: int, max_size: int  # type: ignore[no-untyped-def]
          ) -> WarcResponse | Skipped:
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    try:
        if not uri.startswith(("http:", "https:")):
            raise ValueError(uri)
        headers = _HTTP.parse(record.raw_stream)
        status = int(headers.get_statuscode())
    except (StatusAndHeadersParserException, EOFError, ValueError):
        return Skipped(path, offset, "not_http")
    record.http_headers = headers  # content_stream() undoes the HTTP encodings
    body = record.content_stream().read(max_size + 1)
    if len(body) > max_size:
        return Skipped(path, offset, "too_large")
    return WarcResponse(
        url=uri,
        status=status,
        content_type=headers.get_header("Content-Type"),
        body=body,
        date=_date(record.rec_headers.get_header("WARC-Date")),
        offset=offset,
        etag=headers.get_header("ETag"),
        last_modified=headers.get_header("Last-Modified"),
    )


def _at_end(records: _Records, size: int) -> bool:
    """Whether reading has used up the file."""
    reader = records.reader
    return records.fh.tell() >= size and (reader is None or reader.rem_length() == 0)


def _read(records: _Records, record, path: Path | str, max_size: int,  # type: ignore[no-untyped-def]
          size: int) -> tuple[WarcResponse | Skipped | None, DamagedRecord | None]:
    """The current record, read to its end and checked whole, and what is
    wrong with it. A record over the cap is skipped all the same; it is
    damaged too only when its false length hid the rest of the file."""
    offset = records.offset
    length = _block_length(record, offset)
    item: WarcResponse | Skipped | None = None
    if record.rec_type == "revisit":
        item = Skipped(path, offset, "revisit")
    elif record.rec_type == "response":
        item = (Skipped(path, offset, "too_large") if length > max_size
                else _http(record, path, offset, max_size))
    records.read_to_end()
    decompressor = records.reader.decompressor
    short = getattr(record.raw_stream, "limit", 0) > 0
    # A gzip member that never ends, with nothing readable after it.
    unended = decompressor is not None and not decompressor.eof and not records.next_line
    if short or unended:
        if _at_end(records, size):
            kept = item if length > max_size else None
            return kept, DamagedRecord(offset, "the file ends inside this record (truncated)")
        if length <= max_size:
            return None, DamagedRecord(offset, "the record is shorter than its Content-Length")
    if records.err_count:
        return None, DamagedRecord(offset, "its Content-Length does not end where the next "
                                           "record begins")
    return item, None


def read_response(path: Path | str, offset: int, max_size: int = MAX_RECORD_SIZE
                  ) -> WarcResponse:
    """The response record at ``offset`` of a path or URI; raises one of
    DAMAGE, or LookupError when the record there is not a readable response."""
    with open_warc(path) as stream:
        stream.seek(offset)
        records = _Records(stream)
        record = next(iter(records))
        item, damage = _read(records, record, path, max_size, warc_size(path))
    if damage is not None:
        raise damage
    if not isinstance(item, WarcResponse):
        reason = item.reason if item else f"a {record.rec_type} record"
        raise LookupError(f"{path} at {offset} holds {reason}, not a response")
    return item


def check_archive(path: Path | str) -> None:
    """Raise NotAnArchive unless ``path`` (a path or URI) is a file that
    begins with a WARC or ARC record (gzipped or not)."""
    try:
        kind = kind_of(path)
    except OSError as exc:
        raise NotAnArchive(f"{path} cannot be read: {exc.strerror or exc}") from None
    if kind == "directory":
        raise NotAnArchive(f"{path} is a folder, not a WARC file")
    if kind == "missing":
        raise NotAnArchive(f"no such file: {path}")
    local = local_path(path)
    if local is not None and not local.is_file():
        raise NotAnArchive(f"{path} is not a regular file")
    try:
        with open_warc(path) as stream:
            reader = _StrictReader(stream)
            first = reader.readline(200)
            empty = stream.tell() == 0
    except OSError as exc:
        raise NotAnArchive(f"{path} cannot be read: {exc.strerror or exc}") from None
    except zlib.error:
        return  # a gzip member damaged from the start: reading reports it
    if empty:
        raise NotAnArchive(f"{path} is empty")
    if not first and reader.decompressor is not None and reader.decompressor.eof:
        raise NotAnArchive(f"{path} holds no record (an empty gzip stream)")
    # An ARC file opens with its version block, a ``filedesc://`` record. A
    # file cut inside that first line is a damaged archive, not another file.
    if not any(first.startswith(start) or start.startswith(first)
               for start in (b"WARC/", b"filedesc://")):
        raise NotAnArchive(f"{path} is not a WARC or ARC file: it begins {first[:40]!r}")


def _resume_at(stream: BinaryIO, after: int, marker: bytes) -> int | None:
    """The offset of the next ``marker`` after ``after``, if any."""
    stream.seek(after + 1)
    position = after + 1
    carry = b""
    while chunk := stream.read(1 << 20):
        data = carry + chunk
        found = data.find(marker)
        if found >= 0:
            return position - len(carry) + found
        carry = data[-(len(marker) - 1):]
        position += len(chunk)
    return None


def iter_responses(path: Path | str, max_size: int = MAX_RECORD_SIZE, *, start: int = 0,
                   end: int | None = None) -> Iterator[WarcResponse | Damage | Skipped]:
    """Every response record of a WARC or ARC file (a path or URI), a
    Skipped for each one left unread, and a Damage for each damaged stretch
    (reading goes on at the next gzip member, or WARC record, that reads).
    Raises NotAnArchive for what is no such file.

    With ``start`` (a record's first byte, see ``record_start``) and
    ``end``, only the records that begin in ``[start, end)``: the ranges of
    one file, read apart, give every record once."""
    check_archive(path)
    size = warc_size(path)
    end = size if end is None else min(end, size)
    with open_warc(path) as stream:
        marker = _GZIP_MEMBER if stream.read(2) == _GZIP_MEMBER[:2] else _WARC_RECORD
        begin: int | None = start
        while begin is not None and begin < end:
            stream.seek(begin)
            records = _Records(stream)
            try:
                for record in records:
                    if records.offset >= end:
                        return  # the next range's first record
                    item, damage = _read(records, record, path, max_size, size)
                    if item is not None:
                        yield item
                    if damage is not None:
                        raise damage
                if records.offset < end:
                    # What is left did not even begin a record: a gzip
                    # member cut before it gave out a byte.
                    yield Damage(path, records.offset,
                                 "the file ends inside this record (truncated)")
                return
            except DAMAGE as exc:
                # Offsets are absolute: warcio counts from where it started.
                where = exc.offset if isinstance(exc, DamagedRecord) else records.offset
                error = str(exc) if isinstance(exc, DamagedRecord) else _one_line(exc)
                if _at_end(records, size) and isinstance(exc, ArchiveLoadFailed):
                    error = (f"the last {size - where} bytes are not a whole record (the file "
                             f"is cut short, or has something else at its end): {error}")
                elif _at_end(records, size) and "truncated" not in error:
                    error = f"the file ends inside this record (truncated): {error}"
                yield Damage(path, where, error)
                try:
                    begin = _resume_at(stream, max(where, begin), marker)
                except OSError:
                    return  # the file cannot be read past here: said above


def is_gzipped(path: Path | str) -> bool:
    """Whether the file is gzipped (record by record, if it is a WARC)."""
    with open_warc(path) as stream:
        return stream.read(2) == _GZIP_MEMBER[:2]


def record_start(path: Path | str, after: int) -> int | None:
    """The offset of the first gzip member at or after ``after`` that opens
    a WARC or ARC record, or None past the last one. The gzip magic can
    occur inside compressed data: a candidate counts only when it inflates
    to a record's first line."""
    with open_warc(path) as stream:
        position = after - 1
        while (position := _resume_at(stream, position, _GZIP_MEMBER)) is not None:
            stream.seek(position)
            try:
                head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(stream.read(512), 64)
            except zlib.error:
                continue
            if head.startswith((b"WARC/", b"filedesc://")):
                return position
    return None
