"""The question bank: the default sets from `flask init`, and the HR admin's changes to them."""

import re

import pytest
from sqlalchemy import func, select

from medsamtale.extensions import db
from medsamtale.models import FollowUpPrompt, Organisation, Question, QuestionSet, Theme

from .fixtures.app import logged_in
from .helpers import HX, assert_block, field_is_invalid, has_field_error, snapshot

# Themes of the standard set that cover rule R15 (names as in the default bank).
R15_THEMES = [
    "Oppfølging fra forrige samtale",
    "Mål og arbeidsoppgaver",
    "Opplæring og utvikling",
    "Samarbeid med leder",
    "Vårt felles arbeidsmiljø",
    "Utviklingsområdene våre",
    "Faglig arbeidsmiljø",
    "Arbeidsmengde og ressurser",
    "Karriere og veien videre",
    "Lønn og betingelser",
]


# Helpers ------------------------------------------------------------------------------------


@pytest.fixture
def bank(app, runner):
    """The default question bank, made by `flask init`."""
    result = runner.invoke(args=["init", "--organisation", "Test AS"])
    assert result.exit_code == 0, result.output
    return app


def counts(app):
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count(model.id)))
            for model in (Organisation, QuestionSet, Theme, Question, FollowUpPrompt)
        }


def bank_snapshot(app):
    """Every theme, question and prompt with its text, order and state."""
    return (
        snapshot(app, Theme, "id", "question_set_id", "name", "description", "position",
                 "is_salary", "retired_at"),
        snapshot(app, Question, "id", "theme_id", "text", "position", "retired_at"),
        snapshot(app, FollowUpPrompt, "id", "question_id", "text", "position"),
    )


def set_id(app, key="standard"):
    with app.app_context():
        return db.session.scalar(select(QuestionSet.id).where(QuestionSet.key == key))


def theme_order(app, key="standard"):
    """The ids of a set's themes in the order the conversation takes them."""
    with app.app_context():
        question_set = db.session.scalar(select(QuestionSet).where(QuestionSet.key == key))
        return [t.id for t in question_set.themes]


def theme(app, theme_id):
    with app.app_context():
        t = db.session.get(Theme, theme_id)
        return {"name": t.name, "is_salary": t.is_salary, "retired_at": t.retired_at,
                "set": t.question_set_id}


def salary_theme_id(app, key="standard"):
    with app.app_context():
        return db.session.scalar(
            select(Theme.id).join(QuestionSet).where(QuestionSet.key == key, Theme.is_salary)
        )


def question_order(app, theme_id):
    with app.app_context():
        return [q.id for q in db.session.get(Theme, theme_id).questions]


def question(app, question_id):
    with app.app_context():
        q = db.session.get(Question, question_id)
        if q is None:
            return None
        return {"text": q.text, "theme_id": q.theme_id, "retired_at": q.retired_at,
                "prompts": [p.text for p in q.prompts]}


def order_in_page(page, prefix, ids):
    """The given element ids (theme-N / question-N) in the order they appear on the page."""
    found = {i: page.index(f'id="{prefix}-{i}"') for i in ids}
    return sorted(ids, key=found.get)


def element(page, prefix, item_id):
    """The opening tag of the element with id prefix-item_id."""
    return re.search(rf'<[^>]*id="{prefix}-{item_id}"[^>]*>', page).group(0)


def new_question_data(theme_id, text="Hva gir deg energi i arbeidsdagen?",
                      prompts="Når kjente du det sist?\nHva kan vi gjøre mer av?"):
    return {"theme_id": str(theme_id), "text": text, "prompts": prompts}


def assert_refused(response, field):
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert has_field_error(page, field)
    assert field_is_invalid(page, field)
    return page


def bank_block(client, rendered, path, data=None):
    """POST `path` with htmx: 200, and only the bank block comes back. Returns it."""
    response = client.post(f"/admin/questions/{path}", data=data, headers=HX)
    assert response.status_code == 200
    assert_block(rendered, "questionbank/index.html", "bank")
    return response.get_data(as_text=True)


# The default bank ---------------------------------------------------------------------------


