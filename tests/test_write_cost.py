"""What a batch costs the writer, on SQLite and PostgreSQL: the rows of its
sources are read once, not once a statement; texts found unchanged (an
import's copies of archived pages) are not enriched again, not even ahead
of time in the thread that works while PostgreSQL writes."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from crawler.ingest import archiving
from crawler.ingest.archiving import archive_batch
from storage.archive import sync_sources
from storage.engine import open_archive
from tests.test_write_path import DAY, MID, T0, TASS, mid, statement, words


def _batch(at, *, canonical: bool = False):  # type: ignore[no-untyped-def]
    # Print views naming their page canonical, as the mirrors of a WARC do.
    return [statement("mid_ru_en", mid(f"{n}-print" if canonical else str(n)), words(n), at,
                      canonical=mid(str(n)) if canonical else None) for n in range(1, 9)]


def _write(url: str, batch) -> Counter:  # type: ignore[no-untyped-def]
    with Session(open_archive(url)) as session, session.begin():
        return archive_batch(session, batch)


@pytest.fixture
def archive(archive_url: str) -> str:
    with Session(open_archive(archive_url)) as session, session.begin():
        sync_sources(session, [MID, TASS], T0)
    return archive_url


def test_a_batch_reads_its_sources_rows_once(archive: str):
    asked: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "FROM sources" in statement:
            asked.append(statement)

    engine = open_archive(archive)
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert _write(archive, _batch(T0, canonical=True)) == {"new": 8}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # Each statement's canonical link is checked against its source's
    # domains: from the rows read with the batch, not a query each.
    assert len(asked) == 1


def test_texts_found_unchanged_are_not_enriched_again(archive: str, monkeypatch):
    made: list[str] = []
    enrichment = archiving._enrichment

    def counted(statement, body, source):  # type: ignore[no-untyped-def]
        made.append(statement.url)
        return enrichment(statement, body, source)

    monkeypatch.setattr(archiving, "_enrichment", counted)
    # Statements as import-warc's workers hand them over: neither
    # enriched nor signed.
    assert _write(archive, _batch(T0)) == {"new": 8}
    assert sorted(made) == sorted(mid(str(n)) for n in range(1, 9))
    made.clear()
    assert _write(archive, _batch(T0 + DAY)) == {"unchanged": 8}
    assert made == []
    # Copies under other URLs that name the archived page canonical are
    # the same articles, unchanged too.
    assert _write(archive, _batch(T0 + 2 * DAY, canonical=True)) == {"unchanged": 8}
    assert made == []
