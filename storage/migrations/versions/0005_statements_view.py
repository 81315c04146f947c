"""A view for browsing: every article with its source's country and its year.

``demarche browse`` (Datasette) facets on the columns of a table or view,
never on an expression or a joined table, so country (a column of
``sources``) and year (derived from ``published_at``) must be columns
somewhere; a view keeps them derived. Bodies are left out: the view is for
scanning and counting, and a body is one click away in ``articles``.

Not an ORM model: views are not compared by ``alembic check``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = """a.id, a.published_at, {year} AS year, a.source, s.country, a.language,
       a.title, a.url, a.section, a.author, a.first_seen_at, a.removed_at,
       a.removed_reason, a.cluster_id"""

YEAR = {
    "sqlite": "CAST(strftime('%Y', a.published_at) AS INTEGER)",
    "postgresql": "CAST(extract(year FROM a.published_at AT TIME ZONE 'UTC') AS INTEGER)",
}


def upgrade() -> None:
    year = YEAR[op.get_bind().dialect.name]
    op.execute(f"CREATE VIEW statements AS SELECT {COLUMNS.format(year=year)} "
               "FROM articles a LEFT JOIN sources s ON s.key = a.source")


def downgrade() -> None:
    op.execute("DROP VIEW statements")
