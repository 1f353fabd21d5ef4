"""What goes into the personnel file (issue 16, point 1): the HR admin chooses the whole
approved minutes or only the agreed actions with the date and both confirmations; the print
view and the PDF follow it, while both parties still read the whole minutes in the app."""

import re

import pytest

from medsamtale.extensions import db
from medsamtale.models import Organisation
from tests.test_minutes import pdf_of, submit, text_in, write

POINT = "Vi snakket om arbeidsmengde og hjemmekontor."
ACTION = "Finne et kurs i prosjektledelse"  # the held fixture's agreed action


def choose(hr, choice):
    with hr.application.app_context():
        name = Organisation.current().name if Organisation.current() else "Fjordbyen kommune"
    return hr.post("/admin/organisation", data={"name": name, "personnel_file": choice})


@pytest.fixture
def approved_minutes(app, as_, held):
    write(as_, held, app, body=POINT)
    submit(as_, held)
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1})
    return held


def test_the_whole_minutes_go_into_the_personnel_file_by_default(app, as_, approved_minutes):
    page = as_("hr").get("/admin/organisation").get_data(as_text=True)
    assert "Hva som legges i personalmappen" in page
    assert re.search(r'<input checked[^>]*value="minutes"', page)
    printed = as_("anne").get(f"/minutes/{approved_minutes}/versions/1/print")
    assert POINT in printed.get_data(as_text=True)
    assert POINT in text_in(pdf_of(as_("anne").get(
        f"/minutes/{approved_minutes}/versions/1/pdf")))


def test_only_the_actions_go_into_the_personnel_file_when_hr_says_so(
    app, as_, approved_minutes
):
    assert choose(as_("hr"), "actions").status_code == 302
    with app.app_context():
        assert Organisation.current().personnel_file == "actions"
    for who in ("anne", "lars"):
        printed = as_(who).get(f"/minutes/{approved_minutes}/versions/1/print").get_data(
            as_text=True)
        assert POINT not in printed
        assert ACTION in printed and "Anne Aas" in printed and "Lars Lie" in printed
        assert "godkjent" in printed  # the leader's confirmation, with its time
        text = text_in(pdf_of(as_(who).get(f"/minutes/{approved_minutes}/versions/1/pdf")))
        assert POINT not in text and ACTION in text
        # Both parties still read the whole minutes in Medsamtale.
        assert POINT in as_(who).get(f"/minutes/{approved_minutes}").get_data(as_text=True)


def test_a_choice_that_is_not_offered_is_refused_and_changes_nothing(app, as_):
    hr = as_("hr")
    choose(hr, "actions")
    response = choose(hr, "everything")
    assert response.status_code == 422
    assert "has-errors" in response.get_data(as_text=True)
    with app.app_context():
        db.session.expire_all()
        assert Organisation.current().personnel_file == "actions"


def test_the_archive_says_what_the_personnel_file_keeps(app, as_, approved_minutes):
    anne = as_("anne")
    assert "De godkjente referatene dokumenterer hver samtale i personalmappen" in anne.get(
        "/minutes/archive").get_data(as_text=True)
    choose(as_("hr"), "actions")
    page = anne.get("/minutes/archive").get_data(as_text=True)
    assert "De avtalte tiltakene i det godkjente referatet" in page
    assert "De godkjente referatene dokumenterer" not in page
