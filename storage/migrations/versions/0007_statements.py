"""From articles to statements: type, document number, speakers, quotes,
country mentions, briefing turns and translation keys
(``crawler/enrich``), and the views ``statements`` (made again with the
type, document number and main speaker) and ``translations``.

Columns are added to ``articles`` with ALTER TABLE, not a batch rebuild:
a rebuild on SQLite would drop the full-text triggers of revision 0004.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Revision 0005's columns, then what this revision adds; a migration keeps
# its own copy of a view's text, so that it never changes with later code.
STATEMENTS = """SELECT a.id, a.published_at, {year} AS year, a.source, s.country,
       a.language, a.statement_type,
       (SELECT sp.name FROM speakers sp
        WHERE sp.article_id = a.id AND sp.position = 0) AS speaker,
       a.document_number, a.title, a.url, a.section, a.author, a.first_seen_at,
       a.removed_at, a.removed_reason, a.cluster_id
FROM articles a LEFT JOIN sources s ON s.key = a.source"""

STATEMENTS_0005 = """SELECT a.id, a.published_at, {year} AS year, a.source, s.country,
       a.language, a.title, a.url, a.section, a.author, a.first_seen_at,
       a.removed_at, a.removed_reason, a.cluster_id
FROM articles a LEFT JOIN sources s ON s.key = a.source"""

YEAR = {
    "sqlite": "CAST(strftime('%Y', a.published_at) AS INTEGER)",
    "postgresql": "CAST(extract(year FROM a.published_at AT TIME ZONE 'UTC') AS INTEGER)",
}

# Two articles sharing a key, in different languages (the same document
# number on the Russian and English pages of mid.ru, an hreflang link).
TRANSLATIONS = """SELECT DISTINCT k.article_id, o.article_id AS translation_id,
       b.language AS translation_language
FROM translation_keys k
JOIN translation_keys o ON o.key = k.key AND o.article_id <> k.article_id
JOIN articles a ON a.id = k.article_id
JOIN articles b ON b.id = o.article_id
WHERE coalesce(a.language, '') <> coalesce(b.language, '')"""


def upgrade() -> None:
    op.add_column("articles", sa.Column("statement_type", sa.String(length=32), nullable=True))
    op.add_column("articles", sa.Column("document_number", sa.String(length=64), nullable=True))
    op.add_column("articles", sa.Column("enricher_hash", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_articles_statement_type"), "articles", ["statement_type"])
    op.create_table(
        "speakers",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name=op.f("fk_speakers_article_id_articles")),
        sa.PrimaryKeyConstraint("article_id", "position", name=op.f("pk_speakers")),
    )
    op.create_index(op.f("ix_speakers_name"), "speakers", ["name"])
    op.create_table(
        "quotes",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("offset", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name=op.f("fk_quotes_article_id_articles")),
        sa.PrimaryKeyConstraint("article_id", "position", name=op.f("pk_quotes")),
    )
    op.create_index(op.f("ix_quotes_speaker"), "quotes", ["speaker"])
    op.create_table(
        "mentions",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name=op.f("fk_mentions_article_id_articles")),
        sa.PrimaryKeyConstraint("article_id", "country", name=op.f("pk_mentions")),
    )
    op.create_index(op.f("ix_mentions_country"), "mentions", ["country"])
    op.create_table(
        "turns",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("speaker", sa.String(length=200), nullable=True),
        sa.Column("outlet", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name=op.f("fk_turns_article_id_articles")),
        sa.PrimaryKeyConstraint("article_id", "position", name=op.f("pk_turns")),
    )
    op.create_index(op.f("ix_turns_speaker"), "turns", ["speaker"])
    op.create_table(
        "translation_keys",
        sa.Column("key", sa.String(length=2048), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"],
                                name=op.f("fk_translation_keys_article_id_articles")),
        sa.PrimaryKeyConstraint("key", "article_id", name=op.f("pk_translation_keys")),
    )
    op.create_index(op.f("ix_translation_keys_article_id"), "translation_keys", ["article_id"])
    year = YEAR[op.get_bind().dialect.name]
    op.execute("DROP VIEW statements")
    op.execute(f"CREATE VIEW statements AS {STATEMENTS.format(year=year)}")
    op.execute(f"CREATE VIEW translations AS {TRANSLATIONS}")


def downgrade() -> None:
    year = YEAR[op.get_bind().dialect.name]
    op.execute("DROP VIEW translations")
    op.execute("DROP VIEW statements")
    op.execute(f"CREATE VIEW statements AS {STATEMENTS_0005.format(year=year)}")
    for table in ("translation_keys", "turns", "mentions", "quotes", "speakers"):
        op.drop_table(table)
    op.drop_index(op.f("ix_articles_statement_type"), table_name="articles")
    for column in ("enricher_hash", "document_number", "statement_type"):
        op.drop_column("articles", column)
