from flask import g
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, ValidationError

from ..forms import at_most
from ..models.people import EMAIL_MAX
from ..passwords import MAX_LENGTH, MIN_LENGTH, password_problem, personal_words
from . import services

WRONG_CURRENT = "wrong_current_password"  # g flag: the change-password limit counts it


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), at_most(EMAIL_MAX)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), at_most(MAX_LENGTH)])

    def validate(self, extra_validators=None) -> bool:
        """Valid when the email and password belong to an active account: `self.user`."""
        self.user = None
        if not super().validate(extra_validators):
            return False
        self.user = services.check_login(self.email.data, self.password.data)
        if self.user is not None:
            return True
        self.form_errors.append(_l("Wrong email or password."))
        return False


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), at_most(EMAIL_MAX)])


class SetPasswordForm(FlaskForm):
    """A new password for `user` (whose name and email it must not be built on), twice."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        description=_l("At least %(count)d characters.", count=MIN_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_password(self, field) -> None:
        problem = password_problem(field.data, personal_words(self.user.name, self.user.email))
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(SetPasswordForm):
    """The person's current password, and a new one twice."""

    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), at_most(MAX_LENGTH)]
    )

    def validate_current(self, field) -> None:
        if not self.user.check_password(field.data):
            g.setdefault(WRONG_CURRENT, True)
            raise ValidationError(_l("That is not your current password."))

    def validate_password(self, field) -> None:
        super().validate_password(field)
        if field.data == self.current.data:
            raise ValidationError(_l("Choose a password other than the current one."))
