"""Search over what migration 0014 adds to the index, on SQLite and on a
real PostgreSQL server: the standfirst (kept beside the body) is found and
shown in the snippet, and a Persian or Hindi word is found whether or not
the query was typed with its zero-width non-joiner. An archive from
before the migration is indexed again where the index changes, and a
downgrade gives back the old index, row for row."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from reading.search import search
from storage.archive import archive_article
from storage.engine import make_engine, open_archive
from storage.migrate import alembic_config
from storage.models import Article
from tests.test_search import T0, archive, statement, urls  # noqa: F401 (a fixture)

ZWNJ = "\u200c"
PERSIAN = f"وزارت امور خارجه اعلام کرد که گفت{ZWNJ}وگوها ادامه می{ZWNJ}یابد."
HINDI = f"विदेश मंत्रालय ने कहा कि वार्ता जारी रहेगी और प्रवक्ता ने प{ZWNJ}्रेस को बताया।"
STANDFIRST = "The ministry expects the okapi census to resume in the spring."
BODY = "The delegations met on Monday and agreed on the agenda of the next round of talks."


def _archive(url: str, rows: list[dict[str, str]]) -> None:
    """Statement n at .../news/n/, with the fields of ``rows[n]``."""
    with Session(open_archive(url)) as s, s.begin():
        for n, values in enumerate(rows):
            archive_article(s, {**statement(f"https://mid.ru/en/news/{n}/", BODY),
                                "standfirst": None, **values}, T0)


def test_a_word_only_the_standfirst_has_is_found_and_shown(archive: str):  # noqa: F811
    _archive(archive, [{"standfirst": STANDFIRST}, {}])
    with Session(open_archive(archive)) as s:
        (hit,) = search(s, "okapi")
        assert hit.url == "https://mid.ru/en/news/0/"
        assert "**okapi**" in hit.snippet
        # A hit in the body alone still shows the body's words.
        assert all("**agenda**" in h.snippet for h in search(s, "agenda"))
    with Session(open_archive(archive)) as s, s.begin():  # the index follows an edit
        s.execute(update(Article).where(Article.url == "https://mid.ru/en/news/0/")
                  .values(standfirst="The tapir census resumes."))
    assert urls(archive, "okapi") == []
    assert urls(archive, "tapir") == ["https://mid.ru/en/news/0/"]
    _check(archive)


def test_words_with_a_non_joiner_are_found_typed_either_way(archive: str):  # noqa: F811
    _archive(archive, [{"body": PERSIAN, "language": "fa", "title": "بیانیه"},
                            {"body": HINDI, "language": "hi", "title": "वक्तव्य"}])
    for query in ("گفت‌وگوها", "گفتوگوها", "می‌یابد", "مییابد"):
        assert urls(archive, query) == ["https://mid.ru/en/news/0/"], query
    for query in (f"प{ZWNJ}्रेस", "प्रेस"):
        assert urls(archive, query) == ["https://mid.ru/en/news/1/"], query
    with Session(open_archive(archive)) as s:
        (hit,) = search(s, "گفتوگوها")
    # The text is shown as written, the mark kept, and the word marked.
    assert f"**گفت{ZWNJ}وگوها**" in hit.snippet
    _check(archive)


def test_the_migration_reindexes_old_rows_and_the_downgrade_gives_them_back(
        archive: str):  # noqa: F811
    _archive(archive, [{"standfirst": STANDFIRST}, {"body": PERSIAN, "language": "fa"},
                            {"body": BODY + " Plain."}])
    engine = make_engine(archive)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0013")
    # As before the migration: the standfirst is not searched, nor a word
    # typed without its non-joiner.
    assert urls(archive, "okapi") == urls(archive, "گفتوگوها") == []
    assert urls(archive, "plain") == ["https://mid.ru/en/news/2/"]
    _check(archive)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    assert urls(archive, "okapi") == ["https://mid.ru/en/news/0/"]
    assert urls(archive, "گفتوگوها") == ["https://mid.ru/en/news/1/"]
    assert urls(archive, "plain") == ["https://mid.ru/en/news/2/"]
    _check(archive)
    engine.dispose()


def _check(url: str) -> None:
    """The index holds what its definition computes from the rows, row for
    row: FTS5's own check on SQLite; on PostgreSQL, every document equal
    to the one the trigger functions compute now."""
    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("INSERT INTO article_search (article_search, rank) "
                              "VALUES ('integrity-check', 1)"))
            return
        revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
        title = "concat_ws(E'\\n', a.title, a.standfirst)" if revision >= "0014" else "a.title"
        stale = conn.scalar(text(
            f"SELECT count(*) FROM articles a JOIN article_search s ON s.article_id = a.id "
            f"WHERE s.document IS DISTINCT FROM "
            f"demarche_search_document(a.language, {title}, a.body)"))
        assert stale == 0
        assert conn.scalar(text("SELECT count(*) FROM articles")) == conn.scalar(
            text("SELECT count(*) FROM article_search"))
    engine.dispose()


def test_a_snippet_without_a_match_in_its_text_ends_at_a_word():
    from reading.query_language import parse_query
    from reading.snippets import SNIPPET_CHARS, snippet

    text = " ".join(["withdrawals"] * 60)  # far longer than a snippet, cut inside a word
    shown = snippet(text, parse_query("okapi"))  # the hit was in the title
    assert shown.endswith("withdrawals …") and len(shown) <= SNIPPET_CHARS + 2
