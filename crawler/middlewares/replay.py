"""Answer requests from WARC recordings instead of the network.

With ``DEMARCHE_REPLAY`` set to one or more WARC files, every request is
answered from the recorded response for its URL (status, headers and body as
recorded), and a URL with no recording gets a 404. Nothing reaches the
network, and the crawl keeps the real URLs, so the same source rows and
spiders run offline: this is how a recorded crawl can be replayed to debug
a spider. A replayed run is told it is one, so it judges no takedowns; the
demo, which must show one, answers from its recordings through a subclass
that does not say so (``crawler/demo/live_site.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator

from storage.urls import normalise_url

# The recorded body is stored decoded (warcio undoes chunking and gzip), so
# these headers would describe bytes that are no longer there.
_TRANSPORT_HEADERS = {b"content-encoding", b"transfer-encoding", b"content-length"}


class Recording:
    def __init__(self) -> None:
        self._responses: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}

    def __len__(self) -> int:
        return len(self._responses)

    def load(self, path: Path) -> None:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                status = int(record.http_headers.get_statuscode() or 200)
                body = record.content_stream().read()
                self._responses[normalise_url(url)] = (status, record.http_headers.headers, body)

    def get(self, url: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
        return self._responses.get(normalise_url(url))


class ReplayMiddleware:
    def __init__(self, recording: Recording, crawler: Crawler) -> None:
        self.recording = recording
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        paths = crawler.settings.getlist("DEMARCHE_REPLAY")
        if not paths:
            raise NotConfigured
        recording = Recording()
        for path in paths:
            if not Path(path).is_file():
                raise FileNotFoundError(f"DEMARCHE_REPLAY: no WARC file at {path}")
            recording.load(Path(path))
        return cls(recording, crawler)

    def process_request(self, request: Request) -> Response:
        found = self.recording.get(request.url)
        if found is None:
            self.crawler.stats.inc_value("replay/miss")
            return Response(request.url, status=404, body=b"not recorded", request=request)
        self.crawler.stats.inc_value("replay/hit")
        status, raw_headers, body = found
        headers = Headers(
            [(k, v) for k, v in raw_headers if k.lower().encode() not in _TRANSPORT_HEADERS]
        )
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return respcls(url=request.url, status=status, headers=headers, body=body, request=request)