def test_init_creates_the_default_question_bank(bank):
    with bank.app_context():
        assert Organisation.current().name == "Test AS"
        sets = {s.key: s for s in db.session.scalars(select(QuestionSet))}
        assert {"standard", "loft"} <= set(sets)

        standard = sets["standard"]
        questions = [q for t in standard.themes for q in t.questions]
        assert len(standard.themes) >= 8
        assert len(questions) >= 40
        names = [t.name for t in standard.themes]
        for name in R15_THEMES:
            assert name in names, name
        assert len(sets["loft"].themes) >= 3

        for question_set in sets.values():
            salary = [t for t in question_set.themes if t.is_salary]
            assert len(salary) == 1, question_set.key
            # Rule R8: salary and conditions come last.
            assert question_set.themes[-1] is salary[0]
            for t in question_set.themes:
                assert t.retired_at is None
                assert t.questions, t.name
                for q in t.questions:
                    assert 1 <= len(q.prompts) <= 3, q.text
                    assert q.text.strip() and all(p.text.strip() for p in q.prompts)
                    assert q.retired_at is None


def test_init_twice_duplicates_nothing(bank, runner):
    before = counts(bank)
    assert before["Organisation"] == 1
    result = runner.invoke(args=["init", "--organisation", "Test AS"])
    assert result.exit_code == 0, result.output
    assert counts(bank) == before
    # Even under another name, the organisation is not made twice.
    result = runner.invoke(args=["init", "--organisation", "Other AS"])
    assert result.exit_code == 0, result.output
    assert counts(bank) == before
    with bank.app_context():
        assert Organisation.current().name == "Test AS"


