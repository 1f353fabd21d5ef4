"""The audit log's retention: PostgreSQL lets an event be deleted once it is a year old

Until now the trigger refused every UPDATE, DELETE and TRUNCATE of audit_event. Retention
(medsamtale/retention, kind "audit") now cuts the log's oldest events after
`retain_audit_years` (at least one): UPDATE and TRUNCATE stay refused for every statement,
and a DELETE is refused for each event younger than a year, whoever asks, the app's own
role included.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 17:10:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

KEPT_A_YEAR = """
CREATE FUNCTION audit_event_kept_a_year() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.at >= (now() AT TIME ZONE 'UTC') - interval '1 year' THEN
        RAISE EXCEPTION 'the audit log keeps each event at least a year: event % is younger',
            OLD.id;
    END IF;
    RETURN OLD;
END
$$
"""


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP TRIGGER audit_event_append_only ON audit_event')
    op.execute('CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR TRUNCATE '
               'ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()')
    op.execute(KEPT_A_YEAR)
    op.execute('CREATE TRIGGER audit_event_kept_a_year BEFORE DELETE ON audit_event '
               'FOR EACH ROW EXECUTE FUNCTION audit_event_kept_a_year()')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP TRIGGER audit_event_kept_a_year ON audit_event')
    op.execute('DROP FUNCTION audit_event_kept_a_year()')
    op.execute('DROP TRIGGER audit_event_append_only ON audit_event')
    op.execute('CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE '
               'ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()')
