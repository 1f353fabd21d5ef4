"""A person who gets a new leader (issue 15, point 5): the open conversation and the open
actions go to the new leader, who follows them up; the old leader no longer reaches them
but keeps reading the minutes they held; all three are told."""

import sqlalchemy as sa

from medsamtale.extensions import db
from medsamtale.models import Action, Conversation, Pick, Question
from tests.fixtures.domain import agree_actions
from tests.helpers import outbox
from tests.test_admin import form_data


def test_a_new_leader_takes_over_the_open_conversation_and_actions(
    app, people, as_, held, make_conversation
):
    (action_id,) = agree_actions(app, held, ("Ta kurs i prosjektledelse", 30))
    open_id = make_conversation(people["anne"])
    with app.app_context():
        conversation = db.session.get(Conversation, open_id)
        conversation.leader_topics = "Lars sitt private notat"
        question_id = db.session.scalar(sa.select(Question.id).limit(1))
        db.session.add(Pick(conversation_id=open_id, question_id=question_id, position=0,
                            leader_note="Lars' egne tanker"))
        db.session.commit()
    lars, lena, anne, hr = as_("lars"), as_("lena"), as_("anne"), as_("hr")
    assert "Ta kurs i prosjektledelse" in lars.get("/").get_data(as_text=True)
    before = len(outbox(app))

    response = hr.post(f"/admin/users/{people['anne']}",
                       data=form_data("Anne Aas", "anne@example.no", leader_id=people["lena"]))
    assert response.status_code == 302

    with app.app_context():
        conversation = db.session.get(Conversation, open_id)
        assert conversation.leader_id == people["lena"]
        # Lars' private preparation was his: it does not go to Lena.
        assert conversation.leader_topics == ""
        assert db.session.scalars(sa.select(Pick.leader_note)
                                  .where(Pick.conversation_id == open_id)).all() == [""]
        assert db.session.get(Action, action_id).leader_id == people["lena"]
    # The open conversation is Lena's now, and no longer Lars'.
    assert lars.get(f"/conversations/{open_id}").status_code == 403
    page = lena.get(f"/conversations/{open_id}").get_data(as_text=True)
    assert "Anne Aas" in page
    # Lena follows the action up; Lars no longer sees it or reaches it.
    assert "Ta kurs i prosjektledelse" in lena.get("/").get_data(as_text=True)
    assert "Ta kurs i prosjektledelse" not in lars.get("/").get_data(as_text=True)
    assert "Ta kurs i prosjektledelse" in anne.get("/").get_data(as_text=True)
    assert lars.post(f"/actions/{action_id}/progress",
                     data={"comment": "Påmeldt"}).status_code == 403
    lena.post(f"/actions/{action_id}/progress", data={"comment": "Kurset er bestilt"})
    assert "Kurset er bestilt" in anne.get("/").get_data(as_text=True)
    # The minutes Lars held stay his to read; Lena does not read them unshared.
    assert "Ta kurs i prosjektledelse" in lars.get(f"/minutes/{held}").get_data(as_text=True)
    assert lena.get(f"/minutes/{held}").status_code in (403, 404)
    # All three are told.
    told = {(m.recipient, m.kind) for m in outbox(app)[before:]}
    assert {("anne@example.no", "leader_changed"), ("lars@example.no", "leader_changed"),
            ("lena@example.no", "leader_changed")} <= told


def test_a_leader_change_leaves_other_peoples_conversations_alone(
    app, people, as_, make_conversation
):
    bjorn_open = make_conversation(people["bjorn"])
    as_("hr").post(f"/admin/users/{people['anne']}",
                   data=form_data("Anne Aas", "anne@example.no", leader_id=people["lena"]))
    with app.app_context():
        assert db.session.get(Conversation, bjorn_open).leader_id == people["lars"]
    assert "Bjørn Berg" in as_("lars").get(f"/conversations/{bjorn_open}").get_data(as_text=True)


def _deactivate(hr, user_id) -> str:
    return hr.post(f"/admin/users/{user_id}/deactivate",
                   follow_redirects=True).get_data(as_text=True)


def test_a_deactivated_leaders_people_go_to_their_units_leader_with_what_is_open(
    app, people, as_, held, make_conversation, make_user
):
    """Lars leaves with Anne and Bjørn still reporting: Anne's unit (Sykehjem, under Helse,
    which Lena leads) gives her Lena with her open conversation and actions; Bjørn, in no
    unit, goes to the leader above Lars (Sjur); all are told."""
    from medsamtale.models import Unit, User

    (action_id,) = agree_actions(app, held, ("Ta kurs i prosjektledelse", 30))
    open_id = make_conversation(people["anne"])
    sjur = make_user("Sjur Sjef", "sjur@example.no", roles=("leader", "employee"))
    with app.app_context():
        helse = Unit(name="Helse", leader_id=people["lena"])
        db.session.add(helse)
        db.session.flush()
        sykehjem = Unit(name="Sykehjem", parent_id=helse.id)  # no leader of its own
        db.session.add(sykehjem)
        db.session.flush()
        db.session.get(User, people["anne"]).unit_id = sykehjem.id
        db.session.get(User, people["lars"]).leader_id = sjur
        db.session.commit()
    before = len(outbox(app))

    page = _deactivate(as_("hr"), people["lars"])
    assert "Lars Lie er deaktivert" in page
    assert "Anne Aas → Lena Larsen" in page and "Bjørn Berg → Sjur Sjef" in page
    with app.app_context():
        assert db.session.get(User, people["anne"]).leader_id == people["lena"]
        assert db.session.get(User, people["bjorn"]).leader_id == sjur
        assert db.session.get(Conversation, open_id).leader_id == people["lena"]
        assert db.session.get(Action, action_id).leader_id == people["lena"]
    assert "Ta kurs i prosjektledelse" in as_("lena").get("/").get_data(as_text=True)
    told = {(m.recipient, m.kind) for m in outbox(app)[before:]}
    assert {("anne@example.no", "leader_changed"), ("lena@example.no", "leader_changed"),
            ("bjorn@example.no", "leader_changed"), ("sjur@example.no", "leader_changed")} \
        <= told


def test_people_nobody_can_take_over_are_named_for_hr(app, people, as_, make_user):
    """No unit, and Lars's own leader is an HR admin's old account, deactivated: HR is told
    to choose, and Anne and Bjørn keep Lars until then."""
    from medsamtale.models import User

    gone = make_user("Gamle Sjef", "gamle@example.no", roles=("leader",), active=False)
    with app.app_context():
        db.session.get(User, people["lars"]).leader_id = gone
        db.session.commit()
    page = _deactivate(as_("hr"), people["lars"])
    warning = page[page.index('flash-error'):]
    assert "Anne Aas" in warning[:400] and "Bjørn Berg" in warning[:400]
    with app.app_context():
        assert db.session.get(User, people["anne"]).leader_id == people["lars"]