def test_the_bank_page_shows_every_set_theme_question_and_prompt(bank, client, hr_admin):
    response = client.get("/admin/questions/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    with bank.app_context():
        for question_set in db.session.scalars(select(QuestionSet)):
            assert f'id="set-{question_set.id}"' in page
            ids = [t.id for t in question_set.themes]
            assert order_in_page(page, "theme", ids) == ids
            for t in question_set.themes:
                qids = [q.id for q in t.questions]
                assert order_in_page(page, "question", qids) == qids
    assert "Oppfølging fra forrige samtale" in page
    assert "Lønn og betingelser" in page


# Themes -------------------------------------------------------------------------------------


def test_hr_admin_adds_and_edits_a_theme(bank, client, hr_admin):
    standard = set_id(bank)
    salary = salary_theme_id(bank)
    assert client.get(f"/admin/questions/sets/{standard}/themes/new").status_code == 200
    response = client.post(
        f"/admin/questions/sets/{standard}/themes/new",
        data={"name": "Digitale verktøy", "description": "Hvordan verktøyene støtter jobben."},
    )
    assert response.status_code == 302
    with bank.app_context():
        new = db.session.scalar(select(Theme).where(Theme.name == "Digitale verktøy"))
        assert new.question_set_id == standard
        assert new.description == "Hvordan verktøyene støtter jobben."
        assert new.is_salary is False
        new_id = new.id
    assert response.location == f"/admin/questions/#theme-{new_id}"
    # The new theme comes after the others, but the salary theme stays last.
    order = theme_order(bank)
    assert order[-2:] == [new_id, salary]
    page = client.get("/admin/questions/").get_data(as_text=True)
    assert "Digitale verktøy" in page
    assert order_in_page(page, "theme", order) == order

    response = client.post(f"/admin/questions/themes/{new_id}",
                           data={"name": "Digitale verktøy og systemer", "description": ""})
    assert response.status_code == 302
    assert theme(bank, new_id)["name"] == "Digitale verktøy og systemer"


@pytest.mark.parametrize(
    ("data", "field"),
    [({"name": "", "description": ""}, "name"),
     ({"name": "T" * 121, "description": ""}, "name"),
     ({"name": "Lønn igjen", "description": "", "is_salary": "y"}, "is_salary")],
    ids=["no-name", "long-name", "second-salary-theme"],
)
def test_a_bad_new_theme_is_refused(bank, client, hr_admin, data, field):
    before = bank_snapshot(bank)
    for key in ("standard", "loft"):
        response = client.post(f"/admin/questions/sets/{set_id(bank, key)}/themes/new",
                               data=data)
        assert_refused(response, field)
    assert bank_snapshot(bank) == before


def test_a_second_salary_theme_is_refused_when_editing(bank, client, hr_admin):
    first = theme_order(bank)[0]
    salary = salary_theme_id(bank)
    before = bank_snapshot(bank)
    response = client.post(f"/admin/questions/themes/{first}",
                           data={"name": "Oppfølging", "description": "", "is_salary": "y"})
    assert_refused(response, "is_salary")
    assert bank_snapshot(bank) == before
    # The salary theme itself can be saved as the salary theme.
    response = client.post(f"/admin/questions/themes/{salary}",
                           data={"name": "Lønn, arbeidstid og betingelser", "description": "",
                                 "is_salary": "y"})
    assert response.status_code == 302
    saved = theme(bank, salary)
    assert (saved["name"], saved["is_salary"]) == ("Lønn, arbeidstid og betingelser", True)


def test_another_theme_may_be_the_salary_theme_once_none_is(bank, client, hr_admin):
    # Unmark the salary theme; then another theme may take the role, and goes last.
    salary = salary_theme_id(bank)
    first = theme_order(bank)[0]
    client.post(f"/admin/questions/themes/{salary}",
                data={"name": "Lønn og betingelser", "description": ""})
    assert salary_theme_id(bank) is None
    response = client.post(f"/admin/questions/themes/{first}",
                           data={"name": "Oppfølging fra forrige samtale", "description": "",
                                 "is_salary": "y"})
    assert response.status_code == 302
    assert salary_theme_id(bank) == first
    assert theme_order(bank)[-1] == first


# Questions ----------------------------------------------------------------------------------


def test_hr_admin_adds_a_question_with_prompts_and_edits_it(bank, client, hr_admin):
    theme_id, other_theme_id = theme_order(bank)[1:3]
    page = client.get(f"/admin/questions/themes/{theme_id}/questions/new").get_data(as_text=True)
    assert re.search(rf'<option selected value="{theme_id}">', page)

    response = client.post(
        f"/admin/questions/themes/{theme_id}/questions/new",
        data=new_question_data(theme_id, prompts="  Når kjente du det sist?  \r\n\r\n"
                                                 "Hva kan vi gjøre mer av?\r\n"),
    )
    assert response.status_code == 302
    question_id = int(re.search(r"#question-(\d+)$", response.location).group(1))
    saved = question(bank, question_id)
    assert saved == {"text": "Hva gir deg energi i arbeidsdagen?", "theme_id": theme_id,
                     "retired_at": None,
                     "prompts": ["Når kjente du det sist?", "Hva kan vi gjøre mer av?"]}
    # It is added last in its theme.
    assert question_order(bank, theme_id)[-1] == question_id
    page = client.get("/admin/questions/").get_data(as_text=True)
    start = page.index(f'id="question-{question_id}"')
    item = page[start:page.index('class="actions"', start)]
    assert "Hva gir deg energi i arbeidsdagen?" in item
    assert "Når kjente du det sist?" in item and "Hva kan vi gjøre mer av?" in item

    # The edit page shows the prompts one per line.
    page = client.get(f"/admin/questions/questions/{question_id}").get_data(as_text=True)
    assert "Når kjente du det sist?\nHva kan vi gjøre mer av?" in page

    response = client.post(
        f"/admin/questions/questions/{question_id}",
        data=new_question_data(theme_id, text="Hva gir deg mest energi på jobben?",
                               prompts="En\nTo\nTre"),
    )
    assert response.status_code == 302
    assert question(bank, question_id) == {
        "text": "Hva gir deg mest energi på jobben?", "theme_id": theme_id, "retired_at": None,
        "prompts": ["En", "To", "Tre"],
    }
    with bank.app_context():
        # The old prompts are gone, not left behind as orphans.
        assert db.session.scalar(
            select(func.count(FollowUpPrompt.id)).where(FollowUpPrompt.question_id.is_(None))
        ) == 0
        assert db.session.scalar(
            select(func.count(FollowUpPrompt.id))
            .where(FollowUpPrompt.question_id == question_id)
        ) == 3

    # Moved to another theme, it goes last there.
    response = client.post(
        f"/admin/questions/questions/{question_id}",
        data=new_question_data(other_theme_id, text="Hva gir deg mest energi på jobben?",
                               prompts="En"),
    )
    assert response.status_code == 302
    assert question(bank, question_id)["theme_id"] == other_theme_id
    assert question(bank, question_id)["prompts"] == ["En"]
    assert question_order(bank, other_theme_id)[-1] == question_id
    assert question_id not in question_order(bank, theme_id)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": "Hva tenker du?", "prompts": ""}, "prompts"),
        ({"text": "Hva tenker du?", "prompts": " \n \n"}, "prompts"),
        ({"text": "Hva tenker du?", "prompts": "En\nTo\nTre\nFire"}, "prompts"),
        ({"text": "Hva tenker du?", "prompts": "P" * 301}, "prompts"),
        ({"text": "Q" * 301, "prompts": "En"}, "text"),
        ({"text": "   ", "prompts": "En"}, "text"),
    ],
    ids=["no-prompts", "blank-prompts", "four-prompts", "long-prompt", "long-question",
         "no-question"],
)
def test_a_bad_question_is_refused_and_nothing_changes(bank, client, hr_admin, data, field):
    theme_id = theme_order(bank)[0]
    existing = question_order(bank, theme_id)[0]
    before = bank_snapshot(bank)

    response = client.post(f"/admin/questions/themes/{theme_id}/questions/new",
                           data={"theme_id": str(theme_id), **data})
    page = assert_refused(response, field)
    if data["text"].strip():
        assert data["text"] in page  # what was typed is kept
    response = client.post(f"/admin/questions/questions/{existing}",
                           data={"theme_id": str(theme_id), **data})
    assert_refused(response, field)
    assert bank_snapshot(bank) == before


