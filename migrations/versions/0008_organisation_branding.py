"""The organisation's branding: a logo (PNG or JPEG) and an accent colour

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('accent_colour', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('branding_tag', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('branding_tag')
        batch_op.drop_column('accent_colour')
        batch_op.drop_column('logo_type')
        batch_op.drop_column('logo')
