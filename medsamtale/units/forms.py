"""The HR admin's form for a unit: its name, kind, parent and leader."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from ..extensions import db
from ..forms import at_most, strip
from ..models import Unit, User
from ..models.units import UNIT_KIND_MAX, UNIT_NAME_MAX
from .services import (
    LEADER_PROBLEMS,
    NAME_PROBLEMS,
    PARENT_PROBLEMS,
    UnitTree,
    unit_leader_problem,
)


class UnitForm(FlaskForm):
    """A unit. `unit` is the one changed (its id None for a new one); `tree` the units as
    they are, to choose the parent from and to check the name and parent against."""

    name = StringField(_l("Name"), validators=[at_most(UNIT_NAME_MAX)], filters=[strip])
    kind = StringField(
        _l("Kind"), validators=[at_most(UNIT_KIND_MAX)], filters=[strip],
        description=_l("Such as avdeling, seksjon or team. May be left empty."))
    parent_id = SelectField(_l("Part of"), coerce=int, default=0)
    leader_id = SelectField(_l("Leader"), coerce=int, default=0)

    def __init__(self, *args, unit: Unit, tree: UnitTree, **kwargs):
        super().__init__(*args, obj=unit if unit.id is not None else None, **kwargs)
        self.unit, self.tree = unit, tree
        self.parent_id.choices = [(0, _l("None: a unit at the top"))] + tree.choices()
        leaders = db.session.scalars(
            select(User).where(User.is_leader, User.active, User.is_hr_admin.is_(False))
            .order_by(User.name, User.id)).all()
        # The unit's leader stays in the list when they can no longer lead it, so that the
        # form says so rather than dropping them silently.
        if unit.leader is not None and unit.leader not in leaders:
            leaders.append(unit.leader)
        self.leader_id.choices = [(0, _l("No leader"))] + [
            (u.id, f"{u.name} ({u.email})") for u in leaders]
        if unit.id is not None and not self.is_submitted():
            self.parent_id.data = unit.parent_id or 0
            self.leader_id.data = unit.leader_id or 0

    def validate_name(self, field):
        problem = self.tree.name_problem(field.data or "", self.parent_id.data or None,
                                         self.unit.id)
        if problem:
            raise ValidationError(NAME_PROBLEMS[problem])

    def validate_parent_id(self, field):
        problem = self.tree.parent_problem(self.unit.id, field.data or None)
        if problem:
            raise ValidationError(PARENT_PROBLEMS[problem])

    def validate_leader_id(self, field):
        problem = unit_leader_problem(db.session.get(User, field.data) if field.data else None)
        if problem:
            raise ValidationError(LEADER_PROBLEMS[problem])
