"""Everything the statement page shows about one article: its text with
the quotations marked, who speaks and which countries it names, its
translations, earlier texts, takedown and syndication cluster.

Reading only: :func:`statement_page` takes a Session and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from reading.history import EXTRACTION_CHANGED, article_history, extraction_changed
from reading.room.cite import Citation
from reading.room.countries import country_name
from reading.room.markup import locate_quotes, quoted_paragraphs, word_diff
from storage.models import Article, Cluster, Quote, SourceRow
from storage.statements import statement_details


@dataclass(frozen=True)
class Translation:
    id: int
    language: str | None
    title: str
    source_name: str
    paragraphs: list[Markup]


@dataclass(frozen=True)
class EarlierText:
    label: str
    first_seen_at: datetime
    seen_at: datetime
    diff: Markup  # the next text against this one
    # Said when demarche's extraction changed between the two texts.
    note: str | None = None


@dataclass(frozen=True)
class Relay:
    id: int
    source: str
    source_name: str
    title: str
    published_at: datetime | None
    similarity: float | None
    first: bool
    delay: timedelta | None  # after the first publication


@dataclass
class StatementPage:
    article: Article
    source_name: str
    source_country: str | None
    paragraphs: list[Markup]
    speakers: list[dict[str, Any]]
    quotes: list[dict[str, Any]]
    countries: list[dict[str, Any]]
    translations: list[Translation]
    earlier: list[EarlierText]
    cluster: list[Relay]
    citation: Citation
    turns: list[dict[str, Any]] = field(default_factory=list)

    @property
    def removed(self) -> bool:
        return self.article.removed_at is not None


def _moment(article: Article) -> datetime:
    return article.published_at or article.first_seen_at


def source_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(SourceRow.key, SourceRow.name)).all())


def _cluster(session: Session, article: Article, names: dict[str, str]) -> list[Relay]:
    if article.cluster_id is None:
        return []
    cluster = session.get(Cluster, article.cluster_id)
    members = list(session.scalars(select(Article).where(
        Article.cluster_id == article.cluster_id)))
    if len(members) < 2:
        return []
    first = next((m for m in members if cluster and m.id == cluster.first_article_id),
                 min(members, key=_moment))
    members.sort(key=lambda m: (m.id != first.id, _moment(m), m.id))
    return [Relay(m.id, m.source, names.get(m.source, m.source), m.title, m.published_at,
                  m.cluster_similarity, m.id == first.id,
                  None if m.id == first.id else _moment(m) - _moment(first))
            for m in members]


def statement_page(session: Session, article_id: int, permalink: str) -> StatementPage | None:
    """The statement page of an article, or None when there is no such
    article; ``permalink`` is the page's own address, for the citation."""
    article = session.get(Article, article_id)
    if article is None:
        return None
    names = source_names(session)
    source = session.get(SourceRow, article.source)
    details = statement_details(session, article_id)
    quotes = session.execute(select(Quote.speaker, Quote.text, Quote.offset)
                             .where(Quote.article_id == article_id)
                             .order_by(Quote.position)).all()
    paragraphs = quoted_paragraphs(article.body, locate_quotes(article.body, quotes))
    translations = []
    for linked in details["translations"]:
        other = session.get(Article, linked["id"])
        if other is not None:
            translations.append(Translation(
                other.id, other.language, other.title, names.get(other.source, other.source),
                quoted_paragraphs(other.body, [])))
    history = article_history(session, article.url)
    earlier = []
    if history is not None:
        texts = history.texts
        for old, new in zip(texts, texts[1:], strict=False):
            earlier.append(EarlierText(
                old.label, old.first_seen_at, old.seen_at,
                word_diff(f"{old.title}\n\n{old.body}", f"{new.title}\n\n{new.body}"),
                EXTRACTION_CHANGED if extraction_changed(old, new) else None))
    speakers = [{**s, "country_name": country_name(s["country"])} for s in details["speakers"]]
    countries = [{**c, "name": country_name(c["code"])} for c in details["countries"]]
    publisher = source.name if source else article.source
    return StatementPage(
        article=article,
        source_name=publisher,
        source_country=source.country if source else None,
        paragraphs=paragraphs,
        speakers=speakers,
        quotes=details["quotes"],
        countries=countries,
        translations=translations,
        earlier=earlier,
        cluster=_cluster(session, article, names),
        citation=Citation(article.id, article.title, publisher, article.published_at,
                          article.url, article.first_seen_at, permalink, article.language),
        turns=details["turns"],
    )
