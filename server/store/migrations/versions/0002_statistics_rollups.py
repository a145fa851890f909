"""statistics: durations on tickets, daily and monthly roll-ups, an audit index by action

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 07:40:00

Tickets get wait/walk/service seconds (backfilled from their times). The roll-up tables are
filled by housekeeping for closed days; until then statistics read those days from tickets.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the measures at this revision (server.store.models.MEASURES).
_KINDS = ("wait", "walk", "service")
_ELEMENTS = ("requirements", "procedure", "time", "cost", "product", "competence", "behaviour",
             "complaints", "facilities")
MEASURES = (
    "issued", "served", "no_shows", "cancelled", "expired", "transferred", "priority", "called",
    "called_within_sla", "out_of_order", "ratings", "rating_sum",
    *(f"{kind}_{part}" for kind in _KINDS for part in ("n", "sum", "max")),
    "respondents", *(f"ikm_{e}" for e in _ELEMENTS),
    *(f"{kind}_h{i:02d}" for kind in _KINDS for i in range(30)),
)
_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_DURATIONS = (("wait_seconds", "issued_at", "first_called_at"),
              ("walk_seconds", "first_called_at", "started_at"),
              ("service_seconds", "started_at", "finished_at"))


def _measure_columns() -> list[sa.Column]:
    return [sa.Column(name, sa.BigInteger(), nullable=False) for name in MEASURES]


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for column, _, _ in _DURATIONS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for column, start, end in _DURATIONS:
        if sqlite:
            seconds = f"CAST(round((julianday({end}) - julianday({start})) * 86400.0) AS INTEGER)"
        else:
            seconds = f"CAST(round(extract(epoch FROM {end} - {start})) AS INTEGER)"
        op.execute(f"UPDATE tickets SET {column} = {seconds} "
                   f"WHERE {start} IS NOT NULL AND {end} IS NOT NULL")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_site_action_at', ['site_id', 'action', 'at'],
                              unique=False)

    op.create_table('stats_periods',
    sa.Column('site_id', _ID, nullable=False),
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('site_id', 'grain', 'period_start')
    )
    op.create_table('stats_daily',
    sa.Column('id', _ID, nullable=False),
    sa.Column('site_id', _ID, nullable=False),
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('service_id', sa.BigInteger(), nullable=False),
    sa.Column('counter_id', sa.BigInteger(), nullable=True),
    sa.Column('officer_id', sa.BigInteger(), nullable=True),
    *_measure_columns(),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_stats_daily_period', 'stats_daily', ['site_id', 'grain', 'period_start'])
    op.create_table('stats_hourly',
    sa.Column('id', _ID, nullable=False),
    sa.Column('site_id', _ID, nullable=False),
    sa.Column('grain', sa.String(length=1), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('service_id', sa.BigInteger(), nullable=False),
    sa.Column('hour', sa.Integer(), nullable=False),
    *_measure_columns(),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_stats_hourly_period', 'stats_hourly', ['site_id', 'grain', 'period_start'])


def downgrade() -> None:
    op.drop_index('ix_stats_hourly_period', table_name='stats_hourly')
    op.drop_table('stats_hourly')
    op.drop_index('ix_stats_daily_period', table_name='stats_daily')
    op.drop_table('stats_daily')
    op.drop_table('stats_periods')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_site_action_at')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for column, _, _ in reversed(_DURATIONS):
            batch_op.drop_column(column)
