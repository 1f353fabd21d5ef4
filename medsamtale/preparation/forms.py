"""The preparation's autosaving texts: a note on a picked question, and one's topics."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import ValidationError

from ..forms import at_most, strip
from ..models.agenda import ITEM_TEXT_MAX
from ..models.conversations import NOTE_MAX, TOPICS_MAX, topic_lines


class NoteForm(FlaskForm):
    note = TextAreaField(filters=[strip], validators=[at_most(NOTE_MAX)])


class TopicsForm(FlaskForm):
    topics = TextAreaField(filters=[strip], validators=[at_most(TOPICS_MAX)])

    def validate_topics(self, field):
        """Each line becomes an agenda item, which holds ITEM_TEXT_MAX characters."""
        if any(len(line) > ITEM_TEXT_MAX for line in topic_lines(field.data)):
            raise ValidationError(
                _l("A topic has at most %(max)d characters; put a long one on several lines.",
                   max=ITEM_TEXT_MAX)
            )
