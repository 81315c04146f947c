"""Stored URLs and keys brought to today's URL identity (issue 14, point 4).

Until this revision ``storage/urls.py`` normalised a URL with courlan,
which read HTML entities inside it (``?id=5&section=1`` was keyed as
``?id=5%C2%A7ion%3D1``: a key no lookup computes again), dropped every
parameter it took for a tracker (``cid``, ``ref``, ``source``,
``session``, ``gallery``...: two jpost.com articles differing only in
``cid`` became one URL and one row) and parameters with an empty value,
while it kept some trackers (``_openstat``, ``ttclid``). This revision
gives ``articles.url``, ``article_urls.url`` and ``fetch_state.url`` what
today's ``normalise_url`` and ``url_key`` give:

1. from the URL as fetched, where the WARC record still tells it: the
   record of the article's current text first, then those of its earlier
   texts (``article_versions``). A row whose stored value is what the old
   normalisation made of that URL gets the new spelling of it (the
   article's URL and ``fetched`` key, the ``fetch_state`` row of that
   source). Each row follows the first record that matches it.
2. from the stored value alone, where that is enough: a value that today's
   normalisation changes (a tracker it now drops) gets its normalised form.

Safe: it runs in the upgrade's one transaction; a row only ever takes a
value that no other row holds, so no two rows become one; nothing is
deleted. A row whose record cannot be read (file gone, damaged record, no
response at that offset) is left as it is and counted, as is a row whose
new value another row already holds. The counts are logged.

What cannot be repaired: two pages that the old normalisation merged into
one row stay one row. The row takes the URL of the text it holds now (its
current WARC record); the other page's text survives at most as an earlier
version of that row, and is not split back into an article of its own (its
metadata, fetch history and aliases were never stored apart). The next
crawl that meets the other page archives it as a new article. Redirect
and canonical aliases have no record of their own: their keys change only
by step 2.

The new normalisation is today's ``storage.urls`` (this revision exists to
make stored values agree with the code that looks them up); the old one
is frozen below. Downgrading leaves the values as they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urldefrag, urlsplit, urlunsplit

import sqlalchemy as sa
from alembic import op
from courlan import normalize_url

from batch.warcfiles import DAMAGE, read_response
from storage.engine import project_root
from storage.urls import normalise_url, url_key

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

_ARTICLES = sa.table("articles", sa.column("id"), sa.column("source"), sa.column("url"),
                     sa.column("warc_file"), sa.column("warc_offset"))
_VERSIONS = sa.table("article_versions", sa.column("article_id"), sa.column("seen_at"),
                     sa.column("warc_file"), sa.column("warc_offset"))
_URLS = sa.table("article_urls", sa.column("url"), sa.column("article_id"))
_FETCHES = sa.table("fetch_state", sa.column("url"), sa.column("source"))


def _old_normalise(url: str) -> str:
    """What ``storage.urls.normalise_url`` gave before this revision."""
    try:
        bare = [p for p in urlsplit(url).query.split("&") if p and "=" not in p]
    except ValueError:
        bare = []
    try:
        url = normalize_url(url)
    except ValueError:
        pass
    url = urldefrag(url).url
    if bare:
        parts = urlsplit(url)
        query = "&".join([*bare, *([parts.query] if parts.query else [])])
        url = urlunsplit(parts._replace(query=query))
    return url


def _old_key(url: str) -> str:
    """What ``storage.urls.url_key`` gave before this revision."""
    spelled = _old_normalise(url)
    parts = urlsplit(spelled)
    host = parts.netloc.removeprefix("www.")
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/") or "/", parts.query, ""))


def _old_values(url: str) -> tuple[set[str], set[str]]:
    """The spellings and keys the old code stored for a fetched URL: the
    write path normalised it, then normalised or keyed that again;
    none for a URL the old code could not parse (it stored no row for it)."""
    try:
        spelled = _old_normalise(url)
        return {spelled, _old_normalise(spelled)}, {_old_key(url), _old_key(spelled)}
    except ValueError:
        return set(), set()


def warc_folder(connection: sa.Connection) -> Path:
    """As ``crawler/middlewares/warc.py`` finds it: DEMARCHE_WARC_DIR, else
    ``warc/`` beside a SQLite archive, else in the project."""
    configured = os.environ.get("DEMARCHE_WARC_DIR")
    if configured:
        return Path(configured)
    url = connection.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "warc"
    return project_root() / "warc"


class _Rekeying:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.counts: Counter[str] = Counter()
        self.settled: dict[str, set[str]] = defaultdict(set)  # values a row took or kept

    def move(self, table: sa.TableClause, old: str, new: str, *where: sa.ColumnElement[bool],
             label: str) -> None:
        """Give the row at ``old`` the value ``new`` when no row holds it."""
        column = table.c.url
        rows = self.connection.execute(
            sa.select(sa.func.count()).select_from(table).where(column == old, *where)).scalar()
        if not rows or old in self.settled[table.name]:
            return
        self.settled[table.name].add(new)
        taken = self.connection.execute(
            sa.select(sa.func.count()).select_from(table).where(column == new)).scalar()
        if taken:
            self.counts[f"{label} left: new value taken"] += 1
            self.settled[table.name].add(old)
            return
        self.connection.execute(sa.update(table).where(column == old, *where).values(url=new))
        self.counts[f"{label} re-keyed"] += 1

    def from_record(self, article_id: int, source: str, stored: str, fetched: str) -> None:
        spellings, keys = _old_values(fetched)
        new_url, new_key = normalise_url(fetched), url_key(fetched)
        if stored in spellings:
            if stored != new_url:
                self.move(_ARTICLES, stored, new_url, _ARTICLES.c.id == article_id,
                          label="articles")
            self.settled["articles"].add(stored)
        for old in keys - {new_key}:
            self.move(_URLS, old, new_key, _URLS.c.article_id == article_id, label="article_urls")
        for old in spellings - {new_url}:
            self.move(_FETCHES, old, new_url, _FETCHES.c.source == source, label="fetch_state")

    def from_stored(self, table: sa.TableClause, renormalise, label: str) -> None:  # type: ignore[no-untyped-def]
        for (old,) in self.connection.execute(sa.select(table.c.url)).all():
            new = renormalise(old)
            if new != old:
                self.move(table, old, new, label=label)


def rekey(connection: sa.Connection, folder: Path) -> Counter[str]:
    """Re-key every table; what was done and what was left, counted."""
    work = _Rekeying(connection)
    earlier: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for row in connection.execute(
            sa.select(_VERSIONS.c.article_id, _VERSIONS.c.warc_file, _VERSIONS.c.warc_offset)
            .where(_VERSIONS.c.warc_file.is_not(None), _VERSIONS.c.warc_offset.is_not(None))
            .order_by(_VERSIONS.c.seen_at.desc())):
        earlier[row.article_id].append((row.warc_file, row.warc_offset))
    articles = connection.execute(sa.select(
        _ARTICLES.c.id, _ARTICLES.c.source, _ARTICLES.c.url, _ARTICLES.c.warc_file,
        _ARTICLES.c.warc_offset).order_by(_ARTICLES.c.id)).all()
    for article in articles:
        records = [(article.warc_file, article.warc_offset)] if article.warc_file else []
        records += earlier.get(article.id, [])
        if not records:
            work.counts["articles without a WARC record"] += 1
        for name, offset in records:
            path = Path(name) if Path(name).is_absolute() else folder / name
            try:
                fetched = read_response(path, int(offset)).url
            except (*DAMAGE, LookupError, StopIteration):
                work.counts["WARC records unreadable"] += 1
                continue
            work.from_record(article.id, article.source, article.url, fetched)
    work.from_stored(_ARTICLES, normalise_url, "articles")
    work.from_stored(_URLS, url_key, "article_urls")
    work.from_stored(_FETCHES, normalise_url, "fetch_state")
    return work.counts


def upgrade() -> None:
    connection = op.get_bind()
    folder = warc_folder(connection)
    counts = rekey(connection, folder)
    if counts:
        logger.info("URL identity (WARC folder %s): %s", folder,
                    ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))


def downgrade() -> None:
    # The old values were wrong keys; nothing reads them back.
    pass
