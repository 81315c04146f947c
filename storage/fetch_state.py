"""What the last fetch of each article URL told us (``fetch_state``).

A crawl reads its source's records once, to decide which article links it
may skip and which validators to send with the ones it requests again; the
archive pipeline writes a record for every article response, in the
transaction that archives the article. Functions take a Session and never
commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.bounds import fit_row
from storage.dialects import dialect_insert
from storage.models import Article, FetchState
from storage.urls import normalise_url

# The widths of fetch_state.etag and fetch_state.last_modified. A longer
# validator is dropped rather than cut: a cut one would never match again.
_MAX_ETAG = 512
_MAX_LAST_MODIFIED = 64


@dataclass(frozen=True)
class FetchRecord:
    url: str  # normalised
    fetched_at: datetime
    status: int
    etag: str | None = None
    last_modified: str | None = None
    # The archived article's publication time, when the URL is archived:
    # a better age than a listing link offers.
    published_at: datetime | None = None


def known_fetches(session: Session, source: str) -> dict[str, FetchRecord]:
    """Every article URL of the source fetched before, by normalised URL."""
    rows = session.execute(
        select(
            FetchState.url,
            FetchState.fetched_at,
            FetchState.status,
            FetchState.etag,
            FetchState.last_modified,
            Article.published_at,
        )
        .outerjoin(Article, Article.url == FetchState.url)
        .where(FetchState.source == source)
    )
    return {row.url: FetchRecord(*row) for row in rows}


def _fits(value: str | None, width: int) -> str | None:
    return value if value is not None and len(value) <= width else None


def record_fetch(
    session: Session,
    *,
    source: str,
    url: str,
    status: int,
    fetched_at: datetime,
    etag: str | None = None,
    last_modified: str | None = None,
) -> None:
    """Insert or replace the record of ``url``'s latest fetch."""
    values = fit_row(FetchState, {
        "url": normalise_url(url),
        "source": source,
        "etag": _fits(etag, _MAX_ETAG),
        "last_modified": _fits(last_modified, _MAX_LAST_MODIFIED),
        "fetched_at": fetched_at,
        "status": status,
    }, url)
    stmt = dialect_insert(session)(FetchState.__table__).values(**values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[FetchState.url],
            set_={k: stmt.excluded[k] for k in values if k != "url"},
            # A batch written late (retried after a locked database, or by
            # another process) must not roll a newer record back.
            where=FetchState.fetched_at <= stmt.excluded.fetched_at,
        )
    )
