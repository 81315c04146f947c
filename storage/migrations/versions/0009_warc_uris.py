"""WARC locations as URIs (issue 17, point 3).

Until this revision ``articles.warc_file`` and ``article_versions.warc_file``
held a file name: a bare name for a crawl's own WARC (relative to the WARC
folder of the machine that wrote it) or an absolute path for an imported
file. Only that machine could open either. This revision turns every value
into a URI (``storage.warc_uris``):

1. a bare name becomes ``file:///<WARC folder>/<name>``, the folder found
   as the crawler and ``demarche reextract`` find it: ``DEMARCHE_WARC_DIR``
   (a path, or an ``s3://...`` URI, which the name is joined to), else
   ``warc/`` beside a SQLite archive, else ``warc/`` in the project;
2. an absolute path becomes ``file:///<path>``;
3. a value that is a URI already is left as it is.

Safe: it runs in the upgrade's one transaction and changes only
``warc_file``; no row is added or deleted, and running it over URIs changes
nothing. No file is opened: a name whose file is gone becomes the URI of
where it was, and reads as missing, as it did before.

What cannot be repaired: a name written on another machine (or with
another DEMARCHE_WARC_DIR) is resolved against this machine's folder, as
reextract resolved it until now; if that is not where the file is, run the
upgrade with DEMARCHE_WARC_DIR set to where those files are, or update the
rows by hand (``UPDATE articles SET warc_file = replace(...)``).

Downgrading turns ``file://`` URIs back into absolute paths (which the
older code reads as imported files); other URIs stay as they are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from storage.engine import project_root
from storage.warc_uris import is_uri, join, local_path

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

_TABLES = ("articles", "article_versions")


def warc_folder(connection: sa.Connection) -> Path | str:
    """As ``crawler/middlewares/warc.py`` finds it."""
    configured = os.environ.get("DEMARCHE_WARC_DIR")
    if configured:
        return configured if is_uri(configured) else Path(configured).resolve()
    url = connection.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "warc"
    return project_root() / "warc"


def to_uris(connection: sa.Connection, folder: Path | str) -> Counter[str]:
    """Every stored name as a URI; how many rows of each table changed."""
    counts: Counter[str] = Counter()
    for name in _TABLES:
        table = sa.table(name, sa.column("warc_file"))
        names = connection.execute(sa.select(table.c.warc_file).distinct()
                                   .where(table.c.warc_file.is_not(None))).scalars().all()
        for old in names:
            new = join(folder, old)
            if new != old:
                done = connection.execute(sa.update(table).where(table.c.warc_file == old)
                                          .values(warc_file=new))
                counts[name] += done.rowcount
    return counts


def upgrade() -> None:
    connection = op.get_bind()
    folder = warc_folder(connection)
    counts = to_uris(connection, folder)
    if counts:
        logger.info("WARC locations as URIs (WARC folder %s): %s", folder,
                    ", ".join(f"{n} rows of {table}" for table, n in sorted(counts.items())))


def downgrade() -> None:
    connection = op.get_bind()
    for name in _TABLES:
        table = sa.table(name, sa.column("warc_file"))
        uris = connection.execute(sa.select(table.c.warc_file).distinct()
                                  .where(table.c.warc_file.like("file://%"))).scalars().all()
        for uri in uris:
            path = local_path(uri)
            connection.execute(sa.update(table).where(table.c.warc_file == uri)
                               .values(warc_file=str(path)))
