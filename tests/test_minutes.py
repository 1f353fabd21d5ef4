"""The minutes (issue 5): the employee writes them from the agenda, the leader approves them
or sends them back, every submission is kept as a version, approved minutes are locked and
archived, with print and PDF; nobody else reads them; user text stays inert.

Pages are checked by ids, classes, form actions and the people's own text, and against the
database; never by translated text.
"""

import html
import io
import re
from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from medsamtale.extensions import db
from medsamtale.models import Action, Minutes, MinutesVersion, Organisation, User
from medsamtale.timeutil import oslo_today

from .fixtures.app import EMAILS, OUTSIDERS
from .helpers import HX, has_field_error, text_of

NEW_TEXT = "Anne tar kurs i prosjektledelse i vår."


def minutes(app, conversation_id) -> Minutes:
    with app.app_context():
        found = db.session.scalar(select(Minutes).where(Minutes.conversation_id == conversation_id))
        db.session.expunge_all()
        return found


def points(app, conversation_id) -> list[tuple[int, str, str]]:
    with app.app_context():
        found = db.session.scalar(select(Minutes).where(Minutes.conversation_id == conversation_id))
        return [(p.id, p.heading, p.body) for p in found.points]


def versions(app, conversation_id) -> list[dict]:
    with app.app_context():
        found = db.session.scalars(
            select(MinutesVersion).join(Minutes)
            .where(Minutes.conversation_id == conversation_id).order_by(MinutesVersion.number)
        ).all()
        return [
            {"number": v.number, "content": v.content, "decision": v.decision,
             "comment": v.comment, "decided_by": v.decided_by_name,
             "submitted_by": v.submitted_by_name}
            for v in found
        ]


def action_data(prefix="new", **values) -> dict:
    data = {
        "what": "Finne et kurs i prosjektledelse",
        "responsible": "employee",
        "responsible_name": "",
        "deadline": (oslo_today() + timedelta(days=60)).isoformat(),
        "goal": "Lede prosjekter",
    }
    data.update(values)
    return {f"{prefix}-{key}": value for key, value in data.items()}


def write(as_, conversation_id, app, body=NEW_TEXT, with_action=True):
    """Anne rewrites the first point and adds one action."""
    point_id = points(app, conversation_id)[0][0]
    response = as_("anne").post(
        f"/minutes/{conversation_id}/points/{point_id}",
        data={"heading": "Utvikling", "body": body}, headers=HX,
    )
    assert response.status_code == 200
    if with_action:
        response = as_("anne").post(f"/minutes/{conversation_id}/actions", data=action_data(),
                                    headers=HX)
        assert response.status_code == 200
    return point_id


def submit(as_, conversation_id):
    return as_("anne").post(f"/minutes/{conversation_id}/submit", follow_redirects=True)


def mails_to(messages, who):
    """The mail about the minutes that `who` has received (the invitation is left out)."""
    return [m for m in messages if m["To"] == EMAILS[who] and "/minutes/" in text_of(m)]


# The whole path ---------------------------------------------------------------------------------


def test_from_meeting_ended_to_minutes_approved_with_each_email(app, as_, held, deliver):
    messages = deliver()
    requested = mails_to(messages, "anne")
    assert len(requested) == 1 and f"/minutes/{held}" in text_of(requested[0])
    assert mails_to(messages, "lars") == []

    # The draft starts from the discussed items, with both parties' notes.
    drafted = points(app, held)
    assert len(drafted) == 2
    assert all("Anne Aas (medarbeider): Vil lære mer om prosjektledelse" in body
               and "Lars Lie (leder): Enig, vi finner et kurs" in body
               for _id, _heading, body in drafted)
    page = as_("anne").get(f"/minutes/{held}").get_data(as_text=True)
    assert 'id="points"' in page and "Vil lære mer om prosjektledelse" in page
    # No tags to type: a toolbar for bold, italic and lists, and the Markdown marks.
    assert 'class="format-bar"' in page and 'data-format="bold"' in page
    assert "<code>**" in page and "&lt;b&gt;" not in page

    # The leader cannot read the draft.
    leader_page = as_("lars").get(f"/minutes/{held}").get_data(as_text=True)
    assert "Vil lære mer om prosjektledelse" not in leader_page
    assert 'id="minutes-document"' not in leader_page and 'id="points"' not in leader_page

    write(as_, held, app)
    assert NEW_TEXT not in as_("lars").get(f"/minutes/{held}").get_data(as_text=True)
    submit(as_, held)
    messages = deliver()
    to_lars = mails_to(messages, "lars")
    assert len(to_lars) == 1 and f"/minutes/{held}" in text_of(to_lars[0])

    leader_page = as_("lars").get(f"/minutes/{held}").get_data(as_text=True)
    assert NEW_TEXT in leader_page and "Finne et kurs i prosjektledelse" in leader_page
    assert f'action="/minutes/{held}/approve"' in leader_page

    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1})
    messages = deliver()
    to_anne = mails_to(messages, "anne")
    assert len(to_anne) == 2 and to_anne[1]["Subject"] != to_anne[0]["Subject"]
    assert minutes(app, held).state == "approved"
    [version] = versions(app, held)
    assert version["decision"] == "approved"
    assert (version["submitted_by"], version["decided_by"]) == ("Anne Aas", "Lars Lie")

    # Both confirmations, with name and time, on the approved minutes.
    for who in ("anne", "lars"):
        page = as_(who).get(f"/minutes/{held}").get_data(as_text=True)
        signatures = page[page.index('class="signatures"'):]
        assert "Anne Aas" in signatures and "Lars Lie" in signatures
        assert 'class="state state-approved"' in page


