"""The demo's sites, answered from their recording as if they were live.

``DEMARCHE_REPLAY`` tells the spiders that a run replays the past, and a
replayed run checks nothing against the archive: a recording says nothing
about what a site serves now, so a page missing from it is no takedown.
The demo's recordings are the sites as they are on each visit
(``crawler/demo/record.py``), so the demo answers from them with this
middleware instead (``DEMARCHE_DEMO_SITE``, a WARC file): the spiders take
the run for a live one, read what earlier runs archived, and see an edit
as a new version and a 404 at an archived URL as a takedown, exactly as
on the real sites. It never reaches the network either.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.middlewares.replay import Recording, ReplayMiddleware


class DemoSiteMiddleware(ReplayMiddleware):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("DEMARCHE_DEMO_SITE")
        if not path:
            raise NotConfigured
        recording = Recording()
        recording.load(Path(path))
        return cls(recording, crawler)
