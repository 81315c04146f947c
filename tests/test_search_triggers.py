"""The PostgreSQL search index filled once per INSERT statement (migration
0010): a multi-row insert, a single-row one and an update give the very
documents revision 0004's row trigger gave, for every kind of text it
folds (CJK, ё, Arabic marks, a language without a stemmer); a downgrade
brings the row trigger back."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text

from storage.engine import open_archive
from storage.migrate import MIGRATIONS, alembic_config
from tests.conftest import scratch_postgres

_PATH = MIGRATIONS / "versions" / "0010_search_index_per_statement.py"
_SPEC = importlib.util.spec_from_file_location("migration_0010", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
M0010 = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(M0010)

TEXTS = [
    ("en", "Talks resume", "The delegations agreed to resume technical consultations. " * 8),
    ("ru", "Заявление МИД", "Министерство приветствует решение. Её позиция ещё не изменилась. " * 5),
    ("ar", "بيان", "رَحَّبَت الوزارةُ بالقرار ـــ واستئناف المشاورات الفنية. " * 5),
    ("zh", "外交部发言人", "外交部欢迎各方恢复技术磋商，中国支持对话解决争端。" * 5),
    ("ja", "外務省", "外務省は、技術協議の再開に合意したことを歓迎する。" * 4),
    (None, "No language", "Statement without a language given, indexed as simple words. " * 4),
]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from scratch_postgres()


def _insert(conn, rows) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("INSERT INTO sources (key, name, site_name, kind, country, language, "
                      "spider, domains, entry_points, updated_at) VALUES ('s', 'S', 'S', "
                      "'ministry', 'RU', 'en', 'feed', '[]', '[]', now()) "
                      "ON CONFLICT DO NOTHING"))
    conn.execute(text(
        "INSERT INTO articles (source, url, title, body, language, content_hash, "
        "first_seen_at, last_seen_at) VALUES (:source, :url, :title, :body, :language, 'h', "
        "now(), now())"), rows)


def _mismatches(conn) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Rows whose document is not what revision 0004's trigger computed."""
    old_text = M0010._SEARCH_TEXT_0004.replace(
        "FUNCTION demarche_search_text(", "FUNCTION pg_temp.old_search_text(")
    conn.execute(text(old_text))
    document = M0010._DOCUMENT_0004.replace("NEW.", "a.").replace(
        "demarche_search_text(", "pg_temp.old_search_text(")
    return conn.execute(text(f"""
        SELECT a.id, s.document::text, ({document})::text
        FROM articles a JOIN article_search s ON s.article_id = a.id
        CROSS JOIN LATERAL (SELECT demarche_search_config(a.language) AS cfg) c
        WHERE s.document IS DISTINCT FROM ({document}) OR s.config IS DISTINCT FROM c.cfg
    """)).all()


def test_inserts_and_updates_are_indexed_as_by_the_row_trigger(postgres_url: str):
    engine = open_archive(postgres_url)
    with engine.begin() as conn:
        # Indexed once per statement: no FOR EACH ROW trigger on inserts.
        insert_trigger = conn.execute(text(
            "SELECT tgtype & 1 FROM pg_trigger WHERE tgname = 'articles_search_inserted'"
        )).scalar()
        assert insert_trigger == 0
        # One multi-row INSERT, then one row on its own.
        _insert(conn, [{"source": "s", "url": f"https://s.example/{n}", "title": title,
                        "body": body, "language": language}
                       for n, (language, title, body) in enumerate(TEXTS)])
        _insert(conn, {"source": "s", "url": "https://s.example/one", "title": "Один",
                       "body": "Ёлка и ещё одна ёлка. " * 5, "language": "ru"})
        conn.execute(text("UPDATE articles SET body = body || ' 中国 Её.', language = 'en' "
                          "WHERE url = 'https://s.example/0'"))
        # An update of other columns leaves the document alone.
        conn.execute(text("UPDATE articles SET last_seen_at = now()"))
        assert conn.execute(text("SELECT count(*) FROM article_search")).scalar() == 7
        assert _mismatches(conn) == []
        found = conn.execute(text(
            "SELECT count(*) FROM article_search WHERE document @@ phraseto_tsquery("
            "'simple', demarche_search_text('中国'))")).scalar()
        assert found == 2  # the Chinese text, and the English one updated with it


def test_the_downgrade_brings_the_row_trigger_back(postgres_url: str):
    engine = open_archive(postgres_url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0009")
    with engine.begin() as conn:
        assert conn.execute(text(
            "SELECT tgtype & 1 FROM pg_trigger WHERE tgname = 'articles_search_sync'")).scalar() == 1
        _insert(conn, [{"source": "s", "url": f"https://s.example/{n}", "title": title,
                        "body": body, "language": language}
                       for n, (language, title, body) in enumerate(TEXTS)])
        assert _mismatches(conn) == []
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.begin() as conn:
        conn.execute(text("UPDATE articles SET body = body || ' Ещё.'"))
        assert _mismatches(conn) == []
