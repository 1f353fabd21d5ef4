"""An employee shares the approved minutes of a conversation held with an earlier leader
with their current leader, and withdraws the share (issue 15, point 5): the new leader
reads the approved version, and nothing else, only while the share stands and they are
still the employee's leader."""

import sqlalchemy as sa

from medsamtale.extensions import db
from medsamtale.models import Action, AuditEvent, Minutes, MinutesShare, MinutesVersion, User
from tests.fixtures.domain import agree_actions
from tests.helpers import one_new_mail, snapshot
from tests.test_admin import form_data

NOTE = "Vil lære mer om prosjektledelse"  # in the minutes' points (the held fixture)
ACTION = "Ta kurs i prosjektledelse"
SHARE_TO_LENA = "Del referatet med Lena Larsen"
WITHDRAW = "Trekk tilbake delingen"


def new_leader(as_, people, leader_id, name="Anne Aas", email="anne@example.no"):
    """HR gives Anne another leader (0: none) through the person's form."""
    response = as_("hr").post(f"/admin/users/{people['anne']}",
                              data=form_data(name, email, leader_id=leader_id))
    assert response.status_code == 302, response.get_data(as_text=True)


def approved(app, held) -> int:
    agree_actions(app, held, (ACTION, 30))
    return held


def shares(app):
    return snapshot(app, MinutesShare, "conversation_id", "leader_id")


def events(app, action):
    with app.app_context():
        return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.id)).all()


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_employee_shares_with_the_new_leader_who_reads_only_the_approved_minutes(
    app, people, as_, held, deliver, mailbox
):
    approved(app, held)
    new_leader(as_, people, people["lena"])
    anne, lena, lars = as_("anne"), as_("lena"), as_("lars")
    assert lena.get(f"/minutes/{held}").status_code == 403
    deliver()
    mailbox.messages.clear()

    page = text(anne.get(f"/minutes/{held}"))
    assert SHARE_TO_LENA in page
    assert "Lena Larsen, lederen din nå, kan ikke lese referatet" in page
    response = anne.post(f"/minutes/{held}/share", follow_redirects=True)
    page = text(response)
    assert "Referatet er delt med Lena Larsen, som har fått beskjed på e-post." in page
    assert "Referatet er delt med Lena Larsen, lederen din nå" in page
    assert WITHDRAW in page and SHARE_TO_LENA not in page
    assert shares(app) == [(held, people["lena"])]

    # Lena reads the approved minutes, told whose they are and who held the conversation.
    page = text(lena.get(f"/minutes/{held}"))
    assert NOTE in page and ACTION in page
    assert "Delt med deg av Anne Aas" in page
    assert "Samtalen ble holdt av Lars Lie" in page
    # ... and nothing to change, nor the agenda, the versions, the follow-up.
    assert f'action="/minutes/{held}' not in page and 'action="/actions/' not in page
    for absent in ("Åpne referatet igjen", "Neste møte", "/agenda/", "Versjoner",
                   f"/minutes/{held}/versions/1\"", "Be om å åpne referatet igjen", WITHDRAW):
        assert absent not in page, absent
    assert lena.get(f"/agenda/{held}").status_code in (403, 404)
    assert lena.get(f"/preparation/{held}/leader").status_code in (403, 404)
    assert lena.get(f"/minutes/{held}/versions/1").status_code in (403, 404)
    # The print view and the PDF of the approved version.
    assert NOTE in text(lena.get(f"/minutes/{held}/versions/1/print"))
    pdf = lena.get(f"/minutes/{held}/versions/1/pdf")
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    # Lars, who held it, still reads it.
    assert NOTE in text(lars.get(f"/minutes/{held}"))

    # Lena is told by email: the employee and the date, never the content.
    message = one_new_mail(deliver, mailbox, "lena@example.no")
    assert "Anne Aas har delt et referat med deg" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Anne Aas har delt med deg det godkjente referatet" in body
    assert "Lars Lie" in body and f"/minutes/{held}" in body
    assert NOTE not in body and ACTION not in body
    # The audit log names the share, not what the minutes say.
    (event,) = events(app, "minutes_shared")
    assert (event.actor_id, event.subject_user_id, event.conversation_id) == (
        people["anne"], people["lena"], held)
    assert NOTE not in str(event.detail) and ACTION not in str(event.detail)


