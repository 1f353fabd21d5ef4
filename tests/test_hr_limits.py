"""HR cannot become a party (issue 12, point 1): a person's address changes only when they
confirm it themselves, a password link reaches only the address on file, changes of roles
and leader are announced to the people they touch, and no HR admin becomes anyone's leader
unless a second HR admin approves it.

Mail is read from the real SMTP server (tests/fixtures/mail.py), by address and by the links
in it, not by its translated wording.
"""

import io

from sqlalchemy import select

from medsamtale.extensions import db
from medsamtale.models import AuditEvent, EmailChange, Organisation, PendingChange, User

from .fixtures.app import BASE_URL, EMAILS, PASSWORD, SET_LINK, logged_in
from .helpers import has_field_error, new_mail, outbox_count, text_of

CONFIRM_LINK = f"{BASE_URL}/account/email/"
HR_CONTROLLED = "hr-controlled@example.no"


# Helpers ------------------------------------------------------------------------------------


def person_form(user: User, **changes) -> dict:
    """The edit form of `user` as the page fills it in, with `changes`."""
    data = {"name": user.name, "email": user.email, "leader_id": str(user.leader_id or 0),
            "locale": user.locale}
    for role in ("employee", "leader", "hr_admin"):
        if getattr(user, f"is_{role}"):
            data[f"is_{role}"] = "y"
    for key, value in changes.items():
        if value is False:
            data.pop(key, None)
        else:
            data[key] = "y" if value is True else str(value)
    return data


def edit(app, client, user_id, **changes):
    with app.app_context():
        data = person_form(db.session.get(User, user_id), **changes)
    return client.post(f"/admin/users/{user_id}", data=data)


def state(app, user_id) -> dict:
    with app.app_context():
        user = db.session.get(User, user_id)
        return {"email": user.email, "roles": set(user.roles), "leader_id": user.leader_id,
                "password_hash": user.password_hash}


def mail_to(messages, address) -> list[str]:
    """The plain-text bodies of the messages to `address`."""
    return [text_of(m) for m in messages if m["To"] == address]


def link_in(body: str, prefix: str) -> str:
    """The path of the first link starting with `prefix` in a body."""
    return body[body.index(prefix):].split()[0].removeprefix(BASE_URL)


