"""One version of the minutes as a PDF for the personnel file (R13), made by WeasyPrint from
the print view's own page (minutes/print.html, the same context from `print_context`) with
static/css/pdf.css on top of app.css's print styles.

The text is set in the DejaVu fonts (the machine's, found by fontconfig), which hold every
letter a Norwegian or Sámi name or text can hold, and the file is PDF/A-2b, for archiving.
WeasyPrint fetches nothing from outside: its URL fetcher serves only the app's own static
files, read from disk, and the organisation's colour stylesheet (from the database, as the
page links it), and refuses every other address.
"""

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template, request, url_for
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse
from werkzeug.security import safe_join

from ..models import Organisation
from ..models.people import PERSONNEL_FILE_ACTIONS
from .remarks import remarks_on

TEMPLATE = "minutes/print.html"
STYLESHEET = "css/pdf.css"
PDF_VARIANT = "pdf/a-2b"

# app.css is written for browsers: WeasyPrint warns about every property and media query it
# does not know (some twenty a PDF). Its errors (a resource it could not load) still show.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


def print_context(conversation, version) -> dict:
    """What the print view and the PDF show of one version, the same page for both: what
    the personnel file keeps (the organisation's choice: the whole minutes, or only the
    agreed actions with the date and both confirmations), and the employee's remarks."""
    only = only_actions()
    return {"conversation": conversation, "version": version, "only_actions": only,
            "remarks": [] if only else remarks_on(version)}


def only_actions() -> bool:
    """Whether the personnel file keeps only the agreed actions (the organisation's choice)."""
    organisation = Organisation.current()
    return organisation is not None and organisation.personnel_file == PERSONNEL_FILE_ACTIONS


class OwnFiles(URLFetcher):
    """Serves the app's static files from disk and the organisation's colour stylesheet, by
    their addresses on the page's host; refuses every other address (WeasyPrint then leaves
    that resource out)."""

    def __init__(self):
        super().__init__(allowed_protocols=("http", "https"))
        host = request.host_url.rstrip("/")
        self.static = host + url_for("static", filename="")
        tag = Organisation.shown().tag  # None: no colours, and no stylesheet on the page
        self.colours = tag and host + url_for("branding.stylesheet", token=tag)

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        address = f"{parts.scheme}://{parts.netloc}{parts.path}"
        if address == self.colours:
            organisation = Organisation.current()
            return URLFetcherResponse(url, organisation.stylesheet if organisation else "",
                                      {"Content-Type": "text/css"})
        if address.startswith(self.static):
            found = safe_join(current_app.static_folder, unquote(address.removeprefix(self.static)))
            if found and Path(found).is_file():
                kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
                return URLFetcherResponse(url, Path(found).read_bytes(), {"Content-Type": kind})
        raise ValueError(f"not one of the app's own files: {url}")


def minutes_pdf(conversation, version) -> bytes:
    """The print view of `version` as a PDF/A-2b file (in a request, as the page is)."""
    page = render_template(TEMPLATE, **print_context(conversation, version))
    fetcher = OwnFiles()
    stylesheet = CSS(filename=str(Path(current_app.static_folder) / STYLESHEET),
                     url_fetcher=fetcher)
    document = HTML(string=page, base_url=request.url, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet], pdf_variant=PDF_VARIANT)
