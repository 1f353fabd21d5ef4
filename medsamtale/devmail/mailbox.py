"""Reading what the mail catcher wrote: whether it is the mail server now, the messages it
caught (newest first) and one of them, parsed."""

import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
NAME = re.compile(r"[0-9]{8}T[0-9]{12}-[0-9a-f]{8}\.eml")
SHOWN_AT_MOST = 500


def catching(config) -> bool:
    """True only while the local catcher is the mail server: its folder is set, the app
    sends mail to its port on this machine, and nothing says this is production (HTTPS
    cookies, an https:// public address)."""
    return bool(
        config.get("MAIL_CATCHER_DIR")
        and config.get("MAIL_SERVER") in LOOPBACK
        and config.get("MAIL_CATCHER_PORT")
        and config.get("MAIL_CATCHER_PORT") == config.get("MAIL_PORT")
        and not config.get("SESSION_COOKIE_SECURE")
        and not str(config.get("PUBLIC_BASE_URL", "")).startswith("https:")
    )


@dataclass
class Caught:
    name: str
    subject: str
    to: str
    sender: str
    date: object  # datetime, or None when the message has no readable Date
    text: str = ""
    html: str = ""
    attachments: list[str] = field(default_factory=list)


def _date(message):
    try:
        return parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        return None


def _caught(name: str, message) -> Caught:
    return Caught(name, str(message["Subject"] or ""), str(message["To"] or ""),
                  str(message["From"] or ""), _date(message))


def messages(folder: str) -> list[Caught]:
    """The caught messages' headers, newest first (at most SHOWN_AT_MOST)."""
    path = Path(folder)
    if not path.is_dir():
        return []
    names = sorted((p.name for p in path.iterdir() if NAME.fullmatch(p.name)), reverse=True)
    parser = BytesHeaderParser(policy=policy.default)
    return [_caught(name, parser.parsebytes((path / name).read_bytes()))
            for name in names[:SHOWN_AT_MOST]]


def message(folder: str, name: str) -> Caught | None:
    """One caught message with its text and HTML parts and its attachments' names; None
    for a name the catcher does not give (nothing outside the folder is ever read)."""
    path = Path(folder) / name
    if not NAME.fullmatch(name) or not path.is_file():
        return None
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    caught = _caught(name, parsed)
    for kind in ("plain", "html"):
        part = parsed.get_body(preferencelist=(kind,))
        if part is not None and part.get_content_subtype() == kind:
            setattr(caught, "text" if kind == "plain" else "html", part.get_content())
    caught.attachments = [part.get_filename() or part.get_content_type()
                          for part in parsed.iter_attachments()]
    return caught
