"""Each earlier text keeps the extractor that made it (migration 0015), and
`demarche history` says when two texts came from different extractors: a
page crawled again after demarche's extraction changed may differ from its
archived text only by our cleaning, which a reader must not take for the
ministry's edit. Both write paths (one statement at a time, and the bulk
path of imports and backfills), on both backends."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.records import print_history
from reading.history import EXTRACTION_CHANGED, article_history
from reading.room.statement import statement_page
from storage.archive import archive_article, sync_sources
from storage.bulk import Incoming, store_articles
from storage.engine import open_archive
from storage.models import ArticleVersion
from tests.test_versions import DAY, MID, NEWS, T0, fields

OLD, NEW = "0123456789abcdef", "fedcba9876543210"


@pytest.fixture
def archive(archive_url: str) -> str:
    with Session(open_archive(archive_url)) as s, s.begin():
        sync_sources(s, [MID], T0)
    return archive_url


def texts(extractor: str, body: str) -> dict:
    return {**fields(NEWS, body=body), "extractor_hash": extractor}


def history_of(engine) -> str:
    out = io.StringIO()
    with Session(engine) as s:
        print_history(article_history(s, NEWS), out)
    return out.getvalue()


def test_a_version_keeps_its_extractor_and_history_says_when_it_changed(archive: str):
    engine = open_archive(archive)
    for when, extractor, body in [(T0, OLD, "First text."),
                                  (T0 + DAY, NEW, "First text.\n\nA line the old cleaning kept."),
                                  (T0 + 2 * DAY, NEW, "First text.\n\nA real edit.")]:
        with Session(engine) as s, s.begin():
            archive_article(s, texts(extractor, body), when)
    with Session(engine) as s:
        kept = s.scalars(select(ArticleVersion.extractor_hash).order_by(ArticleVersion.id))
        assert list(kept) == [OLD, NEW]
    said = history_of(engine)
    # Said once: before the diff of version 1 against version 2 only.
    assert said.count(EXTRACTION_CHANGED) == 1
    note = said.index(EXTRACTION_CHANGED)
    assert f"(version 1: {OLD}, version 2: {NEW})" in said[note:]
    assert said.index("--- version 1") > note > said.index("earlier texts:")
    assert said.index("--- version 2") > said.index("--- version 1")
    # The reading room says it on the same diff.
    with Session(engine) as s:
        page = statement_page(s, 1, "http://room/1")
    assert [v.note for v in page.earlier] == [EXTRACTION_CHANGED, None]


def test_the_bulk_path_keeps_the_extractor_too(archive: str):
    engine = open_archive(archive)
    for when, extractor, body in [(T0, OLD, "First text."), (T0 + DAY, OLD, "Edited.")]:
        with Session(engine) as s, s.begin():
            store_articles(s, [Incoming(texts(extractor, body), when)])
    with Session(engine) as s:
        assert list(s.scalars(select(ArticleVersion.extractor_hash))) == [OLD]
    # The same extractor on both sides: an edit, and nothing else is said.
    assert EXTRACTION_CHANGED not in history_of(engine)


def test_versions_of_an_unknown_extractor_say_nothing(archive: str):
    engine = open_archive(archive)
    for when, body in [(T0, "First text."), (T0 + DAY, "Edited.")]:
        with Session(engine) as s, s.begin():
            archive_article(s, {**texts(NEW, body), "extractor_hash": None if when == T0
                                else NEW}, when)
    assert EXTRACTION_CHANGED not in history_of(engine)


def test_history_reads_an_archive_from_before_the_migration(tmp_path):
    # An archive not yet at 0015 is upgraded as `show` upgrades it, not
    # read as if it had the new column ("no such column").
    import subprocess
    import sys

    from alembic import command

    from storage.engine import make_engine
    from storage.migrate import alembic_config
    from tests.conftest import ROOT

    url = f"sqlite:///{tmp_path / 'archive.db'}"
    with Session(open_archive(url)) as s, s.begin():
        sync_sources(s, [MID], T0)
    for when, body in [(T0, "First text."), (T0 + DAY, "Edited.")]:
        with Session(open_archive(url)) as s, s.begin():
            archive_article(s, texts(OLD, body), when)
    with make_engine(url).begin() as conn:
        command.downgrade(alembic_config(conn), "0014")
    said = subprocess.run([sys.executable, "-m", "cli", "history", "1", "--archive", url],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert said.returncode == 0, said.stderr
    assert "1 earlier text:" in said.stdout and "+Edited." in said.stdout
