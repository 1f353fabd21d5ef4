"""The organisation's branding: the HR admin sets a logo (PNG or JPEG, at most 200 KB,
checked by its bytes) and an accent colour (#rrggbb, dark enough for white text); every
page's header shows the logo, and the colour reaches the CSS through a small stylesheet
that names its version (CSP forbids inline styles)."""

import io
import re
import struct
import zlib

import pytest

from medsamtale.extensions import db
from medsamtale.models import Organisation
from tests.helpers import row


def png(width=1, height=1, extra=b"") -> bytes:
    """A real PNG image, `width` × `height`, white; `extra` bytes in a text chunk."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
            + (chunk(b"tEXt", b"Comment\x00" + extra) if extra else b"")
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
       b'<rect width="10" height="10"/></svg>')


def post(client, name="Fjordvik kommune", logo=None, filename="logo.png", **fields):
    data = {"name": name, **fields}
    if logo is not None:
        data["logo_file"] = (io.BytesIO(logo), filename)
    return client.post("/admin/organisation", data=data, content_type="multipart/form-data")


def header_of(page: str) -> str:
    return page[page.index('<header class="site-header">'):page.index("</header>")]


def organisation(app) -> dict:
    with app.app_context():
        return row(app, Organisation, Organisation.current().id)


@pytest.fixture
def hr(app, hr_admin):
    """The organisation, with its name only, and its HR admin logged in (`client`)."""
    with app.app_context():
        db.session.add(Organisation(name="Fjordvik kommune"))
        db.session.commit()
    return hr_admin


def test_logo_and_colour_show_on_every_page_and_are_kept_by_the_browser(app, client, hr):
    logo = png(4, 2)
    response = post(client, logo=logo, accent_colour="#1F5C3A")
    assert response.status_code == 302
    saved = organisation(app)
    assert saved["logo"] == logo and saved["logo_type"] == "image/png"
    assert saved["accent_colour"] == "#1f5c3a"

    # The header (here and on the log-in page, for visitors) shows the logo beside the name.
    for page in (client.get("/").get_data(as_text=True),
                 app.test_client().get("/login").get_data(as_text=True)):
        header = header_of(page)
        assert "Fjordvik kommune" in header
        logo_url = re.search(r'<img class="brand-logo" src="([^"]+)"', header).group(1)
        css_url = re.search(r'<link rel="stylesheet" href="(/branding/[^"]+)"', page).group(1)

    # The logo is served as what its bytes are, never sniffed, kept for good at this address.
    answer = app.test_client().get(logo_url)
    assert answer.status_code == 200 and answer.data == logo
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    cache = answer.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "no-store" not in cache

    # The colour reaches the CSS: --brand, and a darker --brand-dark for the header.
    css = app.test_client().get(css_url)
    assert css.headers["Content-Type"].startswith("text/css")
    assert "--brand: #1f5c3a;" in css.get_data(as_text=True)
    assert re.search(r"--brand-dark: #[0-9a-f]{6};", css.get_data(as_text=True))
    assert "immutable" in css.headers["Cache-Control"]

    # A new colour is a new address; the old one gives what is current, kept by nobody.
    post(client, accent_colour="#7a1f5c")
    page = client.get("/").get_data(as_text=True)
    new_css_url = re.search(r'<link rel="stylesheet" href="(/branding/[^"]+)"', page).group(1)
    assert new_css_url != css_url
    stale = app.test_client().get(css_url)
    assert "--brand: #7a1f5c;" in stale.get_data(as_text=True)
    assert stale.headers["Cache-Control"] == "no-store"
    # The logo was kept: no file chosen keeps the logo there is.
    assert organisation(app)["logo"] == logo


def test_a_jpeg_is_a_logo_too_and_the_logo_can_be_removed(app, client, hr):
    assert post(client, logo=JPEG, filename="logo.jpg").status_code == 302
    assert organisation(app)["logo_type"] == "image/jpeg"
    page = client.get("/admin/organisation").get_data(as_text=True)
    assert 'name="remove_logo"' in page and "logo-preview" in page

    assert post(client, remove_logo="y").status_code == 302
    saved = organisation(app)
    assert saved["logo"] is None and saved["logo_type"] is None
    assert saved["branding_tag"] is None
    page = client.get("/").get_data(as_text=True)
    assert "brand-logo" not in page and "/branding/" not in page
    assert client.get("/branding/anything/logo").status_code == 404


def test_a_file_that_is_no_png_or_jpeg_is_refused_and_nothing_changes(app, client, hr):
    post(client, logo=png(), accent_colour="#0b5394")
    before = organisation(app)
    for content, filename in ((SVG, "logo.svg"), (SVG, "logo.png"), (b"GIF89a\x01\x00", "a.gif"),
                              (b"not an image at all", "logo.jpg")):
        response = post(client, name="Nytt navn", logo=content, filename=filename,
                        accent_colour="#5c1f7a")
        assert response.status_code == 422, filename
        assert "Logoen må være et PNG- eller JPEG-bilde." in response.get_data(as_text=True)
        assert organisation(app) == before, filename


def test_a_logo_over_200_kb_is_refused(app, client, hr):
    big = png(extra=b"x" * (200 * 1024))
    response = post(client, logo=big)
    assert response.status_code == 422
    assert "større enn 200 kB" in response.get_data(as_text=True)
    assert organisation(app)["logo"] is None
    # Just under the limit is fine.
    fits = png(extra=b"x" * (200 * 1024 - len(png(extra=b"x")) + 1 - 10))
    assert len(fits) <= 200 * 1024
    assert post(client, logo=fits).status_code == 302


def test_a_colour_too_light_for_white_text_is_refused_with_the_reason(app, client, hr):
    post(client, accent_colour="#0b5394")
    before = organisation(app)
    response = post(client, name="Nytt navn", accent_colour="#ffcc00")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Hvit tekst på #ffcc00 har en kontrast på 1,5:1" in page
    assert "minst 4,5:1" in page
    assert 'aria-invalid="true"' in page
    assert organisation(app) == before

    # A colour only just too light (4.46:1) is told as such, not rounded up to the limit;
    # #767676, just dark enough (4.54:1), is taken.
    response = post(client, accent_colour="#558255")
    assert response.status_code == 422
    assert "kontrast på 4,4:1" in response.get_data(as_text=True)
    assert organisation(app) == before
    assert post(client, accent_colour="#767676").status_code == 302


def test_a_colour_not_written_as_rrggbb_is_refused(app, client, hr):
    before = organisation(app)
    for colour in ("blue", "#fff", "#12345g", "0b5394", "#0b53941"):
        response = post(client, accent_colour=colour)
        assert response.status_code == 422, colour
        assert "seks heksadesimale sifre" in response.get_data(as_text=True)
    assert organisation(app) == before


def test_no_colour_means_medsamtales_own_and_no_extra_stylesheet(app, client, hr):
    post(client, accent_colour="#1f5c3a")
    assert post(client, accent_colour="").status_code == 302
    assert organisation(app)["accent_colour"] is None
    page = client.get("/").get_data(as_text=True)
    assert "/branding/" not in page


def test_only_the_hr_admin_sets_the_branding(app, as_, people):
    response = as_("lars").post("/admin/organisation",
                                data={"name": "X", "accent_colour": "#000000"})
    assert response.status_code == 403
    with app.app_context():
        organisation = Organisation.current()
        assert organisation is None or organisation.accent_colour is None


def test_the_header_needs_no_query_for_the_branding(app, client, hr, count_queries):
    post(client, logo=png(), accent_colour="#1f5c3a")
    client.get("/")
    with count_queries() as statements:
        client.get("/health")
    with app.app_context():
        db.session.remove()
    assert statements == []
