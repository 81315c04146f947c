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
import weakref
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any, TypedDict
from urllib.parse import urlsplit

from sqlalchemy import Engine, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Article, ArticleUrl, ArticleVersion, CrawlRun, SourceRow
from storage.urls import is_site_root, normalise_url, spellings, url_key


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
    return insert_for(session.get_bind().dialect.name)


def insert_for(dialect: str):  # type: ignore[no-untyped-def]
    """The INSERT construct with ON CONFLICT support for a backend's name.

    The write path inserts into tables (``Model.__table__``), not mapped
    classes: an INSERT of a class goes through the ORM's bulk machinery,
    which cost more than SQLite's work on every row it was measured on."""
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
    same text in the same source (``_find_elsewhere``); a match under another
    URL is the same article, and the new URL becomes one of its
    ``article_urls``. A change keeps the previous text as an
    ``ArticleVersion``; an article marked removed that is seen again is no
    longer removed.
    """
    values = {k: fields.get(k) for k in _ARTICLE_COLUMNS}
    values["url"] = normalise_url(values["url"])
    digest = content_hash(values["title"], values["body"])
    redirected = requested_url if requested_url and not _same_key(requested_url,
                                                                  values["url"]) else None
    canonical = _canonical_alias(session, values["source"], values["canonical_url"],
                                 values["url"])
    own = _article_at(session, values["url"], URL_KINDS)
    existing = own[0] if own is not None else (
        _legacy_article(session, values["url"])
        or _find_elsewhere(session, values, digest, redirected=redirected, canonical=canonical))
    if existing is None:
        article_id = _insert_article(session, values, digest, seen_at)
        if article_id is not None:
            owner = record_url(session, values["url"], article_id, "fetched", seen_at)
            if owner == article_id:
                _record_aliases(session, article_id, redirected, canonical, seen_at)
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
        _note_url(session, values["url"], existing.id, "fetched", seen_at)
    _record_aliases(session, existing.id, redirected, canonical, seen_at)
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
    _note_url(session, url, existing.id, "fetched", seen_at)
    return True


def mark_removed(session: Session, url: str, reason: str, seen_at: datetime) -> bool:
    """Mark the article fetched at ``url`` removed from the site (``reason``:
    "http 404", "http 410", "redirect"); True when it was not marked before.

    The row and its text stay. The earliest date wins, whatever order
    batches arrive in; an article seen alive after ``seen_at`` is left
    alone. Only a URL where the article was fetched (or redirected from)
    counts: a canonical link that leads nowhere says nothing about the page.
    """
    existing = find_article(session, url, kinds=_LIVED_AT)
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


# --- URL identity ------------------------------------------------------------------

URL_KINDS = ("fetched", "redirect", "canonical")
# Where the article itself was served: its own URL, or a link that
# redirected to it. A canonical alias is only what a page claimed.
_LIVED_AT = ("fetched", "redirect")


def _same_key(a: str, b: str) -> bool:
    return url_key(a) == url_key(b)


def find_article(
    session: Session, url: str, *, kinds: Iterable[str] = URL_KINDS
) -> Article | None:
    """The article that lived at ``url``, under any spelling of it.

    Through ``article_urls`` by key; then, for rows archived before that
    table existed (whose ``url`` is the spelling of their first fetch), by
    every spelling that has the same key.
    """
    found = _article_at(session, url, kinds)
    return found[0] if found is not None else _legacy_article(session, url)


def _article_at(session: Session, url: str, kinds: Iterable[str]) -> tuple[Article, str] | None:
    """The article whose ``article_urls`` hold the URL's key, and the kind of that row."""
    row = session.execute(_ARTICLE_AT, {"url": url_key(url), "kinds": list(kinds)}).first()
    return (row[0], row[1]) if row is not None else None


