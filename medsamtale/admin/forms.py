from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from ..models.people import EMAIL_MAX, NAME_MAX


def strip(value):
    """Drop spaces around typed or pasted text, so " kari@example.no " is a valid address."""
    return value.strip() if isinstance(value, str) else value


class UserForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)], filters=[strip]
    )
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(), Length(max=EMAIL_MAX)], filters=[strip]
    )
    leader_id = SelectField(_l("Leader"), coerce=int, default=0)
    is_employee = BooleanField(_l("Employee"), default=True)
    is_leader = BooleanField(_l("Leader"))
    is_hr_admin = BooleanField(_l("HR admin"))
    locale = SelectField(_l("Language"), default="nb")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.is_employee.data or self.is_leader.data or self.is_hr_admin.data):
            self.is_employee.errors = [*self.is_employee.errors, _l("Choose at least one role.")]
            valid = False
        return valid


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Name of the organisation"), validators=[DataRequired(), Length(max=NAME_MAX)]
    )


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(), FileAllowed(["csv", "txt"], _l("Choose a .csv file."))],
        description=_l(
            "Columns: name, email, leader's email, role (employee, leader or hr_admin). "
            "Comma or semicolon, UTF-8."
        ),
    )


class ImportConfirmForm(FlaskForm):
    csv_text = HiddenField(validators=[DataRequired()])
