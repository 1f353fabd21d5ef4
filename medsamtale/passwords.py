"""Passwords: hashing with argon2id at OWASP's recommended minimum (19 MiB, 2 passes,
1 lane), and the one rule for a new password (`password_problem`): at least MIN_LENGTH
characters and not easy to guess, as zxcvbn judges it with common Norwegian words and the
person's own name and email address in its dictionary."""

from __future__ import annotations

import re
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from zxcvbn import zxcvbn

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_LENGTH = 12
MAX_LENGTH = 256
# zxcvbn's score from 0 (guessed at once) to 4; 3 is "safely unguessable: moderate
# protection from an offline attack" (about 10^8 guesses).
MIN_SCORE = 3
# zxcvbn's matching grows quickly with the length; the first characters decide.
CHECKED_LENGTH = 64

# Common Norwegian words and bases of passwords, which zxcvbn's English dictionaries do not
# know: seasons, months, weekdays, places, common first names and surnames, and the app.
NORWEGIAN_WORDS = (
    "passord", "hemmelig", "hemmelighet", "sommer", "vinter", "høst", "vår", "norge",
    "norsk", "nordmann", "oslo", "bergen", "trondheim", "stavanger", "tromsø",
    "kristiansand", "drammen", "kommune", "fylke", "staten", "medsamtale",
    "medarbeider", "medarbeidersamtale", "leder", "sjef", "jobb", "arbeid", "kontor",
    "firma", "velkommen", "hei", "hallo", "heisann", "elsker", "kjæreste", "kjærlighet",
    "fotball", "rosenborg", "brann", "vålerenga", "molde", "viking", "lillehammer",
    "nisse", "jul", "julaften", "påske", "fjord", "fjell", "hytte", "skole", "bil",
    "katt", "hund", "mamma", "pappa", "familie", "barna", "bestemor", "bestefar",
    "januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
    "oktober", "november", "desember",
    "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
    "ole", "ola", "kari", "per", "pål", "espen", "jan", "lars", "hans", "anne", "inger",
    "marit", "liv", "ingrid", "eva", "hilde", "nina", "lise", "kristin", "astrid", "randi",
    "solveig", "bjørn", "knut", "arne", "tor", "geir", "morten", "terje", "odd", "kjell",
    "erik", "thomas", "martin", "andreas", "jonas", "emma", "nora", "sofie", "ella",
    "maja", "sara", "ida", "jakob", "emil", "noah", "oliver", "filip", "william", "lukas",
    "henrik", "magnus", "sindre", "ståle", "trond", "svein", "gunnar", "sigrid", "silje",
    "hansen", "johansen", "olsen", "larsen", "andersen", "pedersen", "nilsen",
    "kristiansen", "jensen", "karlsen", "johnsen", "pettersen", "eriksen", "berg",
    "haugen", "hagen", "johannessen", "andreassen", "jacobsen", "dahl", "jørgensen",
    "halvorsen", "henriksen", "lund", "sørensen", "jakobsen", "moen", "gundersen", "iversen",
    "strand", "solberg", "svendsen", "eide", "knutsen", "martinsen", "paulsen", "bakken",
)
_ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})
_ASCII_AS_WRITTEN = str.maketrans({"æ": "a", "ø": "o", "å": "a"})


def _with_ascii(words) -> list[str]:
    """The words, and each as it is written on a keyboard without æ, ø and å."""
    spelled = []
    for word in words:
        for variant in (word, word.translate(_ASCII), word.translate(_ASCII_AS_WRITTEN)):
            if variant and variant not in spelled:
                spelled.append(variant)
    return spelled


_COMMON = tuple(_with_ascii(NORWEGIAN_WORDS))


def personal_words(name: str | None = None, email: str | None = None) -> list[str]:
    """A person's name and email address, whole and in parts, as zxcvbn's `user_inputs`."""
    words = []
    for text in (name or "", email or ""):
        text = text.strip().lower()
        if not text:
            continue
        for whole in (text, *text.split("@")):  # an address, its name and its domain
            words.append(whole)
            words.append(re.sub(r"[\W_]+", "", whole))
        words.extend(part for part in re.split(r"[\W_]+", text) if len(part) >= 2)
    return _with_ascii(words)


def password_problem(password: str, user_inputs=()) -> str | None:
    """Why `password` may not be chosen (a translated message), or None when it may.
    `user_inputs`: the person's own words (`personal_words`)."""
    if len(password) < MIN_LENGTH:
        return _("At least %(count)d characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("At most %(max)d characters.", max=MAX_LENGTH)
    own = [word for word in user_inputs if word]
    checked = password[:CHECKED_LENGTH]
    result = zxcvbn(checked, user_inputs=[*own, *_COMMON])
    if result["score"] >= MIN_SCORE:
        return None
    return _reason(result["sequence"], set(own))


def _reason(sequence: list[dict], own: set[str]) -> str:
    """Our own short reason for a weak password, from the longest part zxcvbn recognised
    (as its English feedback does)."""
    if not sequence:
        return _("This password is too easy to guess.")
    match = max(sequence, key=lambda m: len(m["token"]))
    pattern = match["pattern"]
    easy = _("Add a few unusual words.")
    if pattern == "dictionary":
        if match.get("dictionary_name") == "user_inputs":
            if match["matched_word"] in own:
                return _("It is built on your own name or email address.") + " " + easy
            return _("It is built on a common Norwegian word or name.") + " " + easy
        if match.get("dictionary_name") == "passwords":
            return _("It is, or is like, a commonly used password.") + " " + easy
        return _("It is built on a common word or name.") + " " + easy
    if pattern == "repeat":
        return _("Repeated words or characters are easy to guess.") + " " + easy
    if pattern == "sequence":
        return _("Sequences like abc or 1234 are easy to guess.") + " " + easy
    if pattern == "spatial":
        return _("Keyboard patterns like qwerty are easy to guess.") + " " + easy
    if pattern in ("date", "regex"):
        return _("Dates and years are easy to guess.") + " " + easy
    return _("This password is too easy to guess.") + " " + easy


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(32))


def verify_nothing(password: str) -> bool:
    """The work of `verify_password` for an address with no account (or no password), so
    that a failed log-in takes as long whether or not the account exists. Always False."""
    verify_password(_dummy_hash(), password)
    return False


