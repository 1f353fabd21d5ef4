"""Sessions the server can end (models/sessions.py): what logging in and out does to the
cookie and the database, and how a request's session finds its person."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select, update

from .. import audit
from ..extensions import client_address, db
from ..models import User, UserSession
from ..models.sessions import ENDED_BY_PERSON, LOGGED_OUT, TOUCH_SECONDS
from ..models.tokens import token_digest
from ..timeutil import utcnow

KEPT_ACROSS_LOGIN = ("locale",)  # what a visit chose before logging in stays


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def log_in(user: User) -> UserSession:
    """Start a server-side session for `user`: a fresh cookie session (a new CSRF token
    with it), holding the new session's token."""
    row, token = UserSession.begin(user.id, current_app.permanent_session_lifetime,
                                   request.user_agent.string, client_address())
    kept = {key: session[key] for key in KEPT_ACROSS_LOGIN if key in session}
    session.clear()
    session.update(kept)
    user.session_token = token
    login_user(user)
    g.user_session = row
    audit.record("login", actor=user, subject=user)
    return row


def log_out() -> None:
    """End this request's session on the server, and forget it in the cookie."""
    current = current_session()
    if current is not None:
        current.end(LOGGED_OUT)
    if current_user.is_authenticated:
        audit.record("logout", subject=current_user)
    logout_user()
    session.clear()


def current_session() -> UserSession | None:
    return g.get("user_session")


def _open_session(session_id: str | None) -> tuple[UserSession, User, str] | None:
    """The open session a cookie's Flask-Login id names, its active person and its token,
    in one query, the session's use recorded (note_use); a session past its idle time or
    its length is ended here."""
    parsed = User.parse_session_id(session_id)
    if parsed is None:
        return None
    found = db.session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.user_id == parsed[0],
               UserSession.token_hash == token_digest(parsed[1]))).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    problem = row.problem(idle_limit(), now)
    if problem is not None or not user.active:
        if row.ended_at is None and problem is not None:
            row.end(problem)
            db.session.commit()
        return None
    if note_use(row.id, row.last_seen_at, now):
        row.last_seen_at = now
    return row, user, parsed[1]


def load_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the person of an open session (see _open_session)."""
    found = _open_session(session_id)
    if found is None:
        return None
    g.user_session, user, user.session_token = found
    return user


def note_use(session_id: int, last_seen_at, now=None) -> bool:
    """Record activity on a session at most every TOUCH_SECONDS (a request, a poll, an
    open stream), in a transaction of its own (a request that reads writes nothing else,
    and a rolled-back change still counts as activity). Whether it wrote."""
    now = now or utcnow()
    if (now - last_seen_at).total_seconds() < TOUCH_SECONDS:
        return False
    with db.engine.begin() as connection:
        connection.execute(update(UserSession).where(UserSession.id == session_id)
                           .values(last_seen_at=now))
    return True


def is_open(session_id: str | None) -> bool:
    """Whether the session a stream was opened with is still open (its stream counting as
    use); asked by the stream every SESSION_CHECK_SECONDS."""
    try:
        return _open_session(session_id) is not None
    finally:
        db.session.remove()


def end_one(user: User, session_id: int) -> None:
    """End one of the person's own sessions (not someone else's: 404 for those)."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        abort(404)
    row.end(ENDED_BY_PERSON)
    audit.record("sessions_ended", subject=user, count=1)


def end_others(user: User) -> int:
    """End every session of the person but this one; how many."""
    ended = UserSession.end_all(user.id, ENDED_BY_PERSON, keep=current_session())
    audit.record("sessions_ended", subject=user, count=ended)
    return ended
