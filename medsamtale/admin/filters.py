"""The people list's search and filters, read from the query string."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from ..forms import at_most, strip
from ..roles import ROLE_LABELS
from .listing import NO_LEADER, ROLES, Filters


class PeopleFilterForm(FlaskForm):
    """The people list's search and filters, from the query string (?q=&role=&leader=&active=).
    A value that is not offered is named next to its field and not used."""

    class Meta:
        csrf = False

    q = StringField(_l("Search by name or email"), validators=[at_most(200)], filters=[strip])
    role = SelectField(_l("Role"), default="", validate_choice=False)
    leader = SelectField(_l("Leader"), default="", validate_choice=False)
    active = SelectField(_l("Status"), default="", validate_choice=False)

    def __init__(self, formdata, leaders: list[tuple[int, str]]):
        super().__init__(formdata=formdata)
        self.role.choices = [("", _l("All roles"))] + [(r, ROLE_LABELS[r]) for r in ROLES]
        self.leader.choices = [("", _l("Any leader")), (NO_LEADER, _l("No leader"))] + [
            (str(leader_id), name) for leader_id, name in leaders
        ]
        self.active.choices = [("", _l("Active and deactivated")), ("yes", _l("Active")),
                               ("no", _l("Deactivated"))]
        self.validate()

    def _offered(self, field) -> bool:
        return field.data in {value for value, _label in field.choices}

    def validate_role(self, field):
        if not self._offered(field):
            raise ValidationError(_l("There is no role “%(value)s”. Showing all roles.",
                                     value=field.data))

    def validate_leader(self, field):
        if not self._offered(field):
            raise ValidationError(_l("There is no leader “%(value)s”. Showing everyone.",
                                     value=field.data))

    def validate_active(self, field):
        if not self._offered(field):
            raise ValidationError(_l("There is no status “%(value)s”. Showing everyone.",
                                     value=field.data))

    def filters(self) -> Filters:
        """What to narrow the list to: the fields without errors."""
        def good(field):
            return "" if field.errors else (field.data or "")

        active = good(self.active)
        return Filters(q="" if self.q.errors else (self.q.data or ""), role=good(self.role),
                       leader=good(self.leader), active={"yes": True, "no": False}.get(active))

    def query_args(self) -> dict:
        """The filters in use, for the pager's links."""
        filters = self.filters()
        return {name: value for name, value in (
            ("q", filters.q), ("role", filters.role), ("leader", filters.leader),
            ("active", {True: "yes", False: "no"}.get(filters.active)),
        ) if value}