def test_a_question_cannot_be_moved_to_a_theme_of_another_set(bank, client, hr_admin):
    theme_id = theme_order(bank)[0]
    loft_theme = theme_order(bank, "loft")[0]
    existing = question_order(bank, theme_id)[0]
    before = bank_snapshot(bank)
    response = client.post(f"/admin/questions/questions/{existing}",
                           data=new_question_data(loft_theme))
    assert_refused(response, "theme_id")
    assert bank_snapshot(bank) == before


# Order --------------------------------------------------------------------------------------


def test_move_a_theme_up_and_down(bank, client, hr_admin, rendered):
    first, second, third = theme_order(bank)[:3]
    response = client.post(f"/admin/questions/themes/{second}/move",
                           data={"direction": "up", "anchor": f"#theme-{second}"})
    assert response.status_code == 302
    assert response.location == f"/admin/questions/#theme-{second}"
    assert theme_order(bank)[:3] == [second, first, third]
    page = client.get("/admin/questions/").get_data(as_text=True)
    assert order_in_page(page, "theme", [first, second, third]) == [second, first, third]

    # With htmx: only the bank block comes back, showing the new order.
    fragment = bank_block(client, rendered, f"themes/{second}/move", {"direction": "down"})
    assert fragment.lstrip().startswith('<div id="bank">')
    assert fragment.count('<div id="bank">') == 1
    assert theme_order(bank)[:3] == [first, second, third]
    assert order_in_page(fragment, "theme", [first, second, third]) == [first, second, third]

    # At the ends nothing moves.
    before = theme_order(bank)
    client.post(f"/admin/questions/themes/{first}/move", data={"direction": "up"})
    assert theme_order(bank) == before


def test_a_bad_direction_is_refused(bank, client, hr_admin):
    second = theme_order(bank)[1]
    before = bank_snapshot(bank)
    assert client.post(f"/admin/questions/themes/{second}/move",
                       data={"direction": "sideways"}).status_code == 400
    assert client.post(f"/admin/questions/themes/{second}/move").status_code == 400
    assert bank_snapshot(bank) == before


def test_the_salary_theme_stays_last_even_if_moved(bank, client, hr_admin, rendered):
    for key in ("standard", "loft"):
        salary = salary_theme_id(bank, key)
        before = theme_order(bank, key)
        assert before[-1] == salary
        client.post(f"/admin/questions/themes/{salary}/move", data={"direction": "up"})
        assert theme_order(bank, key) == before
        fragment = bank_block(client, rendered, f"themes/{before[-2]}/move",
                              {"direction": "down"})
        assert theme_order(bank, key) == before
        assert order_in_page(fragment, "theme", before)[-1] == salary
        # Moving the theme before it up still works, and the salary theme stays last.
        client.post(f"/admin/questions/themes/{before[-2]}/move", data={"direction": "up"})
        assert theme_order(bank, key) == [*before[:-3], before[-2], before[-3], salary]
    page = client.get("/admin/questions/").get_data(as_text=True)
    for key in ("standard", "loft"):
        order = theme_order(bank, key)
        assert order_in_page(page, "theme", order) == order
        # The salary theme offers no moves that would not change anything.
        salary_header = page[page.index(f'id="theme-{order[-1]}"'):]
        salary_header = salary_header[:salary_header.index('<ol class="questions">')]
        assert "/move" not in salary_header
        # The theme just before it can move up, not down past it.
        header = page[page.index(f'id="theme-{order[-2]}"'):]
        header = header[:header.index('<ol class="questions">')]
        assert 'name="direction" value="up"' in header
        assert 'name="direction" value="down"' not in header


