"""Each version of an agenda text during the meeting, so that a save typed on an older one
can be merged from it; presence is no longer written to the database (each process's hub
knows it from the event streams and polls).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'agenda_text',
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('sent', sa.Text(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_agenda_text_author_id_users')),
        sa.ForeignKeyConstraint(['item_id'], ['agenda_item.id'],
                                name=op.f('fk_agenda_text_item_id_agenda_item')),
        sa.PrimaryKeyConstraint('item_id', 'field', 'version', name=op.f('pk_agenda_text')),
    )
    op.drop_table('agenda_presence')


def downgrade():
    op.create_table(
        'agenda_presence',
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'],
                                name=op.f('fk_agenda_presence_conversation_id_conversation')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_agenda_presence_user_id_users')),
        sa.PrimaryKeyConstraint('conversation_id', 'user_id', name=op.f('pk_agenda_presence')),
    )
    op.drop_table('agenda_text')
