"""Every response kept in WARC files: the provenance of each archived text,
and the material ``demarche reextract`` works from.

A downloader middleware writes each response (and the request that got it)
to gzipped WARC files that rotate at ``DEMARCHE_WARC_MAX_MB``, named by
host, source, time and process so that several crawler machines can write
side by side. It sits below HTTP decompression: the body is kept as the
crawler saw it, and the headers say so (no Content-Encoding). The record's
file, as a URI any machine can open (``storage.warc_uris``), and offset
travel on in ``request.meta["warc_record"]``.

The folder is a local one by default; ``DEMARCHE_WARC_DIR=s3://bucket/warc``
(any fsspec URL) makes every crawler machine write there through fsspec,
each file written once from start to end (object stores do not append).
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storage.warc_uris import is_uri, join, local_path, open_warc, to_uri

logger = logging.getLogger(__name__)

# warcio compresses at zlib's level 9, the slowest: on the crawl's own process,
# beside Scrapy and the archive, it took more time than anything else. Level 4
# is 2.6 times as fast on news pages for 5 % more bytes (DEMARCHE_WARC_GZIP_LEVEL).
DEFAULT_GZIP_LEVEL = 4
# Headers that describe the transfer, not the body as kept.
_TRANSFER_HEADERS = {b"content-encoding", b"transfer-encoding", b"content-length"}


class RotatingWarc:
    """Gzipped WARC files in ``folder`` (a path or URI), a new one past
    ``max_bytes``."""

    def __init__(self, folder: Path | str, prefix: str, max_bytes: int,
                 level: int = DEFAULT_GZIP_LEVEL) -> None:
        self.folder = to_uri(folder)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.level = level
        self.count = 0
        self.handle = None
        self.name = ""
        # Records are written plain into ``buffer``, then each is gzipped as
        # a member of its own, as warcio does: a record is read from its offset.
        self.buffer = BytesIO()
        self.writer = WARCWriter(self.buffer, gzip=False)

    def _open(self) -> None:
        self.count += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        name = f"{self.prefix}-{stamp}-{os.getpid()}-{self.count:05d}.warc.gz"
        self.name = join(self.folder, name)
        # A local file is appended to (a restarted process with the same
        # pid and second goes on after what is there); a remote one is new.
        self.handle = open_warc(self.name, "ab" if local_path(self.name) else "wb")

    def _append(self, record) -> None:  # type: ignore[no-untyped-def]
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.write_record(record)
        packer = zlib.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        assert self.handle is not None
        self.handle.write(packer.compress(self.buffer.getvalue()) + packer.flush())

    def write(self, request: Request, response: Response) -> tuple[str, int]:
        if self.handle is None or self.handle.tell() >= self.max_bytes:
            self.close()
            self._open()
        headers = [(k.decode("latin-1"), v.decode("latin-1"))
                   for k, values in response.headers.items() for v in values
                   if k.lower() not in _TRANSFER_HEADERS]
        headers.append(("Content-Length", str(len(response.body))))
        status = f"{response.status} {_reason(response.status)}"
        record = self.writer.create_warc_record(
            response.url, "response", payload=BytesIO(response.body),
            http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
        )
        offset = self.handle.tell()
        self._append(record)
        request_headers = [(k.decode("latin-1"), v.decode("latin-1"))
                           for k, values in request.headers.items() for v in values]
        path = request.url.split("/", 3)[-1] if request.url.count("/") >= 3 else ""
        sent = self.writer.create_warc_record(
            request.url, "request", payload=BytesIO(request.body),
            http_headers=StatusAndHeaders(f"{request.method} /{path} HTTP/1.1", request_headers,
                                          is_http_request=True),
            warc_headers_dict={"WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID")},
        )
        self._append(sent)
        self.handle.flush()
        return self.name, offset

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def warc_folder(settings) -> Path | str:  # type: ignore[no-untyped-def]
    """DEMARCHE_WARC_DIR (a path, or a URI such as ``s3://bucket/warc``),
    else ``warc/`` beside a SQLite archive, else in the project."""
    from sqlalchemy.engine import make_url

    from storage.engine import project_root

    configured = settings.get("DEMARCHE_WARC_DIR")
    if configured:
        return configured if is_uri(configured) else Path(configured)
    url = make_url(settings.get("DEMARCHE_ARCHIVE_URL"))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "warc"
    return project_root() / "warc"


class WarcRecordMiddleware:
    def __init__(self, crawler: Crawler, folder: Path | str, max_bytes: int,
                 level: int = DEFAULT_GZIP_LEVEL) -> None:
        self.crawler = crawler
        self.folder = folder
        self.max_bytes = max_bytes
        self.level = level
        self.files: dict[str, RotatingWarc] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("DEMARCHE_WARC_ENABLED", True):
            raise NotConfigured
        level = crawler.settings.getint("DEMARCHE_WARC_GZIP_LEVEL", DEFAULT_GZIP_LEVEL)
        if not 1 <= level <= 9:
            raise ValueError(f"DEMARCHE_WARC_GZIP_LEVEL must be 1 to 9, not {level}")
        middleware = cls(crawler, warc_folder(crawler.settings),
                         crawler.settings.getint("DEMARCHE_WARC_MAX_MB", 512) * 1024 * 1024, level)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response) -> Response:
        name = getattr(self.crawler.spider, "name", "crawl")
        if name not in self.files:
            prefix = f"{socket.gethostname()}-{name}"
            self.files[name] = RotatingWarc(self.folder, prefix, self.max_bytes, self.level)
        try:
            request.meta["warc_record"] = self.files[name].write(request, response)
        except OSError as exc:
            # A full disk must not stop the crawl; the article then has no
            # WARC record, which its row shows.
            self.crawler.stats.inc_value("warc/write_error")
            logger.error("Cannot write %s to WARC: %s", response.url, exc)
        else:
            self.crawler.stats.inc_value("warc/records")
        return response

    def spider_closed(self, spider: Spider) -> None:
        for warc in self.files.values():
            warc.close()
