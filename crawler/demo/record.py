"""Record the demo site (``site.toml`` and ``site/``) into a WARC file.

The WARC holds ordinary HTTP response records at the sites' real URLs, the
same kind of file a real crawl or the Internet Archive produces, so the
middleware that serves it knows nothing about the demo. The demo visits the
sites twice (``site.toml`` says which pages differ): one file per visit.
"""

from __future__ import annotations

import gzip
import os
import tomllib
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DEMO_DIR = Path(__file__).parent
SITE_TOML = DEMO_DIR / "site.toml"
DEMO_SOURCES = (
    "sputnik_russia",
    "mid_ru_en",
    "mid_ru_ru",
    "state_gov_briefings",
    "state_gov_releases",
)
# The press release mid.ru takes down after the first visit (site.toml).
TAKEN_DOWN = "https://mid.ru/en/foreign_policy/news/1801090/"

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
_REASONS = {200: "OK", 301: "Moved Permanently", 403: "Forbidden", 404: "Not Found",
            410: "Gone", 500: "Internal Server Error"}
VISITS = (1, 2)


def record_site(out: Path, manifest: Path = SITE_TOML, visit: int = 1) -> int:
    """Write every page the sites answer on ``visit`` (the pages without a
    ``visit`` field, and those of that visit) as a response record; return
    the count."""
    pages = [page for page in tomllib.loads(manifest.read_text(encoding="utf-8"))["page"]
             if page.get("visit", visit) == visit]
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed into place: a demo running at the same time
    # (the tests run several) reads the whole recording or none of it.
    partial = out.with_name(f".{out.name}.{os.getpid()}")
    with partial.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for page in pages:
            path = manifest.parent / "site" / page["file"]
            body = path.read_bytes()
            if page.get("gzip"):
                # mtime=0: the same site always records to the same bytes.
                body = gzip.compress(body, mtime=0)
            status = int(page.get("status", 200))
            content_type = page.get("content_type") or _TYPES.get(path.suffix, "text/html")
            headers = StatusAndHeaders(
                f"{status} {_REASONS.get(status, 'OK')}",
                [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            record = writer.create_warc_record(
                page["url"], "response", payload=BytesIO(body), http_headers=headers
            )
            writer.write_record(record)
    os.replace(partial, out)
    return len(pages)
