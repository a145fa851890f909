"""agencies and services keep the hall file's order; services get an English fee note

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02 09:00:00

Kiosks, the catalogue and the dashboard listed agencies by code (the civil registry seventh in
a regency hall); they now follow the order of the blocks in the hall's file, which the server
writes here at every start. Rows already stored keep position 0 until the file is applied again
(each start applies it), and sort by code among themselves meanwhile.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('agencies') as table:
        table.add_column(sa.Column('position', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('services') as table:
        table.add_column(sa.Column('position', sa.Integer(), nullable=False, server_default='0'))
        table.add_column(sa.Column('fee_note_en', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('services') as table:
        table.drop_column('fee_note_en')
        table.drop_column('position')
    with op.batch_alter_table('agencies') as table:
        table.drop_column('position')
