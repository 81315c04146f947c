"""The archive's tables, as SQLAlchemy 2.x typed models.

Times are stored in UTC. On SQLite they are written as ISO 8601 text
(``2012-04-02T10:18:00Z``) so that plain SQL compares and formats them
(``WHERE published_at >= '2012-04-01'``, ``date(published_at)``); on
PostgreSQL they are ``timestamptz``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names, so that migrations can refer to them on every
# backend (SQLAlchemy's "naming convention" recipe).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_SQLITE_ISO = sqlite.DATETIME(
    storage_format="%(year)04d-%(month)02d-%(day)02dT%(hour)02d:%(minute)02d:%(second)02dZ",
    regexp=r"(\d+)-(\d+)-(\d+)[T ](\d+):(\d+):(\d+)",
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):  # type: ignore[no-untyped-def]
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLITE_ISO)
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC).replace(microsecond=0)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SourceRow(Base):
    """A registry row as it was when last crawled: lets SQL join on sources."""

    __tablename__ = "sources"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    site_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(8))
    spider: Mapped[str] = mapped_column(String(16))
    domains: Mapped[list[str]] = mapped_column(JSON)
    entry_points: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_source_published_at", "source", "published_at"),
        # The write path's same-text lookup (storage.lookup.same_text).
        Index("ix_articles_source_content_hash", "source", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.key"), index=True)
    # Normalised (tracking parameters and fragment stripped): one row per URL.
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    canonical_url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    author: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(8))
    section: Mapped[str | None] = mapped_column(String(200))
    site_name: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # The summary printed between headline and body, which the body leaves
    # out (crawler/extraction/standfirst.py). Not in ``content_hash``: an
    # edit of it alone is no new version of the statement.
    standfirst: Mapped[str | None] = mapped_column(Text)
    # sha256 of title and body: tells a changed article from an unchanged one.
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Gone from the site: the first crawl that found the URL answering 404 or
    # 410, or redirecting away; the row and its text stay.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str | None] = mapped_column(String(64))  # "http 404", "redirect"
    # Provenance of the current text: the WARC record of the response it was
    # extracted from, and the extractor that made it (name and version, and
    # a hash of its code and settings).
    warc_file: Mapped[str | None] = mapped_column(String(512))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    extractor: Mapped[str | None] = mapped_column(String(64))
    extractor_hash: Mapped[str | None] = mapped_column(String(16))
    # Syndication: the cluster of near-identical texts across sources this
    # article belongs to, and its similarity to the cluster's first article.
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"), index=True)
    cluster_similarity: Mapped[float | None] = mapped_column(Float)
    # What kind of statement the text is (crawler/enrich/types.py), the
    # ministry's own document number, and the hash of the enrichment code
    # and data that decided them and the rows of speakers, quotes, mentions,
    # turns and translation_keys (NULL: never enriched).
    statement_type: Mapped[str | None] = mapped_column(String(32), index=True)
    document_number: Mapped[str | None] = mapped_column(String(64))
    enricher_hash: Mapped[str | None] = mapped_column(String(16))


class ArticleVersion(Base):
    """An earlier text of an article, kept when a re-crawl found it changed."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    # When this text was first and last seen current.
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    warc_file: Mapped[str | None] = mapped_column(String(512))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    # The extractor that made this text (None: archived before it was kept).
    extractor_hash: Mapped[str | None] = mapped_column(String(16))


class Speaker(Base):
    """An official a statement comes from, with the role held on its date."""

    __tablename__ = "speakers"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: the main speaker
    name: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))


class Quote(Base):
    """A direct quotation, in reading order, with its speaker when the text
    attributes one."""

    __tablename__ = "quotes"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    speaker: Mapped[str | None] = mapped_column(String(200), index=True)
    text: Mapped[str] = mapped_column(Text)
    offset: Mapped[int] = mapped_column(Integer)  # character offset in the body


class Mention(Base):
    """A country a statement names (ISO 3166-1 alpha-2), and how often."""

    __tablename__ = "mentions"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer)


class Turn(Base):
    """A question, answer or remark of a briefing transcript."""

    __tablename__ = "turns"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # question, answer, remark
    speaker: Mapped[str | None] = mapped_column(String(200), index=True)
    outlet: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)


class TranslationKey(Base):
    """What language versions of one statement share (a document number,
    an alternate-language link): articles with a key in common are
    translations of each other (the ``translations`` view)."""

    __tablename__ = "translation_keys"

    key: Mapped[str] = mapped_column(String(2048), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True,
                                            index=True)


class ArticleUrl(Base):
    """Every URL an article lived at: fetched, redirected from, canonical."""

    __tablename__ = "article_urls"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)  # normalised
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # fetched, redirect, canonical
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Cluster(Base):
    """Near-identical texts across sources: a statement and its relays."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The earliest published article of the cluster: the first publisher.
    # (No foreign key: articles point here, and a cycle of constraints would
    # make every insert order-dependent.)
    first_article_id: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleMinhash(Base):
    """An article's MinHash signature, for near-duplicate search."""

    __tablename__ = "article_minhashes"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class MinhashBand(Base):
    """Locality-sensitive hashing in SQL: articles sharing any band bucket
    are candidates; several crawler machines share one index this way."""

    __tablename__ = "minhash_bands"

    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(32), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True,
                                            index=True)


class BoilerplateLine(Base):
    """How many articles of a source a candidate chrome line stood on."""

    __tablename__ = "boilerplate_lines"

    source: Mapped[str] = mapped_column(ForeignKey("sources.key"), primary_key=True)
    # sha256 (32 hex digits) of the line, case- and space-folded
    line_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.key"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # running, finished, failed, timeout, interrupted
    status: Mapped[str] = mapped_column(String(16))
    finish_reason: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    articles_new: Mapped[int] = mapped_column(Integer, default=0)
    articles_changed: Mapped[int] = mapped_column(Integer, default=0)
    articles_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    args: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Every Scrapy stat of the run, for questions nobody thought of yet.
    stats: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # "schedule" or "manual": who started the run.
    trigger: Mapped[str | None] = mapped_column(String(16))
    # The last lines of the crawl's log when it did not finish.
    log_tail: Mapped[str | None] = mapped_column(Text)
    # Share of extracted pages with a date, a title, a body of full length.
    coverage: Mapped[dict[str, float] | None] = mapped_column(JSON)
    # Warnings about the run, e.g. "coverage_drop:date".
    flags: Mapped[list[str] | None] = mapped_column(JSON)


class FetchState(Base):
    """What the last fetch of an article URL told us, to ask again cheaply.

    The validators (ETag, Last-Modified) go back in conditional requests;
    ``fetched_at`` is compared with the change signals of feeds and sitemaps.
    """

    __tablename__ = "fetch_state"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    source: Mapped[str] = mapped_column(ForeignKey("sources.key"), index=True)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[int] = mapped_column(Integer)