def _legacy_article(session: Session, url: str) -> Article | None:
    """An article archived before ``article_urls`` under a spelling of ``url``."""
    if not has_legacy_rows(session):
        return None
    return session.scalars(
        select(Article).where(Article.url.in_(spellings(url))).order_by(Article.id)
    ).first()


# The hot queries of the write path, built once: building a statement
# per article cost more than running it.
_ARTICLE_AT = (select(Article, ArticleUrl.kind).join(ArticleUrl, ArticleUrl.article_id == Article.id)
               .where(ArticleUrl.url == bindparam("url"),
                      ArticleUrl.kind.in_(bindparam("kinds", expanding=True))))
_SAME_TEXT = (select(Article)
              .where(Article.source == bindparam("source"),
                     Article.content_hash == bindparam("digest"))
              .order_by(Article.id).limit(20))
_ARTICLES_AT_CANONICAL = (select(Article, ArticleUrl.kind)
                          .join(ArticleUrl, ArticleUrl.article_id == Article.id)
                          .where(ArticleUrl.url == bindparam("url")))


# Archives known to have no article without an ``article_urls`` row. Every
# write records its URL, so an archive without such rows never gets one
# again, and the write path need not look for them (a query per article).
_NO_LEGACY_ROWS: weakref.WeakSet[Engine] = weakref.WeakSet()


def has_legacy_rows(session: Session) -> bool:
    """Whether some article predates ``article_urls`` (it has no row there)."""
    engine = session.get_bind()
    if engine in _NO_LEGACY_ROWS:
        return False
    legacy = session.scalar(select(
        select(Article.id)
        .where(~select(ArticleUrl.url).where(ArticleUrl.article_id == Article.id).exists())
        .exists()))
    if not legacy:
        _NO_LEGACY_ROWS.add(engine)  # type: ignore[arg-type]
    return bool(legacy)


def _find_elsewhere(
    session: Session,
    values: Mapping[str, Any],
    digest: str,
    *,
    redirected: str | None,
    canonical: str | None,
) -> Article | None:
    """The archived article an incoming statement is when its own URL has
    none: in order, the article of the URL that redirected to it; of its
    canonical URL, when that article was served there (a canonical alias
    alone is what another page claimed, and a CMS that gives a whole
    section one canonical would fold it into one article) or has the same
    text; the same text in the same source. Matches through the canonical
    link and the text stay within the source and need publication dates a
    day apart at most: two identical notices ("no briefing today") on
    different days are two statements."""
    found = None
    if redirected:
        found = find_article(session, redirected)
    if found is None and canonical:
        found = _article_of_canonical(session, canonical, values, digest)
    if found is None:
        found = same_text(session, values["source"], digest, values["published_at"])
    return found


def _article_of_canonical(
    session: Session, canonical: str, values: Mapping[str, Any], digest: str
) -> Article | None:
    rows: Sequence[tuple[Article, str]] = session.execute(
        _ARTICLES_AT_CANONICAL, {"url": url_key(canonical)}).all()
    if not rows and has_legacy_rows(session):
        legacy = session.scalars(select(Article).where(Article.url.in_(spellings(canonical))))
        rows = [(article, "fetched") for article in legacy]
    for article, kind in rows:
        if (
            article.source == values["source"]
            and _dates_agree(article.published_at, values["published_at"])
            and (kind in _LIVED_AT or article.content_hash == digest)
        ):
            return article
    return None


def same_text(
    session: Session, source: str, digest: str, published_at: datetime | None
) -> Article | None:
    """An article of ``source`` with exactly this title and body, published
    within a day of ``published_at`` (or either date unknown).

    (``storage.clusters.find_same_text`` answers with the oldest such
    article whatever its date, and imports this module; the archive needs
    the date check, so it asks its own query.)
    """
    candidates = session.scalars(_SAME_TEXT, {"source": source, "digest": digest})
    return next((a for a in candidates if _dates_agree(a.published_at, published_at)), None)