def actions(app) -> list[tuple[str, int | None]]:
    with app.app_context():
        return [(e.action, e.subject_user_id)
                for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def second_hr_approver(app, on=True):
    with app.app_context():
        organisation = Organisation.current() or Organisation(name="Test AS")
        organisation.second_hr_approver = on
        db.session.add(organisation)
        db.session.commit()


# 1. The address: asked for by HR, confirmed by its owner -----------------------------------


def test_hr_cannot_take_over_an_account_by_changing_its_address_and_resetting_it(
    app, client, people, as_, deliver, mailbox
):
    """The attack from the issue: HR changes Lena's address to one HR controls, resets her
    password and reads the mail there. The reset link goes to Lena; HR's address gets only
    a confirmation link, which does nothing without Lena's session."""
    hr, lena = as_("hr"), people["lena"]
    assert edit(app, hr, lena, email=HR_CONTROLLED).status_code == 302
    assert state(app, lena)["email"] == EMAILS["lena"]
    assert hr.post(f"/admin/users/{lena}/reset-password").status_code == 302
    assert state(app, lena)["email"] == EMAILS["lena"]
    assert state(app, lena)["password_hash"] is None

    messages = new_mail(deliver, mailbox)
    at_hr = mail_to(messages, HR_CONTROLLED)
    assert len(at_hr) == 1 and SET_LINK not in at_hr[0] and CONFIRM_LINK in at_hr[0]
    at_lena = mail_to(messages, EMAILS["lena"])
    # Lena was told of the change HR asked for, and she alone got the password link.
    assert len(at_lena) == 2
    notice = next(body for body in at_lena if SET_LINK not in body)
    assert HR_CONTROLLED in notice and CONFIRM_LINK not in notice
    assert sum(SET_LINK in body for body in at_lena) == 1

    # The confirmation link in HR's hands: refused to HR, and to a stranger it is the
    # log-in page, where HR has no password of Lena's to give.
    confirm = link_in(at_hr[0], CONFIRM_LINK)
    assert hr.get(confirm).status_code == 403
    assert hr.post(confirm).status_code == 403
    stranger = app.test_client()
    response = stranger.get(confirm)
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    assert stranger.post("/login", data={"email": HR_CONTROLLED, "password": PASSWORD}
                         ).status_code == 422
    # Nor does the address HR controls get a password link of its own asking.
    stranger.post("/password/forgot", data={"email": HR_CONTROLLED})
    assert new_mail(deliver, mailbox) == []
    assert state(app, lena)["email"] == EMAILS["lena"]
    assert ("email_change_requested", lena) in actions(app)
    assert ("password_reset_by_hr", lena) in actions(app)
    assert ("email_changed", lena) not in actions(app)


def test_the_person_confirms_the_new_address_logged_in_as_themselves(
    app, people, as_, deliver, mailbox
):
    hr, lena = as_("hr"), people["lena"]
    elsewhere = logged_in(app.test_client(), EMAILS["lena"])
    assert edit(app, hr, lena, email="Lena.Ny@example.no").status_code == 302
    confirm_mail = mail_to(new_mail(deliver, mailbox), "lena.ny@example.no")
    confirm = link_in(confirm_mail[0], CONFIRM_LINK)

    # Opened without a session: log in first, and come back to the link.
    here = app.test_client()
    response = here.get(confirm)
    assert response.status_code == 302 and response.location.startswith("/login?next=")
    response = here.post(response.location, data={"email": EMAILS["lena"],
                                                  "password": PASSWORD})
    assert response.status_code == 302 and response.location == confirm
    page = here.get(confirm)
    assert page.status_code == 200 and "lena.ny@example.no" in page.get_data(as_text=True)
    assert state(app, lena)["email"] == EMAILS["lena"]  # opening it changes nothing

    assert here.post(confirm).status_code == 302
    assert state(app, lena)["email"] == "lena.ny@example.no"
    # Both addresses are told; her other session ended, this one goes on.
    messages = new_mail(deliver, mailbox)
    assert len(mail_to(messages, EMAILS["lena"])) == 1
    assert len(mail_to(messages, "lena.ny@example.no")) == 1
    assert "lena.ny@example.no" in mail_to(messages, EMAILS["lena"])[0]
    assert elsewhere.get("/").status_code == 302
    assert here.get("/").status_code == 200
    assert here.get(confirm).status_code == 410  # once
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": EMAILS["lena"], "password": PASSWORD}
                      ).status_code == 422
    logged_in(fresh, "lena.ny@example.no")
    with app.app_context():
        change = db.session.scalar(select(EmailChange))
        assert change.confirmed_at is not None
    assert ("email_changed", lena) in actions(app)


def test_hr_sees_the_waiting_address_and_can_cancel_it(app, people, as_, deliver, mailbox):
    hr, dag = as_("hr"), people["dag"]
    edit(app, hr, dag, email="dag.ny@example.no")
    confirm = link_in(mail_to(new_mail(deliver, mailbox), "dag.ny@example.no")[0],
                      CONFIRM_LINK)
    page = hr.get(f"/admin/users/{dag}").get_data(as_text=True)
    waiting = page[page.index('id="email-change"'):].split("</section>")[0]
    assert "dag.ny@example.no" in waiting
    # The form still holds the address on file.
    assert f'value="{EMAILS["dag"]}"' in page

    assert hr.post(f"/admin/users/{dag}/email-change/cancel").status_code == 302
    assert 'id="email-change"' not in hr.get(f"/admin/users/{dag}").get_data(as_text=True)
    assert as_("dag").get(confirm).status_code == 410
    assert as_("dag").post(confirm).status_code == 410
    assert state(app, dag)["email"] == EMAILS["dag"]


def test_deactivating_a_person_cancels_their_waiting_address(app, people, as_, deliver,
                                                             mailbox):
    hr, dag = as_("hr"), people["dag"]
    edit(app, hr, dag, email="dag.ny@example.no")
    new_mail(deliver, mailbox)
    assert hr.post(f"/admin/users/{dag}/deactivate").status_code == 302
    with app.app_context():
        assert EmailChange.open_for(db.session.get(User, dag)) is None
        assert db.session.scalar(select(EmailChange)).cancelled_at is not None


def test_someone_elses_link_is_refused_with_a_clear_page(app, people, as_, deliver, mailbox):
    edit(app, as_("hr"), people["dag"], email="dag.ny@example.no")
    confirm = link_in(mail_to(new_mail(deliver, mailbox), "dag.ny@example.no")[0],
                      CONFIRM_LINK)
    response = as_("anne").post(confirm)
    assert response.status_code == 403
    assert 'data-problem="other_account"' in response.get_data(as_text=True)
    assert state(app, people["dag"])["email"] == EMAILS["dag"]
    assert as_("anne").get("/account/email/not-a-token").status_code == 410