def test_the_shared_leader_cannot_change_anything(app, people, as_, held):
    approved(app, held)
    new_leader(as_, people, people["lena"])
    as_("anne").post(f"/minutes/{held}/share")
    lena = as_("lena")
    before = (snapshot(app, Minutes), snapshot(app, MinutesVersion), snapshot(app, Action),
              shares(app))
    for path, data in [
        ("reopen", {}), ("approve", {"number": "1"}), ("send-back", {"number": "1",
                                                                     "comment": "Nei"}),
        ("ask-reopen", {"comment": "Endre"}), ("submit", {}),
        ("next-meeting", {"next-kind": "follow_up", "next-on": "2030-01-01"}),
        ("points", {}), ("no-actions", {"no_actions": "1"}), ("actions", {}),
        ("share/withdraw", {}),
    ]:
        response = lena.post(f"/minutes/{held}/{path}", data=data)
        assert response.status_code in (403, 404), (path, response.status_code)
    # Lena shares it on with nobody: the share is Anne's.
    assert lena.post(f"/minutes/{held}/share").status_code in (403, 404)
    assert (snapshot(app, Minutes), snapshot(app, MinutesVersion), snapshot(app, Action),
            shares(app)) == before


def test_the_employee_withdraws_and_the_new_leader_is_refused_again(app, people, as_, held):
    approved(app, held)
    new_leader(as_, people, people["lena"])
    anne, lena = as_("anne"), as_("lena")
    anne.post(f"/minutes/{held}/share")
    assert "Referater delt med deg" in text(lena.get("/"))

    page = text(anne.post(f"/minutes/{held}/share/withdraw", follow_redirects=True))
    assert "Delingen er trukket tilbake: Lena Larsen kan ikke lenger lese referatet." in page
    assert SHARE_TO_LENA in page
    assert shares(app) == []
    assert lena.get(f"/minutes/{held}").status_code == 403
    assert lena.get(f"/minutes/{held}/versions/1/print").status_code == 403
    assert lena.get(f"/minutes/{held}/versions/1/pdf").status_code == 403
    assert "Referater delt med deg" not in text(lena.get("/"))
    (event,) = events(app, "minutes_share_withdrawn")
    assert (event.actor_id, event.subject_user_id) == (people["anne"], people["lena"])
    # Withdrawing what is not shared is refused, with the reason.
    page = text(anne.post(f"/minutes/{held}/share/withdraw", follow_redirects=True))
    assert "Referatet er ikke delt med noen. Ingenting ble endret." in page


def test_only_the_employee_shares(app, people, as_, held):
    approved(app, held)
    new_leader(as_, people, people["lena"])
    # Lars, who held it, is a party: he is told it is Anne's to share.
    page = text(as_("lars").post(f"/minutes/{held}/share", follow_redirects=True))
    assert "Bare Anne Aas kan dele referatet" in page
    # Anyone else is not let in at all.
    for who in ("bjorn", "hr", "dag", "lena"):
        response = as_(who).post(f"/minutes/{held}/share")
        assert response.status_code == 403, who
        assert "Du har ikke tilgang til denne siden." in text(response)
    assert shares(app) == []
    assert events(app, "minutes_shared") == []


def test_the_service_refuses_anyone_but_the_employee(app, people, held):
    from medsamtale.errors import Refused
    from medsamtale.minutes import sharing
    from medsamtale.models import Conversation

    approved(app, held)
    with app.test_request_context():
        anne = db.session.get(User, people["anne"])
        anne.leader = db.session.get(User, people["lena"])
        db.session.commit()
        conversation = db.session.get(Conversation, held)
        for who in ("lars", "bjorn", "hr", "lena"):
            try:
                sharing.share(conversation, db.session.get(User, people[who]))
            except Refused as refused:
                assert "Bare Anne Aas kan dele referatet" in str(refused.message)
            else:
                raise AssertionError(who)
            db.session.rollback()
    assert shares(app) == []


def test_minutes_not_yet_approved_are_not_shared(app, people, as_, held):
    new_leader(as_, people, people["lena"])
    anne = as_("anne")
    assert "Del referatet med" not in text(anne.get(f"/minutes/{held}"))
    page = text(anne.post(f"/minutes/{held}/share", follow_redirects=True))
    assert "Bare godkjente referater kan deles. Ingenting ble endret." in page
    assert shares(app) == []
    assert as_("lena").get(f"/minutes/{held}").status_code == 403


def test_the_leader_who_held_it_is_not_shared_with(app, people, as_, held):
    approved(app, held)
    anne = as_("anne")
    assert "Del referatet med" not in text(anne.get(f"/minutes/{held}"))
    page = text(anne.post(f"/minutes/{held}/share", follow_redirects=True))
    assert "Lars Lie holdt denne samtalen og kan allerede lese referatet." in page
    assert shares(app) == []


def test_an_employee_without_a_leader_shares_with_nobody(app, people, as_, held):
    approved(app, held)
    new_leader(as_, people, 0)
    anne = as_("anne")
    assert "Del referatet med" not in text(anne.get(f"/minutes/{held}"))
    page = text(anne.post(f"/minutes/{held}/share", follow_redirects=True))
    assert "Du har ingen leder å dele referatet med. Ingenting ble endret." in page
    assert shares(app) == []


