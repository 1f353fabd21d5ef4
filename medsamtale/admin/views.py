"""The HR admin's pages: people, reporting lines, CSV import and the organisation's name."""

from flask import Blueprint, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..change import Page, make_change
from ..extensions import db
from ..htmx import render
from ..models import EmailChange, Organisation, PendingChange, User
from ..roles import hr_admin_required
from ..timeutil import oslo_today
from . import changes, listing, services
from .filters import PeopleFilterForm
from .forms import (
    ImportConfirmForm,
    ImportUploadForm,
    LegalHoldForm,
    OrganisationForm,
    UserForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@hr_admin_required
def guard():
    """Every page here is for the HR admin alone."""


def _user_form(user: User | None) -> UserForm:
    return UserForm(user=user, editor=current_user, languages=current_app.config["LANGUAGES"])


@bp.route("/")
def users():
    """Everyone in the organisation, a page at a time, with their roles and leader: searched
    by name or email and filtered by role, leader and status (?q=&role=&leader=&active=);
    htmx asks for the list alone as the search is typed. Each person's legal hold and end
    of employment show from the columns the page's query already reads."""
    form = PeopleFilterForm(request.args, leaders=listing.leaders())
    number, bad_page = listing.page_number(request.args.get("page"))
    return render("admin/users.html", "people", form=form, bad_page=bad_page,
                  found=listing.people_page(form.filters(), number),
                  waiting=len(changes.pending()), today=oslo_today())


def _user_page(form: UserForm, user: User | None, hold_form: LegalHoldForm | None = None):
    """The person's page; a refusal that belongs to a field is shown next to it."""
    page = Page("admin/user_form.html", form=form, user=user,
                email_change=lambda: EmailChange.open_for(user) if user else None,
                pending=lambda: changes.pending_rows(user) if user else [],
                hold_form=hold_form or LegalHoldForm(formdata=None))

    def answer(outcome):
        field = getattr(outcome.refused, "field", None)
        if field and outcome.refused.message in form.form_errors:
            form.form_errors.remove(outcome.refused.message)
            form[field].errors = [*form[field].errors, outcome.refused.message]
        return page(outcome)

    return answer


def _saved(saved: services.Saved, added: bool) -> str:
    if added:
        message = _("%(name)s was added and has been sent a link to choose a password.",
                    name=saved.user.name)
    else:
        message = _("Changes to %(name)s are saved.", name=saved.user.name)
    if saved.email_change is not None:
        message += " " + _("The address becomes %(email)s when %(name)s confirms it from that "
                           "address; both addresses have been told.",
                           email=saved.email_change.new_email, name=saved.user.name)
    if saved.pending is not None:
        message += " " + _("The change of roles or leader waits for another HR admin's "
                           "approval.")
    return message


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    """Add a person; they get an email with a link to choose a password."""
    form = _user_form(None)
    return make_change(
        services.save_user, User(), form, form=form, back=url_for(".users"),
        page=_user_page(form, None), done=lambda saved: _saved(saved, added=True),
    )


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    """Change a person's name, email, roles, leader or language."""
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    return make_change(
        services.save_user, user, form, form=form, back=url_for(".users"),
        page=_user_page(form, user), done=lambda saved: _saved(saved, added=False),
    )


@bp.route("/users/<id:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int):
    """Deactivate a person: they are logged out everywhere at once and cannot log in."""
    user = db.get_or_404(User, user_id)
    return make_change(
        services.deactivate, user, current_user,
        back=lambda result: url_for(".users" if result is not None else ".edit_user",
                                    user_id=user_id),  # refused: back to their page
        done=lambda result: _deactivated(user, result),
    )


def _deactivated(user: User, result: services.Deactivated) -> str:
    if result.left:
        flash(_("These people still have %(name)s as their leader and need a new one: "
                "%(people)s.", name=user.name, people=", ".join(p.name for p in result.left)),
              "error")
    if result.moved:
        flash(_("New leaders, who take over the open conversations and actions: %(people)s.",
                people=", ".join(f"{p.name} → {p.leader.name}" for p in result.moved)),
              "success")
    return _("%(name)s is deactivated and logged out.", name=user.name)


@bp.route("/users/<id:user_id>/reactivate", methods=["POST"])
def reactivate_user(user_id: int):
    """Let a deactivated person log in again."""
    user = db.get_or_404(User, user_id)
    return make_change(services.reactivate, user, back=url_for(".users"),
                       done=_("%(name)s can log in again.", name=user.name))


@bp.route("/users/<id:user_id>/legal-hold", methods=["POST"])
def set_legal_hold(user_id: int):
    """Put a person on legal hold, with the reason: retention deletes nothing of theirs."""
    user = db.get_or_404(User, user_id)
    form = LegalHoldForm()
    return make_change(
        lambda: services.set_legal_hold(user, form.reason.data), form=form,
        back=url_for(".edit_user", user_id=user.id),
        page=_user_page(UserForm(formdata=None, user=user, editor=current_user,
                                 languages=current_app.config["LANGUAGES"]), user, form),
        done=_("%(name)s is on legal hold: nothing of theirs is deleted until it is lifted.",
               name=user.name),
    )


@bp.route("/users/<id:user_id>/legal-hold/lift", methods=["POST"])
def lift_legal_hold(user_id: int):
    """Lift a person's legal hold: retention applies to them again."""
    user = db.get_or_404(User, user_id)
    return make_change(services.lift_legal_hold, user,
                       back=url_for(".edit_user", user_id=user.id),
                       done=_("The legal hold of %(name)s is lifted.", name=user.name))


@bp.route("/users/<id:user_id>/reset-password", methods=["POST"])
def reset_password(user_id: int):
    """End a person's sessions, void their password and email them a link to choose a new one."""
    user = db.get_or_404(User, user_id)
    return make_change(
        services.reset_password, user, current_user,
        back=url_for(".edit_user", user_id=user.id), page=_user_page(_user_form(user), user),
        done=_("%(name)s is logged out and has been sent a link to choose a new password.",
               name=user.name),
    )


@bp.route("/import", methods=["GET", "POST"])
def import_users():
    """Upload a CSV file of people and see what would be imported; nothing is saved yet."""
    form = ImportUploadForm()
    plan = confirm = None
    if form.validate_on_submit():
        text = services.decode_csv(form.file.data.read())
        if text is None:
            form.file.errors.append(_("The file is not UTF-8 text. Save it as CSV UTF-8."))
        else:
            plan, confirm = services.plan_import(text), ImportConfirmForm(csv_text=text)
    failed = form.is_submitted() and (plan is None or not plan.ok)
    return render("admin/import.html", form=form, plan=plan, confirm=confirm,
                  status=422 if failed else 200)


@bp.route("/import/confirm", methods=["POST"])
def confirm_import():
    """Import the previewed people and changes, all of them or, if any line is bad, none."""
    confirm = ImportConfirmForm()
    return make_change(
        lambda: services.apply_import(confirm.plan, current_user), form=confirm,
        back=url_for(".users"),
        page=Page("admin/import.html", form=ImportUploadForm(formdata=None),
                  plan=lambda: confirm.plan, confirm=confirm),
        done=lambda imported: _("%(count)d people were imported and have been sent a link to "
                                "choose a password. %(changed)d people were changed.",
                                count=len(imported.created), changed=len(imported.changed)),
    )


@bp.route("/organisation", methods=["GET", "POST"])
def organisation():
    """Set the organisation's name, logo and accent colour, and whether a second HR admin
    approves changes that would make an HR admin someone's leader."""
    current = Organisation.current() or Organisation(name="")
    form = OrganisationForm(obj=current)
    return make_change(
        services.save_organisation, current, form, form=form, back=url_for(".organisation"),
        page=Page("admin/organisation.html", form=form, organisation=current),
        done=_("The organisation's settings are saved."),
    )


@bp.route("/users/<id:user_id>/email-change/cancel", methods=["POST"])
def cancel_email_change(user_id: int):
    """Withdraw a change of the person's address that waits for their confirmation."""
    user = db.get_or_404(User, user_id)
    return make_change(services.cancel_email_change, user,
                       back=url_for(".edit_user", user_id=user.id),
                       done=_("The change of address is cancelled."))


@bp.route("/pending")
def pending():
    """Changes of roles or leader that wait for a second HR admin's approval."""
    return render("admin/pending.html", pending=changes.pending_rows())


@bp.route("/pending/<id:change_id>/<any(approve, reject):decision>", methods=["POST"])
def decide_pending(change_id: int, decision: str):
    """Approve (another HR admin than the one who asked) or reject a waiting change."""
    change = db.get_or_404(PendingChange, change_id)
    return make_change(
        changes.approve if decision == "approve" else changes.reject, change, current_user,
        back=url_for(".pending"),
        done=_("The change is made and announced.") if decision == "approve"
        else _("The change is rejected; nothing was changed."),
    )
