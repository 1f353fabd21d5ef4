"""Two people's edits of one text, made on the same earlier version of it, merged: a
three-way merge of the characters, from their common base.

Each side's changes are found with diff-match-patch as edits of the base (a range of it and
what replaces it). When no edit of one side touches a word that an edit of the other side
touches, all of them are applied and both people's words are kept. When they do, there is
no sensible merge: the caller shows both texts and lets the person choose.
"""

from __future__ import annotations

from dataclasses import dataclass

from diff_match_patch import diff_match_patch

DIFF_TIMEOUT_SECONDS = 0.2  # a note is at most a few thousand characters


@dataclass(frozen=True)
class Edit:
    """`base[start:end]` replaced by `text` (an insertion when start == end)."""

    start: int
    end: int
    text: str


def edits(base: str, changed: str) -> list[Edit]:
    """How `changed` differs from `base`, as edits of `base`, in order."""
    differ = diff_match_patch()
    differ.Diff_Timeout = DIFF_TIMEOUT_SECONDS
    found, position, pending = [], 0, None
    for operation, text in differ.diff_main(base, changed, checklines=False):
        if operation == differ.DIFF_EQUAL:
            if pending:
                found.append(pending)
                pending = None
            position += len(text)
            continue
        pending = pending or Edit(position, position, "")
        if operation == differ.DIFF_DELETE:
            position += len(text)
            pending = Edit(pending.start, position, pending.text)
        else:
            pending = Edit(pending.start, pending.end, pending.text + text)
    if pending:
        found.append(pending)
    return found


def _words_around(base: str, edit: Edit) -> tuple[int, int]:
    """The edit's range widened to the whole words it touches."""
    start, end = edit.start, edit.end
    while start > 0 and base[start - 1].isalnum():
        start -= 1
    while end < len(base) and base[end].isalnum():
        end += 1
    return start, end


def _touch(base: str, first: Edit, second: Edit) -> bool:
    """True when the two edits change the same word, or meet at one place."""
    a_start, a_end = _words_around(base, first)
    b_start, b_end = _words_around(base, second)
    if a_start == a_end:  # an insertion between words: at a place, not a range
        return b_start <= a_start <= b_end
    if b_start == b_end:
        return a_start <= b_start <= a_end
    return a_start < b_end and b_start < a_end


def _growth(edits_: list[Edit], before: int) -> int:
    """How much longer the text gets from those of `edits_` that end before `before`."""
    return sum(len(e.text) - (e.end - e.start) for e in edits_ if e.end <= before)


@dataclass(frozen=True)
class Merged:
    text: str
    # (place in `mine`, characters added there by the other side), for moving a caret.
    moves: tuple[tuple[int, int], ...]

    def caret(self, position: int) -> int:
        """Where `position` in `mine` is in the merged text, so a caret stays put."""
        return position + sum(added for at, added in self.moves if at <= position)


def merge(base: str, mine: str, theirs: str) -> Merged | None:
    """`mine` and `theirs` are two edits of `base`: both people's changes in one text, or
    None when they changed the same words."""
    my_edits, their_edits = edits(base, mine), edits(base, theirs)
    mine_only = [edit for edit in my_edits if edit not in their_edits]
    theirs_only = [edit for edit in their_edits if edit not in my_edits]  # one change, once
    if any(_touch(base, a, b) for a in mine_only for b in their_edits) or any(
        _touch(base, a, b) for a in my_edits for b in theirs_only
    ):
        return None
    text = base
    for edit in sorted([*my_edits, *theirs_only], key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    moves = tuple((edit.start + _growth(my_edits, edit.start), _growth([edit], edit.end))
                  for edit in theirs_only)
    return Merged(text, moves)
