"""region, the centre's end: its halls (tokens, hall files) and, in a mirror, how far it is

Revision ID: 0010b
Revises: 0010
Create Date: 2026-12-01 09:30:00

Every store gets the three tables; a centre fills ``region_sites`` and ``region_halls``, and each
of its mirrors (a store of one site's records) its one row of ``mirror_state``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010b'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mirror_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_code', sa.String(length=40), nullable=False),
    sa.Column('acked', sa.BigInteger(), nullable=False),
    sa.Column('site_clock', sa.DateTime(timezone=True), nullable=True),
    sa.Column('site_schema', sa.String(length=40), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('batches', sa.BigInteger(), nullable=False),
    sa.Column('duplicates', sa.BigInteger(), nullable=False),
    sa.Column('changes', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('region_sites',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heard_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('site_clock', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acked', sa.BigInteger(), nullable=False),
    sa.Column('backlog', sa.BigInteger(), nullable=False),
    sa.Column('hall_applied', sa.Integer(), nullable=False),
    sa.Column('hall_problem', sa.Text(), nullable=True),
    sa.Column('bytes_in', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('code'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('region_halls',
    sa.Column('site_code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_code'], ['region_sites.code'], ),
    sa.PrimaryKeyConstraint('site_code', 'version')
    )


def downgrade() -> None:
    op.drop_table('region_halls')
    op.drop_table('region_sites')
    op.drop_table('mirror_state')
