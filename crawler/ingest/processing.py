"""What a worker process does with a fetched page: extract the article
(``crawler/extraction``) and read what enrichment (``crawler/enrich``: who
said what, in which form, about whom) needs of its HTML. The crawl,
``demarche import-warc`` and ``demarche reextract`` all run
``process_page`` in their worker pools, so a statement is the same
whichever way it came in.

The enrichment itself is made by the archive (``crawler/ingest/archiving.py``)
for the statements it stores as new or changed: an import or a re-crawl
meets most pages again, and enriching them in the workers was work thrown
away; the archive also enriches the text as stored, after the source's
learned chrome is gone. ``demarche reextract`` has its workers enrich too
(``batch/reextract.py``): there every row is a candidate.

Enrichment is kept out of ``extract_statement``: ``demarche extract`` and
the extraction benchmark measure the text alone, and the two change for
different reasons (each has its own code hash in the archive).
"""

from __future__ import annotations

import dataclasses
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from crawler.enrich import enrich, read_markup
from crawler.extraction.draft import Rejected
from crawler.extraction.extract import extract_statement
from crawler.items import FetchedPage, Statement

_ENRICH = Path(__file__).resolve().parents[1] / "enrich"


@lru_cache(maxsize=1)
def enricher_hash() -> str:
    """A hash of the enrichment code and its data files (officials,
    countries): rows enriched by other rules are enriched again by
    ``demarche reextract``."""
    digest = hashlib.sha256()
    for path in sorted([*_ENRICH.glob("*.py"), *_ENRICH.glob("*.toml")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_rules() -> None:
    """Load the enrichment's data (officials, countries, roles: about 0.2 s)
    now: a pool forked afterwards shares it instead of each worker loading
    its own."""
    enrich(title="", text="The Minister said Russia.")


def enrich_statement(statement: Statement, source: Any, html: str | None = None) -> Statement:
    """The statement with its enrichment. ``source`` is a registry row or
    an archived source row (its kind and country); None when unknown. The
    page's HTML is ``html``, else what ``statement.markup`` kept of it."""
    kind = getattr(source, "kind", None)
    country = getattr(source, "country", None)
    enrichment = enrich(
        title=statement.title, text=statement.body, url=statement.url,
        # An imported site of unknown kind reports, like the media do.
        source_country=None if country in (None, "ZZ") else country,
        source_kind=kind if kind in ("ministry", "agency", "media") else "media",
        language=statement.language, section=statement.section,
        published=statement.published_at, html=html,
        markup=None if html is not None else statement.markup,
    )
    return dataclasses.replace(statement, enrichment=enrichment)


def process_page(page: FetchedPage, source: Any = None) -> Statement | Rejected:
    """Extract, and read the page's markup for enrichment; a page without
    an article, or one that exhausts its memory budget, comes back Rejected. ``source`` is a registry row, or an
    imported site's row (extracted without registry rules)."""
    from crawler.sources import Source

    try:
        result = extract_statement(page, source if isinstance(source, Source) else None)
        if isinstance(result, Rejected):
            return result
        # Only tags are read from the markup (links, blockquotes, a number):
        # ASCII-compatible in any charset a ministry uses.
        html = page.body.decode("utf-8", errors="replace")
        return dataclasses.replace(result, markup=read_markup(html, result.url))
    except MemoryError:
        # In a bounded worker (crawler/ingest/workers.py) this is the
        # page's memory budget running out: a fact about the page, not a
        # crash, and it is kept like any other lasting rejection.
        return Rejected("too_costly", "its extraction ran out of its memory budget")


def process_and_enrich(page: FetchedPage, source: Any = None) -> Statement | Rejected:
    """``process_page``, then the statement's enrichment, both in the
    extraction worker: the crawl's and the import's own process (Scrapy's
    reactor, the WARC writer, the archive) is their bottleneck, and the
    archive keeps an enrichment made here whenever it stores the text as
    extracted (``archiving``: a text that learned chrome shortened is
    enriched again there)."""
    result = process_page(page, source)
    if isinstance(result, Rejected):
        return result
    return enrich_statement(result, source)
