"""The organisation's units: the HR admin's tree, adding, renaming, moving and deleting a
unit, a person's unit, and the bad input that changes nothing (a unit its own parent, a
loop, two units of one name under one parent, an empty name)."""

import html
import re

import pytest
from sqlalchemy import select

from medsamtale.extensions import db
from medsamtale.models import AuditEvent, Conversation, Minutes, Round, RoundUnit, Unit, User

from .helpers import field_is_invalid, has_field_error, snapshot


def make_unit(app, name, parent=None, *, kind="", leader=None):
    with app.app_context():
        unit = Unit(name=name, parent_id=parent, kind=kind, leader_id=leader)
        db.session.add(unit)
        db.session.commit()
        return unit.id


@pytest.fixture
def tree(app, people):
    """Helse og omsorg > Sykehjem Nord (Anne, Bjørn), Hjemmetjenesten (Dag); Oppvekst >
    Skole. Lars leads Helse og omsorg."""
    helse = make_unit(app, "Helse og omsorg", kind="sektor", leader=people["lars"])
    ids = {
        "helse": helse,
        "sykehjem": make_unit(app, "Sykehjem Nord", helse, kind="avdeling"),
        "hjemme": make_unit(app, "Hjemmetjenesten", helse, kind="avdeling"),
        "oppvekst": make_unit(app, "Oppvekst", kind="sektor"),
    }
    ids["skole"] = make_unit(app, "Skole", ids["oppvekst"])
    with app.app_context():
        for who, unit in (("anne", "sykehjem"), ("bjorn", "sykehjem"), ("dag", "hjemme")):
            db.session.get(User, people[who]).unit_id = ids[unit]
        db.session.commit()
    return ids


def units(app):
    return snapshot(app, Unit, "id", "name", "kind", "parent_id", "leader_id")


def unit_data(name, parent=0, *, kind="", leader=0):
    return {"name": name, "kind": kind, "parent_id": str(parent), "leader_id": str(leader)}


def audit(app, action):
    with app.app_context():
        return [event.detail for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


# The tree -----------------------------------------------------------------------------------


def test_only_the_hr_admin_reaches_the_units(app, people, as_, tree):
    for who in ("anne", "lars"):
        assert as_(who).get("/admin/units/").status_code == 403
        assert as_(who).get(f"/admin/units/{tree['helse']}").status_code == 403
        assert as_(who).post("/admin/units/new", data=unit_data("Ny")).status_code == 403
    assert as_("hr").get("/admin/units/").status_code == 200


def test_the_tree_shows_each_unit_under_its_parent_with_kind_leader_and_people(
        app, people, as_, tree):
    page = html.unescape(as_("hr").get("/admin/units/").get_data(as_text=True))
    rows = re.findall(r'<tr id="unit-(\d+)">(.*?)</tr>', page, re.S)
    order = [int(unit_id) for unit_id, _row in rows]
    # Depth first, each level in name order.
    assert order == [tree[k] for k in ("helse", "hjemme", "sykehjem", "oppvekst", "skole")]
    cells = {int(unit_id): re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
             for unit_id, row in rows}
    helse = cells[tree["helse"]]
    assert "Helse og omsorg" in helse[0] and helse[1:] == ["sektor", "Lars Lie", "0", "3"]
    sykehjem = cells[tree["sykehjem"]]
    assert "↳" in sykehjem[0] and "del av Helse og omsorg" in sykehjem[0]
    assert sykehjem[1:] == ["avdeling", "–", "2", "2"]
    assert cells[tree["hjemme"]][3:] == ["1", "1"]
    assert f'href="/admin/units/{tree["skole"]}"' in page


def test_the_tree_page_is_a_fixed_number_of_queries(app, people, as_, tree, count_queries,
                                                    make_user):
    hr = as_("hr")
    hr.get("/admin/units/")

    def queries():
        with count_queries() as statements:
            assert hr.get("/admin/units/").status_code == 200
        return len(statements)

    few = queries()
    for n in range(10):
        unit = make_unit(app, f"Team {n}", tree["skole"], leader=people["lena"])
        make_user(f"Lærer {n}", f"laerer{n}@example.no", leader_id=people["lena"])
        with app.app_context():
            db.session.scalar(select(User).where(User.email == f"laerer{n}@example.no")
                              ).unit_id = unit
            db.session.commit()
    assert queries() == few


# Adding and changing ------------------------------------------------------------------------


def test_a_unit_is_added_under_a_parent_with_a_leader_and_audited(app, people, as_, tree):
    response = as_("hr").post("/admin/units/new", data=unit_data(
        "  Sykehjem Sør ", tree["helse"], kind="avdeling", leader=people["lena"]))
    assert response.status_code == 302 and response.location == "/admin/units/"
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.name == "Sykehjem Sør"))
        assert (unit.parent_id, unit.kind, unit.leader_id) == (
            tree["helse"], "avdeling", people["lena"])
    assert audit(app, "unit_created")[-1]["parent"] == "Helse og omsorg"
    page = as_("hr").get("/admin/units/").get_data(as_text=True)
    assert "Sykehjem Sør" in page


