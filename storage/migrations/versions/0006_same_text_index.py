"""An index for the same-text lookup of the write path.

Every new statement is looked up as the same title and body already
archived under another URL of its source (``storage.archive.same_text``);
without this index that lookup reads every article of the source, once per
article written.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_source_content_hash", "articles", ["source", "content_hash"])


def downgrade() -> None:
    op.drop_index("ix_articles_source_content_hash", table_name="articles")