def _dates_agree(a: datetime | None, b: datetime | None) -> bool:
    # A day either way: a date read with and without its time zone, or from
    # the URL instead of the markup after a redesign.
    if a is None or b is None:
        return True
    # Naive times are UTC, as UTCDateTime stores them.
    a, b = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (a, b))
    return abs(a - b) <= timedelta(days=1)


def _canonical_alias(session: Session, source: str, canonical: str | None,
                     url: str) -> str | None:
    """The page's canonical URL when it names another URL of the source's
    own site, else None. A canonical link on another site is syndication
    (the page copies that site's statement): it stays in
    ``articles.canonical_url`` for the clusters to use, but it is not a URL
    this article lived at, and articles of two sources are never merged by
    it. A canonical link to the home page is a template's mistake."""
    if not canonical or _same_key(canonical, url) or is_site_root(canonical):
        return None
    row = session.get(SourceRow, source)
    host = (urlsplit(canonical).hostname or "").removeprefix("www.")
    domains = [d.removeprefix("www.") for d in (row.domains if row else [])]
    if not any(host == d or host.endswith("." + d) for d in domains):
        return None
    return canonical


def record_url(session: Session, url: str, article_id: int, kind: str,
               seen_at: datetime) -> int:
    """Record that the article lived at ``url``; return the article that
    holds the URL's key, which is another one when it was claimed first.

    A key keeps its first article. Its kind only grows stronger (canonical,
    then redirect, then fetched): a URL first known as some page's canonical
    and later fetched is a URL the article was served at.
    """
    _note_url(session, url, article_id, kind, seen_at)
    return session.execute(_URL_OWNER, {"url": url_key(url)}).scalar_one()


def _note_url(session: Session, url: str, article_id: int, kind: str,
              seen_at: datetime) -> None:
    """``record_url`` for a caller that does not ask who holds the key."""
    session.execute(_record_url_statement(session.get_bind().dialect.name, kind),
                    {"url": url_key(url), "article_id": article_id, "kind": kind,
                     "first_seen_at": seen_at})


_URL_OWNER = select(ArticleUrl.article_id).where(ArticleUrl.url == bindparam("url"))


@cache
def _record_url_statement(dialect: str, kind: str) -> Any:
    # Built once per kind: the write path records a URL or two per article,
    # and building an upsert (its EXCLUDED alias above all) costs more than
    # running it.
    insert = insert_for(dialect)
    stmt = insert(ArticleUrl.__table__).values(url=bindparam("url"), article_id=bindparam("article_id"),
                                     kind=bindparam("kind"),
                                     first_seen_at=bindparam("first_seen_at"))
    weaker = {"fetched": ("redirect", "canonical"), "redirect": ("canonical",)}.get(kind, ())
    if not weaker:
        return stmt.on_conflict_do_nothing(index_elements=[ArticleUrl.url])
    return stmt.on_conflict_do_update(
        index_elements=[ArticleUrl.url],
        set_={"kind": stmt.excluded.kind},
        where=(ArticleUrl.article_id == stmt.excluded.article_id) & ArticleUrl.kind.in_(weaker),
    )


def _record_aliases(session: Session, article_id: int, redirected: str | None,
                    canonical: str | None, seen_at: datetime) -> None:
    if redirected:
        _note_url(session, redirected, article_id, "redirect", seen_at)
    if canonical:
        _note_url(session, canonical, article_id, "canonical", seen_at)


def archived_url_keys(session: Session, source: str) -> set[str]:
    """The keys of every URL an article of ``source`` was served at: the
    URLs whose 404 or redirect away means a takedown."""
    keys = set(session.scalars(
        select(ArticleUrl.url)
        .join(Article, Article.id == ArticleUrl.article_id)
        .where(Article.source == source, ArticleUrl.kind.in_(_LIVED_AT))
    ))
    # Rows archived before article_urls existed have only their url.
    keys.update(url_key(u) for u in session.scalars(
        select(Article.url).where(Article.source == source)))
    return keys


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
