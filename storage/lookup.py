"""Which archived article a URL is: every URL an article lived at is a row
of ``article_urls`` keyed by ``url_key`` (fetched there, redirected from
there, named there as canonical). Finding an article by any spelling of a
URL, by the URL that redirected to it, by its canonical link or by its text,
and recording the URLs it lived at. Functions take a Session and never
commit."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session

from storage.bounds import fit_key, fit_row
from storage.dialects import insert_for
from storage.models import Article, ArticleUrl, SourceRow
from storage.urls import is_site_root, spellings, url_key

URL_KINDS = ("fetched", "redirect", "canonical")
# Where the article itself was served: its own URL, or a link that
# redirected to it. A canonical alias is only what a page claimed.
LIVED_AT = ("fetched", "redirect")


# (A pure function of the string; the write path asks it for the same URLs
# several times a statement: lookup, canonical test, insert.)
key_of = lru_cache(maxsize=16384)(url_key)


def same_key(a: str, b: str) -> bool:
    return key_of(a) == key_of(b)


@lru_cache(maxsize=16384)
def stored_key(url: str) -> str:
    """The URL's key as ``article_urls`` holds it: a key longer than the
    column is cut with a digest of the whole (storage/bounds.py).

    Remembered for the last URLs asked: the set-based write path asks for
    each URL of a batch several times (lookup, decision, insert)."""
    return fit_key(ArticleUrl.__table__.c.url, key_of(url))


def find_article(
    session: Session, url: str, *, kinds: Iterable[str] = URL_KINDS
) -> Article | None:
    """The article that lived at ``url``, under any spelling of it (http
    or https, ``www.``, a trailing slash, trackers: one key).

    Through ``article_urls`` by key; then, for rows archived before that
    table existed (whose ``url`` is the spelling of their first fetch), by
    every spelling that has the same key.
    """
    found = article_at(session, url, kinds)
    return found[0] if found is not None else legacy_article(session, url)


def article_at(session: Session, url: str, kinds: Iterable[str]) -> tuple[Article, str] | None:
    """The article whose ``article_urls`` hold the URL's key, and the kind of that row."""
    row = session.execute(_ARTICLE_AT, {"url": stored_key(url), "kinds": list(kinds)}).first()
    return (row[0], row[1]) if row is not None else None


def legacy_article(session: Session, url: str) -> Article | None:
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


def find_elsewhere(
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
        _ARTICLES_AT_CANONICAL, {"url": stored_key(canonical)}).all()
    if not rows and has_legacy_rows(session):
        legacy = session.scalars(select(Article).where(Article.url.in_(spellings(canonical))))
        rows = [(article, "fetched") for article in legacy]
    for article, kind in rows:
        if (
            article.source == values["source"]
            and _dates_agree(article.published_at, values["published_at"])
            and (kind in LIVED_AT or article.content_hash == digest)
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


def canonical_alias(session: Session, source: str, canonical: str | None,
                     url: str) -> str | None:
    """The page's canonical URL when it names another URL of the source's
    own site, else None. A canonical link on another site is syndication
    (the page copies that site's statement): it stays in
    ``articles.canonical_url`` for the clusters to use, but it is not a URL
    this article lived at, and articles of two sources are never merged by
    it. A canonical link to the home page is a template's mistake."""
    if not canonical or same_key(canonical, url) or is_site_root(canonical):
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
    note_url(session, url, article_id, kind, seen_at)
    return session.execute(_URL_OWNER, {"url": stored_key(url)}).scalar_one()


def note_url(session: Session, url: str, article_id: int, kind: str,
              seen_at: datetime) -> None:
    """``record_url`` for a caller that does not ask who holds the key."""
    session.execute(_record_url_statement(session.get_bind().dialect.name, kind),
                    fit_row(ArticleUrl, {"url": url_key(url), "article_id": article_id,
                                         "kind": kind, "first_seen_at": seen_at}, url))


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


def record_aliases(session: Session, article_id: int, redirected: str | None,
                    canonical: str | None, seen_at: datetime) -> None:
    if redirected:
        note_url(session, redirected, article_id, "redirect", seen_at)
    if canonical:
        note_url(session, canonical, article_id, "canonical", seen_at)


def archived_url_keys(session: Session, source: str) -> set[str]:
    """The keys of every URL an article of ``source`` was served at: the
    URLs whose 404 or redirect away means a takedown."""
    keys = set(session.scalars(
        select(ArticleUrl.url)
        .join(Article, Article.id == ArticleUrl.article_id)
        .where(Article.source == source, ArticleUrl.kind.in_(LIVED_AT))
    ))
    # Rows archived before article_urls existed have only their url.
    keys.update(url_key(u) for u in session.scalars(
        select(Article.url).where(Article.source == source)))
    return keys
