"""The HR admin's pages: people, reporting lines, CSV import and the organisation's name."""

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.services import RESET, send_password_link
from ..extensions import db
from ..htmx import render
from ..models import Organisation, User
from ..roles import hr_admin_required
from .forms import ImportConfirmForm, ImportUploadForm, OrganisationForm, UserForm
from .services import apply_import, decode_csv, leader_choices, plan_import, save_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=user)
    form.leader_id.choices = leader_choices(user)
    form.locale.choices = list(current_app.config["LANGUAGES"].items())
    if user is not None and not form.is_submitted():
        form.leader_id.data = user.leader_id or 0
    return form


@bp.route("/")
def users():
    """Everyone in the organisation, with their roles and leader."""
    people = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render("admin/users.html", people=people)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    """Add a person; they get an email with a link to choose a password."""
    form = _user_form(None)
    if form.validate_on_submit():
        user = User()
        if save_user(user, form):
            db.session.commit()
            flash(_("%(name)s was added and has been sent a link to choose a password.",
                    name=user.name), "success")
            return redirect(url_for("admin.users"))
        db.session.rollback()
    status = 422 if form.is_submitted() else 200
    return render("admin/user_form.html", form=form, user=None, status=status)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    """Change a person's name, email, roles, leader or language."""
    user = _user_or_404(user_id)
    form = _user_form(user)
    if form.validate_on_submit():
        if user.id == current_user.id and not form.is_hr_admin.data:
            form.is_hr_admin.errors.append(_("You cannot remove your own HR admin role."))
        elif save_user(user, form):
            db.session.commit()
            flash(_("Changes to %(name)s are saved.", name=user.name), "success")
            return redirect(url_for("admin.users"))
        db.session.rollback()
        user = db.session.get(User, user_id)
    status = 422 if form.is_submitted() else 200
    return render("admin/user_form.html", form=form, user=user, status=status)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int):
    """Deactivate a person: they are logged out everywhere at once and cannot log in."""
    user = _user_or_404(user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    user.deactivate()
    db.session.commit()
    flash(_("%(name)s is deactivated and logged out.", name=user.name), "success")
    orphans = [person.name for person in user.reports if person.active]
    if orphans:
        flash(_("These people still have %(name)s as their leader and need a new one: "
                "%(people)s.", name=user.name, people=", ".join(orphans)), "error")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate_user(user_id: int):
    """Let a deactivated person log in again."""
    user = _user_or_404(user_id)
    user.active = True
    db.session.commit()
    flash(_("%(name)s can log in again.", name=user.name), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
def reset_password(user_id: int):
    """End a person's sessions, void their password and email them a link to choose a new one."""
    user = _user_or_404(user_id)
    if not user.active:
        abort(409)
    user.password_hash = None
    user.end_sessions()
    send_password_link(user, RESET)
    db.session.commit()
    flash(_("%(name)s is logged out and has been sent a link to choose a new password.",
            name=user.name), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/import", methods=["GET", "POST"])
def import_users():
    """Upload a CSV file of people and see what would be imported."""
    form = ImportUploadForm()
    plan = None
    if form.validate_on_submit():
        text = decode_csv(form.file.data.read())
        if text is None:
            form.file.errors.append(_("The file is not UTF-8 text. Save it as CSV UTF-8."))
        else:
            plan = plan_import(text)
            confirm = ImportConfirmForm(csv_text=text)
            return render("admin/import.html", form=form, plan=plan, confirm=confirm,
                          status=200 if plan.ok else 422)
    status = 422 if form.is_submitted() else 200
    return render("admin/import.html", form=form, plan=plan, confirm=None, status=status)


@bp.route("/import/confirm", methods=["POST"])
def confirm_import():
    """Import the previewed people, all of them or, if any line is bad, none."""
    confirm = ImportConfirmForm()
    plan = plan_import(confirm.csv_text.data or "") if confirm.validate_on_submit() else None
    if plan is None or not plan.ok:
        flash(_("Nothing was imported: the file has errors. Correct them and try again."),
              "error")
        return render("admin/import.html", form=ImportUploadForm(), plan=plan, confirm=None,
                      status=422)
    created = apply_import(plan)
    db.session.commit()
    flash(_("%(count)d people were imported and have been sent a link to choose a password.",
            count=len(created)), "success")
    return redirect(url_for("admin.users"))


@bp.route("/organisation", methods=["GET", "POST"])
def organisation():
    """Set the organisation's name."""
    current = Organisation.current() or Organisation(name="")
    form = OrganisationForm(obj=current)
    if form.validate_on_submit():
        form.populate_obj(current)
        db.session.add(current)
        db.session.commit()
        flash(_("The name is saved."), "success")
        return redirect(url_for("admin.organisation"))
    status = 422 if form.is_submitted() else 200
    return render("admin/organisation.html", form=form, status=status)
