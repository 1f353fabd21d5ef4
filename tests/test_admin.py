"""The HR admin's area: people, roles, reporting lines, accounts and the organisation's name.

Assertions are on data and structure, not on translated wording.
"""

import html
import io
import re

import pytest
from sqlalchemy import func, select

from medsamtale.extensions import db
from medsamtale.models import Organisation, PasswordToken, User, UserSession

from .fixtures.app import BASE_URL, PASSWORD, SET_LINK, logged_in
from .helpers import assert_block, field_is_invalid, has_field_error, outbox_count, text_of

# Helpers ------------------------------------------------------------------------------------


def open_sessions(user) -> int:
    return len(db.session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))).all())


def user_state(app, email):
    """A snapshot of a person's row (or None), read in a fresh session."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            return None
        return {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "roles": set(user.roles),
            "leader_id": user.leader_id,
            "active": user.active,
            "password_hash": user.password_hash,
            "open_sessions": open_sessions(user),
            "locale": user.locale,
        }


def everyone(app):
    """Every person's row as a comparable snapshot."""
    with app.app_context():
        return sorted(
            (u.id, u.name, u.email, tuple(u.roles), u.leader_id, u.active, u.password_hash,
             open_sessions(u), u.locale)
            for u in db.session.scalars(select(User))
        )


def form_data(name="Ola Nordmann", email="ola@example.no", *, roles=("employee",),
              leader_id=0, locale="nb"):
    data = {"name": name, "email": email, "leader_id": str(leader_id), "locale": locale}
    for role in roles:
        data[f"is_{role}"] = "y"
    return data


def set_password_path(body):
    """The path of the link to set a password in an email's text."""
    return body[body.index(SET_LINK):].split()[0].removeprefix(BASE_URL)


# Access -------------------------------------------------------------------------------------


def admin_gets(target_id):
    return [
        "/admin/",
        "/admin/users/new",
        f"/admin/users/{target_id}",
        "/admin/import",
        "/admin/organisation",
        "/admin/questions/",
    ]


def admin_posts(target_id, leader_id):
    return [
        ("/admin/users/new", form_data("Mallory Meddler", "mallory@example.no",
                                       roles=("hr_admin",))),
        (f"/admin/users/{target_id}", form_data("Renamed Person", "target@example.no",
                                                roles=("hr_admin",), leader_id=leader_id)),
        (f"/admin/users/{target_id}/deactivate", {}),
        (f"/admin/users/{target_id}/reset-password", {}),
        (f"/admin/users/{target_id}/reactivate", {}),
        ("/admin/import/confirm", {"csv_text": "name,email,leader_email,role\n"
                                                "Mallory Meddler,mallory@example.no,,hr_admin\n"}),
        ("/admin/organisation", {"name": "Hijacked AS"}),
    ]


