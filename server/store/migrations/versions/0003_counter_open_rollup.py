"""statistics: counters' open seconds rolled up per closed day and month

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 08:30:00

The new table is filled when a day is rolled up. Days already rolled up have no open seconds
yet, so their marks are deleted: the statistics read them from tickets and the audit trail again
until housekeeping has rolled them up anew (all three roll-ups, a few days per round).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('stats_open',
    sa.Column('id', _ID, nullable=False),
    sa.Column('site_id', _ID, nullable=False),
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('counter_id', sa.BigInteger(), nullable=True),
    sa.Column('officer_id', sa.BigInteger(), nullable=True),
    sa.Column('open_seconds', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_stats_open_period', 'stats_open', ['site_id', 'grain', 'period_start'])
    op.execute("DELETE FROM stats_periods")


def downgrade() -> None:
    op.drop_index('ix_stats_open_period', table_name='stats_open')
    op.drop_table('stats_open')
