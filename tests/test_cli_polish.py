"""The command line as a new user meets it (issue 19, point 8): ``--version``,
``--help`` that explains and shows an example, ``--archive`` on every command
that reads or writes the archive, and ``show`` / ``history`` finding an
article by its id or any spelling of its URL."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from cli.main import build_parser
from tests.conftest import DEMARCHE, ROOT, Site, article_html, write_sources

SEED = "https://sputnikglobe.com/20120402/172567892.html"
# Spellings of SEED that share its key (storage/urls.py).
SPELLINGS = [
    "http://sputnikglobe.com/20120402/172567892.html",
    "https://www.sputnikglobe.com/20120402/172567892.html",
    "http://sputnikglobe.com/20120402/172567892.html?utm_source=twitter&utm_medium=social",
]
# Commands the issue names as reading or writing the archive.
ARCHIVE_COMMANDS = {"crawl", "sql", "status", "history", "db", "import-warc", "reextract",
                    "search", "show", "trend", "export", "browse", "report"}


def demarche(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*DEMARCHE, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


@pytest.fixture
def elsewhere(tmp_path: Path) -> dict[str, str]:
    """A setting that names no archive the commands could read: what they
    read must come from --archive."""
    return {"DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'absent' / 'none.db'}"}


def subcommands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions
               if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def seed_id(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id FROM articles WHERE url = ?", (SEED,)).fetchone()[0]


def test_version_names_the_installed_distribution_and_python():
    result = demarche("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"demarche {version('demarche')} (Python {platform.python_version()})")


def test_every_subcommand_help_describes_it_and_shows_an_example():
    commands = subcommands()
    assert set(commands) > ARCHIVE_COMMANDS  # the loop below sees them all
    for name, parser in commands.items():
        text = parser.format_help()
        assert parser.description and len(parser.description.split()) >= 8, name
        assert parser.description.replace("\n", " ") in text.replace("\n", " "), name
        epilog = text[text.index("\nExample"):]
        assert f"demarche {name}" in epilog, name


def test_every_example_parses():
    # An example that the parser refuses would teach a wrong spelling.
    for name, parser in subcommands().items():
        examples = parser.epilog.split("\n")[1:]
        assert examples, name
        for example in examples:
            words = shlex.split(example)
            words = words[next(i for i, w in enumerate(words) if w == "demarche") + 1:]
            words = words[:words.index(">")] if ">" in words else words
            opts = build_parser().parse_args(words)
            assert opts.command == name, example


def test_help_runs_for_every_subcommand():
    # As typed: the epilog keeps its lines (RawDescriptionHelpFormatter).
    for name in subcommands():
        result = demarche(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert any(line.startswith("Example") for line in result.stdout.splitlines()), name
        assert any(line.strip().startswith(f"demarche {name}")
                   for line in result.stdout.splitlines()), name


def test_every_archive_command_takes_archive():
    for name in ARCHIVE_COMMANDS:
        options = {o for a in subcommands()[name]._actions for o in a.option_strings}
        assert "--archive" in options, name


def test_archive_option_reads_the_archive_it_names(demo_db: Path, elsewhere):
    archive = f"sqlite:///{demo_db}"
    article = str(seed_id(demo_db))
    sql = demarche("sql", "SELECT url FROM articles WHERE id = " + article, "--format", "json",
                   "--archive", archive, env=elsewhere)
    assert sql.returncode == 0, sql.stderr
    assert json.loads(sql.stdout) == [{"url": SEED}]

    search = demarche("search", "Syria", "--format", "json", "--archive", archive, env=elsewhere)
    assert search.returncode == 0, search.stderr
    assert SEED in {hit["url"] for hit in json.loads(search.stdout)}

    show = demarche("show", article, "--format", "json", "--archive", archive, env=elsewhere)
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout)["url"] == SEED

    history = demarche("history", SEED, "--archive", archive, env=elsewhere)
    assert history.returncode == 0, history.stderr
    assert f"archived as {SEED}" in history.stdout

    status = demarche("status", "--archive", archive, env=elsewhere)
    assert status.returncode == 0, status.stderr
    assert "sputnik_russia" in status.stdout and "ok" in status.stdout

    export = demarche("export", "--format", "jsonl", "--out", "-", "--source", "sputnik_russia",
                      "--archive", archive, env=elsewhere)
    assert export.returncode == 0, export.stderr
    assert SEED in {json.loads(line)["url"] for line in export.stdout.splitlines()}
    # The setting's archive was neither read nor made.
    assert not Path(elsewhere["DEMARCHE_ARCHIVE_URL"].removeprefix("sqlite:///")).parent.exists()


def test_archive_option_overrides_the_setting_and_says_what_is_missing(tmp_path: Path,
                                                                       demo_db: Path):
    missing = tmp_path / "missing.db"
    result = demarche("show", "1", "--archive", f"sqlite:///{missing}",
                      env={"DEMARCHE_ARCHIVE_URL": f"sqlite:///{demo_db}"})
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"demarche show: no archive at {missing}")
    assert not missing.exists()


def test_history_takes_an_id(demo_db: Path):
    article = seed_id(demo_db)
    result = demarche("history", str(article), "--archive", f"sqlite:///{demo_db}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"article {article} (sputnik_russia):")
    assert f"archived as {SEED}" in result.stdout


def test_history_of_an_unknown_id_says_so(demo_db: Path):
    result = demarche("history", "999999", "--archive", f"sqlite:///{demo_db}")
    assert result.returncode == 2
    assert "no article at 999999 in" in result.stderr and "as an id" in result.stderr


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_show_and_history_find_an_https_page_by_any_spelling(demo_db: Path, spelling: str):
    archive = f"sqlite:///{demo_db}"
    article = seed_id(demo_db)
    show = demarche("show", spelling, "--format", "json", "--archive", archive)
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout)["id"] == article
    history = demarche("history", spelling, "--archive", archive)
    assert history.returncode == 0, history.stderr
    assert history.stdout.startswith(f"article {article} ")


def test_crawl_writes_into_the_archive_it_is_given(tmp_path: Path, site: Site, elsewhere):
    path = "/news/2024/03/01/talks.html"
    site.page("/news/", f'<html><body><a href="{path}">Talks</a></body></html>')
    site.page(path, article_html("Minister holds talks on the regional agenda", [
        "The Minister held talks with his counterpart on the bilateral agenda and regional "
        "issues of mutual interest, the ministry said on Friday.",
        "The sides agreed to continue consultations at the level of deputy ministers.",
    ], date="2024-03-01T10:00:00+03:00"))
    sources = write_sources(tmp_path / "sources.toml", site)
    archive = tmp_path / "given" / "archive.db"
    archive.parent.mkdir()
    result = demarche("crawl", "loopback_news", "--archive", f"sqlite:///{archive}",
                      env={**elsewhere, "DEMARCHE_SOURCES": str(sources)})
    assert result.returncode == 0, result.stdout + result.stderr
    with sqlite3.connect(archive) as conn:
        rows = conn.execute("SELECT url, title FROM articles").fetchall()
        runs = conn.execute("SELECT source, status FROM crawl_runs").fetchall()
    assert rows == [(site.url(path), "Minister holds talks on the regional agenda")]
    assert runs == [("loopback_news", "finished")]
    # The WARC records went beside the archive given, as the setting would.
    assert list((archive.parent / "warc").glob("*.warc.gz"))
    assert not Path(elsewhere["DEMARCHE_ARCHIVE_URL"].removeprefix("sqlite:///")).parent.exists()


def test_db_upgrade_and_sql_take_archive_on_both_backends(archive_url: str, elsewhere):
    upgrade = demarche("db", "upgrade", "--archive", archive_url, env=elsewhere)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "upgraded from empty to" in upgrade.stdout
    sql = demarche("sql", "SELECT count(*) AS n FROM articles", "--format", "json",
                   "--archive", archive_url, env=elsewhere)
    assert sql.returncode == 0, sql.stderr
    assert json.loads(sql.stdout) == [{"n": 0}]
    status = demarche("status", "--archive", archive_url, env=elsewhere)
    assert status.returncode == 0, status.stderr
    assert "never run" in status.stdout


def test_a_query_that_starts_with_a_dash_gets_a_hint(demo_db: Path):
    archive = ["--archive", f"sqlite:///{demo_db}"]
    for command in ("search", "trend"):
        said = demarche(command, "-Syria", *archive)
        assert said.returncode == 2 and said.stdout == ""
        assert said.stderr.strip() == (
            f"demarche {command}: '-Syria' reads as an option. For statements without a word, "
            f"write NOT after another: 'sanctions NOT Syria'; for the word itself, end the "
            f"options with --: demarche {command} -- -Syria")
    # As the hint says: after --, the word is the query.
    assert demarche("search", *archive, "--", "-Syria").returncode == 0
    # An option's value and a negative number are argparse's to judge.
    assert "--limit must be at least 1" in demarche("search", "Syria", "--limit", "-5",
                                                    *archive).stderr


def test_the_parser_loads_no_crawler_or_database_library():
    # What made every command, --version included, take two seconds to
    # start: they load when a command runs (figures in CHANGELOG.md).
    heavy = ("scrapy", "sqlalchemy", "alembic", "pydantic", "twisted")
    probe = ("import sys; from cli.main import build_parser; build_parser(); "
             f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    said = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert said.stdout.strip() == "[]", said.stdout + said.stderr