def test_the_leader_is_chosen_among_active_leaders_who_are_not_hr_admins(
        app, people, as_, tree, make_user):
    gone = make_user("Gamle Leder", "gamle@example.no", roles=("leader",), active=False)
    both = make_user("Hilde HR", "hilde@example.no", roles=("leader", "hr_admin"))
    page = as_("hr").get("/admin/units/new").get_data(as_text=True)
    options = re.search(r'<select[^>]*id="leader_id".*?</select>', page, re.S).group(0)
    assert f'value="{people["lars"]}"' in options and f'value="{people["lena"]}"' in options
    for user_id in (gone, both, people["anne"], people["hr"]):
        assert f'value="{user_id}"' not in options
    before = units(app)
    for user_id in (both, people["hr"], people["anne"], gone):
        response = as_("hr").post("/admin/units/new", data=unit_data("Ny", leader=user_id))
        assert response.status_code == 422
        assert has_field_error(response.get_data(as_text=True), "leader_id")
    assert units(app) == before


def test_a_unit_whose_leader_became_an_hr_admin_says_so_instead_of_dropping_them(
        app, people, as_, tree):
    with app.app_context():
        db.session.get(User, people["lars"]).is_hr_admin = True
        db.session.commit()
    hr = as_("hr")
    page = hr.get(f"/admin/units/{tree['helse']}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{people["lars"]}"|'
                     rf'<option value="{people["lars"]}" selected', page)
    before = units(app)
    response = hr.post(f"/admin/units/{tree['helse']}", data=unit_data(
        "Helse", leader=people["lars"]))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and has_field_error(page, "leader_id")
    assert "En HR-administrator kan ikke være noens leder" in page
    assert units(app) == before


def test_a_unit_is_renamed_and_moved_and_both_are_audited(app, people, as_, tree):
    response = as_("hr").post(f"/admin/units/{tree['skole']}", data=unit_data(
        "Fjordvik skole", tree["helse"], kind="skole"))
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.get(Unit, tree["skole"])
        assert (unit.name, unit.parent_id, unit.kind) == ("Fjordvik skole", tree["helse"],
                                                          "skole")
    moved = audit(app, "unit_moved")[-1]
    assert (moved["old_parent"], moved["parent"]) == ("Oppvekst", "Helse og omsorg")
    assert audit(app, "unit_changed")[-1]["old_name"] == "Skole"


def test_a_unit_moved_to_the_top_keeps_its_sub_units_and_people(app, people, as_, tree):
    response = as_("hr").post(f"/admin/units/{tree['helse']}", data=unit_data(
        "Helse og omsorg", tree["oppvekst"], leader=people["lars"]))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Unit, tree["helse"]).parent_id == tree["oppvekst"]
        assert db.session.get(Unit, tree["sykehjem"]).parent_id == tree["helse"]
        assert db.session.get(User, people["anne"]).unit_id == tree["sykehjem"]
    page = as_("hr").get(f"/admin/users/{people['anne']}").get_data(as_text=True)
    assert "Oppvekst/Helse og omsorg/Sykehjem Nord" in html.unescape(page)


# Bad input: nothing changes, the reason is next to the field --------------------------------


