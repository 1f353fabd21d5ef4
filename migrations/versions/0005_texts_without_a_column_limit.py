"""Agenda item texts and minutes headings as Text: their limits are checked by the forms,
and a follow-up item repeats an agreed action, which may be longer than 300 characters.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:55:35.123531

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.VARCHAR(length=300), type_=sa.Text(),
                              existing_nullable=False)
    with op.batch_alter_table('minutes_point', schema=None) as batch_op:
        batch_op.alter_column('heading', existing_type=sa.VARCHAR(length=300),
                              type_=sa.Text(), existing_nullable=False)


def downgrade():
    with op.batch_alter_table('minutes_point', schema=None) as batch_op:
        batch_op.alter_column('heading', existing_type=sa.Text(),
                              type_=sa.VARCHAR(length=300), existing_nullable=False)
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sa.Text(), type_=sa.VARCHAR(length=300),
                              existing_nullable=False)
