"""What a worker process does with a fetched page: extract the article
(``crawler/extraction``), then say who said what in it, in which form and
about whom (``crawler/enrich``). The crawl, ``demarche import-warc`` and
``demarche reextract`` all run ``process_page`` in their worker pools, so a
statement is the same whichever way it came in.

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

from crawler.enrich import enrich
from crawler.extraction.draft import Rejected
from crawler.extraction.extract import extract_statement
from crawler.items import FetchedPage, Statement

_ENRICH = Path(__file__).resolve().parent / "enrich"


@lru_cache(maxsize=1)
def enricher_hash() -> str:
    """A hash of the enrichment code and its data files (officials,
    countries): rows enriched by other rules are enriched again by
    ``demarche reextract``."""
    digest = hashlib.sha256()
    for path in sorted([*_ENRICH.glob("*.py"), *_ENRICH.glob("*.toml")]):
        if path.name == "bench.py":
            continue
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
    an imported site's row (its kind and country); None when unknown."""
    kind = getattr(source, "kind", None)
    country = getattr(source, "country", None)
    enrichment = enrich(
        title=statement.title, text=statement.body, url=statement.url,
        # An imported site of unknown kind reports, like the media do.
        source_country=None if country in (None, "ZZ") else country,
        source_kind=kind if kind in ("ministry", "agency", "media") else "media",
        language=statement.language, section=statement.section,
        published=statement.published_at, html=html,
    )
    return dataclasses.replace(statement, enrichment=enrichment)


def process_page(page: FetchedPage, source: Any = None) -> Statement | Rejected:
    """Extract, then enrich; a page without an article comes back Rejected.
    ``source`` is a registry row, or an imported site's row (extracted
    without registry rules, enriched with its kind and country)."""
    from crawler.sources import Source

    result = extract_statement(page, source if isinstance(source, Source) else None)
    if isinstance(result, Rejected):
        return result
    # Only links are read from the markup (alternate-language versions):
    # ASCII in any charset a ministry uses.
    return enrich_statement(result, source, page.body.decode("utf-8", errors="replace"))
