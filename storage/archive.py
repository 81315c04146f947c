"""Writing to the archive. Every function takes a Session and never commits:
the caller decides what one transaction holds (``with Session(engine) as s,
s.begin(): ...``).

An article is one statement, whatever URLs it was found at: every URL it
lived at is a row of ``article_urls`` keyed by ``url_key`` (fetched there,
redirected from there, named there as canonical), and an earlier text is a
row of ``article_versions``. ``articles.url`` stays the URL of its first
fetch; rows archived before ``article_urls`` existed are found by the
spellings of their ``url`` and get their key the first time a crawl meets
them again.

Upserts are written so that several crawler processes can share one
database: an insert that loses a race on the unique URL, or on a URL's key,
is resolved in favour of the row already there instead of failing the batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any, TypedDict

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from storage.bounds import fit_row
from storage.dialects import dialect_insert, insert_for
from storage.lookup import (
    LIVED_AT,
    URL_KINDS,
    article_at,
    canonical_alias,
    find_article,
    find_elsewhere,
    legacy_article,
    note_url,
    record_aliases,
    record_url,
    same_key,
)
from storage.models import Article, ArticleVersion, SourceRow
from storage.urls import normalise_url


class Outcome(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class ArticleFields(TypedDict):
    source: str
    url: str
    canonical_url: str | None
    title: str
    body: str
    published_at: datetime | None
    author: str | None
    language: str | None
    section: str | None
    site_name: str | None
    standfirst: str | None
    warc_file: str | None
    warc_offset: int | None
    extractor: str | None
    extractor_hash: str | None


_ARTICLE_COLUMNS = tuple(ArticleFields.__annotations__)


def content_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


def sync_sources(session: Session, sources: Iterable[Any], now: datetime) -> None:
    """Upsert registry rows (objects with the Source fields) into ``sources``."""
    insert = dialect_insert(session)
    for src in sources:
        values = fit_row(SourceRow, {
            "key": src.key,
            "name": src.name,
            "site_name": src.site_name or src.name,
            "kind": src.kind,
            "country": src.country,
            "language": src.language,
            "spider": src.spider,
            "domains": list(src.domains),
            "entry_points": list(src.entry_points),
            "updated_at": now,
        }, src.key)
        stmt = insert(SourceRow.__table__).values(**values)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[SourceRow.key],
                set_={k: stmt.excluded[k] for k in values if k != "key"},
            )
        )


def archive_article(
    session: Session,
    fields: Mapping[str, Any],
    seen_at: datetime,
    *,
    requested_url: str | None = None,
) -> Outcome:
    """``store_article`` without the row's id."""
    return store_article(session, fields, seen_at, requested_url=requested_url)[0]


