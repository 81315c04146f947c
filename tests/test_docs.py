"""The README must keep up with the code: every source, setting and
command it should document, and its example queries must run."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from cli.main import build_parser
from crawler import settings
from crawler.sources import load_sources
from reading.sql import run_readonly
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_source_is_in_the_readme():
    for key in load_sources():
        assert f"`{key}`" in README, key


def test_every_demarche_setting_is_in_the_readme():
    names = [n for n in dir(settings) if n.startswith("DEMARCHE_")]
    assert len(names) >= 8
    for name in names + ["DEMARCHE_TEST_POSTGRES_URL"]:
        assert f"`{name}`" in README, name


def test_every_command_is_in_the_readme():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in commands:
        assert f"demarche {name}" in README, name
    assert "make demo" in README and "make test" in README


def test_readme_example_queries_run(tmp_path):
    archive = tmp_path / "archive.db"
    env = {"DEMARCHE_ARCHIVE_URL": f"sqlite:///{archive}"}
    subprocess.run([sys.executable, "-m", "cli", "demo"], cwd=ROOT, check=True,
                   capture_output=True, env={**os.environ, **env})
    queries = re.findall(r"```sql\n(.*?)```", README, flags=re.DOTALL)
    assert len(queries) >= 4
    for query in queries:
        sql = "\n".join(line for line in query.splitlines() if not line.startswith("--"))
        result = run_readonly(f"sqlite:///{archive}", sql)
        assert result.columns
    per_day = run_readonly(f"sqlite:///{archive}", queries[1])
    assert sum(row[2] for row in per_day.rows) == 12


def test_every_defence_in_the_security_page_names_a_test_that_exists():
    """docs/security.md lists each defence with its test: the names must
    not drift from the tests."""
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    checked = 0
    current = None
    for token in re.findall(r"`([^`]+)`", page):
        named = re.match(r"(?:tests/)?(test_\w+\.py)(?:::(\w+))?", token)
        if named:
            current, name = named.group(1), named.group(2)
        elif token.startswith("::") and current:
            name = token[2:]
        else:
            continue
        source = (ROOT / "tests" / current).read_text(encoding="utf-8")
        if name:
            assert f"def {name}(" in source, f"{current}::{name}"
            checked += 1
    assert checked >= 20
