"""``demarche db upgrade``: bring the archive to the current schema."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from cli.options import add_archive, add_command, archive_url


def cmd_db(opts: argparse.Namespace) -> int:
    from storage.clusters import index_backlog
    from storage.engine import ArchiveError, describe, make_engine
    from storage.migrate import head_revision, upgrade

    url = archive_url(opts)
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
        # Articles archived before the syndication index existed.
        indexed = index_backlog(engine, datetime.now(UTC))
    except Exception as exc:  # noqa: BLE001 - any driver error, said plainly
        raise ArchiveError(f"cannot upgrade {describe(url)}: {exc}") from exc
    finally:
        engine.dispose()
    if before == after:
        print(f"{describe(url)}: already at revision {after} (head {head_revision()})")
    else:
        print(f"{describe(url)}: upgraded from {before or 'empty'} to {after}")
    if indexed:
        print(f"{indexed} article(s) added to the syndication index")
    return 0


def register(sub) -> None:  # type: ignore[no-untyped-def]
    db = add_command(
        sub, "db", help="archive schema: `demarche db upgrade`",
        description="Bring the archive to the current schema (an empty or missing one is "
        "created), then index for syndication any article archived before that index existed.",
        examples=["demarche db upgrade",
                  "demarche db upgrade --archive postgresql://demarche@localhost/demarche"])
    db.add_argument("action", choices=["upgrade"],
                    help="upgrade: bring the archive to this demarche's schema")
    add_archive(db)
    db.set_defaults(func=cmd_db)
