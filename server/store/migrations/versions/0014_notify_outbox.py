"""notifications: the hall's [site.notify], subscriptions, the outbox and its sender's lease

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-02 12:00:00

A message is written to ``notify_outbox`` in the transaction of the change that causes it,
unique by its cause; a sender holding the lease in ``notify_sender`` delivers it afterwards.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('notify', sa.JSON(), nullable=False, server_default='{}'))
    op.create_table('notify_subscriptions',
    sa.Column('id', _ID, nullable=False),
    sa.Column('site_id', _ID, nullable=False),
    sa.Column('ticket_id', _ID, nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('phone_masked', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('stop_token', sa.String(length=32), nullable=False),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('opted_out_at', _AT, nullable=True),
    sa.Column('ahead_service_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id']),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ticket_id'),
    sa.UniqueConstraint('stop_token'))
    op.create_index('ix_notify_subscriptions_phone_hash', 'notify_subscriptions', ['phone_hash'])
    op.create_table('notify_outbox',
    sa.Column('id', _ID, nullable=False),
    sa.Column('site_id', _ID, nullable=False),
    sa.Column('subscription_id', sa.BigInteger(), nullable=True),
    sa.Column('ticket_id', sa.BigInteger(), nullable=True),
    sa.Column('cause', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=20), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('recipient_masked', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', _AT, nullable=False),
    sa.Column('lease_owner', sa.String(length=60), nullable=True),
    sa.Column('lease_until', _AT, nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('sent_at', _AT, nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('cause'))
    op.create_index('ix_notify_outbox_due', 'notify_outbox', ['status', 'next_attempt_at'])
    op.create_index('ix_notify_outbox_site_created', 'notify_outbox', ['site_id', 'created_at'])
    op.create_index('ix_notify_outbox_phone', 'notify_outbox', ['phone_hash', 'created_at'])
    op.create_table('notify_sender',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('owner', sa.String(length=60), nullable=False),
    sa.Column('until', _AT, nullable=False),
    sa.Column('channel_state', sa.String(length=20), nullable=False),
    sa.Column('channel_detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name'))


def downgrade() -> None:
    op.drop_table('notify_sender')
    op.drop_index('ix_notify_outbox_phone', table_name='notify_outbox')
    op.drop_index('ix_notify_outbox_site_created', table_name='notify_outbox')
    op.drop_index('ix_notify_outbox_due', table_name='notify_outbox')
    op.drop_table('notify_outbox')
    op.drop_index('ix_notify_subscriptions_phone_hash', table_name='notify_subscriptions')
    op.drop_table('notify_subscriptions')
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('notify')
