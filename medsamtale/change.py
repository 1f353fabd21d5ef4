"""The one way a request changes something, and how it is answered.

A view says what the change is and what to answer with; `make_change` does the rest, the
same way everywhere:

- a form's page that is only being opened (GET) is shown, and nothing changes;
- a posted form that does not validate changes nothing, and its page (or, for htmx, the
  block) comes back with the errors next to the fields (422);
- a page older than the conversation's last change (the `version` it posts), or a change
  the rules refuse (`Refused`), changes nothing (rollback) and is answered with 409: htmx
  gets the reason in the alert region `error_target` (so what was typed stays on screen)
  or, without one, the `block` with the reason in it; a form's page comes back with the
  reason above the form and what was typed; a plain post gets the reason flashed, on its
  `page` or on the page it is sent `back` to;
- otherwise the change is committed: htmx gets the `block`, a plain post gets `done`
  flashed and is sent `back` (or, with no `back`, gets the `page`).

`page` and `block` are called with the `Outcome`; `back` and `done` may be callables
taking what the change returned (such as a new row), or None when it was refused.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, make_response, redirect, render_template

from .access import is_stale, stale_message
from .errors import Refused, alert
from .extensions import db
from .htmx import is_partial, render
from .timeutil import utcnow

VALIDATION_FAILED = 422
REFUSED = 409


@dataclass
class Outcome:
    """What an answer is told: why nothing changed (`refused`, None when the change was
    made or a form failed), and what the change returned (`result`)."""

    refused: Refused | None = None
    result: Any = None


Answer = Callable[[Outcome], Any]


def make_change(
    change: Callable[..., Any],
    *args,
    stale=None,
    form=None,
    back: str | Callable[[Any], str] | None = None,
    done: str | Callable[[Any], str] | None = None,
    page: Answer | None = None,
    block: Answer | None = None,
    error_target: str | None = None,
):
    """Make `change(*args)` and answer the request (see the module's docstring). `stale` is
    the conversation whose posted version the page must still have."""
    answers = {"back": back, "form": form, "page": page, "block": block,
               "error_target": error_target}
    if form is not None and not form.is_submitted():
        return page(Outcome())
    if form is not None and not form.validate():
        return _unchanged(VALIDATION_FAILED, first_error(form), None, **answers)
    try:
        if stale is not None and is_stale(stale):
            raise Refused(stale_message(stale))
        result = change(*args)
    except Refused as refused:
        db.session.rollback()
        return _unchanged(REFUSED, refused.message, refused, **answers)
    db.session.commit()
    if block is not None and is_partial():
        return block(Outcome(result=result))
    if done:
        flash(str(done(result) if callable(done) else done), "success")
    if back is None:
        return page(Outcome(result=result))
    return redirect(back(result) if callable(back) else back)


def _unchanged(status: int, message, refused: Refused | None, *, back, form, page, block,
               error_target):
    """Answer a request that changed nothing; `message` says why. A form that failed goes
    to the block or page that shows its errors next to the fields; a refusal to the alert
    region when there is one."""
    outcome = Outcome(refused=refused)
    if is_partial() and error_target and (refused is not None or block is None):
        return alert(message, error_target, status)
    if is_partial() and block is not None:
        return _with_status(block(outcome), status)
    if page is not None:
        if refused is not None and form is not None:
            form.form_errors.append(message)
        elif refused is not None:
            flash(str(message), "error")  # shown at the top of the page answered now
        return _with_status(page(outcome), status)
    flash(str(message), "error")
    return redirect(back(None) if callable(back) else back)


def _with_status(answer, status: int):
    response = make_response(answer)
    response.status_code = status
    return response


class Page:
    """A page, or one `block` of it, to answer with: rendered only when the answer is
    given, after the commit or the rollback, so it shows things as they are then. A
    context value that is a function is called at that moment (such as a query of the
    rows the change touched); the template also gets the `outcome`."""

    def __init__(self, template: str, block: str | None = None, **context):
        self.template, self.block, self.context = template, block, context

    def __call__(self, outcome: Outcome):
        context = {name: value() if callable(value) else value
                   for name, value in self.context.items()}
        return render(self.template, self.block, outcome=outcome, **context)


def first_error(form) -> str:
    return next((errors[0] for errors in form.errors.values() if errors), "")


def saved_status(form=None) -> Answer:
    """The answer to an autosave: the one status block (`_saved.html`) next to the field,
    saying when it was saved, or why nothing was (the form's or the rules' reason)."""

    def answer(outcome: Outcome):
        if outcome.refused is not None:
            error = outcome.refused.message
        else:
            error = first_error(form) if form is not None else ""
        return render_template("_saved.html", error=error, saved_at=utcnow())

    return answer
