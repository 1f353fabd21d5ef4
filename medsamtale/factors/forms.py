from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from ..forms import at_most
from .services import CODE_MAX


class CodeForm(FlaskForm):
    """A code from the authenticator app (six digits) or, at log-in, a recovery code."""

    code = StringField(_l("Code"), validators=[DataRequired(), at_most(CODE_MAX)],
                       description=_l("The six digits your authenticator app shows, or one of "
                                      "your recovery codes."))


class SetupCodeForm(FlaskForm):
    code = StringField(_l("Code from the app"), validators=[DataRequired(), at_most(CODE_MAX)],
                       description=_l("The six digits the app shows now."))