def test_the_draft_saves_as_the_employee_types_and_answers_with_the_saved_block(
    app, as_, held, rendered
):
    point_id = points(app, held)[0][0]
    response = as_("anne").post(f"/minutes/{held}/points/{point_id}",
                                data={"heading": "Ny overskrift", "body": "Første linje\nAndre"},
                                headers=HX)
    assert response.status_code == 200
    answer = response.get_data(as_text=True)
    assert 'class="saved"' in answer
    # With the status comes the preview of the text as the minutes will show it.
    assert (rendered.templates, rendered.blocks) == (
        ["_saved.html"], [("minutes/minutes.html", "preview")])
    assert (f'<hx-partial hx-target="#preview-{point_id}" hx-swap="outerHTML">'
            f'<div class="user-text preview" id="preview-{point_id}" hx-ignore>'
            "<p>Første linje<br>\nAndre</p></div></hx-partial>") in answer
    assert points(app, held)[0] == (point_id, "Ny overskrift", "<p>Første linje<br>\nAndre</p>")

    response = as_("anne").post(f"/minutes/{held}/points", headers=HX)
    assert response.status_code == 200 and 'id="points"' in response.get_data(as_text=True)
    assert len(points(app, held)) == 3
    removed = points(app, held)[-1][0]
    as_("anne").post(f"/minutes/{held}/points/{removed}/remove", headers=HX)
    assert removed not in [p[0] for p in points(app, held)]


# Sending back, resubmitting, versions ------------------------------------------------------------


def test_send_back_and_resubmit_keeps_every_version_and_shows_what_changed(
    app, as_, held, deliver
):
    point_id = write(as_, held, app, body="Første utkast om kurs.")
    submit(as_, held)
    deliver()

    # A comment is required to send back.
    response = as_("lars").post(f"/minutes/{held}/send-back", data={"number": 1, "comment": " "})
    assert response.status_code == 422
    assert has_field_error(response.get_data(as_text=True), "comment")
    assert minutes(app, held).state == "submitted"

    as_("lars").post(f"/minutes/{held}/send-back",
                     data={"number": 1, "comment": "Skriv inn fristen vi ble enige om."})
    messages = deliver()
    assert len(mails_to(messages, "anne")) == 2  # asked to write, then sent back
    assert minutes(app, held).state == "returned"
    page = as_("anne").get(f"/minutes/{held}").get_data(as_text=True)
    assert "Skriv inn fristen vi ble enige om." in page and 'id="points"' in page

    as_("anne").post(f"/minutes/{held}/points/{point_id}",
                     data={"heading": "Utvikling", "body": "Andre utkast, med frist i mars."},
                     headers=HX)
    submit(as_, held)
    messages = deliver()
    assert len(mails_to(messages, "lars")) == 2

    first, second = versions(app, held)
    assert (first["number"], second["number"]) == (1, 2)
    assert first["decision"] == "returned"
    assert first["comment"] == "Skriv inn fristen vi ble enige om."
    assert first["content"]["points"][0]["body"] == "<p>Første utkast om kurs.</p>"
    assert second["content"]["points"][0]["body"] == "<p>Andre utkast, med frist i mars.</p>"
    assert second["decision"] is None

    page = as_("lars").get(f"/minutes/{held}").get_data(as_text=True)
    changes = page[page.index('class="changes"'):page.index('id="minutes-document"')]
    hidden = r'<span class="visually-hidden">[^<]+</span>'
    assert re.search(rf"<del>{hidden}Første utkast om kurs\.</del>", changes)
    assert re.search(rf"<ins>{hidden}Andre utkast, med frist i mars\.</ins>", changes)
    assert changes.count('class="change-point change-changed"') == 1  # the other is the same

    # Approving the old version is refused: the leader must read the new one.
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1})
    assert minutes(app, held).state == "submitted"
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 2})
    assert [v["decision"] for v in versions(app, held)] == ["returned", "approved"]

    # Each version stays readable, with the change view on the later one.
    old = as_("anne").get(f"/minutes/{held}/versions/1").get_data(as_text=True)
    assert "Første utkast om kurs." in old and "Andre utkast" not in old
    assert 'class="changes"' in as_("anne").get(f"/minutes/{held}/versions/2").get_data(
        as_text=True)


