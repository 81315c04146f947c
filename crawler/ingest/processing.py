"""What a worker process does with a fetched page: extract the article
(``crawler/extraction``) and read what enrichment (``crawler/enrich``: who
said what, in which form, about whom) needs of its HTML. The crawl,
``demarche import-warc`` and ``demarche reextract`` all run
``process_page`` in their worker pools, so a statement is the same
whichever way it came in.

The crawl and ``demarche backfill`` also enrich and sign (MinHash, for
syndication) in their workers (``process_and_enrich``): their own process
(Scrapy's reactor and WARC writer; the backfill's one writer for a whole
cluster) is their bottleneck. The archive uses what it is given only for
the text it stores: its source's learned chrome taken out. A crawl worker
is handed the lines learned so far (``chrome``) and does the same, so the
archive enriches again only the few texts whose chrome was learned while
they were in flight. ``demarche import-warc`` leaves both to the archive,
which makes them only for the texts it stores as new or changed: a WARC
holds many copies of a text, and its writer has time to spare.

Enrichment is kept out of ``extract_statement``: ``demarche extract`` and
the extraction benchmark measure the text alone, and the two change for
different reasons (each has its own code hash in the archive).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Any

from crawler.enrich import enrich, read_markup
from crawler.extraction import boilerplate
from crawler.extraction.draft import Rejected
from crawler.items import FetchedPage, Statement
from storage.minhash import text_signature

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
    """Load the extraction's modules and the enrichment's data (officials,
    countries, roles: about 0.2 s) now: a pool forked afterwards shares
    them instead of each worker loading its own."""
    import crawler.extraction.extract  # noqa: F401 - see process_page

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
    # Imported here, in the worker: the process that hands pages out (a
    # crawl's, an import's) imports this module for the archive's side
    # (enrichment, signatures), and the extraction's modules (trafilatura,
    # lxml's cleaner, the date parsers: 0.3 s and more) would be its for
    # nothing.
    from crawler.extraction.extract import extract_statement
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


def process_and_enrich(page: FetchedPage, source: Any = None,
                       chrome: Collection[str] = ()) -> Statement | Rejected:
    """``process_page``, then the enrichment and MinHash signature of the
    text the archive will store: the body without the lines of ``chrome``
    (line keys the source's archive has learned, ``archiving.known_chrome``).
    ``body`` stays the text as extracted (the archive counts its lines);
    ``clean_body`` is set when chrome was taken out."""
    result = process_page(page, source)
    if isinstance(result, Rejected):
        return result
    return prepare_statement(result, source, chrome)


def prepare_statement(statement: Statement, source: Any = None,
                      chrome: Collection[str] = ()) -> Statement:
    """The statement with the enrichment and signature of its body without
    the lines of ``chrome`` (``process_and_enrich``)."""
    clean = boilerplate.strip_lines(statement.body, set(chrome)) if chrome else statement.body
    enriched = enrich_statement(dataclasses.replace(statement, body=clean), source)
    return dataclasses.replace(enriched, body=statement.body,
                               clean_body=clean if clean != statement.body else None,
                               signature=text_signature(clean))