def test_a_new_person_gets_the_welcome_link_at_the_address_typed(app, people, as_, deliver,
                                                                mailbox):
    response = as_("hr").post("/admin/users/new", data={
        "name": "Nina Ny", "email": "nina@example.no", "leader_id": str(people["lars"]),
        "is_employee": "y", "locale": "nb"})
    assert response.status_code == 302
    welcome = mail_to(new_mail(deliver, mailbox), "nina@example.no")
    assert len(welcome) == 1 and SET_LINK in welcome[0]


# 2. The admin's password reset --------------------------------------------------------------


def test_an_admin_reset_tells_the_person_that_hr_asked_for_it(app, people, as_, deliver,
                                                             mailbox):
    anne_elsewhere = as_("anne")
    assert as_("hr").post(f"/admin/users/{people['anne']}/reset-password").status_code == 302
    assert anne_elsewhere.get("/").status_code == 302  # logged out
    (body,) = mail_to(new_mail(deliver, mailbox), EMAILS["anne"])
    assert SET_LINK in body and "Hanne HR" in body


# 3. Roles and leaders -----------------------------------------------------------------------


def test_a_new_leader_is_announced_to_the_person_and_both_leaders(app, people, as_, deliver,
                                                                 mailbox):
    dag = people["dag"]
    assert edit(app, as_("hr"), dag, leader_id=people["lars"]).status_code == 302
    assert state(app, dag)["leader_id"] == people["lars"]
    messages = new_mail(deliver, mailbox)
    assert sorted(m["To"] for m in messages) == sorted(
        [EMAILS["dag"], EMAILS["lena"], EMAILS["lars"]])
    for body in mail_to(messages, EMAILS["lena"]) + mail_to(messages, EMAILS["lars"]):
        assert "Dag Eide" in body and "Hanne HR" in body
    assert ("leader_changed", dag) in actions(app)


def test_a_change_of_roles_is_announced_to_the_person(app, people, as_, deliver, mailbox):
    anne = people["anne"]
    assert edit(app, as_("hr"), anne, is_leader=True).status_code == 302
    assert state(app, anne)["roles"] == {"employee", "leader"}
    (body,) = mail_to(new_mail(deliver, mailbox), EMAILS["anne"])
    assert "Hanne HR" in body
    assert ("role_changed", anne) in actions(app)
    # Saving without a change of roles or leader tells nobody anything.
    assert edit(app, as_("hr"), anne, name="Anne Aas-Berg").status_code == 302
    assert new_mail(deliver, mailbox) == []


def assert_refused_at(app, response, field, before, users):
    page = response.get_data(as_text=True)
    assert response.status_code == 409, page
    assert has_field_error(page, field), page
    assert [state(app, user) for user in users] == before
    assert outbox_count(app) == 0


def test_hr_cannot_make_itself_a_leader(app, people, as_):
    """The other half of the issue: HR gives herself the leader role, makes herself Anne's
    leader, and could then plan and start a conversation with her."""
    hr, users = as_("hr"), list(people.values())
    before = [state(app, user) for user in users]
    assert_refused_at(app, edit(app, hr, people["hr"], is_leader=True), "is_leader",
                      before, users)
    # Even an HR admin who holds the leader role already cannot become Anne's leader.
    with app.app_context():
        db.session.get(User, people["hr"]).is_leader = True
        db.session.commit()
    before = [state(app, user) for user in users]
    assert_refused_at(app, edit(app, hr, people["anne"], leader_id=people["hr"]),
                      "leader_id", before, users)


def test_no_hr_admin_may_lead_anyone(app, people, as_, make_user):
    hedda = make_user("Hedda HR", "hedda@example.no", roles=("hr_admin", "leader"))
    hr, users = as_("hr"), [*people.values(), hedda]
    before = [state(app, user) for user in users]
    # Another HR admin cannot be given people to lead ...
    assert_refused_at(app, edit(app, hr, people["anne"], leader_id=hedda), "leader_id",
                      before, users)
    # ... and a leader of people cannot be given the HR role.
    assert_refused_at(app, edit(app, hr, people["lars"], is_hr_admin=True), "is_hr_admin",
                      before, users)
    # A new person cannot start out with an HR admin as leader either.
    response = hr.post("/admin/users/new", data={
        "name": "Nina Ny", "email": "nina@example.no", "leader_id": str(hedda),
        "is_employee": "y", "locale": "nb"})
    assert_refused_at(app, response, "leader_id", before, users)
    with app.app_context():
        assert User.by_email("nina@example.no") is None