def test_reopen_on_request_starts_a_new_version_and_keeps_the_approved_one(
    app, as_, held, deliver
):
    point_id = write(as_, held, app)
    submit(as_, held)
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1})
    deliver()

    response = as_("anne").post(f"/minutes/{held}/ask-reopen", data={"comment": ""})
    assert response.status_code == 422
    assert has_field_error(response.get_data(as_text=True), "comment")
    as_("anne").post(f"/minutes/{held}/ask-reopen", data={"comment": "Fristen ble feil."})
    assert len(mails_to(deliver(), "lars")) == 2
    assert "Fristen ble feil." in as_("lars").get(f"/minutes/{held}").get_data(as_text=True)

    as_("lars").post(f"/minutes/{held}/reopen")
    assert minutes(app, held).state == "draft"
    assert len(mails_to(deliver(), "anne")) == 3
    as_("anne").post(f"/minutes/{held}/points/{point_id}",
                     data={"heading": "Utvikling", "body": "Rettet frist."}, headers=HX)
    submit(as_, held)
    first, second = versions(app, held)
    assert first["decision"] == "approved"
    assert first["content"]["points"][0]["body"] == f"<p>{NEW_TEXT}</p>"
    assert second["number"] == 2
    assert second["content"]["points"][0]["body"] == "<p>Rettet frist.</p>"


# Bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field",
    [
        ({"deadline": (date.today() - timedelta(days=3)).isoformat()}, "deadline"),
        ({"deadline": ""}, "deadline"),
        ({"responsible": ""}, "responsible"),
        ({"responsible": "other", "responsible_name": ""}, "responsible_name"),
        ({"what": "<script>alert(1)</script>"}, "what"),
    ],
)
def test_an_invalid_action_is_refused_next_to_its_field_and_keeps_what_was_typed(
    app, as_, held, change, field
):
    data = action_data(**change, goal="Målet jeg skrev")
    if change.get("responsible") == "":
        del data["new-responsible"]
    for headers in (HX, {}):
        response = as_("anne").post(f"/minutes/{held}/actions", data=data, headers=headers)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert has_field_error(page, f"new-{field}")
        assert "Målet jeg skrev" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Action.id))) == 0


def test_an_action_can_be_changed_and_removed_while_the_minutes_are_a_draft(app, as_, held):
    write(as_, held, app)
    with app.app_context():
        action_id = db.session.scalar(select(Action.id))
    response = as_("anne").post(
        f"/minutes/{held}/actions/{action_id}",
        data=action_data(f"a{action_id}", responsible="other", responsible_name="Kari i HR"),
        headers=HX,
    )
    assert response.status_code == 200
    with app.app_context():
        action = db.session.get(Action, action_id)
        assert (action.responsible, action.responsible_label) == ("other", "Kari i HR")
    as_("anne").post(f"/minutes/{held}/actions/{action_id}/remove", headers=HX)
    with app.app_context():
        assert db.session.get(Action, action_id) is None


def test_submitting_needs_an_action_or_a_plain_none_agreed(app, as_, held):
    write(as_, held, app, with_action=False)
    page = submit(as_, held).get_data(as_text=True)
    assert 'flash-error' in page
    assert minutes(app, held).state == "draft" and versions(app, held) == []

    as_("anne").post(f"/minutes/{held}/no-actions", data={"no_actions": "1"}, headers=HX)
    submit(as_, held)
    [version] = versions(app, held)
    assert version["content"]["no_actions"] is True and version["content"]["actions"] == []


def test_a_deadline_that_passed_after_it_was_written_stops_the_submission(app, as_, held):
    write(as_, held, app)
    with app.app_context():
        db.session.scalar(select(Action)).deadline = oslo_today() - timedelta(days=1)
        db.session.commit()
    assert 'flash-error' in submit(as_, held).get_data(as_text=True)
    assert versions(app, held) == []


def test_a_double_submit_makes_one_version_and_one_email(app, as_, held, deliver):
    write(as_, held, app)
    deliver()
    submit(as_, held)
    page = submit(as_, held).get_data(as_text=True)
    assert 'flash-error' in page
    assert len(versions(app, held)) == 1
    assert len(mails_to(deliver(), "lars")) == 1


def test_approving_minutes_that_are_not_submitted_is_refused(app, as_, held):
    write(as_, held, app)
    page = as_("lars").post(f"/minutes/{held}/approve", data={"number": 1},
                            follow_redirects=True).get_data(as_text=True)
    assert 'flash-error' in page
    assert minutes(app, held).state == "draft" and versions(app, held) == []


