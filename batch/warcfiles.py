"""Reading responses back from WARC files: one record at a known offset
(re-extraction), or every response of a file (import), past damage.

WARC files from anywhere (our own, Common Crawl's CC-NEWS, the Internet
Archive, Browsertrix) are gzipped record by record, so a record can be read
at its offset, and after a corrupt record reading can resume at the next
gzip member. A file cut short ends the file, not the import.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

logger = logging.getLogger(__name__)

_GZIP_MEMBER = b"\x1f\x8b\x08"
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

    path: Path
    offset: int
    error: str

    def __str__(self) -> str:
        return f"{self.path}: damaged record at byte {self.offset}: {self.error}"


def _date(value: str | None) -> datetime:
    try:
        return datetime.fromisoformat((value or "").replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return datetime.now(UTC)


def _response(record, offset: int) -> WarcResponse | None:  # type: ignore[no-untyped-def]
    if record.rec_type != "response" or record.http_headers is None:
        return None
    headers = record.http_headers
    return WarcResponse(
        url=record.rec_headers.get_header("WARC-Target-URI") or "",
        status=int(headers.get_statuscode() or 0),
        content_type=headers.get_header("Content-Type"),
        body=record.content_stream().read(),
        date=_date(record.rec_headers.get_header("WARC-Date")),
        offset=offset,
        etag=headers.get_header("ETag"),
        last_modified=headers.get_header("Last-Modified"),
    )


def read_response(path: Path, offset: int) -> WarcResponse:
    """The response record at ``offset``; raises one of DAMAGE, or LookupError
    when the record there is not a response."""
    with path.open("rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        response = _response(record, offset)
    if response is None:
        raise LookupError(f"{path} at {offset} holds a {record.rec_type} record, not a response")
    return response


def _next_member(stream, after: int) -> int | None:  # type: ignore[no-untyped-def]
    """The offset of the next gzip member after ``after``, if any."""
    stream.seek(after + 1)
    position = after + 1
    carry = b""
    while chunk := stream.read(1 << 20):
        data = carry + chunk
        found = data.find(_GZIP_MEMBER)
        if found >= 0:
            return position - len(carry) + found
        carry = data[-2:]
        position += len(chunk)
    return None


def iter_responses(path: Path) -> Iterator[WarcResponse | Damage]:
    """Every response record of a WARC file, and a Damage for each damaged
    stretch (reading goes on at the next gzip member that reads)."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        start: int | None = 0
        # Where the last good record began and why reading stopped after it.
        failure: tuple[int, str] | None = None
        while start is not None:
            stream.seek(start)
            records = ArchiveIterator(stream)
            offset, read_any = start, False
            try:
                for record in records:
                    # Body first: asking for the offset reads the record to its end.
                    response = _response(record, 0)
                    offset = start + records.get_record_offset()
                    if response is not None:
                        response = replace(response, offset=offset)
                    if failure is not None:
                        # Reading resumed here: the damage lay before it.
                        yield Damage(path, failure[0], failure[1])
                        failure = None
                    read_any = True
                    if response is not None:
                        yield response
                if failure is not None:
                    yield Damage(path, failure[0], failure[1])
                    failure = None
                end = offset + (records.get_record_length() or 0) if read_any else start
                if end < size:
                    # warcio stops quietly at a record cut short.
                    yield Damage(path, end, "the file ends inside a record (truncated)")
                return
            except DAMAGE as exc:
                error = f"{type(exc).__name__}: {exc}"
                if failure is not None and not read_any:
                    # The member we resumed at is itself the damaged record.
                    yield Damage(path, start, error)
                    failure = None
                    start = _next_member(stream, start)
                else:
                    if failure is not None:
                        yield Damage(path, failure[0], failure[1])
                    # The record after the last good one is damaged; try the
                    # next gzip member, which is usually that record.
                    failure = (offset, error)
                    start = _next_member(stream, offset)
        if failure is not None:
            yield Damage(path, failure[0], failure[1])