@pytest.mark.parametrize(("unit", "data", "field", "message"), [
    ("helse", lambda t: unit_data("Helse og omsorg", t["helse"]), "parent_id",
     "En enhet kan ikke være sin egen overordnede."),
    ("helse", lambda t: unit_data("Helse og omsorg", t["sykehjem"]), "parent_id",
     "løkke"),
    ("oppvekst", lambda t: unit_data("Oppvekst", t["skole"]), "parent_id", "løkke"),
    ("hjemme", lambda t: unit_data("sykehjem  nord", t["helse"]), "name",
     "En annen enhet under samme overordnede har allerede dette navnet."),
    ("oppvekst", lambda t: unit_data("Helse og omsorg"), "name", "allerede dette navnet"),
    ("skole", lambda t: unit_data("   ", t["oppvekst"]), "name", "Skriv navnet på enheten."),
    ("skole", lambda t: unit_data("Skole/Nord", t["oppvekst"]), "name", "«/»"),
    ("skole", lambda t: unit_data("S" * 121, t["oppvekst"]), "name", "121" and "120"),
    ("skole", lambda t: unit_data("Skole", 987654), "parent_id", None),
], ids=["own-parent", "parent-in-subtree", "parent-is-child", "duplicate-name-any-case",
        "duplicate-at-the-top", "empty-name", "separator-in-name", "long-name",
        "unknown-parent"])
def test_a_bad_unit_is_refused_beside_the_field_and_nothing_changes(
        app, people, as_, tree, unit, data, field, message):
    before = units(app)
    response = as_("hr").post(f"/admin/units/{tree[unit]}", data=data(tree))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert has_field_error(page, field) and field_is_invalid(page, field)
    if message:
        assert message in page
    assert units(app) == before
    assert audit(app, "unit_changed") == [] and audit(app, "unit_moved") == []


def test_a_new_unit_with_a_taken_name_or_no_name_is_refused(app, people, as_, tree):
    before = units(app)
    for data in (unit_data("Skole", tree["oppvekst"]), unit_data("")):
        response = as_("hr").post("/admin/units/new", data=data)
        assert response.status_code == 422
        assert has_field_error(response.get_data(as_text=True), "name")
    assert units(app) == before
    # The same name under another parent is another unit.
    assert as_("hr").post("/admin/units/new", data=unit_data(
        "Skole", tree["helse"])).status_code == 302


def test_the_service_refuses_a_loop_that_the_form_did_not_see(app, people, tree):
    """Another HR admin's move, made after the form was read, cannot make a loop."""
    from medsamtale.errors import Refused
    from medsamtale.units import services

    class Posted:
        def __init__(self, **values):
            for name, value in values.items():
                setattr(self, name, type("F", (), {"data": value})())

    with app.test_request_context():
        helse = db.session.get(Unit, tree["helse"])
        with pytest.raises(Refused, match="løkke"):
            services.save_unit(helse, Posted(name="Helse", kind="", parent_id=tree["sykehjem"],
                                             leader_id=0))
        db.session.rollback()
    assert units(app)[0][3] is None


# Deleting -----------------------------------------------------------------------------------


def test_an_empty_unit_is_deleted_and_audited(app, people, as_, tree):
    hr = as_("hr")
    page = hr.get(f"/admin/units/{tree['skole']}").get_data(as_text=True)
    assert f'action="/admin/units/{tree["skole"]}/delete"' in page
    response = hr.post(f"/admin/units/{tree['skole']}/delete")
    assert response.status_code == 302 and response.location == "/admin/units/"
    with app.app_context():
        assert db.session.get(Unit, tree["skole"]) is None
    assert audit(app, "unit_deleted") == [{"unit_id": tree["skole"], "name": "Skole"}]


def test_a_unit_with_people_sub_units_or_a_round_is_not_deleted(app, people, as_, tree):
    from datetime import date

    with app.app_context():
        autumn = Round(name="Høsten", starts_on=date(2027, 9, 1), ends_on=date(2027, 11, 30))
        db.session.add(autumn)
        db.session.flush()
        db.session.add(RoundUnit(round_id=autumn.id, unit_id=tree["skole"]))
        db.session.commit()
    hr = as_("hr")
    before = units(app)
    for key, reason in (("sykehjem", "2 personer hører til den"),
                        ("oppvekst", "den har 1 underenhet"),
                        ("skole", "1 samtalerunde dekker den")):
        page = html.unescape(hr.get(f"/admin/units/{tree[key]}").get_data(as_text=True))
        assert reason in page and f'/admin/units/{tree[key]}/delete"' not in page
        response = hr.post(f"/admin/units/{tree[key]}/delete", follow_redirects=True)
        page = html.unescape(response.get_data(as_text=True))
        assert reason in page, key
        assert response.request.path == f"/admin/units/{tree[key]}"
    assert units(app) == before
    assert audit(app, "unit_deleted") == []