def test_approved_minutes_are_locked_and_a_refused_edit_loses_nothing(app, as_, held):
    point_id = write(as_, held, app)
    submit(as_, held)
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1})
    before = points(app, held)

    response = as_("anne").post(f"/minutes/{held}/points/{point_id}",
                                data={"heading": "x", "body": "Endret etterpå"}, headers=HX)
    assert response.status_code == 409 and 'class="errors"' in response.get_data(as_text=True)
    for url, data in (
        (f"/minutes/{held}/points", {}),
        (f"/minutes/{held}/actions", action_data()),
        (f"/minutes/{held}/no-actions", {"no_actions": "1"}),
    ):
        assert as_("anne").post(url, data=data, headers=HX).status_code == 409
    assert points(app, held) == before
    assert versions(app, held)[0]["content"]["points"][0]["body"] == f"<p>{NEW_TEXT}</p>"
    # The employee sees the approved document, not an editor.
    page = as_("anne").get(f"/minutes/{held}").get_data(as_text=True)
    assert 'id="points"' not in page and 'id="minutes-document"' in page


# Access -------------------------------------------------------------------------------------------


def test_the_leader_cannot_edit_the_employees_minutes(app, as_, held):
    point_id = points(app, held)[0][0]
    before = points(app, held)
    for url, data in (
        (f"/minutes/{held}/points/{point_id}", {"heading": "x", "body": "Lederens versjon"}),
        (f"/minutes/{held}/points", {}),
        (f"/minutes/{held}/actions", action_data()),
        (f"/minutes/{held}/submit", {}),
        (f"/minutes/{held}/ask-reopen", {"comment": "x"}),
    ):
        assert as_("lars").post(url, data=data).status_code == 403, url
    assert points(app, held) == before


@pytest.mark.parametrize("who", OUTSIDERS)
def test_nobody_else_reads_the_minutes_not_even_the_hr_admin(app, as_, people, held, who):
    write(as_, held, app)
    submit(as_, held)
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1})
    for url in (
        f"/minutes/{held}",
        f"/minutes/{held}/versions/1",
        f"/minutes/{held}/versions/1/print",
        f"/minutes/{held}/versions/1/pdf",
    ):
        response = as_(who).get(url)
        assert response.status_code == 403, url
        assert NEW_TEXT not in response.get_data(as_text=True)
    response = as_(who).get(f"/minutes/archive/{people['anne']}")
    assert response.status_code == 403
    for url in (f"/minutes/{held}/approve", f"/minutes/{held}/reopen"):
        assert as_(who).post(url, data={"number": 1}).status_code == 403


def test_the_archive_holds_approved_minutes_for_the_employee_and_the_leader_at_the_time(
    app, as_, held, people
):
    write(as_, held, app)
    submit(as_, held)
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1})
    for who, url in (("anne", "/minutes/archive"), ("lars", f"/minutes/archive/{people['anne']}")):
        page = as_(who).get(url).get_data(as_text=True)
        assert f'href="/minutes/{held}/versions/1/pdf"' in page, who
        assert f'href="/minutes/{held}/versions/1/print"' in page, who
    # Another leader has no conversations with Anne: nothing to show, no access.
    assert as_("lena").get(f"/minutes/archive/{people['anne']}").status_code == 403


# Safe text ----------------------------------------------------------------------------------------


PAYLOAD = (
    'Trygt **fett** og *kursiv*\n\n- et punkt\n- <b onclick="alert(3)">klikk</b>\n\n'
    '<script>alert("x")</script><img src=x onerror="alert(1)">'
    '<div hx-get="/logout" hx-trigger="load">last</div>'
    '<a href="javascript:alert(2)" hx-post="/minutes">lenke</a> [lenke](javascript:alert(4))'
)


def tags_in(markup: str) -> list[tuple[str, str]]:
    """Every tag in `markup`: its name and what follows the name (its attributes)."""
    return re.findall(r"<\s*/?\s*([a-zA-Z][\w-]*)([^>]*)>", markup)