def test_move_a_question_up_and_down(bank, client, hr_admin, rendered):
    theme_id, other_theme = theme_order(bank)[:2]
    other_order = question_order(bank, other_theme)
    q1, q2, q3 = question_order(bank, theme_id)[:3]
    response = client.post(f"/admin/questions/questions/{q1}/move",
                           data={"direction": "down", "anchor": f"#question-{q1}"})
    assert response.status_code == 302
    assert response.location == f"/admin/questions/#question-{q1}"
    assert question_order(bank, theme_id)[:3] == [q2, q1, q3]
    page = client.get("/admin/questions/").get_data(as_text=True)
    assert order_in_page(page, "question", [q1, q2, q3]) == [q2, q1, q3]

    fragment = bank_block(client, rendered, f"questions/{q3}/move", {"direction": "up"})
    assert '<div id="bank">' in fragment
    assert question_order(bank, theme_id)[:3] == [q2, q3, q1]
    assert order_in_page(fragment, "question", [q1, q2, q3]) == [q2, q3, q1]
    # Other themes are untouched.
    assert question_order(bank, other_theme) == other_order


# Retire and restore -------------------------------------------------------------------------


def test_retire_and_restore_a_question(bank, client, hr_admin, rendered):
    theme_id = theme_order(bank)[0]
    question_id = question_order(bank, theme_id)[1]
    text = question(bank, question_id)["text"]
    before = counts(bank)

    response = client.post(f"/admin/questions/questions/{question_id}/retire",
                           data={"anchor": f"#question-{question_id}"})
    assert response.status_code == 302
    retired = question(bank, question_id)
    assert retired is not None  # never deleted
    assert retired["retired_at"] is not None
    assert retired["text"] == text and len(retired["prompts"]) >= 1
    assert counts(bank) == before
    page = client.get("/admin/questions/").get_data(as_text=True)
    assert "retired" in element(page, "question", question_id).split('class="')[1]
    actions = page.index('class="actions"', page.index(f'id="question-{question_id}"'))
    item = page[actions:page.index("</div>", actions)]
    assert f"/questions/{question_id}/restore" in item
    assert f"/questions/{question_id}/retire" not in item

    fragment = bank_block(client, rendered, f"questions/{question_id}/restore")
    assert question(bank, question_id)["retired_at"] is None
    assert "retired" not in element(fragment, "question", question_id)
    assert counts(bank) == before


def test_retire_and_restore_a_theme(bank, client, hr_admin, rendered):
    theme_id = theme_order(bank)[2]
    questions = question_order(bank, theme_id)
    before = counts(bank)

    fragment = bank_block(client, rendered, f"themes/{theme_id}/retire")
    assert theme(bank, theme_id)["retired_at"] is not None
    assert counts(bank) == before
    # The theme and its questions are all still there.
    assert question_order(bank, theme_id) == questions
    assert "retired" in element(fragment, "theme", theme_id)
    page = client.get("/admin/questions/").get_data(as_text=True)
    assert "retired" in element(page, "theme", theme_id)
    header = page[page.index(f'id="theme-{theme_id}"'):]
    header = header[:header.index('<ol class="questions">')]
    assert f"/themes/{theme_id}/restore" in header
    assert f"/themes/{theme_id}/retire" not in header

    response = client.post(f"/admin/questions/themes/{theme_id}/restore")
    assert response.status_code == 302
    assert theme(bank, theme_id)["retired_at"] is None
    page = client.get("/admin/questions/").get_data(as_text=True)
    assert "retired" not in element(page, "theme", theme_id)
    assert counts(bank) == before


def test_unknown_items_are_not_found(bank, client, hr_admin):
    before = bank_snapshot(bank)
    for url in ["/admin/questions/themes/987654", "/admin/questions/questions/987654",
                "/admin/questions/sets/987654/themes/new",
                "/admin/questions/themes/987654/questions/new"]:
        assert client.get(url).status_code == 404, url
    for url in ["/admin/questions/themes/987654/retire",
                "/admin/questions/questions/987654/retire",
                "/admin/questions/questions/987654/move"]:
        assert client.post(url, data={"direction": "up"}).status_code == 404, url
    assert bank_snapshot(bank) == before


