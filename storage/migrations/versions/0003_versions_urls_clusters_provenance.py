"""What researchers need to trust the archive: earlier versions of changed
articles, takedowns, every URL an article lived at, syndication clusters
(MinHash signatures and their LSH bands), and the provenance of each text
(its WARC record and the extractor that made it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clusters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_article_id', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clusters'))
    )
    op.create_table('article_minhashes',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_minhashes_article_id_articles')),
    sa.PrimaryKeyConstraint('article_id', name=op.f('pk_article_minhashes'))
    )
    op.create_table('article_urls',
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_urls_article_id_articles')),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_article_urls'))
    )
    with op.batch_alter_table('article_urls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_urls_article_id'), ['article_id'], unique=False)

    op.create_table('article_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('warc_file', sa.String(length=512), nullable=True),
    sa.Column('warc_offset', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_versions_article_id_articles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_versions'))
    )
    with op.batch_alter_table('article_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_versions_article_id'), ['article_id'], unique=False)

    op.create_table('minhash_bands',
    sa.Column('band', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.String(length=32), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_minhash_bands_article_id_articles')),
    sa.PrimaryKeyConstraint('band', 'bucket', 'article_id', name=op.f('pk_minhash_bands'))
    )
    with op.batch_alter_table('minhash_bands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minhash_bands_article_id'), ['article_id'], unique=False)

    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('removed_reason', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('warc_file', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('warc_offset', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('extractor', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('extractor_hash', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('cluster_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cluster_similarity', sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f('ix_articles_cluster_id'), ['cluster_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_articles_cluster_id_clusters'), 'clusters', ['cluster_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_articles_cluster_id_clusters'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_articles_cluster_id'))
        batch_op.drop_column('cluster_similarity')
        batch_op.drop_column('cluster_id')
        batch_op.drop_column('extractor_hash')
        batch_op.drop_column('extractor')
        batch_op.drop_column('warc_offset')
        batch_op.drop_column('warc_file')
        batch_op.drop_column('removed_reason')
        batch_op.drop_column('removed_at')

    with op.batch_alter_table('minhash_bands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minhash_bands_article_id'))

    op.drop_table('minhash_bands')
    with op.batch_alter_table('article_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_versions_article_id'))

    op.drop_table('article_versions')
    with op.batch_alter_table('article_urls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_urls_article_id'))

    op.drop_table('article_urls')
    op.drop_table('article_minhashes')
    op.drop_table('clusters')