def test_script_and_htmx_in_the_minutes_are_stored_sanitised_and_stay_inert(
    app, as_, held
):
    """The minutes take Markdown: what it formats is stored as the few tags the minutes
    allow, without attributes; tags typed into the text are kept as text, shown as typed,
    and never act."""
    from medsamtale.text import ALLOWED_TAGS

    point_id = write(as_, held, app, body=PAYLOAD)
    stored = points(app, held)[0][2]
    assert {name for name, _attributes in tags_in(stored)} <= ALLOWED_TAGS
    assert all(attributes.strip() == "" for _name, attributes in tags_in(stored)), stored
    assert "<strong>fett</strong>" in stored and "<em>kursiv</em>" in stored
    assert "<ul>\n<li>et punkt</li>" in stored
    assert "&lt;script&gt;" in stored and "&lt;b onclick" in stored  # text, as typed
    submit(as_, held)
    for who, url in (("lars", f"/minutes/{held}"), ("anne", f"/minutes/{held}/versions/1"),
                     ("anne", f"/minutes/{held}/versions/1/print")):
        page = as_(who).get(url).get_data(as_text=True)
        start = page.index('id="minutes-document"')
        document = page[start:page.index("</article>", start)]
        user_text = re.search(r'<div class="user-text" hx-ignore>(.*?)</div>', document,
                              re.S).group(1)
        assert {name for name, _attributes in tags_in(user_text)} <= ALLOWED_TAGS, url
        assert all(attributes.strip() == "" for _name, attributes in tags_in(user_text)), url
        for bad in ("<script", "<img", "<a ", "<div hx-get"):
            assert bad not in document, (url, bad)
        # User text sits inside hx-ignore, so htmx would not act on it even if it got there.
        assert "<p>Trygt <strong>fett</strong> og <em>kursiv</em></p>" in user_text, url
        assert "&lt;script&gt;alert(" in user_text, url  # shown as the words typed
    # In the editor, the text is Markdown in a textarea, as typed, never markup.
    editor = as_("lars").post(f"/minutes/{held}/send-back",
                              data={"number": 1, "comment": "Se over"})
    page = as_("anne").get(f"/minutes/{held}").get_data(as_text=True)
    textarea = re.search(rf'<textarea id="body-{point_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert "Trygt **fett** og *kursiv*" in textarea.group(1)
    assert "&lt;script&gt;" in textarea.group(1) and "<b" not in textarea.group(1)
    assert editor.status_code == 302


def test_minutes_written_before_the_markdown_editor_still_show_and_edit(app, as_, held):
    """Minutes stored as HTML (typed tags) or plain text before the editor took Markdown
    show as they did, and come into the editor as Markdown that keeps their formatting."""
    from medsamtale.models import MinutesPoint

    with app.app_context():
        first, second = db.session.scalars(
            select(MinutesPoint).join(Minutes).where(Minutes.conversation_id == held)
            .order_by(MinutesPoint.position)).all()
        first.body = "<p>Trygt <b>fett</b></p><ul><li>en</li><li>to</li></ul>"
        second.body = "Første linje\nAndre linje med 2 * 3"
        db.session.commit()
        ids = first.id, second.id
    page = as_("anne").get(f"/minutes/{held}").get_data(as_text=True)
    editors = [re.search(rf'<textarea id="body-{i}"[^>]*>(.*?)</textarea>', page, re.S).group(1)
               for i in ids]
    assert editors[0].strip() == "Trygt **fett**\n\n- en\n- to"
    assert editors[1].strip() == "Første linje\nAndre linje med 2 \\* 3"
    assert f'id="preview-{ids[0]}" hx-ignore><p>Trygt <b>fett</b></p><ul><li>en</li>' in page
    assert f'id="preview-{ids[1]}" hx-ignore>Første linje<br>\nAndre linje med 2 * 3' in page
    # Saved again from the editor, the text means what it meant.
    for point_id, markdown in zip(ids, editors, strict=True):
        as_("anne").post(f"/minutes/{held}/points/{point_id}",
                         data={"heading": "x", "body": html.unescape(markdown)}, headers=HX)
    assert [body for _id, _heading, body in points(app, held)] == [
        "<p>Trygt <strong>fett</strong></p>\n<ul>\n<li>en</li>\n<li>to</li>\n</ul>",
        "<p>Første linje<br>\nAndre linje med 2 * 3</p>",
    ]


# Print and PDF ----------------------------------------------------------------------------------


SAMI_EMPLOYEE = "Máret Ŋuolja Čárli"
SAMI_LEADER = "Áilu Đuolbmá-Šŧáž"
SAMI_HEADING = "Ovdáneapmi: ođđa bargu"
SAMI_BODY = "Vi snakket om “arbeidsmengde” – og æøå ÆØÅ; ŋ đ ŧ č š ž á Ŋ Đ Ŧ Č Š Ž Á."
SAMI_ACTION = action_data(what="Gávdnat kursa – ođđa bargovuogit", goal="Šaddat jođiheaddjin ŧ ž")


def pdf_of(response) -> PdfReader:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.data))


def text_in(reader) -> str:
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def sami_minutes(app, as_, people, held) -> None:
    """Anne and Lars with Sámi names; Anne writes a point and an action in Sámi and
    Norwegian; Lars approves."""
    with app.app_context():
        db.session.get(User, people["anne"]).name = SAMI_EMPLOYEE
        db.session.get(User, people["lars"]).name = SAMI_LEADER
        db.session.commit()
    write(as_, held, app, body=SAMI_BODY, with_action=False)
    point_id = points(app, held)[0][0]
    as_("anne").post(f"/minutes/{held}/points/{point_id}",
                     data={"heading": SAMI_HEADING, "body": SAMI_BODY}, headers=HX)
    as_("anne").post(f"/minutes/{held}/actions", data=SAMI_ACTION, headers=HX)
    submit(as_, held)
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1})


