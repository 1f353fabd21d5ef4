"""The HR admin's form for a new SCIM token."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..models.provisioning import TOKEN_NAME_MAX


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the token a name.")), Length(
            max=TOKEN_NAME_MAX,
            message=_l("The name is too long (at most %(max)d characters)."))],
        description=_l("Who uses it, such as «Entra ID»."),
    )
