"""online: bookings, remote tickets, quota and slot counts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:00:00

A hall's and a service's `online` tables from the hall's file; the bookings citizens make from
a phone (personal data kept minimal and erased on schedule); the places taken per slot and per
part of the daily quota, counted by one upsert each; a ticket's slot (a checked-in booking
waits in a line of its own) and a remote ticket's passed turn. The line index covers the slot
too, so a walk-in line's head and counts are still read from the index alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_WAITING = sa.text("status = 'waiting'")
_BOOKED_WAITING = sa.text("status = 'waiting' AND slot_at IS NOT NULL")
_REMOTE = sa.text("status = 'remote'")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    for table in ('sites', 'services'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('online', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('counters') as batch:
        batch.add_column(sa.Column('consecutive_booked', sa.Integer(), nullable=False,
                                   server_default='0'))
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('slot_at', _WHEN, nullable=True))
        batch.add_column(sa.Column('turn_passed_at', _WHEN, nullable=True))
    op.drop_index('ix_tickets_line_head', table_name='tickets')
    op.create_index('ix_tickets_line_head', 'tickets',
                    ['service_id', 'service_day', 'priority', 'queued_at', 'id', 'status',
                     'slot_at'], sqlite_where=_WAITING, postgresql_where=_WAITING)
    op.create_index('ix_tickets_booked_line', 'tickets',
                    ['service_id', 'service_day', 'priority', 'slot_at', 'id'],
                    sqlite_where=_BOOKED_WAITING, postgresql_where=_BOOKED_WAITING)
    op.create_index('ix_tickets_remote', 'tickets', ['site_id', 'service_day'],
                    sqlite_where=_REMOTE, postgresql_where=_REMOTE)
    op.create_table(
        'online_counts',
        sa.Column('service_id', _ID, sa.ForeignKey('services.id'), nullable=False),
        sa.Column('service_day', sa.Date(), nullable=False),
        sa.Column('slot', sa.String(length=8), nullable=False),
        sa.Column('taken', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('service_id', 'service_day', 'slot'),
    )
    op.create_table(
        'bookings',
        sa.Column('id', _ID, nullable=False),
        sa.Column('site_id', _ID, sa.ForeignKey('sites.id'), nullable=False),
        sa.Column('service_id', _ID, sa.ForeignKey('services.id'), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False, unique=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('service_day', sa.Date(), nullable=False),
        sa.Column('slot_at', _WHEN, nullable=True),
        sa.Column('slot', sa.String(length=8), nullable=True),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('nik_hash', sa.String(length=64), nullable=True),
        sa.Column('ticket_id', _ID, sa.ForeignKey('tickets.id'), nullable=True),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.Column('ended_at', _WHEN, nullable=True),
        sa.Column('checked_in_at', _WHEN, nullable=True),
        sa.Column('erased_at', _WHEN, nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_bookings_phone', 'bookings', ['service_id', 'service_day', 'phone'])
    op.create_index('ix_bookings_nik', 'bookings', ['service_id', 'service_day', 'nik_hash'])
    op.create_index('ix_bookings_open', 'bookings', ['status', 'slot_at'])
    op.create_index('ix_bookings_created', 'bookings', ['created_at'])


def downgrade() -> None:
    op.drop_table('bookings')
    op.drop_table('online_counts')
    op.drop_index('ix_tickets_remote', table_name='tickets')
    op.drop_index('ix_tickets_booked_line', table_name='tickets')
    op.drop_index('ix_tickets_line_head', table_name='tickets')
    op.create_index('ix_tickets_line_head', 'tickets',
                    ['service_id', 'service_day', 'priority', 'queued_at', 'id', 'status'],
                    sqlite_where=_WAITING, postgresql_where=_WAITING)
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('turn_passed_at')
        batch.drop_column('slot_at')
    with op.batch_alter_table('counters') as batch:
        batch.drop_column('consecutive_booked')
    for table in ('sites', 'services'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('online')
