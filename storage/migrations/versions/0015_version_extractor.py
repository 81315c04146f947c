"""The extractor of each earlier text (``article_versions.extractor_hash``).

A page crawled again after demarche's extraction changed can differ from
its archived text only by the extraction: a line the old cleaning kept, a
joiner it dropped. Keeping which extractor made each earlier text lets
``demarche history`` and the reading room say when two texts came from
different extractors, so that a reader does not take our change for the
ministry's edit. Versions archived before this revision have none (their
extractor is unknown, and nothing is said for them).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("article_versions", sa.Column("extractor_hash", sa.String(16), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+), as revision 0012 drops its column.
    op.drop_column("article_versions", "extractor_hash")
