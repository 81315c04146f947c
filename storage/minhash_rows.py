"""Writing the near-duplicate index's rows (``article_minhashes``,
``minhash_bands``): one statement a table for any number of articles.

A batch of 50 new texts has 1,000 band rows. psycopg's ``executemany``
sends them as 1,000 INSERTs (pipelined, but each parsed, planned and
answered on its own): measured with ``make bench-write``, 0.45-0.5 s of an
800-statement run went to them. On PostgreSQL the rows go as three arrays
that the server unnests into one INSERT; SQLite, in the writer's process,
takes the driver's ``executemany`` of plain tuples (through SQLAlchemy's
per-row parameter handling the 16,000 rows of that run cost 0.15 s more).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, INTEGER, VARCHAR
from sqlalchemy.orm import Session

from storage.dialects import insert_for
from storage.models import ArticleMinhash

_BANDS_PG = text(
    "INSERT INTO minhash_bands (band, bucket, article_id) "
    "SELECT * FROM unnest(:bands, :buckets, :article_ids)"
).bindparams(bindparam("bands", type_=ARRAY(INTEGER)),
             bindparam("buckets", type_=ARRAY(VARCHAR)),
             bindparam("article_ids", type_=ARRAY(INTEGER)))
_SIGNATURES_PG = text(
    "INSERT INTO article_minhashes (article_id, signature) "
    "SELECT * FROM unnest(:article_ids, :signatures) "
    "ON CONFLICT (article_id) DO UPDATE SET signature = EXCLUDED.signature"
).bindparams(bindparam("article_ids", type_=ARRAY(INTEGER)),
             bindparam("signatures", type_=ARRAY(BYTEA)))


def write_bands(session: Session, rows: Sequence[tuple[int, str, int]]) -> None:
    """Insert (band, bucket, article id) rows."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        bands, buckets, ids = zip(*rows, strict=True)
        session.execute(_BANDS_PG, {"bands": list(bands), "buckets": list(buckets),
                                    "article_ids": list(ids)})
        return
    session.connection().exec_driver_sql(
        "INSERT INTO minhash_bands (band, bucket, article_id) VALUES (?, ?, ?)", list(rows))


def write_signatures(session: Session, rows: Sequence[tuple[int, bytes]]) -> None:
    """Insert or replace (article id, signature) rows."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        ids, signatures = zip(*rows, strict=True)
        session.execute(_SIGNATURES_PG, {"article_ids": list(ids),
                                         "signatures": list(signatures)})
        return
    session.execute(upsert_signature("sqlite"),
                    [{"article_id": article_id, "signature": signature}
                     for article_id, signature in rows])


@cache
def upsert_signature(dialect: str):  # type: ignore[no-untyped-def]
    # Built once: an upsert's EXCLUDED alias costs more to build than to run.
    insert = insert_for(dialect)
    stmt = insert(ArticleMinhash.__table__).values(article_id=bindparam("article_id"),
                                                   signature=bindparam("signature"))
    return stmt.on_conflict_do_update(index_elements=[ArticleMinhash.article_id],
                                      set_={"signature": stmt.excluded.signature})