@pytest.mark.parametrize("role", ["employee", "leader"])
def test_employees_and_leaders_are_refused_every_admin_page_and_change(
    app, client, make_user, role
):
    with app.app_context():
        db.session.add(Organisation(name="Test AS"))
        db.session.commit()
    leader_id = make_user("Lars Leder", "lars@example.no", roles=("employee", "leader"))
    target_id = make_user("Tora Target", "target@example.no", leader_id=leader_id)
    me = "lars@example.no" if role == "leader" else "eva@example.no"
    if role == "employee":
        make_user("Eva Employee", "eva@example.no", leader_id=leader_id)
    logged_in(client, me)
    before = everyone(app)

    for url in admin_gets(target_id):
        response = client.get(url)
        assert response.status_code == 403, url
        page = response.get_data(as_text=True)
        # The error page, not the admin page: no one's data is shown.
        assert "target@example.no" not in page, url
        assert 'name="email"' not in page, url

    for url, data in admin_posts(target_id, leader_id):
        response = client.post(url, data=data)
        assert response.status_code == 403, url

    upload = client.post(
        "/admin/import",
        data={"file": (io.BytesIO(b"name,email,leader_email,role\n"), "a.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 403

    assert everyone(app) == before
    assert user_state(app, "mallory@example.no") is None
    assert outbox_count(app) == 0
    with app.app_context():
        assert Organisation.current().name == "Test AS"
    # They are still logged in and can use their own pages.
    assert client.get("/").status_code == 200


def test_anonymous_visitor_is_sent_to_the_login_page(app, client, make_user):
    target_id = make_user("Tora Target", "target@example.no")
    for url in admin_gets(target_id):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith("/login?next="), url
    before = everyone(app)
    for url, data in admin_posts(target_id, 0):
        response = client.post(url, data=data)
        assert response.status_code == 302, url
        assert response.location.startswith("/login"), url
    assert everyone(app) == before
    assert outbox_count(app) == 0


def test_hr_admin_sees_everyone_on_the_people_page(app, client, hr_admin, make_user):
    leader_id = make_user("Lars Leder", "lars@example.no", roles=("employee", "leader"))
    make_user("Ola Nordmann", "ola@example.no", leader_id=leader_id)
    make_user("Gone Person", "gone@example.no", active=False)
    response = client.get("/admin/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ["Hanne HR", "hr@example.no", "Lars Leder", "lars@example.no",
                 "Ola Nordmann", "ola@example.no", "Gone Person"]:
        assert text in page
    # Ola's row names his leader; the deactivated person is marked as such.
    ola_row = page[page.index("ola@example.no"):].split("</tr>")[0]
    assert "Lars Leder" in ola_row
    assert '<tr class="inactive">' in page
    gone_row = page[page.rindex("<tr", 0, page.index("Gone Person")):].split("</tr>")[0]
    assert 'class="inactive"' in gone_row


# Creating a person --------------------------------------------------------------------------


def test_hr_admin_creates_a_user_who_gets_a_welcome_email(
    app, client, hr_admin, make_user, deliver
):
    leader_id = make_user("Lars Leder", "lars@example.no", roles=("employee", "leader"))
    response = client.post(
        "/admin/users/new",
        data=form_data("Ola Nordmann", "  Ola.Nordmann@Example.NO ",
                       roles=("employee", "leader"), leader_id=leader_id),
    )
    assert response.status_code == 302
    assert response.location == "/admin/"

    ola = user_state(app, "ola.nordmann@example.no")
    assert ola is not None
    assert ola["name"] == "Ola Nordmann"
    assert ola["email"] == "ola.nordmann@example.no"
    assert ola["roles"] == {"employee", "leader"}
    assert ola["leader_id"] == leader_id
    assert ola["active"] is True
    assert ola["password_hash"] is None

    page = client.get("/admin/").get_data(as_text=True)
    assert "Ola Nordmann" in page and "ola.nordmann@example.no" in page

    messages = deliver()
    welcome = [m for m in messages if m["To"] == "ola.nordmann@example.no"]
    assert len(welcome) == 1
    body = text_of(welcome[0])
    assert SET_LINK in body
    # The link works: it opens the page to choose a password.
    assert client.get(set_password_path(body)).status_code == 200
    with app.app_context():
        token = db.session.scalar(select(PasswordToken).where(PasswordToken.user_id == ola["id"]))
        assert token.purpose == "welcome"


def test_hr_admin_can_create_another_hr_admin_without_a_leader(app, client, hr_admin):
    response = client.post(
        "/admin/users/new", data=form_data("Hedda HR", "hedda@example.no", roles=("hr_admin",))
    )
    assert response.status_code == 302
    hedda = user_state(app, "hedda@example.no")
    assert hedda["roles"] == {"hr_admin"}
    assert hedda["leader_id"] is None


def test_the_new_user_form_offers_only_active_leaders(client, hr_admin, make_user):
    make_user("Lars Leder", "lars@example.no", roles=("employee", "leader"))
    make_user("Gamle Leder", "gamle@example.no", roles=("leader",), active=False)
    make_user("Ola Nordmann", "ola@example.no")
    page = client.get("/admin/users/new").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*id="leader_id".*?</select>', page, re.S).group(0)
    assert "lars@example.no" in select_html
    assert "gamle@example.no" not in select_html
    assert "ola@example.no" not in select_html


# Refusing bad input -------------------------------------------------------------------------


def assert_refused(app, client, url, data, field, before):
    response = client.post(url, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422, (field, page)
    assert has_field_error(page, field), field
    assert field_is_invalid(page, field), field
    # The form keeps what was typed.
    assert f'value="{data["name"]}"' in page
    assert everyone(app) == before
    assert outbox_count(app) == 0
    return page


def assert_leader_refused(app, client, user_id, name, email, leader_id, before):
    """Giving the leader `user_id` (`name`, `email`) the leader `leader_id` is refused at
    the leader field."""
    assert_refused(app, client, f"/admin/users/{user_id}",
                   form_data(name, email, roles=("employee", "leader"), leader_id=leader_id),
                   "leader_id", before)


@pytest.mark.parametrize("email", ["kari@example.no", "KARI@example.no", " Kari@Example.No "])
def test_a_duplicate_email_is_refused_whatever_its_case(app, client, hr_admin, make_user, email):
    make_user("Kari Nordmann", "kari@example.no")
    before = everyone(app)
    assert_refused(app, client, "/admin/users/new", form_data("Kari Kopi", email), "email",
                   before)


def test_changing_someones_email_to_a_taken_one_is_refused(app, client, hr_admin, make_user):
    make_user("Kari Nordmann", "kari@example.no")
    ola_id = make_user("Ola Nordmann", "ola@example.no")
    before = everyone(app)
    assert_refused(app, client, f"/admin/users/{ola_id}",
                   form_data("Ola Nordmann", "KARI@EXAMPLE.NO"), "email", before)


def test_a_person_cannot_be_their_own_leader(app, client, hr_admin, make_user):
    lars_id = make_user("Lars Leder", "lars@example.no", roles=("employee", "leader"))
    before = everyone(app)
    assert_leader_refused(app, client, lars_id, "Lars Leder", "lars@example.no", lars_id,
                          before)
    assert user_state(app, "lars@example.no")["leader_id"] is None


def test_a_loop_in_the_reporting_lines_is_refused(app, client, hr_admin, make_user):
    anne_id = make_user("Anne A", "anne@example.no", roles=("employee", "leader"))
    bjorn_id = make_user("Bjørn B", "bjorn@example.no", roles=("employee", "leader"),
                         leader_id=anne_id)
    # One more level: Cecilie reports to Bjørn; Anne cannot report to Cecilie either.
    cecilie_id = make_user("Cecilie C", "cecilie@example.no", roles=("employee", "leader"),
                           leader_id=bjorn_id)
    before = everyone(app)
    for leader_id in (bjorn_id, cecilie_id):
        assert_leader_refused(app, client, anne_id, "Anne A", "anne@example.no", leader_id,
                              before)
    assert user_state(app, "anne@example.no")["leader_id"] is None
    assert user_state(app, "bjorn@example.no")["leader_id"] == anne_id


def test_a_leader_must_have_the_leader_role(app, client, hr_admin, make_user):
    ola_id = make_user("Ola Nordmann", "ola@example.no")  # employee only
    kari_id = make_user("Kari Nordmann", "kari@example.no")
    before = everyone(app)
    assert_refused(app, client, "/admin/users/new",
                   form_data("Per Person", "per@example.no", leader_id=ola_id),
                   "leader_id", before)
    assert_refused(app, client, f"/admin/users/{kari_id}",
                   form_data("Kari Nordmann", "kari@example.no", leader_id=ola_id),
                   "leader_id", before)
    assert user_state(app, "per@example.no") is None


def test_a_deactivated_leader_cannot_be_chosen(app, client, hr_admin, make_user):
    gone_id = make_user("Gamle Leder", "gamle@example.no", roles=("leader",), active=False)
    before = everyone(app)
    assert_refused(app, client, "/admin/users/new",
                   form_data("Per Person", "per@example.no", leader_id=gone_id),
                   "leader_id", before)


def test_a_leader_that_does_not_exist_is_refused(app, client, hr_admin):
    before = everyone(app)
    assert_refused(app, client, "/admin/users/new",
                   form_data("Per Person", "per@example.no", leader_id=987654),
                   "leader_id", before)


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("name", form_data("N" * 121, "long@example.no")),
        ("name", form_data("", "noname@example.no")),
        ("email", form_data("Long Email", "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "."
                            + "d" * 63 + ".no")),
        ("email", form_data("Bad Email", "not-an-email")),
        ("is_employee", form_data("No Role", "norole@example.no", roles=())),
    ],
    ids=["long-name", "no-name", "long-email", "bad-email", "no-role"],
)
def test_invalid_fields_are_refused_next_to_the_field(app, client, hr_admin, field, data):
    before = everyone(app)
    response = client.post("/admin/users/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert has_field_error(page, field)
    assert field_is_invalid(page, field)
    assert everyone(app) == before
    assert outbox_count(app) == 0


def test_a_name_of_exactly_120_characters_is_accepted(app, client, hr_admin):
    response = client.post("/admin/users/new", data=form_data("N" * 120, "max@example.no"))
    assert response.status_code == 302
    assert user_state(app, "max@example.no")["name"] == "N" * 120


# Editing ------------------------------------------------------------------------------------


def test_hr_admin_edits_name_roles_and_leader(app, client, hr_admin, make_user):
    lars_id = make_user("Lars Leder", "lars@example.no", roles=("employee", "leader"))
    lena_id = make_user("Lena Leder", "lena@example.no", roles=("employee", "leader"))
    ola_id = make_user("Ola Nordmann", "ola@example.no", leader_id=lars_id)

    page = client.get(f"/admin/users/{ola_id}").get_data(as_text=True)
    assert 'value="Ola Nordmann"' in page
    assert re.search(rf'<option selected value="{lars_id}">Lars Leder', page)

    response = client.post(
        f"/admin/users/{ola_id}",
        data=form_data("Ola Nordmann-Berg", "Ola.Berg@example.no", roles=("employee", "leader"),
                       leader_id=lena_id, locale="en"),
    )
    assert response.status_code == 302
    # The new address waits for Ola to confirm it (tests/test_hr_limits.py); the rest is saved.
    ola = user_state(app, "ola@example.no")
    assert ola["id"] == ola_id
    assert ola["name"] == "Ola Nordmann-Berg"
    assert ola["roles"] == {"employee", "leader"}
    assert ola["leader_id"] == lena_id
    assert ola["locale"] == "en"
    assert user_state(app, "ola.berg@example.no") is None

    page = client.get("/admin/").get_data(as_text=True)
    row = page[page.index("ola@example.no"):].split("</tr>")[0]
    assert "Lena Leder" in row

    # The leader can be removed again.
    response = client.post(
        f"/admin/users/{ola_id}",
        data=form_data("Ola Nordmann-Berg", "ola@example.no", roles=("employee",)),
    )
    assert response.status_code == 302
    ola = user_state(app, "ola@example.no")
    assert ola["leader_id"] is None
    assert ola["roles"] == {"employee"}


def test_hr_admin_cannot_remove_their_own_hr_admin_role(app, client, hr_admin):
    before = everyone(app)
    response = client.post(
        f"/admin/users/{hr_admin}",
        data=form_data("Hanne HR", "hr@example.no", roles=("employee",)),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert has_field_error(page, "is_hr_admin")
    assert everyone(app) == before
    assert "hr_admin" in user_state(app, "hr@example.no")["roles"]
    # Still an HR admin: the admin pages still open.
    assert client.get("/admin/").status_code == 200
    # Changing their own name, keeping the role, is fine.
    response = client.post(
        f"/admin/users/{hr_admin}",
        data=form_data("Hanne Haugen", "hr@example.no", roles=("hr_admin", "employee")),
    )
    assert response.status_code == 302
    assert user_state(app, "hr@example.no")["name"] == "Hanne Haugen"


def test_hr_admin_cannot_deactivate_themselves(app, client, hr_admin):
    before = everyone(app)
    response = client.post(f"/admin/users/{hr_admin}/deactivate")
    assert response.status_code == 302
    assert response.location == f"/admin/users/{hr_admin}"
    assert everyone(app) == before
    assert user_state(app, "hr@example.no")["active"] is True
    assert client.get("/admin/").status_code == 200


def test_an_unknown_user_is_not_found(client, hr_admin):
    assert client.get("/admin/users/987654").status_code == 404
    assert client.post("/admin/users/987654/deactivate").status_code == 404
    assert client.post("/admin/users/987654/reset-password").status_code == 404


# Sessions and passwords ---------------------------------------------------------------------


def logged_in_elsewhere(app, email):
    """A second browser, logged in as `email`."""
    other = logged_in(app.test_client(), email)
    assert other.get("/").status_code == 200
    return other


def test_deactivating_a_user_ends_their_session_at_once(app, client, hr_admin, make_user):
    ola_id = make_user("Ola Nordmann", "ola@example.no")
    ola_client = logged_in_elsewhere(app, "ola@example.no")

    response = client.post(f"/admin/users/{ola_id}/deactivate")
    assert response.status_code == 302
    assert user_state(app, "ola@example.no")["active"] is False

    response = ola_client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    response = ola_client.post("/login", data={"email": "ola@example.no", "password": PASSWORD})
    assert response.status_code == 422
    assert ola_client.get("/").status_code == 302

    # The people page shows Ola as deactivated; the edit page offers reactivation.
    page = client.get("/admin/").get_data(as_text=True)
    row = page[page.rindex("<tr", 0, page.index("ola@example.no")):].split("</tr>")[0]
    assert 'class="inactive"' in row
    page = client.get(f"/admin/users/{ola_id}").get_data(as_text=True)
    assert f"/admin/users/{ola_id}/reactivate" in page
    assert f"/admin/users/{ola_id}/deactivate" not in page

    # Reactivated, Ola can log in again with the same password.
    assert client.post(f"/admin/users/{ola_id}/reactivate").status_code == 302
    assert ola_client.post(
        "/login", data={"email": "ola@example.no", "password": PASSWORD}
    ).status_code == 302
    assert ola_client.get("/").status_code == 200


def test_admin_password_reset_ends_the_session_and_sends_a_link(
    app, client, hr_admin, make_user, deliver
):
    ola_id = make_user("Ola Nordmann", "ola@example.no")
    ola_client = logged_in_elsewhere(app, "ola@example.no")

    response = client.post(f"/admin/users/{ola_id}/reset-password")
    assert response.status_code == 302
    assert response.location == f"/admin/users/{ola_id}"

    response = ola_client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert ola_client.post(
        "/login", data={"email": "ola@example.no", "password": PASSWORD}
    ).status_code == 422
    assert user_state(app, "ola@example.no")["password_hash"] is None
    assert user_state(app, "ola@example.no")["active"] is True

    messages = [m for m in deliver() if m["To"] == "ola@example.no"]
    assert len(messages) == 1
    body = text_of(messages[0])
    assert SET_LINK in body
    with app.app_context():
        token = db.session.scalar(select(PasswordToken).where(PasswordToken.user_id == ola_id))
        assert token.purpose == "reset"

    # The link lets Ola choose a new password and log in with it.
    path = set_password_path(body)
    new_password = "a-brand-new-password-42"
    response = ola_client.post(path, data={"password": new_password, "confirm": new_password})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert ola_client.post(
        "/login", data={"email": "ola@example.no", "password": new_password}
    ).status_code == 302


def test_password_reset_of_a_deactivated_user_is_refused(app, client, hr_admin, make_user):
    gone_id = make_user("Gone Person", "gone@example.no", active=False)
    before = everyone(app)
    assert client.post(f"/admin/users/{gone_id}/reset-password").status_code == 409
    assert everyone(app) == before
    assert outbox_count(app) == 0


# The organisation ---------------------------------------------------------------------------


def test_hr_admin_sets_the_organisation_name_shown_in_the_header(app, client, hr_admin):
    response = client.post("/admin/organisation", data={"name": "Fjordvik kommune"})
    assert response.status_code == 302
    with app.app_context():
        assert Organisation.current().name == "Fjordvik kommune"
    page = client.get("/").get_data(as_text=True)
    header = page[page.index('<header class="site-header">'):page.index("</header>")]
    assert "Fjordvik kommune" in header

    # Renaming keeps one organisation.
    client.post("/admin/organisation", data={"name": "Fjordvik og Omegn kommune"})
    with app.app_context():
        assert db.session.scalar(select(func.count(Organisation.id))) == 1
        assert Organisation.current().name == "Fjordvik og Omegn kommune"
    page = client.get("/admin/organisation").get_data(as_text=True)
    assert 'value="Fjordvik og Omegn kommune"' in page
    header = page[page.index('<header class="site-header">'):page.index("</header>")]
    assert "Fjordvik og Omegn kommune" in header

    # Others see it too.
    other = app.test_client()
    page = other.get("/login").get_data(as_text=True)
    assert "Fjordvik og Omegn kommune" in page


@pytest.mark.parametrize("name", ["", "O" * 121])
def test_an_empty_or_overlong_organisation_name_is_refused(app, client, hr_admin, name):
    client.post("/admin/organisation", data={"name": "Test AS"})
    response = client.post("/admin/organisation", data={"name": name})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert has_field_error(page, "name")
    with app.app_context():
        assert Organisation.current().name == "Test AS"


# Performance --------------------------------------------------------------------------------


def test_people_page_query_count_does_not_grow_with_the_number_of_people(
    app, client, hr_admin, make_user, count_queries
):
    def add_people(start, stop):
        with app.app_context():
            leader = User(name="Lars Leder", email="lars@example.no", is_leader=True)
            if start:
                leader = db.session.scalar(select(User).where(User.email == "lars@example.no"))
            else:
                db.session.add(leader)
            for n in range(start, stop):
                db.session.add(User(name=f"Person {n:02d}", email=f"p{n}@example.no",
                                    leader=leader, is_leader=n % 5 == 0))
            db.session.commit()

    add_people(0, 3)
    client.get("/admin/")  # warm up
    with count_queries() as few:
        page = client.get("/admin/").get_data(as_text=True)
    assert page.count("@example.no</td>") == 5

    add_people(3, 30)
    with count_queries() as many:
        page = client.get("/admin/").get_data(as_text=True)
    assert page.count("@example.no</td>") == 32
    assert "Person 29" in page
    assert len(many) == len(few), (few, many)


def test_the_leader_role_stays_while_people_report_to_the_leader(
    app, client, hr_admin, make_user
):
    leader_id = make_user("Lars Leder", "lars@example.no", roles=("leader", "employee"))
    make_user("Anne Ansatt", "anne@example.no", leader_id=leader_id)
    response = client.post(f"/admin/users/{leader_id}", data={
        "name": "Lars Leder", "email": "lars@example.no", "leader_id": "0",
        "is_employee": "y", "locale": "nb",
    })
    assert response.status_code == 422
    assert has_field_error(response.get_data(as_text=True), "is_leader")
    with app.app_context():
        assert db.session.get(User, leader_id).is_leader


def test_dates_on_the_person_page_are_norwegian_oslo_time(app, client, hr_admin, make_user):
    from datetime import datetime

    user_id = make_user("Anne Ansatt", "anne@example.no")
    with app.app_context():
        db.session.get(User, user_id).created_at = datetime(2026, 3, 31, 22, 15)  # UTC
        db.session.commit()
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    # 1 April in Oslo, a quarter past midnight (the date's form is the date filters').
    assert re.search(r"Lagt til (01\.04\.|1\. april )2026\D+00[.:]15", page), page


def test_deactivating_a_leader_names_the_people_who_need_a_new_one(
    app, client, hr_admin, make_user
):
    leader_id = make_user("Lars Leder", "lars@example.no", roles=("leader", "employee"))
    make_user("Anne Ansatt", "anne@example.no", leader_id=leader_id)
    make_user("Ola Borte", "ola@example.no", leader_id=leader_id, active=False)
    page = client.post(f"/admin/users/{leader_id}/deactivate",
                       follow_redirects=True).get_data(as_text=True)
    warning = re.search(r'<p class="flash flash-error">([^<]*)</p>', page).group(1)
    assert "Anne Ansatt" in warning
    assert "Ola Borte" not in warning


# The people list: pages, search and filters ---------------------------------------------------


def _listed(page: str) -> list[str]:
    """The email addresses on a page of the people list, in order."""
    return re.findall(r'<td data-label="E-post">([^<]*)</td>', page)


def _add_many(app, count, **fields):
    with app.app_context():
        for n in range(count):
            db.session.add(User(name=f"Person {n:03d}", email=f"p{n:03d}@example.no", **fields))
        db.session.commit()


def test_the_people_list_is_paged_fifty_at_a_time(app, client, hr_admin):
    _add_many(app, 119)  # and Hanne: 120
    page = client.get("/admin/").get_data(as_text=True)
    assert len(_listed(page)) == 50
    assert "Viser 1–50 av 120 personer" in page
    assert "Side 1 av 3" in page
    assert 'href="/admin/?page=2" rel="next">Neste side' in page
    assert "Forrige side" not in page

    last = client.get("/admin/?page=3").get_data(as_text=True)
    assert len(_listed(last)) == 20 and "Viser 101–120 av 120 personer" in last
    assert "Neste side" not in last
    # Past the end is the last page; nobody is listed twice across the pages.
    assert _listed(client.get("/admin/?page=999").get_data(as_text=True)) == _listed(last)
    everyone = [e for n in (1, 2, 3)
                for e in _listed(client.get(f"/admin/?page={n}").get_data(as_text=True))]
    assert len(set(everyone)) == 120


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "1.5", "٣", "99999999999999999999999"])
def test_a_bad_page_number_shows_the_first_page_and_says_so(app, client, hr_admin, bad):
    _add_many(app, 60)
    response = client.get("/admin/", query_string={"page": bad})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    if bad.isascii() and bad.isdigit() and int(bad) > 1:
        assert "Side 2 av 2" in page  # a number past the end: the last page
    else:
        assert "Det finnes ingen side «" in page
        assert "Side 1 av 2" in page


def test_the_people_list_searches_names_and_emails_without_regard_to_case(
    app, client, hr_admin, make_user
):
    make_user("Ørjan Ås", "orjan@example.no")
    make_user("Kari Nordmann", "kari.n@fjord.no")
    make_user("Ola 100%_Sikker", "ola@example.no")
    _add_many(app, 30)
    for query, expected in [("ØRJAN", ["orjan@example.no"]), ("ås", ["orjan@example.no"]),
                            ("FJORD.NO", ["kari.n@fjord.no"]), ("  kari ", ["kari.n@fjord.no"]),
                            ("100%_", ["ola@example.no"]), ("%", ["ola@example.no"]),
                            ("ingen slik", [])]:
        page = client.get("/admin/", query_string={"q": query}).get_data(as_text=True)
        assert _listed(page) == expected, query
    assert "Ingen passer til søket." in page


def test_the_people_list_filters_by_role_leader_and_status(app, client, hr_admin, make_user):
    lars = make_user("Lars Leder", "lars@example.no", roles=("leader", "employee"))
    make_user("Anne Ansatt", "anne@example.no", leader_id=lars)
    make_user("Borte Borte", "borte@example.no", leader_id=lars, active=False)
    make_user("Uten Leder", "uten@example.no")

    def listed(**args):
        return sorted(_listed(client.get("/admin/", query_string=args).get_data(as_text=True)))

    assert listed(role="leader") == ["lars@example.no"]
    assert listed(role="hr_admin") == ["hr@example.no"]
    assert listed(leader=str(lars)) == ["anne@example.no", "borte@example.no"]
    assert listed(leader=str(lars), active="yes") == ["anne@example.no"]
    assert listed(active="no") == ["borte@example.no"]
    assert listed(leader="none", role="employee") == ["lars@example.no", "uten@example.no"]
    # The pager keeps the filters.
    _add_many(app, 60, leader_id=lars)
    page = client.get("/admin/", query_string={"leader": lars, "q": "person"}).get_data(
        as_text=True)
    assert f'href="/admin/?page=2&amp;q=person&amp;leader={lars}"' in page


@pytest.mark.parametrize(("args", "message"), [
    ({"role": "sjef"}, "Det finnes ingen rolle «sjef». Viser alle roller."),
    ({"leader": "99999999999999999999"}, "Det finnes ingen leder «99999999999999999999»."),
    ({"leader": "abc"}, "Det finnes ingen leder «abc»."),
    ({"active": "kanskje"}, "Det finnes ingen status «kanskje»."),
    ({"q": "x" * 201}, "Høyst 200 tegn."),
])
def test_a_filter_that_is_not_offered_is_named_and_not_used(
    app, client, hr_admin, make_user, args, message
):
    make_user("Anne Ansatt", "anne@example.no")
    response = client.get("/admin/", query_string=args)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html.unescape(page)
    assert sorted(_listed(page)) == ["anne@example.no", "hr@example.no"]


def test_htmx_asks_for_the_list_alone(app, client, hr_admin, make_user, rendered):
    make_user("Anne Ansatt", "anne@example.no")
    response = client.get("/admin/?q=ansatt", headers={"HX-Request": "true"})
    assert_block(rendered, "admin/users.html", "people")
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="people">')
    assert _listed(page) == ["anne@example.no"]


def test_the_people_list_is_a_fixed_number_of_queries_for_any_page_or_filter(
    app, client, hr_admin, make_user, count_queries
):
    lars = make_user("Lars Leder", "lars@example.no", roles=("leader", "employee"))

    def queries(**args):
        client.get("/admin/", query_string=args)
        with count_queries() as statements:
            client.get("/admin/", query_string=args)
        return len(statements)

    searches = [{}, {"q": "person"}, {"role": "leader", "active": "yes"},
                {"leader": str(lars), "page": "2"}]
    few = [queries(**args) for args in searches]
    with app.app_context():
        for n in range(150):
            db.session.add(User(name=f"Person {n:03d}", email=f"p{n:03d}@example.no",
                                leader_id=lars, is_leader=n % 10 == 0))
        db.session.commit()
    assert [queries(**args) for args in searches] == few
