"""One version of the minutes as a PDF, for the personnel file (R13), built with fpdf2.

The PDF uses the core Helvetica font, which covers Norwegian letters (Latin-1); other
characters are written as their nearest Latin-1 form, or "?".
"""

from datetime import date

from flask_babel import gettext as _
from fpdf import FPDF

from .. import dates, text
from ..models import Organisation
from ..models.minutes import APPROVED

_LATIN1 = str.maketrans({
    "–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "„": '"', "…": "...",
    "•": "-", "€": "EUR", "\u00a0": " ", "\u202f": " ",
})


def latin1(value: str) -> str:
    return value.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def minutes_pdf(conversation, version) -> bytes:
    content = version.content
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(_("Minutes of the employee conversation")))
    pdf.set_margins(20, 20, 20)
    pdf.add_page()

    def heading(value: str, size: int = 13) -> None:
        pdf.set_font("helvetica", "B", size)
        pdf.multi_cell(0, 7, latin1(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def line(value: str, style: str = "") -> None:
        pdf.set_font("helvetica", style, 11)
        pdf.multi_cell(0, 6, latin1(value), new_x="LMARGIN", new_y="NEXT")

    heading(_("Minutes of the employee conversation"), 16)
    organisation = Organisation.current()
    if organisation:
        line(organisation.name, "B")
    line(_("Employee: %(name)s", name=conversation.employee.name))
    line(_("Leader: %(name)s", name=conversation.leader.name))
    line(_("Held: %(date)s", date=dates.day(conversation.held_on, "long")))
    line(_("Version %(number)d, submitted %(when)s", number=version.number,
           when=dates.moment(version.submitted_at, "short")))
    line(_("This conversation is confidential."), "I")
    pdf.ln(4)

    heading(_("Main points"))
    for point in content["points"]:
        if point["heading"]:
            line(point["heading"], "B")
        pdf.set_font("helvetica", "", 11)
        pdf.write_html(latin1(str(text.as_html(point["body"]))))
        pdf.ln(3)

    heading(_("Agreements for further work"))
    if content["no_actions"]:
        line(_("No actions were agreed."))
    for number, action in enumerate(content["actions"], 1):
        line(f"{number}. {action['what']}", "B")
        line(_("Responsible: %(name)s", name=action["responsible_name"]))
        line(_("Deadline: %(date)s",
               date=dates.day(date.fromisoformat(action["deadline"]), "long")))
        if action["goal"]:
            line(_("Goal: %(goal)s", goal=action["goal"]))
        pdf.ln(2)

    pdf.ln(4)
    heading(_("Confirmed"))
    line(_("Employee: %(name)s, submitted %(when)s", name=version.submitted_by_name,
           when=dates.moment(version.submitted_at, "short")))
    if version.decision == APPROVED:
        line(_("Leader: %(name)s, approved %(when)s", name=version.decided_by_name,
               when=dates.moment(version.decided_at, "short")))
    else:
        line(_("Leader: not approved"))
    return bytes(pdf.output())
