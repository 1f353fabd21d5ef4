"""What changed from one version of the minutes to the next, for the leader to read on a
resubmission. Each version is taken apart into parts (a heading, a line of text, an
action, "no actions"), which are compared in order; templates/minutes/_changes.html says
them in words."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import NamedTuple

from .. import text


class Part(NamedTuple):
    kind: str  # "heading", "text", "action" or "no_actions"
    text: str = ""
    responsible: str = ""
    deadline: str = ""
    goal: str = ""


@dataclass
class Line:
    kind: str  # "same", "added" or "removed"
    part: Part


def parts_of(content: dict) -> list[Part]:
    """A version as the parts that are compared."""
    parts = []
    for point in content["points"]:
        parts.append(Part("heading", point["heading"]))
        parts += [Part("text", line) for line in text.as_lines(point["body"])]
    for action in content["actions"]:
        parts.append(Part("action", action["what"], action["responsible_name"],
                          action["deadline"], action["goal"]))
    if content["no_actions"]:
        parts.append(Part("no_actions"))
    return parts


def differences(old: dict, new: dict) -> list[Line]:
    """What changed from version `old` to `new`, part by part."""
    before, after = parts_of(old), parts_of(new)
    result = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result += [Line("same", part) for part in before[i1:i2]]
            continue
        result += [Line("removed", part) for part in before[i1:i2]]
        result += [Line("added", part) for part in after[j1:j2]]
    return result
