"""The HR people list shows who is on legal hold (bevaringspålegg) and whose employment has
ended or will end (issue 16, point 2), from the columns its one page query already reads:
no query per person."""

import html
import re
from datetime import date, timedelta

from medsamtale.extensions import db
from medsamtale.models import User
from medsamtale.timeutil import oslo_today, utcnow


def rows(page: str) -> dict[str, str]:
    """{email: the row's text} for each person in the list."""
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    found = {}
    for row in re.findall(r"<tr[^>]*>.*?</tr>", body, re.S):
        email = re.search(r"[\w.-]+@example\.no", row).group(0)
        found[email] = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
    return found


def put_on_hold(app, user_id, reason="Tvist om oppsigelse"):
    with app.app_context():
        user = db.session.get(User, user_id)
        user.legal_hold_reason, user.legal_hold_since = reason, utcnow()
        db.session.commit()


def end_employment(app, user_id, on: date, *, active=False):
    with app.app_context():
        user = db.session.get(User, user_id)
        user.employment_ended_on, user.active = on, active
        db.session.commit()


def test_the_list_marks_the_legal_hold_and_the_end_of_employment(app, people, as_):
    put_on_hold(app, people["anne"])
    end_employment(app, people["bjorn"], date(2026, 3, 31))
    end_employment(app, people["dag"], oslo_today() + timedelta(days=30), active=True)
    page = as_("hr").get("/admin/").get_data(as_text=True)
    listed = rows(page)

    assert "Bevaringspålegg" in listed["anne@example.no"]
    assert 'class="tag legal-hold"' in page and page.count("legal-hold") == 1
    for email in ("bjorn@example.no", "dag@example.no", "lars@example.no"):
        assert "Bevaringspålegg" not in listed[email]
    assert "Deaktivert Sluttet 31.03.2026" in listed["bjorn@example.no"]
    ends = (oslo_today() + timedelta(days=30)).strftime("%d.%m.%Y")
    assert f"Aktiv Slutter {ends}" in listed["dag@example.no"]
    assert "Slutt" not in listed["anne@example.no"]
    # The reason is for the person's own page, not the list.
    assert "Tvist om oppsigelse" not in page


def test_the_markers_take_no_query_per_person(app, people, as_, count_queries):
    hr = as_("hr")

    def queries():
        hr.get("/admin/")
        with count_queries() as statements:
            page = hr.get("/admin/").get_data(as_text=True)
        return len(statements), page

    few, _ = queries()
    with app.app_context():
        for n in range(40):
            db.session.add(User(
                name=f"Person {n:03d}", email=f"p{n:03d}@example.no", leader_id=people["lars"],
                legal_hold_reason="Tvist" if n % 2 else "", legal_hold_since=utcnow(),
                employment_ended_on=date(2025, 1, 1) if n % 3 == 0 else None,
                active=n % 3 != 0))
        db.session.commit()
    many, page = queries()
    assert many == few
    listed = rows(page)
    assert "Bevaringspålegg" in listed["p001@example.no"]
    assert "Bevaringspålegg" not in listed["p002@example.no"]
    assert "Sluttet 01.01.2025" in listed["p003@example.no"]
