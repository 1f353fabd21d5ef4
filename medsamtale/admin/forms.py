"""The HR admin's forms: a person, the organisation, and a CSV import."""

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, NumberRange, ValidationError

from ..extensions import db
from ..forms import at_most, strip
from ..models import Organisation, Unit, User
from ..models.people import (
    EMAIL_MAX,
    LOGO_MAX_BYTES,
    NAME_MAX,
    PERSONNEL_FILE_ACTIONS,
    PERSONNEL_FILE_MINUTES,
    contrast_with_white,
    logo_type,
)
from ..retention.services import MAX_MONTHS, MAX_YEARS
from ..units.services import load_tree
from .services import plan_import

LEADER_PROBLEMS = {
    "self": _l("A person cannot be their own leader."),
    "not_leader": _l("The chosen person does not have the leader role."),
    "inactive": _l("The chosen leader is deactivated."),
    "loop": _l("This would make a loop in the reporting lines."),
}


class UserForm(FlaskForm):
    """A person: name, email, roles, leader and language. `user` is the person changed
    (None for a new one), `editor` the HR admin who changes them."""

    name = StringField(_l("Name"), validators=[DataRequired(), at_most(NAME_MAX)],
                       filters=[strip])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), at_most(EMAIL_MAX)],
                       filters=[strip])
    leader_id = SelectField(_l("Leader"), coerce=int, default=0)
    unit_id = SelectField(_l("Unit"), coerce=int, default=0)
    is_employee = BooleanField(_l("Employee"), default=True)
    is_leader = BooleanField(_l("Leader"))
    is_hr_admin = BooleanField(_l("HR admin"))
    locale = SelectField(_l("Language"), default="nb")

    def __init__(self, *args, user: User | None, editor: User, languages: dict, **kwargs):
        super().__init__(*args, obj=user, **kwargs)
        self.user, self.editor = user, editor
        leaders = db.session.scalars(
            select(User).where(User.is_leader, User.active).order_by(User.name)
        ).all()
        self.leader_id.choices = [(0, _l("No leader"))] + [
            (u.id, f"{u.name} ({u.email})") for u in leaders if u is not user
        ]
        self.locale.choices = list(languages.items())
        self.unit_tree = load_tree()
        self.unit_id.choices = [(0, _l("No unit"))] + self.unit_tree.choices()
        if user is not None and not self.is_submitted():
            self.leader_id.data = user.leader_id or 0
            self.unit_id.data = user.unit_id or 0
        if self.unit_id.data is None:  # a post without the field keeps no unit
            self.unit_id.data = (user.unit_id if user is not None else None) or 0

    @property
    def leader(self) -> User | None:
        return db.session.get(User, self.leader_id.data) if self.leader_id.data else None

    @property
    def unit(self) -> Unit | None:
        return self.unit_tree.units.get(self.unit_id.data) if self.unit_id.data else None

    def validate_email(self, field):
        other = User.by_email(field.data)
        if other is not None and other is not self.user:
            raise ValidationError(_l("Another person already has this email address."))

    def validate_leader_id(self, _field):
        problem = (self.user or User()).leader_problem(self.leader)
        if problem:
            raise ValidationError(LEADER_PROBLEMS[problem])

    def validate_is_leader(self, field):
        if self.user and self.user.is_leader and not field.data and any(
            r.active for r in self.user.reports
        ):
            raise ValidationError(_l(
                "People still have this person as their leader. Give them another leader "
                "first."
            ))

    def validate_is_hr_admin(self, field):
        if self.user is not None and self.user.id == self.editor.id and not field.data:
            raise ValidationError(_l("You cannot remove your own HR admin role."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.is_employee.data or self.is_leader.data or self.is_hr_admin.data):
            self.is_employee.errors = [*self.is_employee.errors, _l("Choose at least one role.")]
            valid = False
        return valid


class Period(IntegerField):
    """A retention period: a whole number from 1 to `most`, or `message` (for a number not
    written as one too). A post without the field keeps the period there is."""

    def __init__(self, label, *, most: int, message, **kwargs):
        super().__init__(label, validators=[DataRequired(message),
                                            NumberRange(1, most, message)], **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.message) from None


MONTHS = _l("Write a whole number of months from 1 to %(most)d.", most=MAX_MONTHS)
YEARS = _l("Write a whole number of years from 1 to %(most)d.", most=MAX_YEARS)


class OrganisationForm(FlaskForm):
    """The organisation's name, its branding (a logo and an accent colour), the four eyes
    setting and how long data is kept (retention). After validating, `logo_bytes` holds the
    uploaded logo, or None."""

    name = StringField(
        _l("Name of the organisation"), validators=[DataRequired(), at_most(NAME_MAX)],
        filters=[strip],
    )
    logo_file = FileField(
        _l("Logo"),
        description=_l("A PNG or JPEG image of at most 200 KB, shown beside the name at the "
                       "top of every page. Choose none to keep the logo you have."),
    )
    remove_logo = BooleanField(_l("Remove the logo"))
    accent_colour = StringField(
        _l("Accent colour"), filters=[strip],
        description=_l("For the header, buttons and links, written as # and six hexadecimal "
                       "digits, such as #0b5394. It must be dark enough for white text on it. "
                       "Leave it empty for Medsamtale's own blue."),
    )
    personnel_file = RadioField(
        _l("What goes into the personnel file"),
        default=PERSONNEL_FILE_MINUTES,
        description=_l("The print view and the PDF of approved minutes, which are what the "
                       "personnel file keeps, follow this. Both parties still read the whole "
                       "minutes in Medsamtale. Private preparation notes are never part of "
                       "it."),
    )
    second_hr_approver = BooleanField(
        _l("A second HR admin approves changes that would make an HR admin someone's leader"),
        description=_l(
            "Off: such changes are refused. On: they wait until another HR admin than the "
            "one who asked approves them."
        ),
    )

    retain_preparation_months = Period(
        _l("Preparation notes and the draft of the minutes: months kept after the minutes "
           "are approved"), most=MAX_MONTHS, message=MONTHS, default=6)
    retain_agenda_months = Period(
        _l("The agenda's texts and notes: months kept after the minutes are approved"),
        most=MAX_MONTHS, message=MONTHS, default=12)
    retain_record_years = Period(
        _l("Approved minutes and actions with their follow-up: years kept after the "
           "employment ends"),
        most=MAX_YEARS, message=YEARS, default=5,
        description=_l("The employment ends when the person is deactivated, here or by the "
                       "directory."))
    retain_audit_years = Period(
        _l("The log of log-ins, changes and reads: years kept"),
        most=MAX_YEARS, message=YEARS, default=5,
        description=_l("The oldest events go first, except from the first one about a person "
                       "on legal hold. The database keeps every event at least a year."))

    logo_bytes = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.personnel_file.choices = [
            (PERSONNEL_FILE_MINUTES, _l("The whole approved minutes")),
            (PERSONNEL_FILE_ACTIONS, _l("Only the agreed actions, with the date and both "
                                        "confirmations"))]
        if self.personnel_file.data is None:  # an organisation not saved yet
            self.personnel_file.data = PERSONNEL_FILE_MINUTES
        for period in self.periods:  # an organisation not saved yet: the defaults
            if period.data is None and not period.raw_data:
                period.data = period.default

    @property
    def periods(self) -> list[Period]:
        """The retention periods (saved by admin/services.py under their names)."""
        return [self.retain_preparation_months, self.retain_agenda_months,
                self.retain_record_years, self.retain_audit_years]

    def validate_logo_file(self, field):
        data = field.data.read(LOGO_MAX_BYTES + 1) if field.data else b""
        if not data:
            return
        if len(data) > LOGO_MAX_BYTES:
            raise ValidationError(_l("The logo is larger than 200 KB. Choose a smaller image."))
        if logo_type(data) is None:
            raise ValidationError(_l("The logo must be a PNG or JPEG image."))
        self.logo_bytes = data

    def validate_accent_colour(self, field):
        colour = (field.data or "").lower()
        problem = Organisation.colour_problem(colour) if colour else None
        if problem == "format":
            raise ValidationError(_l("Write the colour as # and six hexadecimal digits, such "
                                     "as #0b5394."))
        if problem == "contrast":
            ratio = format_decimal(int(contrast_with_white(colour) * 10) / 10)
            raise ValidationError(_l(
                "White text on %(colour)s has a contrast of %(ratio)s:1, and at least 4.5:1 "
                "is needed to be easy to read. Choose a darker colour.",
                colour=colour, ratio=ratio))


LEGAL_HOLD_REASON_MAX = 2000


class LegalHoldForm(FlaskForm):
    """Put a person on legal hold: nothing of theirs is deleted by retention while it
    lasts. The reason is required."""

    reason = TextAreaField(
        _l("Why the legal hold"),
        validators=[DataRequired(_l("Write why the person is put on legal hold. Nothing "
                                    "was changed.")),
                    at_most(LEGAL_HOLD_REASON_MAX)],
        filters=[strip],
        description=_l("Such as a case number. Shown to HR admins only."),
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
    """The previewed file, posted back to be imported: valid when every line is (`plan`)."""

    csv_text = HiddenField(validators=[DataRequired()])

    def validate(self, extra_validators=None) -> bool:
        self.plan = plan_import(self.csv_text.data or "")
        if super().validate(extra_validators) and self.plan.ok and self.plan.to_do:
            return True
        self.form_errors.append(
            _l("Nothing was imported: the file has errors. Correct them and try again.")
            if not self.plan.ok else
            _l("Nothing was imported: everyone in the file is already as it says.")
        )
        return False
