"""The privacy statement (issue 16, point 7): everyone can read it, logged in or not, and it
says what the settings in force say: who sees what, and what goes into the personnel file."""

from medsamtale.extensions import db
from medsamtale.models import Organisation


def test_anyone_reads_the_privacy_statement_from_every_page(app, client, people, as_):
    page = client.get("/personvern/").get_data(as_text=True)
    assert "Personvern i Medsamtale" in page
    assert "Hvem ser hva, og når" in page
    assert "ikke HR-administratoren" in page
    assert "Private forberedelsesnotater er aldri med." in page
    # How to get a copy: on one's own page, by oneself.
    assert 'href="/account/#export"' in page and "laster du selv ned en kopi" in page
    login = client.get("/login").get_data(as_text=True)
    assert 'href="/personvern/"' in login  # linked from every page's footer
    assert 'href="/personvern/"' in as_("anne").get("/").get_data(as_text=True)


def test_the_statement_follows_the_personnel_file_setting(app, client, people, as_):
    with app.app_context():
        organisation = Organisation.current() or Organisation(name="Fjordbyen kommune")
        organisation.name = "Fjordbyen kommune"
        db.session.add(organisation)
        db.session.commit()
        Organisation.forget_shown_name()
    page = client.get("/personvern/").get_data(as_text=True)
    assert "Fjordbyen kommune er behandlingsansvarlig" in page
    assert "Hele det godkjente referatet" in page
    as_("hr").post("/admin/organisation", data={"name": "Fjordbyen kommune",
                                                 "personnel_file": "actions"})
    page = client.get("/personvern/").get_data(as_text=True)
    assert "Bare de avtalte tiltakene" in page
    assert "Hele det godkjente referatet" not in page


def test_the_statement_says_how_long_each_kind_is_kept_as_set(app, client, people, as_):
    page = client.get("/personvern/").get_data(as_text=True)
    assert "slettes 6 måneder etter at referatet er godkjent" in page
    assert "slettes 5 år etter at arbeidsforholdet er slutt" in page
    assert "hver hendelse slettes 5 år etter at den skjedde" in page
    as_("hr").post("/admin/organisation", data={
        "name": "Fjordbyen kommune", "retain_preparation_months": "3",
        "retain_agenda_months": "24", "retain_record_years": "10", "retain_audit_years": "2"})
    page = client.get("/personvern/").get_data(as_text=True)
    assert "slettes 3 måneder etter at referatet er godkjent" in page
    assert "slettes 24 måneder etter" in page
    assert "slettes 10 år etter at arbeidsforholdet er slutt" in page
    assert "hver hendelse slettes 2 år etter at den skjedde" in page
