"""idempotency keys: an index by age, so housekeeping deletes those past the retry window

Revision ID: 0008
Revises: 0010b
Create Date: 2026-12-02 03:00:00

Every command sent with an Idempotency-Key leaves its key and its answer (about a kilobyte), and
none was ever deleted: a busy hall's largest table after a year. Housekeeping now deletes keys
older than the retry window (48 hours by default) a batch at a time, found through this index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0010b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_idempotency_keys_created_at', 'idempotency_keys', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_idempotency_keys_created_at', table_name='idempotency_keys')
