"""The HR admin's form to give a leader a deputy for a period."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired, ValidationError

from ..extensions import db
from ..models import User
from .services import (
    DEPUTY_PROBLEMS,
    LEADER_PROBLEMS,
    PERIOD_PROBLEMS,
    deputy_problem,
    leader_problem,
    message,
    overlap_message,
    overlapping,
    period_problem,
)


class DeputyForm(FlaskForm):
    """Leader, deputy, from and to. The lists offer active leaders (deputies: not HR
    admins); whatever is posted is checked by the rules, each beside its field."""

    leader_id = SelectField(_l("Leader who is away"), coerce=int, default=0,
                            validate_choice=False)
    deputy_id = SelectField(
        _l("Deputy"), coerce=int, default=0, validate_choice=False,
        description=_l("Another leader, who plans and holds conversations with the leader's "
                       "people in the period. They never see the leader's earlier "
                       "conversations or minutes."))
    starts_on = DateField(_l("From"), validators=[InputRequired(_l("Choose the first day."))])
    ends_on = DateField(_l("To"), validators=[InputRequired(_l("Choose the last day."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        leaders = db.session.scalars(
            select(User).where(User.is_leader, User.active).order_by(User.name, User.id)).all()
        self.leader_id.choices = [(0, _l("Choose a leader"))] + [
            (u.id, f"{u.name} ({u.email})") for u in leaders]
        self.deputy_id.choices = [(0, _l("Choose a deputy"))] + [
            (u.id, f"{u.name} ({u.email})") for u in leaders if not u.is_hr_admin]

    def _user(self, field) -> User | None:
        return db.session.get(User, field.data) if field.data else None

    @property
    def leader(self) -> User | None:
        return self._user(self.leader_id)

    @property
    def deputy(self) -> User | None:
        return self._user(self.deputy_id)

    def validate_leader_id(self, field):
        problem = leader_problem(self.leader)
        if problem:
            raise ValidationError(LEADER_PROBLEMS[problem])

    def validate_deputy_id(self, field):
        found = deputy_problem(self.leader, self.deputy)
        if found:
            raise ValidationError(message(DEPUTY_PROBLEMS, *found))

    def validate_ends_on(self, field):
        if not (field.data and self.starts_on.data):
            return
        problem = period_problem(self.starts_on.data, field.data)
        if problem:
            raise ValidationError(PERIOD_PROBLEMS[problem])
        leader = self.leader
        clash = overlapping(leader.id, self.starts_on.data, field.data) if leader else None
        if clash:
            raise ValidationError(overlap_message(clash))

    def details(self) -> dict:
        return {"leader": self.leader, "deputy": self.deputy, "starts_on": self.starts_on.data,
                "ends_on": self.ends_on.data}
