"""The scheduler's ledger columns (who started a run, its log tail, its
extraction coverage and flags) and the fetch state of incremental crawls.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fetch_state',
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('etag', sa.String(length=512), nullable=True),
    sa.Column('last_modified', sa.String(length=64), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['source'], ['sources.key'], name=op.f('fk_fetch_state_source_sources')),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_fetch_state'))
    )
    with op.batch_alter_table('fetch_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fetch_state_source'), ['source'], unique=False)

    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trigger', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('log_tail', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('coverage', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('flags', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("flags")
        batch_op.drop_column("coverage")
        batch_op.drop_column("log_tail")
        batch_op.drop_column("trigger")
    op.drop_table("fetch_state")