# Performance --------------------------------------------------------------------------------


def test_bank_page_query_count_does_not_grow_with_the_number_of_questions(
    bank, client, hr_admin, count_queries
):
    client.get("/admin/questions/")  # warm up
    with count_queries() as few:
        page = client.get("/admin/questions/").get_data(as_text=True)
    questions_before = page.count('<li id="question-')

    with bank.app_context():
        themes = list(db.session.scalars(select(Theme)))
        for n in range(30):
            q = Question(theme=themes[n % len(themes)], text=f"Ekstra spørsmål {n}?",
                         position=100 + n)
            q.replace_prompts([f"Oppfølging {n} a", f"Oppfølging {n} b"])
            db.session.add(q)
        db.session.add(Theme(question_set=themes[0].question_set, name="Ekstra tema",
                             position=50))
        db.session.commit()

    with count_queries() as many:
        page = client.get("/admin/questions/").get_data(as_text=True)
    assert page.count('<li id="question-') == questions_before + 30
    assert "Ekstra spørsmål 29?" in page
    assert len(many) == len(few), (few, many)


# Access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["employee", "leader"])
def test_employees_and_leaders_are_refused_the_question_bank(bank, client, make_user, role):
    roles = ("employee", "leader") if role == "leader" else ("employee",)
    make_user("Pål Person", "paal@example.no", roles=roles)
    logged_in(client, "paal@example.no")
    standard = set_id(bank)
    theme_id = theme_order(bank)[1]
    question_id = question_order(bank, theme_id)[1]
    before = bank_snapshot(bank)

    for url in ["/admin/questions/", f"/admin/questions/sets/{standard}/themes/new",
                f"/admin/questions/themes/{theme_id}",
                f"/admin/questions/themes/{theme_id}/questions/new",
                f"/admin/questions/questions/{question_id}"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Oppfølging fra forrige samtale" not in response.get_data(as_text=True)

    posts = [
        (f"/admin/questions/sets/{standard}/themes/new", {"name": "Inntrenger"}),
        (f"/admin/questions/themes/{theme_id}", {"name": "Inntrenger"}),
        (f"/admin/questions/themes/{theme_id}/move", {"direction": "up"}),
        (f"/admin/questions/themes/{theme_id}/retire", {}),
        (f"/admin/questions/themes/{theme_id}/restore", {}),
        (f"/admin/questions/themes/{theme_id}/questions/new", new_question_data(theme_id)),
        (f"/admin/questions/questions/{question_id}", new_question_data(theme_id)),
        (f"/admin/questions/questions/{question_id}/move", {"direction": "up"}),
        (f"/admin/questions/questions/{question_id}/retire", {}),
        (f"/admin/questions/questions/{question_id}/restore", {}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, url
        assert client.post(url, data=data, headers=HX).status_code == 403
    assert bank_snapshot(bank) == before


def _open_themes(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<details class="theme[^"]*" id="theme-(\d+)" open>',
                                       page)]


def test_the_bank_folds_each_theme_and_keeps_the_changed_one_open(bank, client, hr_admin,
                                                                  rendered):
    themes = theme_order(bank)
    page = client.get("/admin/questions/").get_data(as_text=True)
    # Every theme is a closed <details>, its name and number of questions in the summary.
    assert len(re.findall(r'<details class="theme[^"]*" id="theme-\d+"', page)) >= len(themes)
    assert _open_themes(page) == []
    assert re.search(r"<summary>\s*<h3>[^<]+</h3>\s*<span class=\"muted\">\d+ spørsmål</span>",
                     page)

    # After a change with htmx, the theme it was made in stays open: a theme moved ...
    fragment = bank_block(client, rendered, f"themes/{themes[1]}/move",
                          {"direction": "up", "anchor": f"#theme-{themes[1]}"})
    assert _open_themes(fragment) == [themes[1]]
    # ... or a question moved within its theme.
    questions = question_order(bank, themes[2])
    fragment = bank_block(client, rendered, f"questions/{questions[1]}/move",
                          {"direction": "up", "anchor": f"#question-{questions[1]}"})
    assert _open_themes(fragment) == [themes[2]]
    # A made-up anchor opens nothing and breaks nothing.
    for anchor in ("#question-99999999999999", "#theme-abc", "#x", ""):
        fragment = bank_block(client, rendered, f"themes/{themes[0]}/move",
                              {"direction": "down", "anchor": anchor})
        assert _open_themes(fragment) == []
