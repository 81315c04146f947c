"""The ``statements`` view shows each statement's standfirst.

The view leaves bodies out (it is for scanning and counting), but the
summary a page prints under its headline is what a reader scans a list
by, so it sits beside the title.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# A migration keeps its own copy of a view's text (see revision 0007).
STATEMENTS = """SELECT a.id, a.published_at, {year} AS year, a.source, s.country,
       a.language, a.statement_type,
       (SELECT sp.name FROM speakers sp
        WHERE sp.article_id = a.id AND sp.position = 0) AS speaker,
       a.document_number, a.title, a.standfirst, a.url, a.section, a.author,
       a.first_seen_at, a.removed_at, a.removed_reason, a.cluster_id
FROM articles a LEFT JOIN sources s ON s.key = a.source"""

STATEMENTS_0007 = """SELECT a.id, a.published_at, {year} AS year, a.source, s.country,
       a.language, a.statement_type,
       (SELECT sp.name FROM speakers sp
        WHERE sp.article_id = a.id AND sp.position = 0) AS speaker,
       a.document_number, a.title, a.url, a.section, a.author, a.first_seen_at,
       a.removed_at, a.removed_reason, a.cluster_id
FROM articles a LEFT JOIN sources s ON s.key = a.source"""

YEAR = {
    "sqlite": "CAST(strftime('%Y', a.published_at) AS INTEGER)",
    "postgresql": "CAST(extract(year FROM a.published_at AT TIME ZONE 'UTC') AS INTEGER)",
}


def _replace(view: str) -> None:
    year = YEAR[op.get_bind().dialect.name]
    op.execute("DROP VIEW statements")
    op.execute(f"CREATE VIEW statements AS {view.format(year=year)}")


def upgrade() -> None:
    _replace(STATEMENTS)


def downgrade() -> None:
    # Before revision 0012's column goes: SQLite refuses to drop a column
    # that a view still names.
    _replace(STATEMENTS_0007)
