"""Imported once by the forkserver the crawl's extraction workers are
forked from (``crawler.pipelines.extract``): the extraction and enrichment
code, the enrichment's rules and the date parser's compiled patterns are
then in memory, shared, in every worker it forks.

Without it each worker, started with ``spawn``, imported and loaded all of
that itself: about 2.7 s of CPU a worker (2.1 s of imports and rules, 0.6 s
of patterns compiled over its first pages), paid again by every
replacement of a worker stopped on an overrunning page. A forked worker
starts in milliseconds.

A failure here must not stop the forkserver (it would stop the crawl's
pool): the workers then load what they need themselves, as before.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

logger = logging.getLogger(__name__)

# Dates written the ways pages write them, so that the date parser compiles
# the patterns pages will need (it does so lazily, on a page's first use).
_PAGE = b"""<html lang="en"><head><title>Statement by the Ministry</title>
<meta property="article:published_time" content="2025-03-04T10:00:00+03:00"></head>
<body><article><h1>Statement by the Ministry of Foreign Affairs</h1>
<p class="date">4 March 2025, 10:00</p><time datetime="2025-03-04">March 4, 2025</time>
<p>The Minister of Foreign Affairs said on Tuesday that the talks would resume in Geneva,
and that the delegations had agreed on the agenda of the next round of consultations.</p>
<p>"We welcome the decision of our partners," the Minister said at a press conference.</p>
<p>Published 04.03.2025 | Updated 5 mars 2025 | 2025\xe5\xb9\xb43\xe6\x9c\x884\xe6\x97\xa5</p>
</article></body></html>"""


def warm() -> None:
    from crawler.ingest.processing import load_rules, process_and_enrich
    from crawler.items import FetchedPage

    load_rules()
    page = FetchedPage("warm", "https://warm.invalid/news/1", 200, "text/html; charset=utf-8",
                       _PAGE, datetime.now(UTC))
    process_and_enrich(page)


try:
    warm()
except Exception:  # noqa: BLE001 - see the module's docstring
    logger.exception("Warming the extraction workers' forkserver failed; workers load alone")