def test_with_four_eyes_the_change_waits_for_a_second_hr_admin(
    app, people, as_, make_user, deliver, mailbox
):
    hedda = make_user("Hedda HR", "hedda@example.no", roles=("hr_admin", "leader"))
    make_user("Hilde HR", "hilde@example.no", roles=("hr_admin",))
    hr, anne = as_("hr"), people["anne"]
    assert hr.post("/admin/organisation", data={"name": "Test AS",
                                                "second_hr_approver": "y"}).status_code == 302
    with app.app_context():
        assert Organisation.current().second_hr_approver is True

    assert edit(app, hr, anne, leader_id=hedda).status_code == 302
    assert state(app, anne)["leader_id"] == people["lars"]  # not yet
    assert new_mail(deliver, mailbox) == []
    with app.app_context():
        change = db.session.scalar(select(PendingChange))
        change_id, requested_by = change.id, change.requested_by_id
    assert requested_by == people["hr"]
    assert 'id="pending-notice"' in hr.get("/admin/").get_data(as_text=True)
    assert f'id="pending-{change_id}"' in hr.get(f"/admin/users/{anne}").get_data(as_text=True)

    # The one who asked cannot approve it.
    approve = f"/admin/pending/{change_id}/approve"
    assert hr.post(approve).status_code == 302  # refused, flashed back
    assert state(app, anne)["leader_id"] == people["lars"]

    hilde = logged_in(app.test_client(), "hilde@example.no")
    page = hilde.get("/admin/pending").get_data(as_text=True)
    assert approve in page and "Anne Aas" in page
    assert hilde.post(approve).status_code == 302
    assert state(app, anne)["leader_id"] == hedda
    messages = new_mail(deliver, mailbox)
    assert sorted(m["To"] for m in messages) == sorted(
        [EMAILS["anne"], EMAILS["lars"], "hedda@example.no"])
    with app.app_context():
        decided = db.session.get(PendingChange, change_id)
        assert (decided.state, decided.decided_by.email) == ("approved", "hilde@example.no")
    assert hilde.post(approve).status_code == 302  # decided once
    assert ("four_eyes_requested", anne) in actions(app)
    assert ("four_eyes_approved", anne) in actions(app)
    assert "pending-notice" not in hilde.get("/admin/").get_data(as_text=True)


def test_a_rejected_change_changes_nothing(app, people, as_, make_user, deliver, mailbox):
    hedda = make_user("Hedda HR", "hedda@example.no", roles=("hr_admin", "leader"))
    make_user("Hilde HR", "hilde@example.no", roles=("hr_admin",))
    second_hr_approver(app)
    hr, lars = as_("hr"), people["lars"]
    assert edit(app, hr, lars, is_hr_admin=True).status_code == 302
    assert edit(app, hr, people["dag"], leader_id=hedda).status_code == 302
    with app.app_context():
        ids = [c.id for c in db.session.scalars(select(PendingChange).order_by(PendingChange.id))]
    hilde = logged_in(app.test_client(), "hilde@example.no")
    for change_id in ids:
        assert hilde.post(f"/admin/pending/{change_id}/reject").status_code == 302
    assert "hr_admin" not in state(app, lars)["roles"]
    assert state(app, people["dag"])["leader_id"] == people["lena"]
    assert new_mail(deliver, mailbox) == []
    assert hilde.post(f"/admin/pending/{ids[0]}/approve").status_code == 302
    assert "hr_admin" not in state(app, lars)["roles"]
    assert ("four_eyes_rejected", lars) in actions(app)


def test_the_import_refuses_an_hr_admin_as_leader(app, people, as_, make_user):
    make_user("Hedda HR", "hedda@example.no", roles=("hr_admin", "leader"))
    text = ("name,email,leader_email,role\n"
            "Nina Ny,nina@example.no,lars@example.no,employee\n"
            "Per Ny,per@example.no,hedda@example.no,employee\n")
    response = as_("hr").post("/admin/import", content_type="multipart/form-data",
                              data={"file": (io.BytesIO(text.encode()), "people.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    bad = page[page.index("per@example.no"):].split("</tr>")[0]
    assert 'class="errors"' in bad and "hedda@example.no" in bad
    assert as_("hr").post("/admin/import/confirm", data={"csv_text": text}).status_code == 422
    with app.app_context():
        assert User.by_email("per@example.no") is None and User.by_email("nina@example.no") \
            is None
