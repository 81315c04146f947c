"""The standfirst of each statement (``articles.standfirst``).

The summary a page prints between its headline and its body is kept
beside the body, not in it (``crawler/extraction/standfirst.py``). Rows
archived before this revision have none until ``demarche reextract``
reads their responses again; a crawl fills it for each new or changed text.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("standfirst", sa.Text(), nullable=True))


def downgrade() -> None:
    # In place, as revision 0007 drops its columns (SQLite 3.35+): a batch
    # rebuild of `articles` would break the search view and its triggers.
    op.drop_column("articles", "standfirst")
