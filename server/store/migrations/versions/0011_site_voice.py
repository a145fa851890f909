"""sites: how calls are worded and whose voice says them

Revision ID: 0011
Revises: 0004
Create Date: 2026-12-02 09:00:00

The hall's `[site.voice]` table (numbers read as digits or words, a voice pack folder, the
agencies named after the counter), applied from the hall's file like the rest of the site. Sites
stored before it read their numbers digit by digit in espeak-ng's voice, as they did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('voice', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('voice')
