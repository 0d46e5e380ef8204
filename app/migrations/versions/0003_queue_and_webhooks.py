"""fair queue, cancelled uploads, worker slots, webhooks

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Issue 13: a submission may wait unsent (held) behind its student's share of the queue, be
cancelled by a later upload, and carry a CI callback URL; workers note their grading slots
for the queue's estimates; webhook settings, deliveries and their attempts are recorded.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('callback_url', sa.String(length=2000), nullable=True))
        batch_op.create_foreign_key('fk_submissions_superseded_by_id', 'submissions',
                                    ['superseded_by_id'], ['id'])
    op.create_table('grading_workers',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('queue', sa.String(length=200), nullable=False),
    sa.Column('slots', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('course_webhooks',
    sa.Column('assignment', sa.String(length=64), nullable=False),
    sa.Column('urls', sa.JSON(), nullable=False),
    sa.Column('allowed_hosts', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('assignment')
    )
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.String(length=36), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('assignment', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('delivery_id')
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_assignment'), ['assignment'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_submission_id'),
                              ['submission_id'], unique=False)
    op.create_table('webhook_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_attempts_delivery_id'), ['delivery_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempts_delivery_id'))
    op.drop_table('webhook_attempts')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_submission_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_assignment'))
    op.drop_table('webhook_deliveries')
    op.drop_table('course_webhooks')
    op.drop_table('grading_workers')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_submissions_superseded_by_id', type_='foreignkey')
        batch_op.drop_column('callback_url')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('held')
