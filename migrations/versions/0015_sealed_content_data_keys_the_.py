"""Sealed content: data keys, the conversation's key, content columns as text

The content columns hold sealed values from now on (medsamtale/sealing), which are longer
than the texts: the ones with a length become TEXT. Content written before this revision
stays readable and is sealed by `flask keys rotate` (README: Encryption at rest).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:40:52.650398

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_key',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('master_id', sa.String(length=16), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_key'))
    )
    with op.batch_alter_table('data_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_key_master_id'), ['master_id'], unique=False)

    with op.batch_alter_table('action', schema=None) as batch_op:
        for name, length in (('what', 500), ('responsible_name', 200), ('goal', 300)):
            batch_op.alter_column(name, existing_type=sa.VARCHAR(length=length),
                                  type_=sa.Text(), existing_nullable=False)

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_key_id', sa.String(length=24), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_conversation_data_key_id_data_key'), 'data_key', ['data_key_id'], ['id'])

    with op.batch_alter_table('minutes_version', schema=None) as batch_op:
        batch_op.alter_column('content', existing_type=sa.JSON(), type_=sa.Text(),
                              existing_nullable=False, postgresql_using='content::text')

    with op.batch_alter_table('totp_secret', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.VARCHAR(length=64), type_=sa.Text(),
                              existing_nullable=False)


def downgrade():
    # Only for a database whose content is not yet sealed: sealed values do not fit back.
    with op.batch_alter_table('totp_secret', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.Text(), type_=sa.VARCHAR(length=64),
                              existing_nullable=False)

    with op.batch_alter_table('minutes_version', schema=None) as batch_op:
        batch_op.alter_column('content', existing_type=sa.Text(), type_=sa.JSON(),
                              existing_nullable=False, postgresql_using='content::json')

    with op.batch_alter_table('conversation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_conversation_data_key_id_data_key'), type_='foreignkey')
        batch_op.drop_column('data_key_id')

    with op.batch_alter_table('action', schema=None) as batch_op:
        for name, length in (('goal', 300), ('responsible_name', 200), ('what', 500)):
            batch_op.alter_column(name, existing_type=sa.Text(),
                                  type_=sa.VARCHAR(length=length), existing_nullable=False)

    with op.batch_alter_table('data_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_key_master_id'))

    op.drop_table('data_key')
