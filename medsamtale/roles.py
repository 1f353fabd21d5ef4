"""Role names as people see them, and the guard for HR admin pages."""

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

ROLE_LABELS = {
    "hr_admin": _l("HR admin"),
    "leader": _l("Leader"),
    "employee": _l("Employee"),
}


def hr_admin_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_hr_admin:
            abort(403)
        return view(*args, **kwargs)

    return guarded


def public(view):
    """Mark a view as open to visitors who are not logged in."""
    view.is_public = True
    return view