def test_the_pdf_opens_and_holds_the_minutes_the_actions_and_both_confirmations(app, as_, held):
    with app.app_context():
        if Organisation.current() is None:
            db.session.add(Organisation(name="Fjordbyen kommune"))
        else:
            Organisation.current().name = "Fjordbyen kommune"
        db.session.commit()
        Organisation.forget_shown_name()
    write(as_, held, app, body="Vi snakket om arbeidsmengde – og æøå.")
    submit(as_, held)
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1})
    for who in ("anne", "lars"):
        text = text_in(pdf_of(as_(who).get(f"/minutes/{held}/versions/1/pdf")))
        for expected in ("Vi snakket om arbeidsmengde – og æøå.", "Fjordbyen kommune",
                         "Finne et kurs i prosjektledelse", "Lede prosjekter",
                         "Anne Aas", "Lars Lie", "Utvikling"):
            assert expected in text, expected


def test_sami_and_norwegian_letters_and_typography_come_back_out_of_the_pdf(
    app, as_, people, held
):
    sami_minutes(app, as_, people, held)
    text = text_in(pdf_of(as_("anne").get(f"/minutes/{held}/versions/1/pdf")))
    for expected in (SAMI_EMPLOYEE, SAMI_LEADER, SAMI_HEADING, SAMI_BODY,
                     "Gávdnat kursa – ođđa bargovuogit", "Šaddat jođiheaddjin ŧ ž",
                     f"{SAMI_EMPLOYEE}, sendt inn", f"{SAMI_LEADER}, godkjent"):
        assert expected in text, expected


def test_the_pdf_is_pdf_a_2b_with_the_dejavu_fonts_embedded(app, as_, people, held):
    sami_minutes(app, as_, people, held)
    reader = pdf_of(as_("lars").get(f"/minutes/{held}/versions/1/pdf"))
    metadata = ElementTree.fromstring(reader.trailer["/Root"]["/Metadata"].get_data())
    pdfaid = "{http://www.aiim.org/pdfa/ns/id/}"
    declared = {}
    for element in metadata.iter():
        declared.update({k: v for k, v in element.attrib.items() if k.startswith(pdfaid)})
        if element.tag.startswith(pdfaid):
            declared[element.tag] = element.text
    assert declared[f"{pdfaid}part"] == "2" and declared[f"{pdfaid}conformance"] == "B"
    assert "/OutputIntents" in reader.trailer["/Root"]
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for described in [font, *(f.get_object() for f in font.get("/DescendantFonts", []))]:
                if "/FontDescriptor" in described:
                    descriptor = described["/FontDescriptor"].get_object()
                    fonts[str(described["/BaseFont"])] = any(
                        key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all("DejaVu" in name for name in fonts), fonts
    assert all(fonts.values()), fonts  # every font is embedded


def test_the_print_view_and_the_pdf_hold_the_same_points_and_actions(app, as_, held):
    write(as_, held, app, body="Første punkt om kurs.")
    as_("anne").post(f"/minutes/{held}/points", headers=HX)
    second = points(app, held)[-1][0]
    as_("anne").post(f"/minutes/{held}/points/{second}",
                     data={"heading": "Arbeidsmiljø", "body": "Andre punkt om møter."},
                     headers=HX)
    as_("anne").post(f"/minutes/{held}/actions", headers=HX, data=action_data(
        what="Kortere møter", goal="Mer tid til arbeid", responsible="leader"))
    submit(as_, held)
    page = as_("lars").get(f"/minutes/{held}/versions/1/print").get_data(as_text=True)
    document = page.split('id="minutes-document"')[1].split("</article>")[0]
    cells = re.findall(r'<h4>(.*?)</h4>|<div class="user-text"[^>]*>(.*?)</div>'
                       r"|<td data-label=[^>]*>(.*?)</td>", document, re.S)
    shown = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", "".join(cell))).split())
             for cell in cells]
    for expected in ("Utvikling", "Første punkt om kurs.", "Arbeidsmiljø",
                     "Andre punkt om møter.", "Finne et kurs i prosjektledelse", "Anne Aas",
                     "Kortere møter", "Lars Lie", "Mer tid til arbeid"):
        assert expected in shown, (expected, shown)
    text = text_in(pdf_of(as_("lars").get(f"/minutes/{held}/versions/1/pdf")))
    at = 0
    for value in shown:  # every point and action of the print view, in the same order
        found = text.find(value, at)
        assert found >= 0, (value, text[at:])
        at = found + len(value)


