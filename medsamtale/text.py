"""Text that people write in the minutes. They write Markdown of a small kind (bold, italic,
bulleted and numbered lists; the editor's toolbar writes it for them); it is stored as HTML,
sanitised with nh3 before it is stored and again when it is shown, so no script runs and no
attribute (htmx's included) survives. Tags typed into the text are text, never markup.

Stored text is always clean HTML of ALLOWED_TAGS without attributes, or, for minutes written
before the Markdown editor, plain text whose line breaks are kept when it is shown. The
editor gets the stored text back as Markdown (`for_editing`), so either kind can be edited.
"""

import html
import re
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li"}
_BLOCK = re.compile(r"<(p|ul|ol|li)\b", re.IGNORECASE)

# Only what the minutes need: paragraphs, line breaks, emphasis, lists and backslash
# escapes. No raw HTML, no links, no images, no headings, no code.
_MARKDOWN = MarkdownIt("zero", {"breaks": True, "html": False}).enable(
    ["emphasis", "list", "escape", "newline"]
)


def clean(value: str) -> str:
    """`value` as safe HTML: only ALLOWED_TAGS, no attributes, no comments."""
    return nh3.clean(value or "", tags=ALLOWED_TAGS, attributes={}, link_rel=None).strip()


def plain(value: str) -> str:
    """`value` with every tag removed, as plain text (for headings and actions)."""
    return html.unescape(nh3.clean(value or "", tags=set(), attributes={}, link_rel=None))


def from_markdown(source: str) -> str:
    """What the person wrote in the editor (Markdown), as the HTML that is stored."""
    return clean(_MARKDOWN.render(source or ""))


def from_plain(value: str) -> str:
    """Plain text (such as a note from the agenda) as stored HTML, every character as
    typed: nothing in it is taken as formatting."""
    return from_markdown("\n".join(_escaped(line, True) for line in (value or "").split("\n")))


def as_html(stored: str) -> Markup:
    """The stored text for a page: cleaned once more, line breaks kept in plain text."""
    cleaned = clean(stored)
    if not _BLOCK.search(cleaned):
        cleaned = cleaned.replace("\n", "<br>\n")
    return Markup(cleaned)


def for_editing(stored: str) -> str:
    """The stored text as Markdown, for the editor's textarea (which shows it as text)."""
    converter = _ToMarkdown(keep_newlines=not _BLOCK.search(stored or ""))
    converter.feed(stored or "")
    converter.close()
    return converter.result()


def as_plain_text(stored: str) -> str:
    """The stored text as plain text with its line breaks, list items starting with "• "
    (for comparing two versions)."""
    text = re.sub(r"<br\s*/?>|</p>", "\n", stored or "", flags=re.IGNORECASE)
    text = re.sub(r"<li\b[^>]*>", "\n• ", text, flags=re.IGNORECASE)
    lines = [" ".join(line.split()) for line in plain(text).splitlines()]
    return "\n".join(line for line in lines if line)


# Stored HTML back to Markdown ------------------------------------------------------------

_INLINE_SPECIAL = re.compile(r"([\\*_])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)([-+]|\d+[.)])(?=\s|$)")


def _escaped(text: str, at_line_start: bool) -> str:
    """`text` with what Markdown would take as formatting escaped."""
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    if at_line_start:
        text = _LINE_START_SPECIAL.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\"
                                       + m.group(2)[-1], text)
    return text


class _ToMarkdown(HTMLParser):
    """The tags of ALLOWED_TAGS as the Markdown that makes them again (underline has no
    Markdown and is dropped, its words kept)."""

    MARKS = {"strong": "**", "b": "**", "em": "*", "i": "*"}

    def __init__(self, keep_newlines: bool):
        super().__init__(convert_charrefs=True)
        self.keep_newlines = keep_newlines
        self.blocks: list[str] = []  # finished blocks: paragraphs and lists
        self.line = ""  # the block being written
        self.lists: list[list] = []  # open lists: [tag, next number, indent, last marker]

    def _end_block(self) -> None:
        if self.line.strip():
            self.blocks.append(self.line.rstrip())
        self.line = ""

    def _at_line_start(self) -> bool:
        marker = self.lists[-1][3] if self.lists else ""
        return self.line == "" or self.line.endswith("\n") or bool(
            marker and self.line.endswith(marker))

    def handle_starttag(self, tag, attrs):
        if tag in self.MARKS:
            self.line += self.MARKS[tag]
        elif tag == "br":
            self.line += "\n" + (" " * (self.lists[-1][2] + len(self.lists[-1][3]))
                                  if self.lists else "")
        elif tag == "p" and not self.lists:
            self._end_block()
        elif tag in ("ul", "ol"):
            if not self.lists:
                self._end_block()
            indent = self.lists[-1][2] + len(self.lists[-1][3]) if self.lists else 0
            self.lists.append([tag, 1, indent, ""])
        elif tag == "li" and self.lists:
            kind, number, indent, _marker = self.lists[-1]
            marker = "- " if kind == "ul" else f"{number}. "
            self.lists[-1][1], self.lists[-1][3] = number + 1, marker
            self.line = self.line.rstrip(" ")
            if self.line and not self.line.endswith("\n"):
                self.line += "\n"
            self.line += " " * indent + marker

    def handle_endtag(self, tag):
        if tag in self.MARKS:
            self.line += self.MARKS[tag]
        elif tag == "p" and not self.lists:
            self._end_block()
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            if not self.lists:
                self._end_block()

    def handle_data(self, data):
        if not self.keep_newlines:
            if "\n" in data and not data.strip():  # the layout of the HTML, not text
                return
            data = " ".join(data.split("\n"))
            if self._at_line_start():
                data = data.lstrip()
            if not data:
                return
            self.line += _escaped(data, self._at_line_start())
            return
        lines = data.split("\n")
        for index, line in enumerate(lines):
            if index:
                self.line += "\n"
            self.line += _escaped(line, self._at_line_start())

    def result(self) -> str:
        self._end_block()
        return "\n\n".join(self.blocks)
