"""The progress bars and figure cells of the HR overview, made in Python: one per unit and
leader row (hundreds on a page), where Jinja macros cost more than the rest of the page. The bar's
label, in words, is translated once per request. The weekly chart stays a template
(templates/progress/_charts.html): there is one of it."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from markupsafe import Markup, escape

# The stages, darkest first: held with minutes approved, held, invited, planned; then the
# bar's background, for those with nothing planned.
STAGE_COLOURS = ("#1e5631", "#4a9a5c", "#2f6fb0", "#9cc3e6")
EMPTY_COLOUR = "#e8ebef"
WIDTH, HEIGHT = 160, 14


def _label_format() -> str:
    """The bar's label with its placeholders, translated once per request."""
    if "progress_bar_label" not in g:
        g.progress_bar_label = _("%(held)d of %(people)d held, %(approved)d with minutes "
                                 "approved, %(invited)d invited and %(planned)d planned")
    return g.progress_bar_label


def progress_bar(figures) -> Markup:
    """A bar of the people in scope, in the stages' colours, with its figures in words."""
    people = figures.people or 1
    parts = (figures.approved, figures.held - figures.approved,
             figures.invited - figures.held, figures.planned - figures.invited)
    rects, x = [], 0.0
    for part, colour in zip(parts, STAGE_COLOURS, strict=True):
        if part > 0:
            width = WIDTH * part / people
            rects.append(f'<rect x="{x:.2f}" y="0" width="{width:.2f}" height="{HEIGHT}" '
                         f'fill="{colour}"/>')
            x += width
    label = _label_format() % {"held": figures.held, "people": figures.people,
                               "approved": figures.approved, "invited": figures.invited,
                               "planned": figures.planned}
    return Markup(
        f'<svg class="progress-bar" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" focusable="false" '
        f'aria-label="{escape(label)}"><rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" '
        f'fill="{EMPTY_COLOUR}" stroke="#6b7280" stroke-width="1"/>{"".join(rects)}</svg>')


def figure_cells(figures) -> Markup:
    """A row's figures as table cells, its bar last (the table of units, of leaders)."""
    numbers = "".join(f"<td>{getattr(figures, name)}</td>" for name in CELL_FIGURES)
    return Markup(f"{numbers}<td>{progress_bar(figures)}</td>")


CELL_FIGURES = ("people", "planned", "invited", "held", "approved", "overdue_actions",
                "none_in_twelve_months")