def test_the_pdf_fetches_only_the_apps_own_files(app):
    from medsamtale.minutes.pdf import OwnFiles

    with app.test_request_context("/minutes/1/versions/1/pdf"):
        fetcher = OwnFiles()
        css = fetcher.fetch("http://localhost/static/css/pdf.css?v=1")
        assert b"DejaVu" in css.read() and css.content_type == "text/css"
        for url in ("http://localhost/static/../pyproject.toml",
                    "http://localhost/static/%2e%2e/pyproject.toml",
                    "http://example.org/static/css/app.css", "https://cdn.example/x.css",
                    "file:///etc/passwd", "http://localhost/minutes/1"):
            with pytest.raises(ValueError):
                fetcher.fetch(url)


def test_the_print_view_shows_the_document_without_the_editor(app, as_, held):
    write(as_, held, app)
    submit(as_, held)
    page = as_("anne").get(f"/minutes/{held}/versions/1/print").get_data(as_text=True)
    assert 'id="minutes-document"' in page and NEW_TEXT in page
    assert 'id="points"' not in page and "data-print" in page


# Cost ---------------------------------------------------------------------------------------------


def test_the_minutes_pages_cost_the_same_for_a_short_and_a_long_draft(
    app, as_, people, held_conversation, count_queries
):
    short = held_conversation(people["anne"], picks=2)
    long = held_conversation(people["bjorn"], picks=12)
    with app.app_context():
        for conversation_id, count in ((short, 1), (long, 12)):
            for n in range(count):
                db.session.add(Action(conversation_id=conversation_id, position=n,
                                      what=f"Tiltak {n}", responsible="leader",
                                      deadline=oslo_today() + timedelta(days=30)))
        db.session.commit()
    for _ in range(10):  # the long draft gets more points too
        as_("bjorn").post(f"/minutes/{long}/points", headers=HX)

    def cost(who, url):
        as_(who).get(url)
        with count_queries() as statements:
            response = as_(who).get(url)
        assert response.status_code == 200
        return len(statements)

    assert cost("anne", f"/minutes/{short}") == cost("bjorn", f"/minutes/{long}")
    submit(as_, short)
    as_("bjorn").post(f"/minutes/{long}/submit")
    assert minutes(app, short).state == minutes(app, long).state == "submitted"
    assert cost("lars", f"/minutes/{short}") == cost("lars", f"/minutes/{long}")
    assert cost("anne", "/minutes/archive") == cost("bjorn", "/minutes/archive")


def test_the_minutes_say_when_the_meeting_was_held_not_when_it_was_planned(app, as_, held):
    """Issue 13's fourth bug: a conversation planned weeks ahead and held today shows
    today on the minutes page, the print view, the PDF (and its file name) and in the
    archive, never the planned date."""
    from babel.dates import format_date

    from medsamtale.models import Conversation
    from medsamtale.timeutil import to_oslo

    with app.app_context():
        conversation = db.session.get(Conversation, held)
        started, planned = (to_oslo(t).date() for t in (conversation.started_at,
                                                          conversation.starts_at))
    assert started != planned
    held_text, planned_text = (format_date(d, "long", locale="nb") for d in (started, planned))
    write(as_, held, app)
    submit(as_, held)
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1})
    anne = as_("anne")
    for path in (f"/minutes/{held}", f"/minutes/{held}/versions/1/print",
                 "/minutes/archive"):
        page = anne.get(path).get_data(as_text=True)
        assert held_text in page and planned_text not in page, path
    response = anne.get(f"/minutes/{held}/versions/1/pdf")
    text = text_in(pdf_of(response))
    assert f"Gjennomført {held_text}" in text and planned_text not in text
    assert f"medarbeidersamtale-{started:%Y-%m-%d}-v1.pdf" in response.headers[
        "Content-Disposition"]


# Issue 13: Markdown, the change view, the approval page -----------------------------------------

FORMATTED = "Vi ble enige om **tre ting**:\n\n- kurs i *prosjektledelse*\n- en mentor"


def test_bold_and_a_list_written_in_markdown_show_on_the_page_in_print_and_in_the_pdf(
    app, as_, held
):
    write(as_, held, app, body=FORMATTED)
    submit(as_, held)
    for path in (f"/minutes/{held}", f"/minutes/{held}/versions/1/print"):
        page = as_("lars").get(path).get_data(as_text=True)
        assert "Vi ble enige om <strong>tre ting</strong>:" in page, path
        assert "<ul>\n<li>kurs i <em>prosjektledelse</em></li>\n<li>en mentor</li>" in page
        assert "**" not in page.split('id="minutes-document"')[1], path
    response = as_("lars").get(f"/minutes/{held}/versions/1/pdf")
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Vi ble enige om tre ting:" in text and "**" not in text
    assert re.search(r"\W\s?kurs i prosjektledelse", text) and "en mentor" in text
    # The bold words are set in a bold font.
    fonts = set()
    for page in reader.pages:
        page.extract_text(visitor_text=lambda t, _cm, _tm, font, _size: fonts.add(
            (t.strip(), (font or {}).get("/BaseFont"))) if "tre ting" in t else None)
    assert any("Bold" in str(font) for _text, font in fonts), fonts


