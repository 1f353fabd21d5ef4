"""What the employee's picker shows beyond the picks themselves: the menu (filtered), which
themes stand open, and, after a change through htmx, where focus goes and where a refusal
is shown: next to the control the person used (R5).

Themes are `<details>`; which are open is remembered in the browser (static/js/picker.js
writes the cookie OPEN_COOKIE on every toggle), so that a page and every swapped picker
come back with the same themes open. The theme a person acted in is open too, and every
theme with a match when the menu is filtered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Pick, Question, Theme

OPEN_COOKIE = "picker_open"
OPEN_MAX = 100  # theme ids read from the cookie


@dataclass
class Acted:
    """The control a change came from: a question's "Pick" (`question_id`), or a pick's
    "up", "down" or "remove" button (`pick_id`)."""

    question_id: int | None = None
    pick_id: int | None = None
    button: str = ""


@dataclass
class Menu:
    """The set's themes in use, each with its questions that match the filter."""

    themes: list[tuple[Theme, list[Question]]]
    open: set[int] = field(default_factory=set)  # theme ids shown open
    prompts_open: set[int] = field(default_factory=set)  # questions matched by a prompt


def menu(question_set_id: int, query: str) -> Menu:
    """The menu, with the questions matching every word of `query` in their theme's name,
    their text or their follow-up prompts."""
    themes = db.session.scalars(
        select(Theme)
        .where(Theme.question_set_id == question_set_id, Theme.retired_at.is_(None))
        .order_by(Theme.is_salary, Theme.position, Theme.id)
        .options(selectinload(Theme.questions).selectinload(Question.prompts))
    ).all()
    words = query.lower().split()
    found = Menu([])
    for theme in themes:
        questions = []
        for question in theme.questions:
            own = f"{theme.name} {question.text}".lower()
            prompts = " ".join(p.text for p in question.prompts).lower()
            if question.retired or not all(w in own or w in prompts for w in words):
                continue
            questions.append(question)
            if words and not all(w in own for w in words):
                found.prompts_open.add(question.id)
        if questions:
            found.themes.append((theme, questions))
    found.open = remembered_open()
    if words:
        found.open |= {theme.id for theme, _questions in found.themes}
    return found


def remembered_open() -> set[int]:
    """The themes the person left open (the cookie picker.js keeps)."""
    value = request.cookies.get(OPEN_COOKIE, "")[:1000]
    return {int(n) for n in re.findall(r"\d{1,10}", value)[:OPEN_MAX]}


def focus_and_error(found: Menu, picks: list[Pick], full: bool, acted: Acted | None,
                    refused: bool, result) -> tuple[str | None, str | None]:
    """(the id of the element to focus after the swap, the id of the element the refusal
    is shown in; None: at the top of the picker)."""
    if acted is None:
        return None, None
    if acted.question_id is not None:
        theme = _theme_of(found, acted.question_id)
        if theme is not None:
            found.open.add(theme.id)
        return _after_pick(found, picks, full, acted.question_id, refused)
    pick_ids = [pick.id for pick in picks]
    if refused:
        at = f"pick-{acted.pick_id}" if acted.pick_id in pick_ids else None
        return "picker-error", at
    if acted.button == "remove":
        if not picks:
            return "menu-heading", None
        return f"pick-{pick_ids[min(result or 0, len(picks) - 1)]}", None
    return _after_move(pick_ids, acted), None


def _theme_of(found: Menu, question_id: int) -> Theme | None:
    return next((theme for theme, questions in found.themes
                 if any(q.id == question_id for q in questions)), None)


def _after_pick(found, picks, full, question_id, refused):
    """After a pick: the next question's "Pick" in the same theme (or, at ten, the reason
    why no more can be picked; or the next theme); after a refusal, the reason, next to
    the question."""
    theme = _theme_of(found, question_id)
    if theme is None:  # not in the menu as it is filtered now
        return "picker-error" if refused else "picks-heading", None
    if refused:
        return "picker-error", f"question-{question_id}"
    if full:
        return f"limit-{theme.id}", None
    picked = {pick.question_id for pick in picks}
    themes = [t for t, _questions in found.themes]
    questions = dict(found.themes)[theme]
    ids = [q.id for q in questions]
    following = [q for q in questions[ids.index(question_id) + 1:] if q.id not in picked]
    if following:
        return f"choose-{following[0].id}", None
    later = themes[themes.index(theme) + 1:]
    return (f"summary-{later[0].id}" if later else f"question-{question_id}"), None


def _after_move(pick_ids: list[int], acted: Acted) -> str:
    """After a move the focus stays on the button used, or, at the end the pick reached,
    on the one for the other way."""
    place = pick_ids.index(acted.pick_id) if acted.pick_id in pick_ids else -1
    if place < 0:
        return "picks-heading"
    can_up, can_down = place > 0, place < len(pick_ids) - 1
    if acted.button == "up":
        return f"up-{acted.pick_id}" if can_up else (
            f"down-{acted.pick_id}" if can_down else f"pick-{acted.pick_id}")
    return f"down-{acted.pick_id}" if can_down else (
        f"up-{acted.pick_id}" if can_up else f"pick-{acted.pick_id}")
