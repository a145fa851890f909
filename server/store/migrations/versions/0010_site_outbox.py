"""region, the site's end: the outbox of changes for the centre, and the link's state

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-01 09:00:00

The outbox is filled by triggers that a site server creates when it is started with an
upstream (``server.region.capture``), not here: which tables and columns are captured is the
code's to say, and a store that never joins a region pays nothing for it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('sync_outbox',
    sa.Column('position', _ID, nullable=False),
    sa.Column('tbl', sa.String(length=40), nullable=False),
    sa.Column('pk', sa.String(length=80), nullable=False),
    sa.Column('op', sa.String(length=1), nullable=False),
    sa.Column('image', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('position'),
    sqlite_autoincrement=True,
    )
    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('captured', sa.JSON(), nullable=False),
    sa.Column('acked', sa.BigInteger(), nullable=False),
    sa.Column('acked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hall_version', sa.Integer(), nullable=False),
    sa.Column('hall_text', sa.Text(), nullable=True),
    sa.Column('hall_applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hall_problem', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('sync_state')
    op.drop_table('sync_outbox')
