"""Second factors: TOTP secrets, hashed recovery codes, passkey credentials, and the
single-use challenges a passkey signs.

A TOTP secret counts once it is confirmed with a first code; the last time step a code was
accepted for is kept, so a code is taken once (RFC 6238, section 5.2). Recovery codes are
long random codes of which only the SHA-256 digest is kept (models/tokens.py). A passkey's
public key and signature counter are kept; the challenge it signs is kept by its digest
and deleted when used, so that a challenge is taken once (a cookie session could be
replayed)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, LargeBinary, String, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..sealing.types import SealedText
from ..timeutil import utcnow
from .tokens import token_digest

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_GROUPS = 4
RECOVERY_GROUP = 4  # 16 characters of 31: about 79 bits
PASSKEY_NAME_MAX = 80
CREDENTIAL_ID_MAX = 1400  # base64url of the 1023 bytes WebAuthn allows


class TotpSecret(db.Model):
    """A person's authenticator app: one secret (base32), counted once confirmed."""

    __tablename__ = "totp_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    secret: Mapped[str] = mapped_column(SealedText)  # sealed with the system key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The last 30-second step a code was accepted for: that code and older ones are refused.
    last_step: Mapped[int | None]

    __sealed_in__ = None

    @classmethod
    def of(cls, user_id: int) -> TotpSecret | None:
        return db.session.scalar(select(cls).where(cls.user_id == user_id))

    def take_step(self, step: int) -> bool:
        """Record `step` as used if it is later than the last one used, at once in the
        database (two requests with one code cannot both pass); whether it was."""
        done = db.session.execute(
            update(TotpSecret).where(TotpSecret.id == self.id,
                                     or_(TotpSecret.last_step.is_(None),
                                         TotpSecret.last_step < step))
            .values(last_step=step).execution_options(synchronize_session=False))
        if done.rowcount != 1:
            return False
        self.last_step = step
        return True


class RecoveryCode(db.Model):
    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]

    @staticmethod
    def normalise(code: str) -> str:
        return "".join(c for c in (code or "").lower() if c.isalnum())

    @classmethod
    def issue(cls, user_id: int) -> list[str]:
        """Ten new codes for the person, replacing any they had; the codes, to show once."""
        db.session.execute(delete(cls).where(cls.user_id == user_id))
        codes = []
        for _ in range(RECOVERY_CODES):
            raw = "".join(secrets.choice(RECOVERY_ALPHABET)
                          for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP))
            db.session.add(cls(user_id=user_id, code_hash=token_digest(raw)))
            codes.append("-".join(raw[i:i + RECOVERY_GROUP]
                                  for i in range(0, len(raw), RECOVERY_GROUP)))
        return codes

    @classmethod
    def use(cls, user_id: int, code: str) -> bool:
        """Spend one of the person's unused codes; whether `code` was one."""
        done = db.session.execute(
            update(cls).where(cls.user_id == user_id, cls.used_at.is_(None),
                              cls.code_hash == token_digest(cls.normalise(code)))
            .values(used_at=utcnow()).execution_options(synchronize_session=False))
        return done.rowcount == 1

    @classmethod
    def left(cls, user_id: int) -> int:
        return db.session.scalar(select(func.count(cls.id)).where(
            cls.user_id == user_id, cls.used_at.is_(None)))


class Passkey(db.Model):
    """A WebAuthn credential (a passkey): its id, public key and signature counter."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(CREDENTIAL_ID_MAX), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(PASSKEY_NAME_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    @classmethod
    def of(cls, user_id: int) -> list[Passkey]:
        return db.session.scalars(select(cls).where(cls.user_id == user_id)
                                  .order_by(cls.created_at, cls.id)).all()

    @classmethod
    def by_credential(cls, credential_id: str) -> Passkey | None:
        return db.session.scalar(select(cls).where(cls.credential_id == credential_id))


class PasskeyChallenge(db.Model):
    """A challenge handed to a browser for a passkey to sign: taken once, within minutes."""

    __tablename__ = "passkey_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime]

    @classmethod
    def issue(cls, purpose: str, user_id: int | None, lifetime: timedelta) -> bytes:
        challenge = secrets.token_bytes(32)
        now = utcnow()
        db.session.execute(delete(cls).where(cls.expires_at < now))
        db.session.add(cls(digest=token_digest(challenge.hex()), purpose=purpose,
                           user_id=user_id, expires_at=now + lifetime))
        return challenge

    @classmethod
    def take(cls, challenge: bytes, purpose: str, user_id: int | None) -> bool:
        """Delete the challenge if it is open for this purpose and person; whether it was."""
        query = delete(cls).where(cls.digest == token_digest(challenge.hex()),
                                  cls.purpose == purpose, cls.expires_at >= utcnow())
        query = query.where(cls.user_id.is_(None) if user_id is None else cls.user_id == user_id)
        return db.session.execute(query.execution_options(
            synchronize_session=False)).rowcount == 1


def has_factor(user_id: int) -> bool:
    """Whether the person has a second factor: a confirmed TOTP secret or a passkey."""
    totp = select(TotpSecret.id).where(TotpSecret.user_id == user_id,
                                       TotpSecret.confirmed_at.is_not(None))
    passkey = select(Passkey.id).where(Passkey.user_id == user_id)
    return db.session.scalar(select(totp.exists() | passkey.exists()))
