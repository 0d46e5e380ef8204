"""webhook deliveries note when the broker took their message

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

A delivery whose message never reached Redis (down when the grade was committed) is sent
again by the sweep, as a grade's is (enqueued_at, migration 0002).
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_column('sent_at')
