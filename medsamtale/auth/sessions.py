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
from ..models.sessions import ENDED_BY_PERSON, LOGGED_OUT, TOUCH_SECONDS, token_digest
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


def load_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the person of an open session (one query), whose last
    activity is recorded at most once a minute. A session past its idle time or its
    length is ended here."""
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
    if (now - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        touch(row.id)
        row.last_seen_at = now
    g.user_session = row
    user.session_token = parsed[1]
    return user


def touch(session_id: int) -> None:
    """Record activity on a session, in a transaction of its own (a request that reads
    writes nothing else, and a rolled-back change still counted as activity)."""
    with db.engine.begin() as connection:
        connection.execute(update(UserSession).where(UserSession.id == session_id)
                           .values(last_seen_at=utcnow()))


def is_open(session_id: str | None) -> bool:
    """Whether the session a stream was opened with is still open (and counting its
    stream as activity); asked by the stream every SESSION_CHECK_SECONDS."""
    parsed = User.parse_session_id(session_id)
    if parsed is None:
        return False
    try:
        row = db.session.scalar(select(UserSession).join(User, User.id == UserSession.user_id)
                                .where(
            UserSession.user_id == parsed[0], User.active,
            UserSession.token_hash == token_digest(parsed[1])))
        if row is None or row.problem(idle_limit()) is not None:
            return False
        if (utcnow() - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
            touch(row.id)
        return True
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
