"""visits: one number, several stops at several agencies

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02 06:00:00

A ticket may carry a plan of stops (`visits`, one row per such ticket); `tickets.in_visit` says
which do, so that a single-service ticket's commands never read the plan. Tickets stored before
it are single-service tickets, as they were.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('in_visit', sa.Boolean(), nullable=False,
                                   server_default='0'))
    op.create_table(
        'visits',
        sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  sa.ForeignKey('tickets.id'), primary_key=True),
        sa.Column('site_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  sa.ForeignKey('sites.id'), nullable=False),
        sa.Column('service_day', sa.Date(), nullable=False),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('held_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('plan', sa.JSON(), nullable=False),
        sa.Column('combination', sa.String(400), nullable=False),
        sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('visit_seconds', sa.Integer(), nullable=True),
    )
    op.create_index('ix_visits_site_day', 'visits', ['site_id', 'service_day'])
    op.create_index('ix_visits_held', 'visits', ['held_until'],
                    sqlite_where=sa.text("status = 'held'"),
                    postgresql_where=sa.text("status = 'held'"))


def downgrade() -> None:
    op.drop_index('ix_visits_held', 'visits')
    op.drop_index('ix_visits_site_day', 'visits')
    op.drop_table('visits')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('in_visit')
