"""Where `demarche export` and `demarche report` may write (issue 14):
never onto the archive, onto an existing file only with --force, never into
a missing folder or onto a folder, and no folders made above the one
given."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DEMARCHE, ROOT


@pytest.fixture
def archive(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    shutil.copy(demo_db, path)
    return path


def run(args: list[str], archive: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*DEMARCHE, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300,
                          env={**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{archive}"})


def articles(archive: Path) -> int:
    with sqlite3.connect(archive) as conn:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def refused(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_onto_the_archive_is_refused(archive: Path, fmt: str):
    size, held = archive.stat().st_size, articles(archive)
    for out in (archive, archive.parent / "." / archive.name):
        for force in ([], ["--force"]):
            refused(run(["export", "--format", fmt, "--out", str(out), *force], archive),
                    "is the archive")
    assert archive.stat().st_size == size and articles(archive) == held


def test_export_onto_a_link_to_the_archive_is_refused(archive: Path, tmp_path: Path):
    link = tmp_path / "link.db"
    link.symlink_to(archive)
    hard = tmp_path / "hard.db"
    os.link(archive, hard)
    held = articles(archive)
    for out in (link, hard):
        refused(run(["export", "--format", "csv", "--out", str(out), "--force"], archive),
                "is the archive")
    assert articles(archive) == held


def test_export_onto_an_existing_file_needs_force(archive: Path, tmp_path: Path):
    out = tmp_path / "notes.jsonl"
    out.write_text("my notes\n", encoding="utf-8")
    refused(run(["export", "--format", "jsonl", "--out", str(out)], archive),
            "exists: --force overwrites it")
    assert out.read_text(encoding="utf-8") == "my notes\n"
    result = run(["export", "--format", "jsonl", "--out", str(out), "--force"], archive)
    assert result.returncode == 0, result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == articles(archive)


def test_export_into_a_missing_folder_or_onto_a_folder_is_refused(archive: Path,
                                                                   tmp_path: Path):
    refused(run(["export", "--format", "csv", "--out", str(tmp_path / "no" / "such.csv")],
                archive), f"folder {tmp_path / 'no'} does not exist")
    assert not (tmp_path / "no").exists()
    refused(run(["export", "--format", "csv", "--out", str(tmp_path)], archive),
            "is a folder")


def test_tables_are_refused_where_a_file_would_be(archive: Path, tmp_path: Path):
    # A folder whose articles.csv is the archive (a link to it).
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "articles.csv").symlink_to(archive)
    held = articles(archive)
    for force in ([], ["--force"]):
        refused(run(["export", "--format", "csv", "--tables", "--out", str(folder), *force],
                    archive), "is the archive")
    assert articles(archive) == held
    refused(run(["export", "--format", "csv", "--tables", "--out", str(archive)], archive),
            "is a file: with --tables, --out names a folder")
    refused(run(["export", "--format", "csv", "--tables", "--out",
                 str(tmp_path / "no" / "tables")], archive), "does not exist")
    assert not (tmp_path / "no").exists()


def test_report_makes_only_the_folder_it_is_given(archive: Path, tmp_path: Path):
    deep = tmp_path / "a" / "b" / "report"
    refused(run(["report", "--out", str(deep)], archive), f"folder {deep.parent} does not exist")
    assert not (tmp_path / "a").exists()
    page = tmp_path / "page.html"
    page.write_text("mine", encoding="utf-8")
    refused(run(["report", "--out", str(page)], archive), "is a file")
    assert page.read_text(encoding="utf-8") == "mine"
    result = run(["report", "--out", str(tmp_path / "report")], archive)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "report" / "index.html").is_file()
    # Its own page is written again; a page of the user's only with --force.
    assert run(["report", "--out", str(tmp_path / "report")], archive).returncode == 0
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>My research site</h1>", encoding="utf-8")
    refused(run(["report", "--out", str(site)], archive), "is not a demarche report")
    assert (site / "index.html").read_text(encoding="utf-8") == "<h1>My research site</h1>"
    assert run(["report", "--out", str(site), "--force"], archive).returncode == 0
    # A report written before the generator mark was put in is ours too.
    older = tmp_path / "older"
    older.mkdir()
    (older / "index.html").write_text("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset="
                                      "\"utf-8\">\n<title>demarche report: 9 statements</title>")
    assert run(["report", "--out", str(older)], archive).returncode == 0
    assert "demarche report" in (site / "index.html").read_text(encoding="utf-8")
