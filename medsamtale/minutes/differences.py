"""What changed from one version of the minutes to the next, for the leader to read on a
resubmission, as a document: the points that changed, each with its old and new words
marked, the points added and removed, the actions added, removed or changed, and whether
"no actions were agreed" was said or taken back. templates/minutes/_changes.html shows it
with <del> and <ins>."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .. import text

SAME, ADDED, REMOVED, CHANGED = "same", "added", "removed", "changed"
ACTION_FIELDS = ("what", "responsible_name", "deadline", "goal")

# Below this share of words in common, a changed text reads better as the old text struck
# out and the new one after it than as a patchwork of single words.
_WORD_DIFF_AT_LEAST = 0.4


@dataclass
class Piece:
    kind: str  # SAME, ADDED or REMOVED
    text: str


@dataclass
class PointChange:
    kind: str  # CHANGED, ADDED or REMOVED
    heading: list[Piece]
    body: list[Piece]


@dataclass
class ActionChange:
    kind: str  # CHANGED, ADDED or REMOVED
    old: dict | None
    new: dict | None

    def changed(self, name: str) -> bool:
        return bool(self.old and self.new and self.old.get(name) != self.new.get(name))


@dataclass
class Changes:
    points: list[PointChange] = field(default_factory=list)
    unchanged_points: int = 0
    actions: list[ActionChange] = field(default_factory=list)
    no_actions: str | None = None  # ADDED or REMOVED when "no actions were agreed" changed

    def __bool__(self) -> bool:
        return bool(self.points or self.actions or self.no_actions)


def words(old: str, new: str) -> list[Piece]:
    """`new` compared with `old` word by word: the words kept, removed and added, in the
    order they are read, with the spaces and line breaks between them."""
    before, after = re.findall(r"\s+|\S+", old), re.findall(r"\s+|\S+", new)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    if old and new and matcher.ratio() < _WORD_DIFF_AT_LEAST:
        return [Piece(REMOVED, old), Piece(SAME, " "), Piece(ADDED, new)]
    pieces: list[Piece] = []

    def add(kind: str, tokens: list[str]) -> None:
        said = "".join(tokens)
        if not said:
            return
        if kind != SAME and not said.strip():  # a changed space reads as kept
            kind = SAME
        if pieces and pieces[-1].kind == kind:
            pieces[-1].text += said
        else:
            pieces.append(Piece(kind, said))

    # Stretches (kept?, old tokens, new tokens); a space alone between two changes joins
    # them, so "i vår" → "innen juni" reads as one change, not two.
    stretches: list[list] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        kept = tag == "equal"
        if stretches and not kept and not stretches[-1][0]:
            stretches[-1][1] += before[i1:i2]
            stretches[-1][2] += after[j1:j2]
            continue
        if (not kept and len(stretches) > 1 and not stretches[-2][0]
                and not "".join(stretches[-1][1]).strip()):
            space = stretches.pop()[1]
            stretches[-1][1] += space + before[i1:i2]
            stretches[-1][2] += space + after[j1:j2]
            continue
        stretches.append([kept, before[i1:i2], after[j1:j2]])
    for kept, olds, news in stretches:
        if kept:
            add(SAME, olds)
        else:
            add(REMOVED, olds)
            add(SAME, [" "] if olds and news else [])
            add(ADDED, news)
    return pieces


def _point(point: dict) -> tuple[str, str]:
    return point["heading"], text.as_plain_text(point["body"])


def _action(action: dict) -> tuple:
    return tuple(action.get(name, "") for name in ACTION_FIELDS)


def _pairs(before: list, after: list):
    """(tag, old items, new items) for each stretch of two lists, old and new."""
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        yield tag, before[i1:i2], after[j1:j2]


def differences(old: dict, new: dict) -> Changes:
    """What changed from version `old` to `new`."""
    changes = Changes()
    for tag, olds, news in _pairs([_point(p) for p in old["points"]],
                                  [_point(p) for p in new["points"]]):
        if tag == "equal":
            changes.unchanged_points += len(olds)
            continue
        for index in range(max(len(olds), len(news))):
            was = olds[index] if index < len(olds) else None
            now = news[index] if index < len(news) else None
            if was and now:
                changes.points.append(PointChange(CHANGED, words(was[0], now[0]),
                                                  words(was[1], now[1])))
            else:
                kind, (heading, body) = (ADDED, now) if now else (REMOVED, was)
                changes.points.append(PointChange(kind, [Piece(kind, heading)],
                                                  [Piece(kind, body)] if body else []))
    old_actions, new_actions = old["actions"], new["actions"]
    keys = {_action(a): a for a in old_actions + new_actions}
    for tag, olds, news in _pairs([_action(a) for a in old_actions],
                                  [_action(a) for a in new_actions]):
        if tag == "equal":
            continue
        for index in range(max(len(olds), len(news))):
            was = keys[olds[index]] if index < len(olds) else None
            now = keys[news[index]] if index < len(news) else None
            kind = CHANGED if was and now else ADDED if now else REMOVED
            changes.actions.append(ActionChange(kind, was, now))
    if old["no_actions"] != new["no_actions"]:
        changes.no_actions = ADDED if new["no_actions"] else REMOVED
    return changes
