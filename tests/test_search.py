"""Full-text search, trends and the research views, on SQLite and on a real
PostgreSQL server: the demo's archive (crawled by `demarche demo` into
SQLite, its rows archived again into PostgreSQL), the query language, the
index following every write, and the commands."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from crawler.sources import load_sources
from reading.search import SearchFilters, search
from reading.trend import TrendPoint, trend
from storage.archive import archive_article, sync_sources
from storage.engine import make_engine, open_archive
from storage.migrate import alembic_config
from storage.models import (
    Article,
    ArticleUrl,
    ArticleVersion,
    Mention,
    Quote,
    Speaker,
    TranslationKey,
    Turn,
)
from tests.conftest import ROOT

SEED = "https://sputnikglobe.com/20120402/172567892.html"
DEADLINE = "https://sputnikglobe.com/20120403/172590411.html"
ARMENIA = "https://mid.ru/en/foreign_policy/news/1801102/"
SYRIA_RU = "https://mid.ru/ru/foreign_policy/news/1801235/"
DEMARCHE = [sys.executable, "-m", "cli"]
T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
_COLUMNS = ("source", "url", "canonical_url", "title", "body", "published_at", "author",
            "language", "section", "site_name")


def run(args: list[str], archive: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*DEMARCHE, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{archive}"},
    )


def make_demo(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """The archive `demarche demo` makes: 12 statements of 5 sources."""
    archive = tmp_path_factory.mktemp("demo") / "archive.db"
    result = run(["demo"], archive)
    assert result.returncode == 0, result.stderr
    return archive


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    return make_demo(tmp_path_factory)


def demo_rows(demo_db: Path) -> list[dict]:
    with sqlite3.connect(demo_db) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM articles ORDER BY id")]
    for row in rows:
        if row["published_at"]:
            row["published_at"] = datetime.fromisoformat(row["published_at"].replace("Z", "+00:00"))
    return rows


@pytest.fixture
def demo(archive_url: str, demo_db: Path) -> str:
    return demo_in(archive_url, demo_db)


def demo_in(archive_url: str, demo_db: Path) -> str:
    """The demo's statements in a fresh archive: on SQLite the demo's own
    file, on PostgreSQL its rows archived through storage.archive."""
    if archive_url.startswith("sqlite"):
        target = sqlite3.connect(archive_url.removeprefix("sqlite:///"))
        with sqlite3.connect(demo_db) as source:
            source.backup(target)
        target.close()
        return archive_url
    with Session(open_archive(archive_url)) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
        for row in demo_rows(demo_db):
            archive_article(s, row, T0)
        copy_enrichment(s, demo_db)
    return archive_url


_ENRICHMENT_TABLES = (Speaker, Quote, Mention, Turn, TranslationKey)


def copy_enrichment(session: Session, demo_db: Path) -> None:
    """The demo's speakers, quotes, mentions, turns and translation keys,
    and each statement's type, onto the same articles (by URL) of another
    archive: the filters and the report have the same people and
    countries to find on PostgreSQL as on SQLite."""
    ids = dict(session.execute(select(Article.url, Article.id)).all())
    with sqlite3.connect(demo_db) as conn:
        conn.row_factory = sqlite3.Row
        theirs = {r["id"]: ids[r["url"]] for r in conn.execute("SELECT id, url FROM articles")}
        for row in conn.execute("SELECT id, statement_type, document_number, enricher_hash "
                                "FROM articles"):
            session.execute(update(Article).where(Article.id == theirs[row["id"]]).values(
                statement_type=row["statement_type"], document_number=row["document_number"],
                enricher_hash=row["enricher_hash"]))
        for model in _ENRICHMENT_TABLES:
            rows = [{**dict(r), "article_id": theirs[r["article_id"]]}
                    for r in conn.execute(f"SELECT * FROM {model.__tablename__}")]
            if rows:
                session.execute(insert(model.__table__), rows)


def urls(archive: str, query: str, filters: SearchFilters | None = None,
         limit: int = 100) -> list[str]:
    with Session(open_archive(archive)) as s:
        return [hit.url for hit in search(s, query, filters or SearchFilters(), limit)]


def statement(url: str, body: str, *, title: str = "Statement", language: str = "en",
              source: str = "mid_ru_en", day: date = date(2024, 5, 6)) -> dict:
    return {"source": source, "url": url, "canonical_url": None, "title": title, "body": body,
            "published_at": datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
            "author": None, "language": language, "section": None, "site_name": None}


@pytest.fixture
def archive(archive_url: str) -> Iterator[str]:
    with Session(open_archive(archive_url)) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
    yield archive_url


# -- ranking and filters on the demo --------------------------------------------


def test_the_seed_is_the_top_hit_for_annan_plan(demo: str):
    with Session(open_archive(demo)) as s:
        hits = search(s, "Annan plan")
    assert hits[0].url == SEED
    assert "**Annan Plan**" in hits[0].snippet and "\u200b" not in hits[0].snippet
    # The other statement that says "Annan Plan" (in its headline) is near.
    assert DEADLINE in [h.url for h in hits[1:3]]
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert hits[0].score > hits[1].score > hits[-1].score


def test_filters(demo: str):
    assert set(urls(demo, "Syria", SearchFilters(source="mid_ru_en"))) == {
        ARMENIA, "https://mid.ru/en/foreign_policy/news/1801234/"}
    us = urls(demo, "Syria", SearchFilters(country="us"))
    assert us and all("state.gov" in u for u in us)
    assert urls(demo, "Сирии", SearchFilters(language="ru")) == [SYRIA_RU]
    assert urls(demo, "Сирии", SearchFilters(language="en")) == []
    assert set(urls(demo, "Annan", SearchFilters(since=date(2012, 4, 3)))) == {
        DEADLINE, "https://www.state.gov/briefings/department-press-briefing-april-3-2012/",
        "https://mid.ru/en/foreign_policy/news/1801234/"}
    assert set(urls(demo, "Annan", SearchFilters(until=date(2012, 4, 1)))) == {
        "https://sputnikglobe.com/20120401/172541200.html",
        "https://www.state.gov/releases/2012/04/friends-of-the-syrian-people-istanbul/"}
    assert len(urls(demo, "Annan", limit=2)) == 2


# -- the query language -------------------------------------------------------


def _texts(demo_db: Path) -> dict[str, str]:
    return {r["url"]: f"{r['title']}\n{r['body']}" for r in demo_rows(demo_db)}


def test_phrase_and_or_not_prefix(demo: str, demo_db: Path):
    texts = _texts(demo_db)

    def where(pattern: str) -> set[str]:
        return {u for u, t in texts.items() if re.search(pattern, t, re.IGNORECASE)}

    assert set(urls(demo, '"Annan plan"')) == where(r"\bAnnan Plan\b") == {SEED, DEADLINE}
    assert set(urls(demo, "Lavrov AND Yerevan")) == {ARMENIA, SEED}
    assert set(urls(demo, "Lavrov Yerevan")) == {ARMENIA, SEED}  # AND is implied
    assert set(urls(demo, "Nalbandian OR ceasefire")) == {ARMENIA, SEED, DEADLINE}
    assert set(urls(demo, "Syria NOT Annan")) == {ARMENIA}
    assert set(urls(demo, "Lavrov AND (Yerevan OR Istanbul) NOT Nalbandian")) == {SEED}
    assert set(urls(demo, "Istanb*")) == where(r"\bIstanb\w*") != set()
    assert set(urls(demo, "Nalband*")) == {ARMENIA}
    assert set(urls(demo, '"six-point pl"*')) == where(r"six-point pl\w*") != set()
    # Punctuation alone is no term.
    assert set(urls(demo, "Nalbandian —")) == {ARMENIA}


def test_malformed_query_on_the_command_line(demo_db: Path):
    for query in ['"Annan plan', "Annan AND", "NOT Annan", "(Annan"]:
        result = run(["search", query], demo_db)
        assert result.returncode == 2, query
        assert result.stderr.startswith("demarche search: ") and "Traceback" not in result.stderr
    trend = run(["trend", "Annan OR"], demo_db)
    assert trend.returncode == 2 and "OR at character 7" in trend.stderr


# -- languages ----------------------------------------------------------------


def test_chinese_russian_and_arabic_statements_are_found(archive: str):
    chinese = "https://www.fmprc.gov.cn/fyrbt_673021/202405/t20240506_1.shtml"
    russian = "https://mid.ru/ru/foreign_policy/news/1900001/"
    arabic = "https://mid.ru/ar/foreign_policy/news/1900002/"
    with Session(open_archive(archive)) as s, s.begin():
        archive_article(s, statement(
            chinese, "外交部发言人主持例行记者会。中方坚决反对美国对中国企业实施单边制裁。",
            title="外交部发言人答记者问", language="zh", source="fmprc_zh"), T0)
        archive_article(s, statement(
            russian, "Москва призывает стороны к прекращению огня. Ёлки в Кремле.",
            title="Комментарий официального представителя", language="ru",
            source="mid_ru_ru"), T0)
        archive_article(s, statement(
            arabic, "دعت وزارة الخارجية إلى وَقْفِ إطلاق النار فوراً", title="بيان",
            language="ar"), T0)
    assert urls(archive, "外交部") == [chinese]
    assert urls(archive, "制裁") == [chinese]  # two characters: most Chinese words
    assert urls(archive, '"单边制裁"') == [chinese]
    assert urls(archive, "中美") == []  # characters that are not next to each other
    assert urls(archive, "外交*") == [chinese]
    assert urls(archive, '"прекращению огня"') == [russian]
    assert urls(archive, "прекращ*") == [russian]
    assert urls(archive, "елки") == [russian]  # ё is е
    assert urls(archive, "وقف") == [arabic]  # without the vowel marks
    with Session(open_archive(archive)) as s:
        (hit,) = search(s, "制裁")
    assert "**制裁**" in hit.snippet and "\u200b" not in hit.snippet


# -- the index follows the archive -----------------------------------------------


def test_index_follows_inserts_updates_rewrites_and_deletes(archive: str):
    engine = open_archive(archive)
    url = "https://mid.ru/en/foreign_policy/news/1900003/"
    with Session(engine) as s, s.begin():
        archive_article(s, statement(url, "The ministry spoke of zebras."), T0)
    assert urls(archive, "zebras") == [url]
    with Session(engine) as s, s.begin():  # a re-crawl finds the text changed
        archive_article(s, statement(url, "The ministry spoke of okapis."), T0)
    assert urls(archive, "zebras") == [] and urls(archive, "okapis") == [url]
    with Session(engine) as s, s.begin():  # re-cleaning rewrites a body in place
        s.execute(update(Article).where(Article.url == url)
                  .values(body="The ministry spoke of giraffes."))
    assert urls(archive, "okapis") == [] and urls(archive, "giraffes") == [url]
    with Session(engine) as s, s.begin():
        s.execute(update(Article).where(Article.url == url).values(title="Tapirs"))
    assert urls(archive, "tapirs") == [url]
    with Session(engine) as s, s.begin():
        article_id = s.scalar(select(Article.id).where(Article.url == url))
        for dependent in (ArticleUrl, ArticleVersion):
            s.execute(delete(dependent).where(dependent.article_id == article_id))
        s.execute(delete(Article).where(Article.id == article_id))
    assert urls(archive, "giraffes OR tapirs") == []
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:  # the index agrees with its content, row by row
            conn.execute(text("INSERT INTO article_search (article_search, rank) "
                              "VALUES ('integrity-check', 1)"))
    else:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM article_search")) == 0


def test_migration_indexes_existing_rows(archive_url: str):
    """An archive from before search (revision 0003) is indexed by the upgrade."""
    engine = make_engine(archive_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
        conn.execute(text(
            "INSERT INTO sources (key, name, site_name, kind, country, language, spider, "
            "domains, entry_points, updated_at) VALUES ('old', 'Old', 'Old', 'ministry', 'RU', "
            "'ru', 'feed', '[]', '[]', '2024-01-01T00:00:00Z')"))
        for n, (language, body) in enumerate([("en", "An old statement on sanctions."),
                                              ("ru", "Старое заявление о санкциях."),
                                              ("zh", "关于制裁的旧声明。")]):
            conn.execute(text(
                "INSERT INTO articles (source, url, title, body, language, content_hash, "
                "first_seen_at, last_seen_at, published_at) VALUES ('old', :url, 'Old', :body, "
                ":language, 'x', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', "
                f"'2024-01-0{n + 1}T00:00:00Z')"),
                {"url": f"https://old.example/{n}", "body": body, "language": language})
    engine.dispose()
    assert urls(archive_url, "sanctions") == ["https://old.example/0"]
    assert urls(archive_url, "санкциях") == ["https://old.example/1"]
    assert urls(archive_url, "制裁") == ["https://old.example/2"]
    with Session(open_archive(archive_url)) as s:
        assert [p.statements for p in trend(s, "制裁", "month")] == [3]


# -- trends and views -----------------------------------------------------------


def test_trend_counts_and_shares(demo: str):
    with Session(open_archive(demo)) as s:
        by_day = trend(s, "Annan", "day")
        by_week = trend(s, "Annan", "week")
        by_month = trend(s, "Annan", "month")
        sputnik = trend(s, '"Annan plan"', "day", source="sputnik_russia")
        per_source = trend(s, "Annan", "day", per_source=True, since=date(2012, 4, 3))
        none = trend(s, "Nalbandian", "day", until=date(2012, 4, 2))
    assert by_day == [TrendPoint("2012-04-01", None, 2, 2, 1.0),
                      TrendPoint("2012-04-02", None, 4, 3, 0.75),
                      TrendPoint("2012-04-03", None, 4, 3, 0.75),
                      TrendPoint("2012-04-04", None, 2, 0, 0.0)]
    # Weeks start on Monday: Sunday 1 April 2012 is in the week of 26 March.
    assert by_week == [TrendPoint("2012-03-26", None, 2, 2, 1.0),
                       TrendPoint("2012-04-02", None, 10, 6, 0.6)]
    assert by_month == [TrendPoint("2012-04-01", None, 12, 8, 0.6667)]
    assert [(p.period, p.matching, p.statements) for p in sputnik] == [
        ("2012-04-01", 0, 1), ("2012-04-02", 1, 1), ("2012-04-03", 1, 1), ("2012-04-04", 0, 1)]
    assert {(p.period, p.source, p.matching, p.statements) for p in per_source} == {
        ("2012-04-03", "mid_ru_en", 1, 1), ("2012-04-03", "mid_ru_ru", 0, 1),
        ("2012-04-03", "sputnik_russia", 1, 1), ("2012-04-03", "state_gov_briefings", 1, 1),
        ("2012-04-04", "mid_ru_en", 0, 1), ("2012-04-04", "sputnik_russia", 0, 1)}
    assert [(p.period, p.matching, p.share) for p in none] == [
        ("2012-04-01", 0, 0.0), ("2012-04-02", 1, 0.25)]


def test_research_views(demo: str):
    with make_engine(demo).connect() as conn:
        def rows(sql: str) -> list[tuple]:
            return [tuple(str(v) if isinstance(v, date) else v for v in r)
                    for r in conn.execute(text(sql))]

        per_day = rows("SELECT source, day, statements FROM statements_per_day "
                       "ORDER BY day, source")
        assert sum(r[2] for r in per_day) == 12
        assert per_day[:2] == [("sputnik_russia", "2012-04-01", 1),
                               ("state_gov_releases", "2012-04-01", 1)]
        assert rows("SELECT week, sum(statements) FROM statements_per_week GROUP BY week "
                    "ORDER BY week") == [("2012-03-26", 2), ("2012-04-02", 10)]
        assert rows("SELECT source, month, statements FROM statements_per_month "
                    "WHERE source = 'sputnik_russia'") == [("sputnik_russia", "2012-04-01", 4)]
        assert rows("SELECT count(*), count(DISTINCT article_id) FROM article_periods") == [
            (12, 12)]


# -- the commands ---------------------------------------------------------------


def test_search_command(demo_db: Path):
    table = run(["search", "Annan plan", "--limit", "3"], demo_db)
    assert table.returncode == 0, table.stderr
    assert "Russia Urges Syria" in table.stdout and "(3 hits;" in table.stdout
    data = json.loads(run(["search", "Annan plan", "--format", "json"], demo_db).stdout)
    assert data[0]["url"] == SEED and data[0]["rank"] == 1
    assert list(data[0]) == ["rank", "id", "published_at", "source", "language", "title",
                             "url", "snippet", "score"]
    assert data[0]["published_at"] == "2012-04-02T10:18:00Z"
    filtered = json.loads(run(["search", "Syria", "--country", "RU", "--lang", "ru",
                               "--format", "json"], demo_db).stdout)
    assert filtered == []
    csv_out = run(["search", "Сирии", "--source", "mid_ru_ru", "--since", "2012-04-03",
                   "--until", "2012-04-03", "--format", "csv"], demo_db)
    assert csv_out.stdout.splitlines()[0].startswith("rank,id,published_at")
    assert SYRIA_RU in csv_out.stdout
    bad_day = run(["search", "Annan", "--since", "April"], demo_db)
    assert bad_day.returncode == 2 and "not a day" in bad_day.stderr


def test_trend_command(demo_db: Path):
    result = run(["trend", "Annan", "--by", "week", "--format", "json"], demo_db)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"week": "2012-03-26", "statements": 2, "matching": 2, "share": 1.0},
        {"week": "2012-04-02", "statements": 10, "matching": 6, "share": 0.6}]
    per_source = run(["trend", "Annan", "--per-source", "--format", "csv"], demo_db)
    assert per_source.stdout.splitlines()[0] == "day,source,statements,matching,share"
    assert "2012-04-03,mid_ru_ru,1,0,0.0" in per_source.stdout
