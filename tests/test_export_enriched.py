"""`demarche export` with the enrichment (issue 19, point 6): speakers,
quotes, countries, translations, earlier texts and the syndication cluster,
nested in JSON Lines, as list and struct columns in Parquet, as summary
columns in CSV and as one CSV file per table with --tables; on SQLite and
on a real PostgreSQL server, written through the archive's own write path."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.enrich.record import Enrichment, Mention, Quote, Speaker
from crawler.sources import load_sources
from reading.export import (
    TABLES,
    csv_names,
    plain,
    record_names,
    records,
    table_rows,
    write_csv,
    write_jsonl,
    write_parquet,
    write_tables,
)
from reading.search import SearchFilters
from storage.archive import store_article, sync_sources
from storage.clusters import index_article
from storage.engine import open_archive
from storage.models import Cluster
from storage.statements import store_enrichment
from tests.conftest import DEMARCHE, ROOT

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
STATEMENT = "https://mid.ru/en/foreign_policy/news/2000001/"
RELAY = "https://sputnikglobe.com/20240506/lavrov-ceasefire.html"
TRANSLATION = "https://mid.ru/ru/foreign_policy/news/2000002/"
QUOTE = "We call on all sides to observe the ceasefire in Syria immediately"
BODY = (f"Foreign Minister Sergei Lavrov said: “{QUOTE}.” The minister met the envoy in "
        "Moscow to discuss the humanitarian corridors, the exchange of prisoners and the "
        "return of refugees to their homes in Syria before the talks resume next month "
        "under the auspices of the United Nations in Geneva, where the parties are "
        "expected to agree on a timetable for the political process.")
# The relay: the agency's lede and sign-off around the ministry's text.
RELAY_BODY = f"MOSCOW (Sputnik) - {BODY} Sputnik will follow the talks."


def article(source: str, url: str, body: str, published: datetime, language: str = "en",
            title: str = "Lavrov calls for a ceasefire in Syria") -> dict:
    return {"source": source, "url": url, "canonical_url": None, "title": title, "body": body,
            "published_at": published, "author": None, "language": language, "section": None,
            "site_name": None}


def enrichment(speakers=(), quotes=(), countries=(), keys=(), kind="statement") -> Enrichment:
    return Enrichment(statement_type=kind, speakers=tuple(speakers), quotes=tuple(quotes),
                      countries=tuple(countries), source_country="RU", document_number=None,
                      translation_keys=tuple(keys), turns=())


@pytest.fixture
def archive(archive_url: str) -> dict[str, int]:
    """A statement (edited once), its relay by an agency 3.5 hours later
    and its Russian translation; returns their ids by role."""
    published = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
    engine = open_archive(archive_url)
    with Session(engine) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
        _, statement = store_article(s, article("mid_ru_en", STATEMENT, BODY, published), T0)
        _, relay = store_article(s, article("sputnik_russia", RELAY, RELAY_BODY,
                                            published + timedelta(hours=3, minutes=30)), T0)
        _, translation = store_article(s, article(
            "mid_ru_ru", TRANSLATION, "Министр иностранных дел Сергей Лавров заявил о "
            "прекращении огня в Сирии.", published, "ru", "Лавров о прекращении огня"), T0)
        lavrov = Speaker("Sergei Lavrov", "Foreign Minister", "RU")
        store_enrichment(s, statement, enrichment(
            [lavrov], [Quote(QUOTE, "Sergei Lavrov", 39)], [Mention("SY", 2), Mention("RU", 1)],
            ["doc:RU:1000-06-05-2024"]), "test", new=True)
        store_enrichment(s, relay, enrichment([lavrov], [], [Mention("SY", 2)],
                                              kind="news report"), "test", new=True)
        store_enrichment(s, translation, enrichment(
            [Speaker("Сергей Лавров", "Министр", "RU")], [], [Mention("SY", 1)],
            ["doc:RU:1000-06-05-2024"]), "test", new=True)
        for article_id, body in ((statement, BODY), (relay, RELAY_BODY)):
            index_article(s, article_id, body, T0, new=True)
    with Session(engine) as s, s.begin():
        # The ministry edits its page: the first text becomes a version.
        store_article(s, article("mid_ru_en", STATEMENT, BODY + " Updated.", published),
                      T0 + timedelta(days=1))
    return {"statement": statement, "relay": relay, "translation": translation,
            "url": archive_url}


def test_records_carry_the_enrichment(archive: dict):
    with Session(open_archive(archive["url"])) as s:
        found = {r["id"]: r for r in records(s, enriched=True, batch=1)}
        cluster_id = s.scalar(select(Cluster.id))
    assert all(list(r) == record_names() for r in found.values())
    statement, relay = found[archive["statement"]], found[archive["relay"]]
    assert statement["source_name"] == "Ministry of Foreign Affairs of the Russian Federation " \
        "(English)"
    assert statement["versions"] == 1 and relay["versions"] == 0
    assert statement["speakers"] == [
        {"name": "Sergei Lavrov", "role": "Foreign Minister", "country": "RU"}]
    assert statement["quotes"] == [{"speaker": "Sergei Lavrov", "text": QUOTE, "offset": 39}]
    assert statement["countries"] == [{"code": "SY", "name": "Syria", "count": 2},
                                      {"code": "RU", "name": "Russia", "count": 1}]
    assert statement["translations"] == [
        {"id": archive["translation"], "language": "ru", "url": TRANSLATION}]
    # The same cluster on both members: the ministry first, the agency
    # 3.5 hours after it.
    cluster = statement["cluster"]
    assert cluster == relay["cluster"]
    assert (cluster["id"], cluster["size"], cluster["first_article_id"]) == (
        cluster_id, 2, archive["statement"])
    assert [(m["article_id"], m["source"], m["first"], m["delay_seconds"])
            for m in cluster["members"]] == [(archive["statement"], "mid_ru_en", True, 0),
                                             (archive["relay"], "sputnik_russia", False, 12600)]
    assert cluster["members"][1]["source_name"] == "Sputnik International: Russia"
    assert found[archive["translation"]]["cluster"] is None


def test_jsonl_parquet_and_csv_carry_the_same_enrichment(archive: dict, tmp_path: Path):
    with Session(open_archive(archive["url"])) as s:
        jsonl, table = io.StringIO(), io.StringIO()
        assert write_jsonl(records(s, enriched=True), jsonl) == 3
        assert write_csv(records(s, enriched=True), table) == 3
        path = tmp_path / "statements.parquet"
        assert write_parquet(records(s, enriched=True), str(path), enriched=True) == 3
    lines = {r["id"]: r for r in map(json.loads, jsonl.getvalue().splitlines())}
    parquet = {r["id"]: plain(r) for r in pq.read_table(path).to_pylist()}
    assert pq.read_table(path).column_names == record_names()
    for article_id, line in lines.items():
        assert parquet[article_id] == line, article_id
    relay = lines[archive["relay"]]
    assert relay["cluster"]["members"][1]["published_at"] == "2024-05-06T13:30:00Z"
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(table.getvalue()))}
    assert list(next(iter(rows.values()))) == csv_names()
    statement = rows[archive["statement"]]
    assert (statement["speakers"], statement["countries"], statement["quotes"],
            statement["translations"], statement["versions"]) == (
        "Sergei Lavrov", "SY; RU", "1", str(archive["translation"]), "1")
    assert (rows[archive["relay"]]["cluster_id_first"], rows[archive["relay"]]["cluster_size"],
            rows[archive["relay"]]["cluster_delay_seconds"]) == (
        str(archive["statement"]), "2", "12600")


def test_tables_write_each_table_once(archive: dict, tmp_path: Path):
    folder = tmp_path / "tables"
    with Session(open_archive(archive["url"])) as s:
        # One article a batch: the cluster's members still come once.
        assert write_tables(table_rows(s, batch=1), folder) == 3
    files = {p.stem: list(csv.DictReader(p.open(encoding="utf-8"))) for p in folder.iterdir()}
    assert set(files) == {"articles", *TABLES}
    assert len(files["articles"]) == 3 and files["articles"][0]["source_name"]
    assert [(int(r["article_id"]), r["first"], r["delay_seconds"])
            for r in files["cluster_members"]] == [(archive["statement"], "True", "0"),
                                                   (archive["relay"], "False", "12600")]
    assert [r["name"] for r in files["speakers"]] == ["Sergei Lavrov", "Sergei Lavrov",
                                                      "Сергей Лавров"]
    assert files["quotes"][0]["text"] == QUOTE
    assert files["versions"][0]["body"] == BODY and len(files["versions"]) == 1
    assert {(int(r["article_id"]), int(r["translation_id"])) for r in files["translations"]} == {
        (archive["statement"], archive["translation"]),
        (archive["translation"], archive["statement"])}
    assert files["mentions"][0] == {"article_id": str(archive["statement"]), "country": "SY",
                                    "name": "Syria", "count": "2"}
    # The filters select the articles, and the rows of the tables follow.
    with Session(open_archive(archive["url"])) as s:
        only = list(table_rows(s, SearchFilters(source="sputnik_russia")))
    assert {t for t, _ in only} == {"articles", "speakers", "mentions", "cluster_members"}
    assert [r["id"] for t, r in only if t == "articles"] == [archive["relay"]]


def run(args: list[str], url: str) -> subprocess.CompletedProcess:
    return subprocess.run([*DEMARCHE, *args, "--archive", url], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=os.environ)


def test_export_command_enriched_and_tables(archive: dict, tmp_path: Path):
    out = tmp_path / "lavrov.jsonl"
    done = run(["export", "--format", "jsonl", "--out", str(out), "--speaker", "lavrov",
                "--lang", "EN", "--type", "statement"], archive["url"])
    assert done.returncode == 0, done.stderr
    assert "1 article -> " in done.stdout
    # Not a terminal: no progress bar, the summary line alone.
    assert done.stderr == ""
    (line,) = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["cluster"]["size"] == 2
    folder = tmp_path / "tables"
    tables = run(["export", "--format", "csv", "--tables", "--out", str(folder),
                  "--since", "2024-05-06"], archive["url"])
    assert tables.returncode == 0, tables.stderr
    assert f"3 articles -> {folder}/" in tables.stdout
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{t}.csv" for t in ("articles", *TABLES))
    again = run(["export", "--format", "csv", "--tables", "--out", str(folder)], archive["url"])
    assert again.returncode == 2 and "articles.csv exists: --force" in again.stderr
    wrong = run(["export", "--format", "jsonl", "--tables", "--out", str(folder)],
                archive["url"])
    assert wrong.returncode == 2 and "--tables writes CSV files" in wrong.stderr
    parquet = tmp_path / "all.parquet"
    assert run(["export", "--format", "parquet", "--out", str(parquet), "--quiet"],
               archive["url"]).returncode == 0
    assert pq.read_table(parquet).schema.field("speakers").type.value_type.names == [
        "name", "role", "country"]


def run_on_a_terminal(args: list[str], url: str) -> tuple[int, str]:
    """The command with its standard error on a pseudo-terminal, as a
    person at a terminal runs it; returns its status and what the terminal
    showed."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    # A terminal's size (a new pseudo-terminal has none: 0 columns).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    with subprocess.Popen([*DEMARCHE, *args, "--archive", url], cwd=ROOT, env=os.environ,
                          stdout=subprocess.DEVNULL, stderr=follower) as command:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the command closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        status = command.wait(timeout=300)
    os.close(leader)
    return status, shown.decode("utf-8", "replace")


def test_export_shows_progress_on_a_terminal_only(archive: dict, tmp_path: Path):
    status, shown = run_on_a_terminal(
        ["export", "--format", "jsonl", "--out", str(tmp_path / "a.jsonl")], archive["url"])
    assert status == 0, shown
    # tqdm's bar: records done of the total, and the rate.
    assert "3/3" in shown and "statements/s" in shown, shown
    status, shown = run_on_a_terminal(
        ["export", "--format", "jsonl", "--out", str(tmp_path / "b.jsonl"), "--quiet"],
        archive["url"])
    assert status == 0 and shown == "", shown
