"""Record the demo site (``site.toml`` and ``site/``) into a WARC file.

The WARC holds ordinary HTTP response records at the sites' real URLs, the
same kind of file a real crawl or the Internet Archive produces, so the
replay middleware that serves it knows nothing about the demo.
"""

from __future__ import annotations

import gzip
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

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
_REASONS = {200: "OK", 301: "Moved Permanently", 404: "Not Found", 500: "Internal Server Error"}


def record_site(out: Path, manifest: Path = SITE_TOML) -> int:
    """Write every page of the manifest as a response record; return the count."""
    pages = tomllib.loads(manifest.read_text(encoding="utf-8"))["page"]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as stream:
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
    return len(pages)
