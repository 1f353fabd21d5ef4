"""The employee's remark (merknad) on approved minutes (issue 16, point 4): kept beside the
minutes, which do not change, shown to both parties (and to a leader they are shared with),
in the print view and in the PDF; the leader is emailed; refused on minutes that are not
approved, and from anyone but the employee."""

import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from medsamtale.extensions import db
from medsamtale.models import AuditEvent, MinutesRemark, MinutesVersion
from tests.fixtures.app import EMAILS
from tests.helpers import new_mail, one_new_mail, snapshot, text_of
from tests.test_leader_year import approve

REMARK = "Jeg er uenig i punktet om arbeidstid: vi avtalte fire dager hjemmekontor, ikke tre."


def remarks(app):
    return snapshot(app, MinutesRemark, "minutes_id", "version_number", "body", "author_name")


def add(client, conversation_id, body=REMARK):
    return client.post(f"/minutes/{conversation_id}/remarks", data={"body": body})


@pytest.fixture
def approved(app, held):
    approve(app, held)
    return held


def test_the_employee_adds_a_remark_that_both_see_and_the_leader_is_told(
    app, as_, approved, deliver, mailbox
):
    anne, lars = as_("anne"), as_("lars")
    page = anne.get(f"/minutes/{approved}").get_data(as_text=True)
    assert "Legg til en merknad" in page
    with app.app_context():
        approved_content = db.session.scalars(sa.select(MinutesVersion.content)).all()
    new_mail(deliver, mailbox)

    response = add(anne, approved)
    assert response.status_code == 302
    page = anne.get(response.location).get_data(as_text=True)
    assert "Merknaden din er lagret med referatet, og Lars Lie har fått beskjed." in page
    assert REMARK in page and "Medarbeiderens merknader" in page
    assert REMARK in lars.get(f"/minutes/{approved}").get_data(as_text=True)
    # The approved minutes themselves are unchanged.
    with app.app_context():
        assert db.session.scalars(sa.select(MinutesVersion.content)).all() == approved_content
    message = one_new_mail(deliver, mailbox, EMAILS["lars"])
    assert message["Subject"] == "Anne Aas har lagt til en merknad i referatet"
    assert REMARK not in text_of(message)  # the mail says there is one, not what it says
    assert f"/minutes/{approved}#remarks" in text_of(message)
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent)
                                  .where(AuditEvent.action == "minutes_remark_added"))
        assert event.conversation_id == approved and REMARK not in str(event.detail)


def test_the_remark_is_in_the_print_view_and_the_pdf(app, as_, approved):
    anne = as_("anne")
    add(anne, approved)
    with app.app_context():
        number = db.session.scalar(sa.select(MinutesVersion.number)
                                   .where(MinutesVersion.decision == "approved"))
    for client in (anne, as_("lars")):
        printed = client.get(f"/minutes/{approved}/versions/{number}/print")
        assert REMARK in printed.get_data(as_text=True)
        pdf = client.get(f"/minutes/{approved}/versions/{number}/pdf")
        assert pdf.headers["Content-Type"] == "application/pdf"
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
        assert "fire dager hjemmekontor" in " ".join(text.split())


def test_a_remark_on_minutes_not_approved_is_refused(app, as_, held):
    before = remarks(app)
    response = add(as_("anne"), held)
    assert response.status_code == 302
    page = as_("anne").get(response.location).get_data(as_text=True)
    assert "En merknad kan bare legges til et godkjent referat. Ingenting ble lagret." in page
    assert remarks(app) == before


@pytest.mark.parametrize("body, message", [
    ("   ", "Skriv merknaden din."),
    ("x" * 4001, "4000"),
])
def test_an_empty_or_too_long_remark_is_refused(app, as_, approved, body, message):
    before = remarks(app)
    response = add(as_("anne"), approved, body)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert remarks(app) == before


@pytest.mark.parametrize("who", ["lars", "bjorn", "lena", "hr"])
def test_only_the_employee_adds_a_remark(app, as_, approved, who):
    before = remarks(app)
    assert add(as_(who), approved).status_code in (403, 404)
    assert remarks(app) == before


def test_the_leader_and_hr_get_no_remark_form(as_, approved):
    assert "Legg til en merknad" not in as_("lars").get(f"/minutes/{approved}").get_data(
        as_text=True)
    assert as_("hr").get(f"/minutes/{approved}").status_code in (403, 404)
