"""Each agenda item's HTML, rendered once for each state of the item and kept in this
process, so that a page or a poll answer of fifteen items renders only what changed.

An item's HTML is the same for both parties (it names both), so it is kept, for each app,
by what it is made of: the item's id and the agenda version it last changed in (every change of an
item stamps it), whether the agenda is editable, the language, the parties' names and the
state of a followed-up action. The CSRF token, the only part that is the reader's own, is
put in when the HTML is used.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app, get_template_attribute
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

TOKEN = "\x00csrf\x00"  # stands for the reader's CSRF token in the kept HTML

_lock = threading.Lock()


def item_html(conversation, item, editable: bool) -> Markup:
    """The HTML of `item` on `conversation`'s agenda, from what is kept when it can be."""
    action = item.action
    key = (item.id, item.changed_in, editable, str(get_locale()), conversation.employee.name,
           conversation.leader.name, action and (action.done_at, action.deadline))
    kept = current_app.extensions.setdefault("agenda_items_kept", OrderedDict())
    with _lock:
        html = kept.get(key)
        if html is not None:
            kept.move_to_end(key)
    if html is None:
        macro = get_template_attribute("agenda/_item.html", "agenda_item")
        html = str(macro(conversation, item, editable, TOKEN))
        with _lock:
            kept[key] = html
            while len(kept) > current_app.config["AGENDA_ITEMS_KEPT"]:
                kept.popitem(last=False)
    return Markup(html.replace(TOKEN, generate_csrf()))
