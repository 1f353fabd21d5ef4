"""Importing people from a CSV file: a preview first, then all of them or none."""

import html
import io
import re

import pytest
from sqlalchemy import func, select

from medsamtale.extensions import db
from medsamtale.models import PasswordToken, User

from .fixtures.app import SET_LINK
from .helpers import outbox, text_of

HEADER = "name,email,leader_email,role\n"


# Helpers ------------------------------------------------------------------------------------


def upload(client, content, filename="people.csv"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return client.post(
        "/admin/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def confirm(client, csv_text):
    return client.post("/admin/import/confirm", data={"csv_text": csv_text})


def hidden_csv_text(page):
    """The CSV text the preview carries in its confirm form, as a browser would post it."""
    match = re.search(r'<input[^>]*name="csv_text"[^>]*>', page)
    assert match, "the preview has no confirm form"
    value = re.search(r'value="([^"]*)"', match.group(0), re.S)
    return html.unescape(value.group(1))


def hidden_csv_text_of(content) -> str:
    return (content.decode("utf-8") if isinstance(content, bytes) else content).lstrip("\ufeff")


def preview_rows(page):
    """{line number: row html} for every row of the preview table."""
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    rows = {}
    for row in re.findall(r"<tr class=\"(?:good|bad)\">.*?</tr>", body, re.S):
        line = int(re.search(r"<td>(\d+)</td>", row).group(1))
        rows[line] = row
    return rows


def bad_lines(page):
    return sorted(line for line, row in preview_rows(page).items() if 'class="bad"' in row)


def people(app):
    """{email: (name, roles, leader's email)} for everyone in the database."""
    with app.app_context():
        return {
            u.email: (u.name, set(u.roles), u.leader.email if u.leader else None)
            for u in db.session.scalars(select(User))
        }


def recipients(app):
    """Whom the outbox holds mail for, sorted."""
    return sorted(message.recipient for message in outbox(app))


def assert_nothing_imported(app, before):
    assert people(app) == before
    assert recipients(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(PasswordToken.id))) == 0


# Access -------------------------------------------------------------------------------------


def test_the_import_page_has_an_upload_form(client, hr_admin):
    response = client.get("/admin/import")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page and 'name="file"' in page
    assert 'name="csv_text"' not in page


# A good file --------------------------------------------------------------------------------


GOOD_COMMA = (
    HEADER
    + "Ola Nordmann,ola@example.no,lena@example.no,employee\n"
    + "Lena Leder,Lena@Example.no,lars@example.no,leader\n"
    + "Åse Ødegård,aase@example.no,lars@example.no,employee\n"
    + "\n"
    + "Hedda HR,hedda@example.no,,hr_admin\n"
)

GOOD_SEMICOLON = (
    "navn;e-post;leders e-post;rolle\r\n"
    "Ola Nordmann;ola@example.no;lena@example.no;medarbeider\r\n"
    "Lena Leder;lena@example.no;lars@example.no;leder\r\n"
    "\"Ødegård; Åse\";aase@example.no;LARS@example.no;ansatt\r\n"
    "Hedda HR;hedda@example.no;;hr_admin\r\n"
)


@pytest.mark.parametrize(
    ("content", "names"),
    [
        (GOOD_COMMA.encode("utf-8"), ["Ola Nordmann", "Lena Leder", "Åse Ødegård", "Hedda HR"]),
        ("\ufeff" + GOOD_SEMICOLON, ["Ola Nordmann", "Lena Leder", "Ødegård; Åse", "Hedda HR"]),
    ],
    ids=["comma", "semicolon-with-bom"],
)
def test_a_good_file_is_previewed_then_imported_with_leaders_and_roles(
    app, client, hr_admin, make_user, deliver, content, names
):
    if isinstance(content, str):
        content = content.encode("utf-8")  # keeps the BOM as bytes EF BB BF
    make_user("Lars Leder", "lars@example.no", roles=("employee", "leader"))
    before = people(app)

    response = upload(client, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    rows = preview_rows(page)
    assert len(rows) == 4
    for name in names:
        assert html.escape(name, quote=False) in page
    for email in ["ola@example.no", "lena@example.no", "aase@example.no", "hedda@example.no"]:
        assert email in page
    assert bad_lines(page) == []
    # The preview alone changes nothing.
    assert people(app) == before
    assert recipients(app) == []

    csv_text = hidden_csv_text(page)
    assert not csv_text.startswith("\ufeff")
    response = confirm(client, csv_text)
    assert response.status_code == 302
    assert response.location == "/admin/"

    now = people(app)
    assert now["ola@example.no"] == (names[0], {"employee"}, "lena@example.no")
    # Lena is defined after Ola, who reports to her; she reports to an existing leader.
    assert now["lena@example.no"] == ("Lena Leder", {"employee", "leader"}, "lars@example.no")
    assert now["aase@example.no"] == (names[2], {"employee"}, "lars@example.no")
    assert now["hedda@example.no"] == ("Hedda HR", {"hr_admin"}, None)
    assert now["lars@example.no"] == before["lars@example.no"]
    assert len(now) == len(before) + 4

    new = ["aase@example.no", "hedda@example.no", "lena@example.no", "ola@example.no"]
    assert recipients(app) == new
    page = client.get("/admin/").get_data(as_text=True)
    for email in new:
        assert email in page

    delivered = deliver()
    assert sorted(m["To"] for m in delivered) == new
    for message in delivered:
        assert SET_LINK in text_of(message)

    # The same file again changes nothing: everyone is already as it says.
    response = upload(client, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert bad_lines(page) == []
    assert ["Uendret" in row for row in preview_rows(page).values()] == [True] * 4
    assert "there is nothing to import" in page or "ingenting å importere" in page
    assert 'name="csv_text"' not in page
    assert confirm(client, hidden_csv_text_of(content)).status_code == 422  # nothing to do
    assert people(app) == now


def test_a_leader_defined_later_in_the_file_can_lead_a_leader(app, client, hr_admin):
    text = (
        HEADER
        + "Ola Nordmann,ola@example.no,lena@example.no,employee\n"
        + "Lena Leder,lena@example.no,sjef@example.no,leader\n"
        + "Sjur Sjef,sjef@example.no,,leader\n"
    )
    response = upload(client, text)
    assert response.status_code == 200
    assert confirm(client, hidden_csv_text(response.get_data(as_text=True))).status_code == 302
    now = people(app)
    assert now["ola@example.no"][2] == "lena@example.no"
    assert now["lena@example.no"][2] == "sjef@example.no"
    assert now["sjef@example.no"] == ("Sjur Sjef", {"employee", "leader"}, None)


# Bad files ----------------------------------------------------------------------------------


BAD_ROWS = [
    # (the CSV line after the header, what is wrong)
    ("Ola Nordmann,ola@example.no,,employee", None),  # good line 2
    ("Ugyldig Epost,not-an-email,,employee", "invalid email"),  # 3
    ("Dobbel En,dup@example.no,,employee", None),  # 4
    ("Dobbel To,DUP@example.no,,employee", "duplicate in file"),  # 5
    ("Dora Igjen,dora@example.no,,employee", "deactivated"),  # 6
    ("Rolle Ukjent,rolle@example.no,,sjef", "unknown role"),  # 7
    ("Leder Ukjent,ukjent@example.no,nobody@example.no,employee", "unknown leader"),  # 8
    ("Leder Feil,feil@example.no,kari@example.no,employee", "existing non-leader"),  # 9
    ("Leder Fil,fil@example.no,ola@example.no,employee", "non-leader in file"),  # 10
    ("Meg Selv,selv@example.no,selv@example.no,leader", "self as leader"),  # 11
    ("Loop En,loop1@example.no,loop2@example.no,leader", "loop"),  # 12
    ("Loop To,loop2@example.no,loop1@example.no,leader", "loop"),  # 13
    ("N" * 121 + ",lang@example.no,,employee", "over-long name"),  # 14
    (",tom@example.no,,employee", "missing name"),  # 15
    ("Lang Epost," + "a" * 250 + "@example.no,,employee", "over-long email"),  # 16
    ("Per Person,per@example.no,,leader", None),  # good line 17
]


def test_a_file_with_bad_rows_shows_each_bad_line_and_imports_nobody(
    app, client, hr_admin, make_user
):
    make_user("Kari Nordmann", "kari@example.no")  # exists, employee only
    make_user("Dora Deaktivert", "dora@example.no", active=False)
    before = people(app)
    text = HEADER + "\n".join(row for row, _problem in BAD_ROWS) + "\n"
    expected_bad = [n + 2 for n, (_row, problem) in enumerate(BAD_ROWS) if problem]

    response = upload(client, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    rows = preview_rows(page)
    assert sorted(rows) == list(range(2, len(BAD_ROWS) + 2))
    assert bad_lines(page) == expected_bad
    assert 'class="good"' in rows[2] and "ola@example.no" in rows[2]
    assert 'class="good"' in rows[17] and "per@example.no" in rows[17]
    for line in expected_bad:
        # Each bad row lists its errors, each error naming the row's line number.
        errors = re.search(r'<ul class="errors">(.*?)</ul>', rows[line], re.S)
        assert errors, line
        items = re.findall(r"<li>(.*?)</li>", errors.group(1), re.S)
        assert items and all(f"{line}" in item for item in items), (line, items)
    # No way forward from this preview.
    assert 'name="csv_text"' not in page
    assert_nothing_imported(app, before)

    # Posting the same text to the confirm step anyway imports nobody, not even good rows.
    response = confirm(client, text)
    assert response.status_code == 422
    assert_nothing_imported(app, before)
    assert "per@example.no" not in people(app)


@pytest.mark.parametrize(
    ("rows", "bad"),
    [
        (["Ugyldig,ikke-epost,,employee"], [2]),
        (["En,dup@example.no,,employee", "To,dup@example.no,,employee"], [3]),
        (["Dora Igjen,DORA@example.no,,employee"], [2]),
        (["Ukjent Rolle,r@example.no,,boss"], [2]),
        (["Ukjent Leder,u@example.no,nobody@example.no,employee"], [2]),
        (["Ansatt,a@example.no,,employee", "Under,b@example.no,a@example.no,employee"], [3]),
        (["Eksisterende ikke-leder,c@example.no,kari@example.no,employee"], [2]),
        (["Selv,s@example.no,s@example.no,leader"], [2]),
        (["A,a@example.no,b@example.no,leader", "B,b@example.no,a@example.no,leader"], [2, 3]),
        (["A,a@example.no,b@example.no,leader", "B,b@example.no,c@example.no,leader",
          "C,c@example.no,a@example.no,leader"], [2, 3, 4]),
        (["N" * 121 + ",n@example.no,,employee"], [2]),
    ],
    ids=["invalid-email", "duplicate-in-file", "deactivated", "unknown-role", "unknown-leader",
         "leader-without-role-in-file", "leader-without-role-in-db", "self-leader",
         "loop-of-two", "loop-of-three", "long-name"],
)
def test_each_kind_of_bad_row_is_refused(app, client, hr_admin, make_user, rows, bad):
    make_user("Kari Nordmann", "kari@example.no")
    make_user("Dora Deaktivert", "dora@example.no", active=False)
    before = people(app)
    # A good row first, so a bad row is never the only one.
    text = HEADER + "Ola Nordmann,ola@example.no,,employee\n" + "\n".join(rows) + "\n"
    bad = [line + 1 for line in bad]

    response = upload(client, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert bad_lines(page) == bad
    assert 'name="csv_text"' not in page
    assert confirm(client, text).status_code == 422
    assert_nothing_imported(app, before)


def test_an_inactive_leader_cannot_be_named(app, client, hr_admin, make_user):
    make_user("Gamle Leder", "gamle@example.no", roles=("leader",), active=False)
    before = people(app)
    text = HEADER + "Ola Nordmann,ola@example.no,gamle@example.no,employee\n"
    response = upload(client, text)
    assert response.status_code == 422
    assert bad_lines(response.get_data(as_text=True)) == [2]
    assert confirm(client, text).status_code == 422
    assert_nothing_imported(app, before)


@pytest.mark.parametrize(
    "text",
    [
        "name,email,role\nOla Nordmann,ola@example.no,employee\n",
        "navn,e-post,leder\nOla Nordmann,ola@example.no,\n",
        "Ola Nordmann,ola@example.no,,employee\n",
        "fornavn,etternavn,epost,leder,rolle\nOla,Nordmann,ola@example.no,,employee\n",
    ],
    ids=["no-leader-column", "no-role-column", "no-header", "unknown-column"],
)
def test_missing_header_columns_are_refused(app, client, hr_admin, text):
    before = people(app)
    response = upload(client, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    # The problem is about the file, shown in the preview; no rows, no confirm form.
    preview = page[page.index('id="preview-heading"'):]
    assert 'class="errors"' in preview
    assert "<tbody>" not in preview
    assert 'name="csv_text"' not in page
    assert confirm(client, text).status_code == 422
    assert_nothing_imported(app, before)


def test_a_file_with_only_a_header_is_refused(app, client, hr_admin):
    before = people(app)
    response = upload(client, HEADER)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'name="csv_text"' not in page
    assert confirm(client, HEADER).status_code == 422
    assert_nothing_imported(app, before)


def test_a_file_that_is_not_utf8_is_refused(app, client, hr_admin):
    before = people(app)
    content = (HEADER + "Bjørn Berg,bjorn@example.no,,employee\n").encode("cp1252")
    response = upload(client, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="file-errors"' in page
    assert 'aria-invalid="true"' in page
    assert "preview-heading" not in page
    assert 'name="csv_text"' not in page
    assert_nothing_imported(app, before)


def test_a_wrongly_named_file_is_refused(app, client, hr_admin):
    before = people(app)
    content = HEADER.encode() + b"Ola Nordmann,ola@example.no,,employee\n"
    response = upload(client, content, "people.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="file-errors"' in page
    assert "preview-heading" not in page
    assert_nothing_imported(app, before)


def test_no_file_or_an_empty_file_is_refused(app, client, hr_admin):
    before = people(app)
    response = client.post("/admin/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="file-errors"' in response.get_data(as_text=True)

    response = upload(client, b"")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    preview = page[page.index('id="preview-heading"'):]
    assert 'class="errors"' in preview
    assert 'name="csv_text"' not in page
    assert_nothing_imported(app, before)


def test_confirm_without_text_imports_nobody(app, client, hr_admin):
    before = people(app)
    assert client.post("/admin/import/confirm", data={}).status_code == 422
    assert_nothing_imported(app, before)


# Norwegian headers and role names ---------------------------------------------------------


def test_norwegian_headers_and_role_names_in_any_case_and_spacing(app, client, hr_admin,
                                                                   make_user):
    make_user("Lars Leder", "lars@example.no", roles=("employee", "leader"))
    text = (
        " Navn ; E-POST ;Leders  e-post; Roller \r\n"
        "Lena Leder;lena@example.no;LARS@example.no; Leder og medarbeider \r\n"
        "Ola Nordmann;ola@example.no;lena@example.no;MEDARBEIDER\r\n"
        "Kari Tom;kari@example.no;lena@example.no;\r\n"
        "Hedda HR;hedda@example.no;;HR-administrator\r\n"
        "Hans HR;hans@example.no;;hr\r\n"
        "Eng Lish;eng@example.no;lena@example.no;employee\r\n"
    )
    response = upload(client, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert bad_lines(page) == []
    assert confirm(client, hidden_csv_text(page)).status_code == 302
    now = people(app)
    assert now["lena@example.no"] == ("Lena Leder", {"employee", "leader"}, "lars@example.no")
    assert now["ola@example.no"] == ("Ola Nordmann", {"employee"}, "lena@example.no")
    assert now["kari@example.no"] == ("Kari Tom", {"employee"}, "lena@example.no")
    assert now["hedda@example.no"] == ("Hedda HR", {"hr_admin"}, None)
    assert now["hans@example.no"] == ("Hans HR", {"hr_admin"}, None)
    assert now["eng@example.no"][1] == {"employee"}


@pytest.mark.parametrize("header", ["navn,epost,leder,rolle", "Name,Email,Leader_Email,Role",
                                    "navn,e-postadresse,lederens e-post,roller"])
def test_each_way_of_naming_the_columns_is_read(app, client, hr_admin, header):
    text = header + "\nOla Nordmann,ola@example.no,,leder\n"
    response = upload(client, text)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert confirm(client, text).status_code == 302
    assert people(app)["ola@example.no"][1] == {"employee", "leader"}


def test_an_error_names_the_row_and_the_column_as_the_file_names_it(app, client, hr_admin):
    before = people(app)
    text = ("navn;epost;leder;rolle\n"
            "Ola Nordmann;ola@example.no;;medarbeider\n"
            "Feil Epost;ikke-en-adresse;;medarbeider\n"
            "Feil Rolle;rolle@example.no;;sjef\n")
    response = upload(client, text)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Rad 3, kolonne «epost»: «ikke-en-adresse» er ikke en gyldig e-postadresse." in page
    assert "Rad 4, kolonne «rolle»: Ukjent rolle «sjef»" in page
    assert confirm(client, text).status_code == 422
    assert_nothing_imported(app, before)


def test_an_hr_admin_in_the_file_cannot_lead_anyone(app, client, hr_admin):
    before = people(app)
    text = ("navn;e-post;leder;rolle\n"
            "Hedda HR;hedda@example.no;;leder og hr\n"
            "Ola Nordmann;ola@example.no;hedda@example.no;medarbeider\n")
    page = html.unescape(upload(client, text).get_data(as_text=True))
    assert bad_lines(page) == [3]
    assert "Rad 3, kolonne «leder»: Lederen på rad 2 er HR-administrator" in page
    assert confirm(client, text).status_code == 422
    assert_nothing_imported(app, before)


def test_a_missing_column_is_named_in_norwegian(app, client, hr_admin):
    page = html.unescape(upload(client, "navn;e-post;leder\nOla;ola@example.no;\n")
                         .get_data(as_text=True))
    assert "Rad 1: overskriftsraden må ha kolonnene navn, e-post, leder, rolle" in page
    assert "rolle mangler." in page


def test_the_import_page_explains_the_columns_in_norwegian_with_an_example(client, hr_admin):
    page = html.unescape(client.get("/admin/import").get_data(as_text=True))
    for column in ("<dt>navn</dt>", "<dt>e-post</dt>", "<dt>leder</dt>", "<dt>rolle</dt>"):
        assert column in page
    assert "både komma og semikolon fungerer" in page
    assert "navn;e-post;leder;rolle;enhet\nKari Nordmann;kari@example.no;;leder;Helse" in page


# People already here, and units (issue 15, points 1 and 5) ---------------------------------

UNIT_HEADER = "navn;e-post;leder;rolle;enhet\n"


def everyone(app):
    return people(app)  # the module's helper, which the `people` fixture hides


@pytest.fixture
def helse(app, people):
    """Helse with Sykehjem under it, and a second Sykehjem under Skole: {path: id}."""
    from medsamtale.models import Unit

    with app.app_context():
        helse, skole = Unit(name="Helse"), Unit(name="Skole")
        db.session.add_all([helse, skole])
        db.session.flush()
        nord = Unit(name="Sykehjem Nord", parent_id=helse.id)
        kontor_h, kontor_s = (Unit(name="Kontor", parent_id=helse.id),
                              Unit(name="Kontor", parent_id=skole.id))
        db.session.add_all([nord, kontor_h, kontor_s])
        db.session.commit()
        return {"Helse": helse.id, "Skole": skole.id, "Helse/Sykehjem Nord": nord.id,
                "Helse/Kontor": kontor_h.id, "Skole/Kontor": kontor_s.id}


def unit_of(app, email):
    with app.app_context():
        return db.session.scalar(select(User.unit_id).where(User.email == email))


def test_a_line_for_someone_here_changes_them_after_a_preview_of_each_change(
    app, people, as_, helse, make_conversation
):
    from medsamtale.models import Conversation

    open_id = make_conversation(people["anne"])
    hr = as_("hr")
    text = (UNIT_HEADER
            + "Anne Aas-Berg;anne@example.no;lena@example.no;medarbeider;Helse/Sykehjem Nord\n"
            + "Lars Lie;lars@example.no;;leder;\n"
            + "Ola Ny;ola@example.no;lena@example.no;medarbeider;sykehjem nord\n")
    page = upload(hr, text).get_data(as_text=True)
    rows = preview_rows(page)
    assert bad_lines(page) == []
    assert "Nye personer: 1. Endres: 1. Uendret: 1." in page
    assert "navn: Anne Aas → Anne Aas-Berg" in rows[2]
    assert "leder: lars@example.no → lena@example.no" in rows[2]
    assert "enhet: – → Sykehjem Nord" in rows[2]
    assert "Uendret" in rows[3] and "Ny person" in rows[4]
    assert "Importer: 1 nye, 1 endres" in page
    assert everyone(app)["anne@example.no"][2] == "lars@example.no"  # the preview changes nothing

    response = confirm(hr, hidden_csv_text(page))
    assert response.status_code == 302
    now = everyone(app)
    assert now["anne@example.no"] == ("Anne Aas-Berg", {"employee"}, "lena@example.no")
    assert now["ola@example.no"] == ("Ola Ny", {"employee"}, "lena@example.no")
    assert unit_of(app, "anne@example.no") == helse["Helse/Sykehjem Nord"]
    assert unit_of(app, "ola@example.no") == helse["Helse/Sykehjem Nord"]
    # The change of leader is the same as on the person's page: Lena takes over the open
    # conversation, and Anne and both leaders are told; Ola is welcomed.
    with app.app_context():
        assert db.session.get(Conversation, open_id).leader_id == people["lena"]
    told = {(m.recipient, m.kind) for m in outbox(app)}
    assert {("anne@example.no", "leader_changed"), ("lars@example.no", "leader_changed"),
            ("lena@example.no", "leader_changed"), ("ola@example.no", "welcome")} <= told
    assert ("1 personer ble importert og har fått en lenke for å velge passord. "
            "1 personer ble endret.") in hr.get("/admin/").get_data(as_text=True)


def test_without_a_unit_column_people_keep_their_unit(app, people, as_, helse):
    with app.app_context():
        db.session.get(User, people["anne"]).unit_id = helse["Helse"]
        db.session.commit()
    hr = as_("hr")
    text = HEADER + "Anne Aas,anne@example.no,lars@example.no,employee\n"
    page = upload(hr, text).get_data(as_text=True)
    assert "Uendret" in preview_rows(page)[2]
    assert 'name="csv_text"' not in page  # nothing to do
    assert unit_of(app, "anne@example.no") == helse["Helse"]


@pytest.mark.parametrize(
    ("cell", "message"),
    [("Kontor", "Flere enheter heter «Kontor»: skriv stien, for eksempel «Helse/Kontor»."),
     ("Ukjent", "Ingen enhet «Ukjent»"),
     ("Skole/Sykehjem Nord", "Ingen enhet «Skole/Sykehjem Nord»")],
    ids=["a-name-two-units-share", "unknown", "wrong-path"],
)
def test_a_unit_that_is_not_there_or_not_one_is_refused(app, people, as_, helse, cell,
                                                         message):
    hr = as_("hr")
    before = everyone(app)
    text = UNIT_HEADER + f"Ola Ny;ola@example.no;;medarbeider;{cell}\n"
    response = upload(hr, text)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Rad 2, kolonne «enhet»:" in page and message in page
    assert confirm(hr, text).status_code == 422
    assert everyone(app) == before


def test_a_path_picks_one_of_two_units_of_one_name(app, people, as_, helse):
    hr = as_("hr")
    text = UNIT_HEADER + "Ola Ny;ola@example.no;;medarbeider;skole / kontor\n"
    assert confirm(hr, hidden_csv_text(upload(hr, text).get_data(as_text=True))).status_code \
        == 302
    assert unit_of(app, "ola@example.no") == helse["Skole/Kontor"]


def test_a_leader_who_still_leads_people_keeps_the_leader_role(app, people, as_):
    hr = as_("hr")
    before = everyone(app)
    text = HEADER + "Lars Lie,lars@example.no,,employee\n"
    response = upload(hr, text)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Lars Lie leder fortsatt noen" in page
    assert everyone(app) == before
    # Moving his people to Lena in the same file lets him be an employee only.
    text = (HEADER + "Lars Lie,lars@example.no,,employee\n"
            + "Anne Aas,anne@example.no,lena@example.no,employee\n"
            + "Bjørn Berg,bjorn@example.no,lena@example.no,employee\n")
    page = upload(hr, text).get_data(as_text=True)
    assert bad_lines(page) == []
    assert confirm(hr, hidden_csv_text(page)).status_code == 302
    assert everyone(app)["lars@example.no"] == ("Lars Lie", {"employee"}, None)
    assert everyone(app)["anne@example.no"][2] == "lena@example.no"


def test_a_loop_through_the_people_already_here_is_refused(app, people, as_, make_user):
    hr = as_("hr")
    make_user("Sjur Sjef", "sjur@example.no", roles=("leader", "employee"))
    with app.app_context():
        db.session.get(User, people["lars"]).leader_id = db.session.scalar(
            select(User.id).where(User.email == "sjur@example.no"))
        db.session.commit()
    before = everyone(app)
    # Sjur leads Lars (not in the file); Sjur under Lars would close the loop.
    text = HEADER + "Sjur Sjef,sjur@example.no,lars@example.no,leader\n"
    response = upload(hr, text)
    assert response.status_code == 422
    assert "Lederne i filen danner en sløyfe." in html.unescape(response.get_data(as_text=True))
    assert everyone(app) == before


def test_an_hr_admin_who_leads_people_cannot_be_made_one_by_the_file(app, people, as_):
    hr = as_("hr")
    before = everyone(app)
    response = upload(hr, HEADER + "Lena Larsen,lena@example.no,,leader og hr\n")
    assert response.status_code == 422
    assert "en HR-administrator kan ikke være noens leder" in \
        html.unescape(response.get_data(as_text=True))
    assert everyone(app) == before


def test_a_person_imported_into_a_unit_of_an_open_round_joins_it(
    app, people, as_, helse, question_bank
):
    from medsamtale.models import RoundMember
    from tests.test_rounds import open_round

    hr = as_("hr")
    round_id = open_round(hr, question_bank, [helse["Helse"]])
    text = UNIT_HEADER + "Dag Eide;dag@example.no;lena@example.no;medarbeider;Kontor\n"
    assert upload(hr, text).status_code == 422  # two units are called Kontor
    text = UNIT_HEADER + "Dag Eide;dag@example.no;lena@example.no;medarbeider;Helse/Kontor\n"
    assert confirm(hr, hidden_csv_text(upload(hr, text).get_data(as_text=True))).status_code \
        == 302
    with app.app_context():
        members = db.session.scalars(select(RoundMember.user_id)
                                     .where(RoundMember.round_id == round_id)).all()
    assert people_ids(app, members) == ["dag@example.no"]


def people_ids(app, ids):
    with app.app_context():
        return sorted(db.session.scalars(select(User.email).where(User.id.in_(ids))))


# The end of the employment (issue 16, point 2) ----------------------------------------------

END_HEADER = "navn;e-post;leder;rolle;sluttdato\n"


def ended_on(app, email):
    with app.app_context():
        return db.session.scalar(select(User.employment_ended_on).where(User.email == email))


@pytest.mark.parametrize("header", ["sluttdato", "Sluttdato", "end date", "end_date",
                                    "employment_ended_on", "Siste arbeidsdag"])
def test_an_end_date_column_sets_the_end_of_employment_on_create_and_update(
    app, people, as_, header
):
    from datetime import date

    hr = as_("hr")
    text = (f"navn;e-post;leder;rolle;{header}\n"
            "Anne Aas;anne@example.no;lars@example.no;medarbeider;31.03.2026\n"
            "Ola Ny;ola@example.no;lena@example.no;medarbeider;2026-06-30\n"
            "Per Prøve;per@example.no;lena@example.no;medarbeider;1.7.2026\n"
            "Dag Eide;dag@example.no;lena@example.no;medarbeider;\n")
    page = html.unescape(upload(hr, text).get_data(as_text=True))
    rows = preview_rows(page)
    assert bad_lines(page) == []
    assert "sluttdato: – → 31.03.2026" in rows[2]
    assert "Ny person" in rows[3] and "Uendret" in rows[5]
    assert ended_on(app, "anne@example.no") is None  # the preview changes nothing
    assert confirm(hr, hidden_csv_text(page)).status_code == 302
    assert ended_on(app, "anne@example.no") == date(2026, 3, 31)
    assert ended_on(app, "ola@example.no") == date(2026, 6, 30)
    assert ended_on(app, "per@example.no") == date(2026, 7, 1)
    assert ended_on(app, "dag@example.no") is None
    with app.app_context():  # the date alone deactivates nobody
        assert db.session.scalar(select(User.active).where(User.email == "anne@example.no"))


def test_an_empty_end_date_clears_it_and_no_column_keeps_it(app, people, as_):
    from datetime import date

    with app.app_context():
        db.session.get(User, people["anne"]).employment_ended_on = date(2026, 3, 31)
        db.session.commit()
    hr = as_("hr")
    page = upload(hr, HEADER + "Anne Aas,anne@example.no,lars@example.no,employee\n")
    assert "Uendret" in preview_rows(page.get_data(as_text=True))[2]
    assert ended_on(app, "anne@example.no") == date(2026, 3, 31)

    text = END_HEADER + "Anne Aas;anne@example.no;lars@example.no;medarbeider;\n"
    page = html.unescape(upload(hr, text).get_data(as_text=True))
    assert "sluttdato: 31.03.2026 → –" in preview_rows(page)[2]
    assert confirm(hr, hidden_csv_text(page)).status_code == 302
    assert ended_on(app, "anne@example.no") is None


@pytest.mark.parametrize("cell", ["31.02.2026", "2026-13-01", "31/03/2026", "neste år",
                                  "31.03.26", "2026-3-31"])
def test_a_bad_end_date_names_the_row_and_nothing_is_imported(app, people, as_, cell):
    hr = as_("hr")
    before = everyone(app)
    text = (END_HEADER
            + "Anne Aas;anne@example.no;lars@example.no;medarbeider;31.03.2026\n"
            + f"Ola Ny;ola@example.no;lena@example.no;medarbeider;{cell}\n")
    response = upload(hr, text)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert bad_lines(page) == [3]
    assert (f"Rad 3, kolonne «sluttdato»: «{cell}» er ikke en dato: skriv sluttdatoen som "
            "2026-03-31 eller 31.03.2026.") in page
    assert 'name="csv_text"' not in page
    assert confirm(hr, text).status_code == 422
    assert everyone(app) == before
    assert ended_on(app, "anne@example.no") is None


def test_the_import_page_explains_the_end_date_column(client, hr_admin):
    page = html.unescape(client.get("/admin/import").get_data(as_text=True))
    assert "<dt>sluttdato</dt>" in page
    assert "som 2026-03-31 eller 31.03.2026" in page