def resubmitted(app, as_, held, first, second, deadline_days=(60, 60)):
    """Anne submits `first`, Lars sends it back, Anne submits `second` (and changes the
    action's deadline if the days differ)."""
    point_id = write(as_, held, app, body=first)
    submit(as_, held)
    as_("lars").post(f"/minutes/{held}/send-back", data={"number": 1, "comment": "Se over"})
    as_("anne").post(f"/minutes/{held}/points/{point_id}",
                     data={"heading": "Utvikling", "body": second}, headers=HX)
    if deadline_days[0] != deadline_days[1]:
        with app.app_context():
            action = db.session.scalar(select(Action).where(Action.conversation_id == held))
            action.deadline = oslo_today() + timedelta(days=deadline_days[1])
            db.session.commit()
    submit(as_, held)


def test_the_change_view_marks_changed_words_and_dates_in_norwegian(app, as_, held):
    from babel.dates import format_date

    resubmitted(app, as_, held, "Anne tar kurset i vår, og Lars betaler.",
                "Anne tar kurset innen juni, og Lars betaler.", deadline_days=(60, 90))
    page = as_("lars").get(f"/minutes/{held}").get_data(as_text=True)
    changes = page[page.index('class="changes"'):page.index('id="minutes-document"')]
    hidden = r'<span class="visually-hidden">[^<]+</span>'
    # Only the changed words are marked; the rest reads as it stands.
    assert re.search(rf"Anne tar kurset <del>{hidden}i vår,</del> <ins>{hidden}innen juni,</ins>"
                     r" og Lars betaler\.", changes), changes
    assert "font-family" not in changes and 'class="diff"' not in changes
    # The action's new deadline, old and new, as Norwegian dates.
    old, new = (format_date(oslo_today() + timedelta(days=d), "long", locale="nb")
                for d in (60, 90))
    assert re.search(rf"<del>{hidden}{old}</del>\s*<ins>{hidden}{new}</ins>", changes), changes
    assert 'class="change-action change-changed"' in changes


def test_the_change_view_is_shown_only_while_the_leader_has_something_to_decide(
    app, as_, held
):
    resubmitted(app, as_, held, "Første utkast.", "Andre utkast.")
    assert 'class="changes"' in as_("lars").get(f"/minutes/{held}").get_data(as_text=True)
    assert 'class="changes"' not in as_("anne").get(f"/minutes/{held}").get_data(as_text=True)
    # Sent back again: the employee revises, there is nothing for the leader to decide.
    as_("lars").post(f"/minutes/{held}/send-back", data={"number": 2, "comment": "Igjen"})
    assert minutes(app, held).state == "returned"
    assert 'class="changes"' not in as_("lars").get(f"/minutes/{held}").get_data(as_text=True)
    submit(as_, held)
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 3})
    assert minutes(app, held).state == "approved"
    assert 'class="changes"' not in as_("lars").get(f"/minutes/{held}").get_data(as_text=True)


def test_the_comment_goes_with_sending_back_and_approving_needs_none(app, as_, held):
    write(as_, held, app)
    submit(as_, held)
    page = as_("lars").get(f"/minutes/{held}").get_data(as_text=True)
    approve = re.search(r'<section class="decision-choice approve".*?</section>', page, re.S)
    send_back = re.search(r'<section class="decision-choice send-back".*?</section>', page, re.S)
    assert f'action="/minutes/{held}/approve"' in approve.group()
    assert "<textarea" not in approve.group() and "send-back" not in approve.group()
    assert f'action="/minutes/{held}/send-back"' in send_back.group()
    assert re.search(r'<textarea[^>]*name="comment"', send_back.group())
    # Approving with a comment typed (or not) approves, and keeps no comment.
    as_("lars").post(f"/minutes/{held}/approve", data={"number": 1, "comment": "ignored"})
    [version] = versions(app, held)
    assert (version["decision"], version["comment"]) == ("approved", "")


def test_the_responsible_persons_name_sits_with_the_someone_else_choice(app, as_, held):
    page = as_("anne").get(f"/minutes/{held}").get_data(as_text=True)
    fieldset = re.search(r'<form[^>]*action="/minutes/\d+/actions".*?</fieldset>', page, re.S)
    assert re.search(r'<div class="responsible-name">\s*<div class="field">\s*'
                     r'<label for="new-responsible_name"', fieldset.group())
