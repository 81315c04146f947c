"""Writing to the archive. Every function takes a Session and never commits:
the caller decides what one transaction holds (``with Session(engine) as s,
s.begin(): ...``).

Upserts are written so that several crawler processes can share one
database: an insert that loses a race on the unique URL is retried as an
update instead of failing the batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun, SourceRow
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
    warc_file: str | None
    warc_offset: int | None
    extractor: str | None
    extractor_hash: str | None


_ARTICLE_COLUMNS = tuple(ArticleFields.__annotations__)


def content_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


def dialect_insert(session: Session):  # type: ignore[no-untyped-def]
    """The INSERT construct with ON CONFLICT support for the session's backend."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the archive supports SQLite and PostgreSQL, not {dialect}")


def sync_sources(session: Session, sources: Iterable[Any], now: datetime) -> None:
    """Upsert registry rows (objects with the Source fields) into ``sources``."""
    insert = dialect_insert(session)
    for src in sources:
        values = {
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
        }
        stmt = insert(SourceRow).values(**values)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[SourceRow.key],
                set_={k: stmt.excluded[k] for k in values if k != "key"},
            )
        )


def archive_article(session: Session, fields: Mapping[str, Any], seen_at: datetime) -> Outcome:
    """Insert a new article, update a changed one, or just mark it seen."""
    values = {k: fields.get(k) for k in _ARTICLE_COLUMNS}
    values["url"] = normalise_url(values["url"])
    digest = content_hash(values["title"], values["body"])
    existing = session.scalars(select(Article).where(Article.url == values["url"])).one_or_none()
    if existing is None:
        stmt = (
            dialect_insert(session)(Article)
            .values(
                **values,
                content_hash=digest,
                first_seen_at=seen_at,
                last_seen_at=seen_at,
            )
            .on_conflict_do_nothing(index_elements=[Article.url])
            .returning(Article.id)
        )
        if session.execute(stmt).first() is not None:
            return Outcome.NEW
        # Another process inserted the same URL since our select.
        existing = session.scalars(select(Article).where(Article.url == values["url"])).one()
    existing.last_seen_at = max(existing.last_seen_at, seen_at)
    if existing.content_hash == digest:
        return Outcome.UNCHANGED
    for key, value in values.items():
        setattr(existing, key, value)
    existing.content_hash = digest
    existing.changed_at = seen_at
    return Outcome.CHANGED


def mark_seen(session: Session, url: str, seen_at: datetime) -> bool:
    """Note that the site still serves the archived article (it answered
    304 Not Modified); False when the URL has no article row."""
    existing = session.scalars(
        select(Article).where(Article.url == normalise_url(url))
    ).one_or_none()
    if existing is None:
        return False
    existing.last_seen_at = max(existing.last_seen_at, seen_at)
    return True


def start_run(session: Session, source: str, args: Mapping[str, str], now: datetime) -> int:
    run = CrawlRun(source=source, started_at=now, status="running", args=dict(args), stats={})
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    session: Session,
    run_id: int,
    *,
    status: str,
    finish_reason: str | None,
    finished_at: datetime,
    counts: Mapping[str, int],
    stats: Mapping[str, object],
) -> None:
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"crawl run {run_id} is not in the archive")
    run.status = status
    run.finish_reason = finish_reason
    run.finished_at = finished_at
    run.pages = counts.get("pages", 0)
    run.articles_new = counts.get("new", 0)
    run.articles_changed = counts.get("changed", 0)
    run.articles_unchanged = counts.get("unchanged", 0)
    run.errors = counts.get("errors", 0)
    run.stats = {k: _jsonable(v) for k, v in stats.items()}


def _jsonable(value: object) -> object:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
