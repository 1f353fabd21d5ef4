"""Units, rounds, deputies, shared minutes and the next meeting

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('leader_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_unit_leader_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['unit.id'], name=op.f('fk_unit_parent_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('parent_id', 'name', name=op.f('uq_unit_parent_id'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_leader_id'), ['leader_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_parent_id'), ['parent_id'], unique=False)

    op.create_table('deputy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_deputy_created_by_id_users')),
    sa.ForeignKeyConstraint(['deputy_id'], ['users.id'], name=op.f('fk_deputy_deputy_id_users')),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_deputy_leader_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deputy'))
    )
    with op.batch_alter_table('deputy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deputy_deputy_id'), ['deputy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deputy_leader_id'), ['leader_id'], unique=False)

    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('question_set_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_round_closed_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_round_created_by_id_users')),
    sa.ForeignKeyConstraint(['question_set_id'], ['question_set.id'], name=op.f('fk_round_question_set_id_question_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round'))
    )
    op.create_table('round_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_round_member_round_id_round')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_round_member_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_member')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_round_member_round_id'))
    )
    with op.batch_alter_table('round_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_member_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_member_user_id'), ['user_id'], unique=False)

    op.create_table('round_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.Column('point', sa.String(length=20), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_round_reminder_leader_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_round_reminder_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_reminder')),
    sa.UniqueConstraint('round_id', 'leader_id', 'point', name=op.f('uq_round_reminder_round_id'))
    )
    with op.batch_alter_table('round_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_reminder_round_id'), ['round_id'], unique=False)

    op.create_table('round_unit',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_round_unit_round_id_round')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_round_unit_unit_id_unit')),
    sa.PrimaryKeyConstraint('round_id', 'unit_id', name=op.f('pk_round_unit'))
    )
    op.create_table('minutes_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_minutes_share_conversation_id_conversation')),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_minutes_share_leader_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_share')),
    sa.UniqueConstraint('conversation_id', 'leader_id', name=op.f('uq_minutes_share_conversation_id'))
    )
    with op.batch_alter_table('minutes_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_share_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_minutes_share_leader_id'), ['leader_id'], unique=False)

    # An action is followed up by its conversation's leader until a change of leader.
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leader_id', sa.Integer(), nullable=True))
    op.execute("UPDATE action SET leader_id = (SELECT conversation.leader_id FROM conversation "
               "WHERE conversation.id = action.conversation_id)")
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.alter_column('leader_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_action_leader_id'), ['leader_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_action_leader_id_users'), 'users', ['leader_id'], ['id'])

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('on_behalf_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_conversation_round_id'), ['round_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_conversation_round_id_round'), 'round', ['round_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_conversation_on_behalf_of_id_users'), 'users', ['on_behalf_of_id'], ['id'])

    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_meeting_kind', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('next_meeting_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('next_meeting_reminded_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=40), server_default='', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_unit_id'), ['unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_unit_id_unit'), 'unit', ['unit_id'], ['id'])



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_unit_id_unit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_unit_id'))
        batch_op.drop_column('unit_id')

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('kind')

    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.drop_column('next_meeting_reminded_at')
        batch_op.drop_column('next_meeting_on')
        batch_op.drop_column('next_meeting_kind')

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_conversation_on_behalf_of_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_conversation_round_id_round'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_conversation_round_id'))
        batch_op.drop_column('on_behalf_of_id')
        batch_op.drop_column('round_id')

    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_action_leader_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_action_leader_id'))
        batch_op.drop_column('leader_id')

    with op.batch_alter_table('minutes_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_share_leader_id'))
        batch_op.drop_index(batch_op.f('ix_minutes_share_conversation_id'))

    op.drop_table('minutes_share')
    op.drop_table('round_unit')
    with op.batch_alter_table('round_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_reminder_round_id'))

    op.drop_table('round_reminder')
    with op.batch_alter_table('round_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_round_member_round_id'))

    op.drop_table('round_member')
    op.drop_table('round')
    with op.batch_alter_table('deputy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deputy_leader_id'))
        batch_op.drop_index(batch_op.f('ix_deputy_deputy_id'))

    op.drop_table('deputy')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_parent_id'))
        batch_op.drop_index(batch_op.f('ix_unit_leader_id'))

    op.drop_table('unit')