# A person's unit ----------------------------------------------------------------------------


def person_data(app, user_id, **changes):
    with app.app_context():
        user = db.session.get(User, user_id)
        data = {"name": user.name, "email": user.email, "leader_id": str(user.leader_id or 0),
                "unit_id": str(user.unit_id or 0), "locale": user.locale}
        for role in user.roles:
            data[f"is_{role}"] = "y"
    return {**data, **changes}


def test_the_person_form_offers_the_units_by_path_and_saves_the_choice(app, people, as_, tree):
    hr = as_("hr")
    page = html.unescape(hr.get(f"/admin/users/{people['anne']}").get_data(as_text=True))
    select_ = re.search(r'<select[^>]*id="unit_id".*?</select>', page, re.S).group(0)
    assert f'<option selected value="{tree["sykehjem"]}">Helse og omsorg/Sykehjem Nord' \
        in select_.replace(f'value="{tree["sykehjem"]}" selected',
                           f'selected value="{tree["sykehjem"]}"')
    response = hr.post(f"/admin/users/{people['anne']}",
                       data=person_data(app, people["anne"], unit_id=str(tree["skole"])))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, people["anne"]).unit_id == tree["skole"]
    assert audit(app, "person_unit_changed")[-1]["unit"] == "Oppvekst/Skole"
    listing = html.unescape(hr.get("/admin/").get_data(as_text=True))
    assert "Oppvekst/Skole" in listing and "Helse og omsorg/Hjemmetjenesten" in listing


def test_a_person_is_given_no_unit_or_a_unit_that_does_not_exist(app, people, as_, tree):
    hr = as_("hr")
    before = snapshot(app, User, "id", "unit_id")
    response = hr.post(f"/admin/users/{people['anne']}",
                       data=person_data(app, people["anne"], unit_id="987654"))
    assert response.status_code == 422
    assert has_field_error(response.get_data(as_text=True), "unit_id")
    assert snapshot(app, User, "id", "unit_id") == before
    assert hr.post(f"/admin/users/{people['anne']}",
                   data=person_data(app, people["anne"], unit_id="0")).status_code == 302
    with app.app_context():
        assert db.session.get(User, people["anne"]).unit_id is None


def test_moving_a_person_or_their_unit_keeps_their_conversations_and_minutes(
        app, people, as_, tree, held):
    def theirs():
        with app.app_context():
            conversation = db.session.get(Conversation, held)
            minutes = db.session.scalar(select(Minutes).where(Minutes.conversation_id == held))
            return (conversation.employee_id, conversation.leader_id, minutes.id)

    before = theirs()
    assert before[:2] == (people["anne"], people["lars"])
    hr = as_("hr")
    assert hr.post(f"/admin/users/{people['anne']}",
                   data=person_data(app, people["anne"], unit_id=str(tree["skole"]))
                   ).status_code == 302
    assert hr.post(f"/admin/units/{tree['skole']}", data=unit_data(
        "Skole", tree["helse"])).status_code == 302
    assert theirs() == before
    # Both still find it among their own.
    for who, archive in (("anne", "/minutes/archive"),
                         ("lars", f"/minutes/archive/{people['anne']}")):
        response = as_(who).get(archive)
        assert response.status_code == 200 and f"/minutes/{held}" in response.get_data(
            as_text=True), who


def test_the_demo_puts_its_people_in_a_small_unit_tree(app, runner):
    from medsamtale.units.services import load_tree

    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        tree = load_tree()
        assert sorted(tree.path(unit_id) for unit_id in tree.units) == [
            "Helse og omsorg", "Helse og omsorg/Hjemmetjenesten",
            "Helse og omsorg/Sykehjem Nord", "Oppvekst", "Oppvekst/Skole"]
        anne = db.session.scalar(select(User).where(User.email.startswith("anne.aas")))
        assert tree.path(anne.unit_id) == "Helse og omsorg/Sykehjem Nord"
        assert all(not unit.leader or not unit.leader.is_hr_admin
                   for unit in tree.units.values())
