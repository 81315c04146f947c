"""Where the archive is and how to open it.

The archive URL is any SQLAlchemy URL: the ``DEMARCHE_ARCHIVE_URL`` setting
(read from the environment in ``crawler/settings.py``), by default the SQLite
file ``archive.db`` in the project root. Storage functions take the URL or an
engine from their caller and read no configuration themselves.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

from storage.migrate import current_revision, head_revision, upgrade

# How long a writer waits for another writer's lock before failing; crawls
# of several sources may share one SQLite file.
SQLITE_BUSY_SECONDS = 30


class ArchiveError(RuntimeError):
    """The archive cannot be opened or written; the message says why."""


class DamagedArchiveError(ArchiveError):
    """The archive file is damaged (cut short, overwritten, not SQLite)."""


# What SQLite says of a file it cannot read as a database: cut short,
# overwritten or not SQLite at all (sqlite3.c, sqlite3ErrStr).
_DAMAGE = ("malformed", "not a database", "disk i/o error")
# The 100-byte header every SQLite file starts with
# (https://www.sqlite.org/fileformat.html#the_database_header).
_SQLITE_MAGIC = b"SQLite format 3\0"


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


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite archive URL; None for any other archive."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    return Path(database.removeprefix("file:").split("?")[0])


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets readers (demarche sql, a browser) work while a crawl writes,
    # and a crash never leaves a half-applied transaction. It is a property
    # of the file, set once: asking for it again on a file in WAL already
    # needs a lock that another connection can hold, and SQLite answers
    # "database is locked" at once there, without waiting its busy timeout
    # (seen when a scheduled crawl opened the archive while it was read).
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def damaged(path: Path, reason: str) -> DamagedArchiveError:
    return DamagedArchiveError(
        f"the archive {path} is damaged ({reason}); recover what it holds into a new file with "
        f'`sqlite3 {path} ".recover" | sqlite3 {path.with_name(path.stem + "-recovered.db")}`, '
        "then point DEMARCHE_ARCHIVE_URL at it (or replace the file with a backup)")


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that cannot be a whole SQLite database: another kind
    of file, or one cut short (shorter than the page count its header
    gives). Reads 100 bytes: cheap enough for every open."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    if not header:
        return  # empty: SQLite makes it a new database
    if not header.startswith(_SQLITE_MAGIC) or len(header) < 100:
        raise damaged(path, "not a SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is only valid when the header says so (offset 92
    # equals the change counter at 24); a WAL beside the file may hold
    # pages past its end until the next checkpoint.
    wal = path.with_name(path.name + "-wal")
    if header[92:96] == header[24:28] and not (wal.exists() and wal.stat().st_size):
        size = path.stat().st_size
        if size < pages * page_size:
            raise damaged(path, f"cut short: {size:,} bytes of {pages * page_size:,}")


def damage_of(url: str, exc: BaseException) -> DamagedArchiveError | None:
    """The error to show when a driver error means the SQLite archive
    behind ``url`` is damaged; None for any other error."""
    message = str(getattr(exc, "orig", None) or exc).lower()
    path = sqlite_file(url)
    if path is None or not any(word in message for word in _DAMAGE):
        return None
    return damaged(path, message.splitlines()[0])


def reason_of(exc: BaseException) -> str:
    """A driver error in one line, without the SQL and parameters that
    SQLAlchemy adds to its message: what the database said, and for a lock
    held past the busy timeout, by whom."""
    said = str(getattr(exc, "orig", None) or exc).strip()
    # PostgreSQL's DETAIL line says which key a refusal was about; the SQL
    # and parameters SQLAlchemy adds are left out.
    lines = [part.strip() for part in said.splitlines() if part.strip()
             and not part.lstrip().startswith(("[SQL", "[parameters", "(Background"))]
    line = "; ".join(lines) if lines else type(exc).__name__
    if "database is locked" in line.lower():
        return f"{line} (another process held a write lock on the archive for too long)"
    return line


def _writable(path: Path) -> bool:
    """Whether this process could write the archive and the files SQLite
    keeps beside it (-wal, -shm)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ArchiveError(f"not a database URL: {url!r} ({exc})") from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        # The search index, views and migrations are written for these two.
        raise ArchiveError(f"cannot open archive {describe(url)}: demarche keeps its archive in "
                           f"SQLite or PostgreSQL, not {backend}")
    if backend == "sqlite":
        database = parsed.database or ""
        mode = "ro"
        if database in ("", ":memory:") or "mode=memory" in database:
            raise ArchiveError(f"cannot open archive {describe(url)}: an archive in memory is "
                               "gone when the command ends; give a file "
                               "(sqlite:///archive.db, or sqlite:////an/absolute/path.db)")
        path = Path(database)
        if not path.parent.is_dir():
            raise ArchiveError(
                f"cannot open archive {describe(url)}: folder {path.parent} does not exist"
            )
        if read_only and not path.exists():
            raise ArchiveError(f"no archive at {path}: run a crawl or `make demo` first")
        if path.is_dir():
            raise ArchiveError(f"cannot open archive {describe(url)}: {path} is a folder")
        if path.exists():
            check_sqlite_file(path)
            if read_only and not _writable(path) and not has_wal(path):
                # A file nobody here may write, with no WAL: mode=ro
                # would still need to create the -shm file beside it
                # (and fail: "unable to open database file"); nothing
                # writes it, so SQLite may read it as immutable.
                mode = "ro&immutable=1"
        if read_only:
            # mode=ro makes SQLite itself refuse every write.
            parsed = parsed.set(database=f"file:{database}?mode={mode}").update_query_dict(
                {"uri": "true"}
            )
        # ?timeout=N in the URL overrides the default wait for a lock.
        connect_args = {} if "timeout" in parsed.query else {"timeout": SQLITE_BUSY_SECONDS}
        engine = create_engine(parsed, connect_args=connect_args)
        if not read_only:
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        if read_only:
            return create_engine(
                parsed, execution_options={"postgresql_readonly": True}, pool_pre_ping=True
            )
        return create_engine(parsed, pool_pre_ping=True)
    except (ImportError, NoSuchModuleError) as exc:
        raise ArchiveError(f"cannot open archive {describe(url)}: its driver is not installed "
                           f"({exc}); demarche installs psycopg for postgresql+psycopg://") from exc


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
    except DatabaseError as exc:  # OperationalError included
        engine.dispose()
        raise damage_of(url, exc) or ArchiveError(
            f"cannot open archive {describe(url)}: {exc.orig}") from exc
    return engine


def has_wal(path: Path) -> bool:
    """Whether writes wait in the write-ahead log beside a SQLite file: a
    writer is at work, or one stopped before its last connection closed."""
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def open_reader(url: str) -> Engine:
    """A read-only engine on an archive at the current schema, for the
    reading commands. An archive behind the schema is upgraded first when
    this process may write it; a read-only one must be upgraded by whoever
    owns it. A missing SQLite file is an error, not a new empty archive."""
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as connection:
            revision = current_revision(connection)
    except DatabaseError as exc:
        engine.dispose()
        raise damage_of(url, exc) or ArchiveError(
            f"cannot read archive {describe(url)}: {exc.orig}") from exc
    if revision != head_revision():
        engine.dispose()
        parsed = make_url(url)
        path = Path(parsed.database or "")
        if parsed.get_backend_name() == "sqlite" and not _writable(path):
            raise ArchiveError(
                f"the archive {path} is at schema {revision or 'none'}, this demarche needs "
                f"{head_revision()}, and the file is read-only here: run `demarche db upgrade` "
                "as a user who may write it")
        open_archive(url)  # upgrades it
        engine = make_engine(url, read_only=True)
    return engine