def test_a_share_is_not_moved_to_the_next_leader(app, people, as_, make_user, held):
    approved(app, held)
    leif = make_user("Leif Lund", "leif@example.no", roles=("leader", "employee"))
    new_leader(as_, people, people["lena"])
    anne, lena = as_("anne"), as_("lena")
    anne.post(f"/minutes/{held}/share")
    assert NOTE in text(lena.get(f"/minutes/{held}"))

    new_leader(as_, people, leif)
    from tests.fixtures.app import logged_in

    leif_client = logged_in(app.test_client(), "leif@example.no")
    for client in (lena, leif_client):
        assert client.get(f"/minutes/{held}").status_code == 403
        assert client.get(f"/minutes/{held}/versions/1/print").status_code == 403
        assert "Referater delt med deg" not in text(client.get("/"))
    # Anne may share with Leif now; the old share says nothing to her.
    page = text(anne.get(f"/minutes/{held}"))
    assert "Del referatet med Leif Lund" in page and WITHDRAW not in page
    anne.post(f"/minutes/{held}/share")
    assert NOTE in text(leif_client.get(f"/minutes/{held}"))
    assert lena.get(f"/minutes/{held}").status_code == 403
    assert shares(app) == [(held, leif)]


def test_the_hr_admin_never_reads_shared_minutes(app, people, as_, held):
    approved(app, held)
    new_leader(as_, people, people["lena"])
    as_("anne").post(f"/minutes/{held}/share")
    hr = as_("hr")
    for path in ("", "/versions/1", "/versions/1/print", "/versions/1/pdf"):
        response = hr.get(f"/minutes/{held}{path}")
        assert response.status_code == 403, path
        assert NOTE not in text(response)
    assert "Referater delt med deg" not in text(hr.get("/"))


def test_the_new_leaders_home_lists_the_minutes_shared_with_them(
    app, people, as_, held_conversation, count_queries
):
    """One query for all of them, however many: the page costs the same with none."""
    first = approved(app, held_conversation(people["anne"]))
    second = approved(app, held_conversation(people["bjorn"]))
    # Anne and Bjørn, both Lars' people, move to Lena.
    new_leader(as_, people, people["lena"])
    as_("hr").post(f"/admin/users/{people['bjorn']}",
                   data=form_data("Bjørn Berg", "bjorn@example.no", leader_id=people["lena"]))
    lena = as_("lena")

    def home():
        lena.get("/")  # the reads of the actions it shows are recorded once
        with count_queries() as statements:
            page = text(lena.get("/"))
        return len(statements), page

    none_shared, page = home()
    assert "Referater delt med deg" not in page
    as_("anne").post(f"/minutes/{first}/share")
    as_("bjorn").post(f"/minutes/{second}/share")
    two_shared, page = home()
    assert two_shared == none_shared
    assert "Referater delt med deg" in page
    assert f'href="/minutes/{first}"' in page and f'href="/minutes/{second}"' in page
    assert "Samtalen til Anne Aas" in page and "Samtalen til Bjørn Berg" in page
    assert "med Lars Lie" in page
    # Nobody else sees them listed.
    assert "Referater delt med deg" not in text(as_("lars").get("/"))
    assert "Referater delt med deg" not in text(as_("anne").get("/"))


def test_reopened_minutes_show_the_shared_leader_only_the_approved_version(
    app, people, as_, held
):
    from medsamtale.models import MinutesPoint

    approved(app, held)
    new_leader(as_, people, people["lena"])
    anne, lena = as_("anne"), as_("lena")
    anne.post(f"/minutes/{held}/share")
    # Lars, who held it, reopens the minutes, and Anne rewrites the draft.
    assert as_("lars").post(f"/minutes/{held}/reopen").status_code == 302
    with app.app_context():
        point = db.session.scalars(sa.select(MinutesPoint).join(Minutes)
                                   .where(Minutes.conversation_id == held)).first()
        point_id = point.id
    anne.post(f"/minutes/{held}/points/{point_id}", data={"heading": "Ny", "body": "Nytt utkast"})
    assert "Nytt utkast" in text(anne.get(f"/minutes/{held}"))
    page = text(lena.get(f"/minutes/{held}"))
    assert NOTE in page and "Nytt utkast" not in page
    assert lena.get(f"/minutes/{held}/versions/1/print").status_code == 200
    # Anne may withdraw the share while the minutes are open again.
    assert WITHDRAW in text(anne.get(f"/minutes/{held}"))
    anne.post(f"/minutes/{held}/share/withdraw")
    assert lena.get(f"/minutes/{held}").status_code == 403
