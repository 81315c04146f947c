"""Archives are made and upgraded through the Alembic migrations, on SQLite
and on a real PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic import command
from sqlalchemy import inspect, text

from storage.engine import make_engine, open_archive
from storage.migrate import alembic_config, current_revision, head_revision
from tests.conftest import ROOT


def test_empty_database_upgrades_to_head_and_matches_the_models(archive_url: str):
    engine = open_archive(archive_url)
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
    with engine.begin() as connection:
        # alembic check: no difference between the models and the migrated schema.
        command.check(alembic_config(connection))
    tables = set(inspect(engine).get_table_names())
    assert {"sources", "articles", "crawl_runs", "fetch_state", "alembic_version"} <= tables


def test_archive_from_before_migrations_is_brought_forward(archive_url: str):
    engine = make_engine(archive_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")  # demarche 0.1's tables
        connection.execute(text("DROP TABLE alembic_version"))  # as 0.1 left them
        connection.execute(text(
            "INSERT INTO sources (key, name, site_name, kind, country, language, spider, "
            "domains, entry_points, updated_at) VALUES ('old', 'Old', 'Old', 'ministry', 'RU', "
            "'ru', 'feed', '[]', '[]', '2024-01-01T00:00:00Z')"))
    engine.dispose()
    upgraded = open_archive(archive_url)
    with upgraded.connect() as connection:
        assert current_revision(connection) == head_revision()
        assert connection.execute(text("SELECT key FROM sources")).scalars().all() == ["old"]
    columns = {c["name"] for c in inspect(upgraded).get_columns("crawl_runs")}
    assert {"trigger", "log_tail", "coverage", "flags"} <= columns


def test_db_upgrade_command(archive_url: str):
    env = {**os.environ, "DEMARCHE_ARCHIVE_URL": archive_url}
    first = subprocess.run([sys.executable, "-m", "cli", "db", "upgrade"], cwd=ROOT,
                           env=env, capture_output=True, text=True, check=True).stdout
    assert f"upgraded from empty to {head_revision()}" in first
    again = subprocess.run([sys.executable, "-m", "cli", "db", "upgrade"], cwd=ROOT,
                           env=env, capture_output=True, text=True, check=True).stdout
    assert "already at revision" in again
    assert ":demarche_test@" not in again  # no password in messages


def test_concurrent_opens_migrate_once(archive_url: str):
    """Two processes opening a new archive at once: one migrates, the other waits."""
    code = ("import sys; from storage.engine import open_archive; "
            "open_archive(sys.argv[1]); print('ok')")
    procs = [subprocess.Popen([sys.executable, "-c", code, archive_url], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], results
    with make_engine(archive_url).connect() as connection:
        assert current_revision(connection) == head_revision()
