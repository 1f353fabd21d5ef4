"""Decisions happen once (issue 12): two requests that make the same decision, or two
decisions that exclude each other, sent at the same moment give one result, one email and
(for a submission) one version; the other request is refused with a 409 that says why,
never a 500. Each race is run several times over real HTTP (the live server, one thread per
request, both released together by a barrier), on SQLite and on PostgreSQL.
"""

import html
import http.client
import threading
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from medsamtale.access import stale_message
from medsamtale.extensions import db
from medsamtale.models import (
    Action,
    ActionUpdate,
    Conversation,
    Minutes,
    MinutesVersion,
    Question,
)
from medsamtale.models.conversations import HELD, IN_PROGRESS
from medsamtale.models.followup import DONE
from medsamtale.models.minutes import APPROVED, DRAFT, RETURNED, SUBMITTED
from medsamtale.timeutil import oslo_today, utcnow

from .fixtures.app import EMAILS, logged_in
from .fixtures.domain import agree_actions
from .helpers import HX, outbox_count

ROUNDS = 10
FOUND = 302  # a decision made: the plain post is sent back to the minutes
REFUSED = 409

# What the one who comes second is told (the msgids; shown in the default language).
ALREADY_SUBMITTED = _l("The minutes are already sent for approval. Nothing was changed.")
NOTHING_TO_DECIDE = _l("There is nothing to decide: the minutes are not waiting for approval.")
NOT_APPROVED = _l("Only approved minutes can be reopened.")
NOT_APPROVED_TO_ASK = _l("Only approved minutes need reopening.")