def store_article(
    session: Session,
    fields: Mapping[str, Any],
    seen_at: datetime,
    *,
    requested_url: str | None = None,
) -> tuple[Outcome, int]:
    """Insert a new article, update a changed one, or just mark it seen;
    return what happened and the article's id.

    ``requested_url`` is the link as requested when a redirect led to the
    page. The statement is looked up as the article of its own URL, then of
    the URL it was redirected from, then of its canonical URL, then as the
    same text in the same source (``find_elsewhere``); a match under another
    URL is the same article, and the new URL becomes one of its
    ``article_urls``. A change keeps the previous text as an
    ``ArticleVersion``; an article marked removed that is seen again is no
    longer removed.
    """
    url = normalise_url(fields["url"])
    # The row as the columns hold it (storage/bounds.py); lookups and
    # article_urls take the whole URL, and fit its key themselves.
    values = fit_row(Article, {**{k: fields.get(k) for k in _ARTICLE_COLUMNS}, "url": url}, url)
    digest = content_hash(values["title"], values["body"])
    redirected = requested_url if requested_url and not same_key(requested_url, url) else None
    canonical = canonical_alias(session, values["source"], fields.get("canonical_url"), url)
    own = article_at(session, url, URL_KINDS)
    existing = own[0] if own is not None else (
        legacy_article(session, url)
        or find_elsewhere(session, values, digest, redirected=redirected, canonical=canonical))
    if existing is None:
        article_id = _insert_article(session, values, digest, seen_at)
        if article_id is not None:
            owner = record_url(session, url, article_id, "fetched", seen_at)
            if owner == article_id:
                record_aliases(session, article_id, redirected, canonical, seen_at)
                return Outcome.NEW, article_id
            # Another process archived the page under another spelling of
            # its URL since our lookup (PostgreSQL: the key's insert waited
            # for its commit). The key is the identity: its row wins.
            session.execute(delete(Article).where(Article.id == article_id))
            existing = session.get(Article, owner)
        else:
            # Another process inserted the same URL since our lookup.
            existing = session.scalars(select(Article).where(Article.url == values["url"])).one()
    assert existing is not None
    if own is None or own[1] != "fetched":
        # (Found at its own URL, fetched there before: nothing to record.)
        note_url(session, url, existing.id, "fetched", seen_at)
    record_aliases(session, existing.id, redirected, canonical, seen_at)
    previously_seen = existing.last_seen_at
    existing.last_seen_at = max(previously_seen, seen_at)
    _came_back(existing, seen_at)
    if existing.content_hash == digest:
        return Outcome.UNCHANGED, existing.id
    # The text it replaces, with when it was current: from its first
    # sighting (the change that brought it, or the first crawl) to the last
    # crawl that still found it. A text that comes back after an edit is a
    # new version again: versions are a history, not a set.
    session.add(ArticleVersion(
        article_id=existing.id,
        first_seen_at=existing.changed_at or existing.first_seen_at,
        seen_at=previously_seen,
        title=existing.title,
        body=existing.body,
        content_hash=existing.content_hash,
        warc_file=existing.warc_file,
        warc_offset=existing.warc_offset,
        extractor_hash=existing.extractor_hash,
    ))
    for key, value in values.items():
        # ``url`` stays the URL the article was first archived under; the
        # others are in article_urls.
        if key != "url":
            setattr(existing, key, value)
    existing.content_hash = digest
    existing.changed_at = seen_at
    return Outcome.CHANGED, existing.id


def _insert_article(
    session: Session, values: Mapping[str, Any], digest: str, seen_at: datetime
) -> int | None:
    """The new row's id, or None when the URL is taken (a concurrent insert)."""
    return session.execute(_insert_statement(session.get_bind().dialect.name), {
        **values, "content_hash": digest, "first_seen_at": seen_at, "last_seen_at": seen_at,
    }).scalar()


@cache
def _insert_statement(dialect: str) -> Any:
    # Built once, with a parameter per column: building it per article cost
    # as much as running it.
    insert = insert_for(dialect)
    names = [*_ARTICLE_COLUMNS, "content_hash", "first_seen_at", "last_seen_at"]
    return (insert(Article.__table__).values({name: bindparam(name) for name in names})
            .on_conflict_do_nothing(index_elements=[Article.url])
            .returning(Article.__table__.c.id))


def _came_back(article: Article, seen_at: datetime) -> None:
    """A removed article answering again (a page restored, a 404 that was a
    server's bad night) is no longer removed. The row says what the site
    serves now; the removal is not kept (the run's stats counted it). A late
    batch holding a sighting from before the removal changes nothing."""
    if article.removed_at is not None and seen_at > article.removed_at:
        article.removed_at = None
        article.removed_reason = None


def mark_seen(session: Session, url: str, seen_at: datetime) -> bool:
    """Note that the site still serves the archived article (it answered
    304 Not Modified); False when the URL has no article row."""
    existing = find_article(session, url)
    if existing is None:
        return False
    existing.last_seen_at = max(existing.last_seen_at, seen_at)
    _came_back(existing, seen_at)
    note_url(session, url, existing.id, "fetched", seen_at)
    return True


def mark_removed(session: Session, url: str, reason: str, seen_at: datetime) -> bool:
    """Mark the article fetched at ``url`` removed from the site (``reason``:
    "http 404", "http 410", "redirect"); True when it was not marked before.

    The row and its text stay. The earliest date wins, whatever order
    batches arrive in; an article seen alive after ``seen_at`` is left
    alone. Only a URL where the article was fetched (or redirected from)
    counts: a canonical link that leads nowhere says nothing about the page.
    """
    existing = find_article(session, url, kinds=LIVED_AT)
    if existing is None or existing.last_seen_at > seen_at:
        return False
    if existing.removed_at is None:
        existing.removed_at = seen_at
        existing.removed_reason = reason[:64]
        return True
    if seen_at < existing.removed_at:
        existing.removed_at = seen_at
        existing.removed_reason = reason[:64]
    return False
