"""What the last fetch of each article URL told us (``fetch_state``).

A crawl reads its source's records once, to decide which article links it
may skip and which validators to send with the ones it requests again; the
archive pipeline writes a record for every article response, in the
transaction that archives the article. Functions take a Session and never
commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.bounds import fit_row
from storage.dialects import insert_for
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
    record_fetches(session, [{"source": source, "url": url, "status": status,
                              "fetched_at": fetched_at, "etag": etag,
                              "last_modified": last_modified}])


def record_fetches(session: Session, fetches: Iterable[Mapping[str, Any]]) -> None:
    """``record_fetch`` for each mapping of its arguments, in order, with
    one statement: of several fetches of one URL, the one the records
    would have kept one after the other is written."""
    latest: dict[str, dict[str, Any]] = {}
    for fetch in fetches:
        values = fit_row(FetchState, {
            "url": normalise_url(fetch["url"]),
            "source": fetch["source"],
            "etag": _fits(fetch.get("etag"), _MAX_ETAG),
            "last_modified": _fits(fetch.get("last_modified"), _MAX_LAST_MODIFIED),
            "fetched_at": fetch["fetched_at"],
            "status": fetch["status"],
        }, fetch["url"])
        kept = latest.get(values["url"])
        if kept is None or _stored_time(kept["fetched_at"]) <= _stored_time(values["fetched_at"]):
            latest[values["url"]] = values
    if latest:
        # By URL: two writers lock the rows in the same order.
        session.execute(_upsert(session.get_bind().dialect.name),
                        [latest[url] for url in sorted(latest)])


def _stored_time(value: datetime) -> datetime:
    """The time as the column keeps it (UTC, whole seconds), for comparing
    two fetches as the upsert's condition compares them."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0)


@cache
def _upsert(dialect: str) -> Any:
    # Built once: an upsert's EXCLUDED alias costs more to build than to run.
    stmt = insert_for(dialect)(FetchState.__table__)
    return stmt.on_conflict_do_update(
        index_elements=[FetchState.url],
        set_={k: stmt.excluded[k] for k in _COLUMNS if k != "url"},
        # A batch written late (retried after a locked database, or by
        # another process) must not roll a newer record back.
        where=FetchState.fetched_at <= stmt.excluded.fetched_at,
    )


_COLUMNS = ("url", "source", "etag", "last_modified", "fetched_at", "status")
