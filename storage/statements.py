"""Who said what, in which form, about whom: an article's enrichment rows.

``store_enrichment`` replaces everything ``crawler/enrich`` decided about
one article (its type and document number on the row; speakers, quotes,
country mentions, briefing turns and translation keys in their tables) in
the caller's transaction; ``statement_details`` reads it back for
``demarche show``. Functions take a Session and never commit.

The enrichment arrives as an object with the fields of
``crawler.enrich.Enrichment``; storage does not import the crawler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from storage.bounds import fit_row, width
from storage.models import Article, Mention, Quote, Speaker, TranslationKey, Turn

logger = logging.getLogger(__name__)
_ROW_TABLES = (Speaker, Quote, Mention, Turn, TranslationKey)
# Built once, on the table: run for every new article of a crawl or import.
_ARTICLES = Article.__table__
_SET_ENRICHMENT = update(_ARTICLES).where(_ARTICLES.c.id == bindparam("article_id")).values(
    statement_type=bindparam("new_type"), document_number=bindparam("new_number"),
    enricher_hash=bindparam("new_hash"))


def store_enrichment(session: Session, article_id: int, enrichment: Any, enricher_hash: str,
                     *, new: bool = False) -> None:
    """Replace the article's enrichment with ``enrichment``; ``new``: the
    row was inserted in this transaction and has none to replace."""
    store_enrichments(session, [(article_id, enrichment, new)], enricher_hash)


def store_enrichments(session: Session, items: Sequence[tuple[int, Any, bool]],
                      enricher_hash: str) -> None:
    """``store_enrichment`` for each (article id, enrichment, new), with a
    statement per table for them all. An article twice keeps the last."""
    last = {article_id: (enrichment, new) for article_id, enrichment, new in items}
    if not last:
        return
    updates = []
    for article_id, (enrichment, _) in last.items():
        fields = fit_row(Article, {"statement_type": enrichment.statement_type,
                                   "document_number": enrichment.document_number},
                         f"article {article_id}")
        updates.append({"article_id": article_id, "new_type": fields["statement_type"],
                        "new_number": fields["document_number"], "new_hash": enricher_hash})
    session.execute(_SET_ENRICHMENT, updates)
    replaced = sorted(article_id for article_id, (_, new) in last.items() if not new)
    if replaced:
        for table in _ROW_TABLES:
            session.execute(delete(table).where(table.article_id.in_(replaced)))
    inserts: dict[type, list[dict[str, Any]]] = {table: [] for table in _ROW_TABLES}
    for article_id, (enrichment, _) in last.items():
        for table, values in _rows_of(article_id, enrichment):
            inserts[table].extend(values)
    for table, values in inserts.items():
        if values:
            session.execute(insert(table.__table__), values)


def _rows_of(article_id: int, enrichment: Any) -> list[tuple[type, list[dict[str, Any]]]]:
    """The rows of each table that say what ``enrichment`` decided."""
    row = f"article {article_id}"
    rows: list[tuple[type, list[dict[str, Any]]]] = [
        (Speaker, [{"position": n, "name": s.name, "role": s.role, "country": s.country}
                   for n, s in enumerate(enrichment.speakers)]),
        (Quote, [{"position": n, "speaker": q.speaker, "text": q.text, "offset": q.position}
                 for n, q in enumerate(enrichment.quotes)]),
        (Mention, [{"country": m.code, "count": m.count} for m in enrichment.countries]),
        (Turn, [{"position": t.index, "kind": t.kind, "speaker": t.speaker, "outlet": t.outlet,
                 "text": t.text} for t in enrichment.turns]),
        # A key twice in one text would break the primary key.
        (TranslationKey, [{"key": key} for key in _keys(enrichment.translation_keys, row)]),
    ]
    # Names, roles and outlets that long are parsing accidents, not data:
    # cut to their columns, with a note (storage/bounds.py).
    fitted_rows = []
    for table, values in rows:
        unique: dict[tuple[Any, ...], dict[str, Any]] = {}
        for fitted in (fit_row(table, {"article_id": article_id, **v}, row) for v in values):
            # (Two keys that differed only by a NUL byte are one now.)
            unique.setdefault(tuple(fitted[c.name] for c in table.__table__.primary_key), fitted)
        fitted_rows.append((table, list(unique.values())))
    return fitted_rows


def statement_details(session: Session, article_id: int) -> dict[str, Any]:
    """The statement fields of ``demarche show``: type, speakers, quotes,
    countries, document number, translations and briefing turns."""
    article = session.get(Article, article_id)
    assert article is not None, article_id

    def rows(table: Any, order: tuple[Any, ...], *columns: str) -> list[dict[str, Any]]:
        found = session.scalars(select(table).where(table.article_id == article_id)
                                .order_by(*order))
        return [{c: getattr(row, c) for c in columns} for row in found]

    translations = session.execute(
        select(Article.id, Article.language, Article.url)
        .where(Article.id.in_(
            select(TranslationKey.article_id)
            .where(TranslationKey.key.in_(
                select(TranslationKey.key).where(TranslationKey.article_id == article_id)),
                TranslationKey.article_id != article_id)),
            # Another language: the same key in the same language is a
            # republication, not a translation.
            Article.language.is_distinct_from(article.language))
        .order_by(Article.id))
    return {
        "statement_type": article.statement_type,
        "speakers": rows(Speaker, (Speaker.position,), "name", "role", "country"),
        "quotes": rows(Quote, (Quote.position,), "speaker", "text"),
        # Most named first.
        "countries": [{"code": m["country"], "count": m["count"]} for m in rows(
            Mention, (Mention.count.desc(), Mention.country), "country", "count")],
        "document_number": article.document_number,
        "translations": [{"id": i, "language": lang, "url": url} for i, lang, url in translations],
        "turns": rows(Turn, (Turn.position,), "kind", "speaker", "outlet", "text"),
    }


def _keys(keys: Iterable[str], row: str) -> list[str]:
    """The translation keys that fit their column. A longer one (an
    hreflang link of kilobytes) is left out with a note rather than cut:
    it links nothing worth a key that is no longer the link."""
    size = width(TranslationKey.__table__.c.key) or 0
    unique = list(dict.fromkeys(keys))
    kept = [key for key in unique if len(key) <= size]
    if len(kept) < len(unique):
        logger.warning("translation_keys.key of %s: %d key(s) over %d characters left out",
                       row, len(unique) - len(kept), size)
    return kept
