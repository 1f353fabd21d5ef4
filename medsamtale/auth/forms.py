from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..forms import at_most
from ..models import User
from ..models.people import EMAIL_MAX
from ..passwords import MAX_LENGTH, MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), at_most(EMAIL_MAX)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), at_most(MAX_LENGTH)])

    def validate(self, extra_validators=None) -> bool:
        """Valid when the email and password belong to an active account: `self.user`."""
        self.user = None
        if not super().validate(extra_validators):
            return False
        user = User.by_email(self.email.data)
        if user and user.active and user.check_password(self.password.data):
            self.user = user
            return True
        self.form_errors.append(_l("Wrong email or password."))
        return False


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), at_most(EMAIL_MAX)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        description=_l("At least %(count)d characters.", count=MIN_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