class Browser:
    """One person over real HTTP, in the session of their logged-in test client, with a
    connection of its own for each request (so that threads share nothing)."""

    def __init__(self, base_url, client):
        address = urlsplit(base_url)
        self.host, self.port = address.hostname, address.port
        self.cookie = f"session={client.get_cookie('session').value}"

    def post(self, path, data=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(
                "POST", path, body=urlencode(data or {}),
                headers={"Cookie": self.cookie,
                         "Content-Type": "application/x-www-form-urlencoded"})
            return self._read(connection.getresponse())
        finally:
            connection.close()

    def get(self, path):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request("GET", path, headers={"Cookie": self.cookie})
            return self._read(connection.getresponse())[:2]
        finally:
            connection.close()

    def _read(self, response):
        body = html.unescape(response.read().decode())
        for cookie in response.headers.get_all("Set-Cookie") or []:
            if cookie.startswith("session="):
                self.cookie = cookie.split(";")[0]
        return response.status, body, response.headers.get("Location")

    def step(self, path, data=None):
        """A plain post, and the page it is sent back to: (status, that page). A refusal
        is flashed there as an error (the post itself is answered with the redirect)."""
        status, body, location = self.post(path, data)
        if status != FOUND:
            return status, body
        return self.get(location)


def browsers(app, live_server, *people):
    """A browser for each of `people`, each logged in with a session of its own (so that
    what one is told is not shown to the other)."""
    return [Browser(live_server, logged_in(app.test_client(), EMAILS[who])) for who in people]


def at_once(*requests):
    """Send the requests (functions of no argument) together, each from a thread of its
    own released by one barrier; returns their answers in the order given."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(index, request):
        barrier.wait()
        try:
            answers[index] = request()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            answers[index] = (None, repr(error))

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return answers


def one_won(answers, message, app):
    """Exactly one answer is the decision made; the other is a 409 that says `message`
    (in the default language, as the person reads it). Returns the index of the winner."""
    statuses = sorted(status or 0 for status, _body in answers)
    assert statuses == [FOUND, REFUSED], [(s, b[:300]) for s, b in answers]
    loser = next(body for status, body in answers if status == REFUSED)
    # Said at the top of the page, or above the form the refused post came from.
    assert "flash-error" in loser or 'class="errors form-errors"' in loser
    with app.test_request_context(), force_locale("nb"):
        said = str(message)
    assert said in loser, loser[loser.find("flash-error") - 200:][:600]
    return next(i for i, (status, _body) in enumerate(answers) if status == FOUND)


def the_minutes(app, conversation_id):
    """(state, [(number, decision)]) of the conversation's minutes, read fresh."""
    with app.app_context():
        minutes = db.session.scalar(
            select(Minutes).where(Minutes.conversation_id == conversation_id))
        versions = db.session.execute(
            select(MinutesVersion.number, MinutesVersion.decision)
            .where(MinutesVersion.minutes_id == minutes.id).order_by(MinutesVersion.number)
        ).all()
        return minutes.state, [tuple(v) for v in versions]


def write_draft(as_, app, conversation_id):
    """Anne writes the first point and one action, so that the minutes can be submitted."""
    with app.app_context():
        minutes = db.session.scalar(
            select(Minutes).where(Minutes.conversation_id == conversation_id))
        point_id = minutes.points[0].id
    anne = as_("anne")
    assert anne.post(f"/minutes/{conversation_id}/points/{point_id}",
                     data={"heading": "Utvikling", "body": "Kurs i vår."},
                     headers=HX).status_code == 200
    deadline = (oslo_today() + timedelta(days=60)).isoformat()
    assert anne.post(f"/minutes/{conversation_id}/actions", headers=HX, data={
        "new-what": "Finne et kurs", "new-responsible": "employee",
        "new-responsible_name": "", "new-deadline": deadline, "new-goal": "Lede prosjekter",
    }).status_code == 200


def mails(app, who):
    return outbox_count(app, EMAILS[who])


# The minutes -----------------------------------------------------------------------------


def test_two_submits_at_once_make_one_version_and_one_email(app, as_, held, live_server):
    write_draft(as_, app, held)
    tabs = browsers(app, live_server, "anne", "anne")
    for round_ in range(1, ROUNDS + 1):
        before = mails(app, "lars")
        answers = at_once(*(lambda b=b: b.post(f"/minutes/{held}/submit")[:2] for b in tabs))
        one_won(answers, ALREADY_SUBMITTED, app)
        state, versions = the_minutes(app, held)
        assert state == SUBMITTED
        assert [number for number, _decision in versions] == list(range(1, round_ + 1))
        assert mails(app, "lars") == before + 1
        # Lars sends it back, so that Anne can submit again.
        response = as_("lars").post(f"/minutes/{held}/send-back",
                                    data={"number": round_, "comment": "Litt til"})
        assert response.status_code == FOUND
        assert the_minutes(app, held)[0] == RETURNED


def test_approve_and_send_back_at_once_make_one_decision_and_one_email(
        app, as_, held, live_server):
    write_draft(as_, app, held)
    lars, other = browsers(app, live_server, "lars", "lars")
    outcomes = set()
    for round_ in range(1, ROUNDS + 1):
        assert as_("anne").post(f"/minutes/{held}/submit").status_code == FOUND
        before = mails(app, "anne")
        answers = at_once(
            lambda n=round_: lars.post(f"/minutes/{held}/approve", {"number": n})[:2],
            lambda n=round_: other.post(f"/minutes/{held}/send-back",
                                       {"number": n, "comment": "Skriv mer om kurset"})[:2],
        )
        winner = one_won(answers, NOTHING_TO_DECIDE, app)
        decided = (APPROVED, RETURNED)[winner]
        outcomes.add(decided)
        state, versions = the_minutes(app, held)
        assert state == decided
        assert versions[-1] == (round_, decided) and len(versions) == round_
        assert mails(app, "anne") == before + 1
        if decided == APPROVED:  # Lars reopens them, for the next round
            assert as_("lars").post(f"/minutes/{held}/reopen").status_code == FOUND
    assert outcomes  # which one wins is up to the race; only one ever does


def test_two_reopens_at_once_reopen_once_with_one_email(app, as_, held, live_server):
    write_draft(as_, app, held)
    tabs = browsers(app, live_server, "lars", "lars")
    for round_ in range(1, ROUNDS + 1):
        assert as_("anne").post(f"/minutes/{held}/submit").status_code == FOUND
        assert as_("lars").post(f"/minutes/{held}/approve",
                                data={"number": round_}).status_code == FOUND
        before = mails(app, "anne")
        answers = at_once(*(lambda b=b: b.post(f"/minutes/{held}/reopen")[:2] for b in tabs))
        one_won(answers, NOT_APPROVED, app)
        assert the_minutes(app, held)[0] == DRAFT
        assert mails(app, "anne") == before + 1


def test_asking_to_reopen_while_the_leader_reopens_is_refused_not_left_behind(
        app, as_, held, live_server):
    """Anne's request to reopen comes at the moment Lars reopens: the minutes are open
    again, and no request is left waiting on them nor emailed to Lars."""
    write_draft(as_, app, held)
    lars, anne = browsers(app, live_server, "lars", "anne")
    for round_ in range(1, ROUNDS + 1):
        assert as_("anne").post(f"/minutes/{held}/submit").status_code == FOUND
        assert as_("lars").post(f"/minutes/{held}/approve",
                                data={"number": round_}).status_code == FOUND
        before = mails(app, "lars") + mails(app, "anne")
        answers = at_once(lambda: lars.post(f"/minutes/{held}/reopen")[:2],
                          lambda: anne.post(f"/minutes/{held}/ask-reopen",
                                            {"comment": "En skrivefeil"})[:2])
        statuses = [status for status, _body in answers]
        assert statuses[0] == FOUND, answers[0][1][:300]
        with app.app_context():
            minutes = db.session.scalar(select(Minutes).where(Minutes.conversation_id == held))
            assert minutes.state == DRAFT
            pending = minutes.reopen_requested_at is not None
        if statuses[1] == REFUSED:
            one_won(answers, NOT_APPROVED_TO_ASK, app)
            assert not pending
            assert mails(app, "lars") + mails(app, "anne") == before + 1
        else:  # Anne asked first; Lars's reopening then answered her request
            assert statuses[1] == FOUND and not pending
            assert mails(app, "lars") + mails(app, "anne") == before + 2


# The conversation's other decisions ---------------------------------------------------------
#
# These are plain posts: the refused one is sent back like the other, with the reason
# flashed as an error on the page it lands on.


def one_flashed_error(answers, message, app):
    """Both posts were answered (no 500); exactly one landed on a page that says why it
    was refused (`message`, or the "changed since you opened it" reason)."""
    assert [status for status, _page in answers] == [200, 200], [
        (status, page[:300]) for status, page in answers]
    refused = [page for _status, page in answers if "flash-error" in page]
    assert len(refused) == 1, [page[page.find("flash"):][:300] for _s, page in answers]
    with app.test_request_context(), force_locale("nb"):
        said = (str(message), stale_message())
    assert any(reason in refused[0] for reason in said), refused[0][:2000]


def conversation_row(app, conversation_id):
    with app.app_context():
        found = db.session.get(Conversation, conversation_id)
        db.session.expunge(found)
        return found


def test_two_accepts_at_once_accept_once_and_tell_the_leader_once(
        app, as_, people, make_conversation, live_server):
    conversation_id = make_conversation(people["anne"])
    tabs = browsers(app, live_server, "anne", "anne")
    for _round in range(ROUNDS):
        before = mails(app, "lars")
        answers = at_once(*(lambda b=b: b.step(f"/conversations/{conversation_id}/accept")
                            for b in tabs))
        one_flashed_error(answers, _l("You have already accepted this time."), app)
        assert conversation_row(app, conversation_id).accepted_at is not None
        assert mails(app, "lars") == before + 1
        with app.app_context():  # not accepted yet, for the next round
            conversation = db.session.get(Conversation, conversation_id)
            conversation.accepted_at = None
            conversation.refresh_state()
            db.session.commit()


def test_saying_ready_twice_at_once_tells_the_leader_once(
        app, as_, people, make_conversation, question_bank, live_server):
    conversation_id = make_conversation(people["anne"])
    with app.app_context():
        question_id = db.session.scalar(
            select(Question.id).where(Question.retired_at.is_(None)).order_by(Question.id))
    assert as_("anne").post(f"/prepare/{conversation_id}/picks",
                            data={"question_id": question_id}).status_code == FOUND
    tabs = browsers(app, live_server, "anne", "anne")
    for _round in range(ROUNDS):
        before = mails(app, "lars")
        answers = at_once(*(lambda b=b: b.step(f"/prepare/{conversation_id}/ready")
                            for b in tabs))
        one_flashed_error(answers, _l(
            "You have said your preparation is ready. Open it again to make changes."), app)
        assert conversation_row(app, conversation_id).employee_ready_at is not None
        assert mails(app, "lars") == before + 1
        assert as_("anne").post(f"/prepare/{conversation_id}/reopen").status_code == FOUND


def test_ending_the_meeting_twice_at_once_ends_it_once(
        app, as_, people, make_conversation, live_server):
    tabs = browsers(app, live_server, "lars", "lars")
    for _round in range(ROUNDS):
        conversation_id = make_conversation(people["anne"])
        with app.app_context():
            conversation = db.session.get(Conversation, conversation_id)
            conversation.employee_ready_at = utcnow()
            conversation.refresh_state()
            db.session.commit()
        assert as_("lars").post(f"/agenda/{conversation_id}/start").status_code == FOUND
        assert conversation_row(app, conversation_id).state == IN_PROGRESS
        before = mails(app, "anne")
        answers = at_once(*(lambda b=b, c=conversation_id: b.step(f"/agenda/{c}/end")
                            for b in tabs))
        one_flashed_error(answers, _l(
            "The meeting is not in progress, so the agenda cannot change."), app)
        assert conversation_row(app, conversation_id).state == HELD
        with app.app_context():
            assert db.session.scalar(select(func.count(Minutes.id)).where(
                Minutes.conversation_id == conversation_id)) == 1
        assert mails(app, "anne") == before + 1  # asked once to write the minutes


def test_marking_an_action_done_twice_at_once_marks_it_done_once(
        app, as_, held, live_server):
    [action_id] = agree_actions(app, held, ("Finne et kurs", 30))
    tabs = browsers(app, live_server, "anne", "lars")
    for round_ in range(1, ROUNDS + 1):
        answers = at_once(*(
            lambda b=b: b.step(f"/actions/{action_id}/progress",
                               {"comment": "Kurset er tatt", "done": "1"})
            for b in tabs))
        one_flashed_error(answers, _l("This action is already done."), app)
        with app.app_context():
            kinds = db.session.scalars(
                select(ActionUpdate.kind).where(ActionUpdate.action_id == action_id)
                .order_by(ActionUpdate.id)).all()
            assert kinds.count(DONE) == round_ and kinds[-1] == DONE
            assert db.session.get(Action, action_id).done_at is not None
        assert as_("anne").post(f"/actions/{action_id}/reopen",
                                data={"comment": "Ikke ferdig likevel"}).status_code == FOUND
