"""Where the archive is and how to open it.

The archive URL is any SQLAlchemy URL: the ``DEMARCHE_ARCHIVE_URL`` setting
(read from the environment in ``crawler/settings.py``), by default the SQLite
file ``archive.db`` in the project root. Storage functions take the URL or an
engine from their caller and read no configuration themselves.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from storage.migrate import upgrade

# How long a writer waits for another writer's lock before failing; crawls
# of several sources may share one SQLite file.
SQLITE_BUSY_SECONDS = 30


class ArchiveError(RuntimeError):
    """The archive cannot be opened or written; the message says why."""


def project_root() -> Path:
    here = Path(__file__).resolve().parents[1]
    return here if (here / "scrapy.cfg").exists() else Path.cwd()


def default_archive_url() -> str:
    return f"sqlite:///{project_root() / 'archive.db'}"


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets readers (demarche sql, a browser) work while a crawl writes,
    # and a crash never leaves a half-applied transaction.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ArchiveError(f"not a database URL: {url!r} ({exc})") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            path = Path(database)
            if not path.parent.is_dir():
                raise ArchiveError(
                    f"cannot open archive {describe(url)}: folder {path.parent} does not exist"
                )
            if read_only and not path.exists():
                raise ArchiveError(f"no archive at {path}: run a crawl or `make demo` first")
        if read_only:
            # mode=ro makes SQLite itself refuse every write.
            parsed = parsed.set(database=f"file:{database}?mode=ro").update_query_dict(
                {"uri": "true"}
            )
        # ?timeout=N in the URL overrides the default wait for a lock.
        connect_args = {} if "timeout" in parsed.query else {"timeout": SQLITE_BUSY_SECONDS}
        engine = create_engine(parsed, connect_args=connect_args)
        if not read_only:
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if read_only:
        return create_engine(
            parsed, execution_options={"postgresql_readonly": True}, pool_pre_ping=True
        )
    return create_engine(parsed, pool_pre_ping=True)


@lru_cache(maxsize=8)
def open_archive(url: str) -> Engine:
    """An engine on an archive at the current schema (created or upgraded
    through the migrations when it is not).

    Cached per URL so that the pipeline, the ledger and the CLI in one
    process share one connection pool.
    """
    engine = make_engine(url)
    try:
        upgrade(engine)
    except OperationalError as exc:
        raise ArchiveError(f"cannot open archive {describe(url)}: {exc.orig}") from exc
    return engine
