"""Master keys and data keys.

The master keys come from ENCRYPTION_KEY (or the file ENCRYPTION_KEY_FILE names): one or
more keys of 32 random bytes in URL-safe base64, separated by spaces or commas; the first
seals, the others only open (the old key while `flask keys rotate` moves to the new one).
Each conversation's content is sealed with its own data key (AES-256-GCM), stored in
`data_key` wrapped by a master key; what belongs to no conversation (the outbox's mail, an
employee's export) is sealed with a key derived from the master key itself.

A sealed value reads `ms1$<key id>$<base64 of nonce, ciphertext and tag>`; the key id is
bound into it as associated data, so a value cannot be opened under another key.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "ms1$"
# A derived key's id: "~" and the master key's id.
DERIVED = "~"
NONCE = 12


class KeyProblem(RuntimeError):
    """The encryption key is missing, malformed, or does not open what is stored: the app
    does not start."""


def new_master_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def master_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def parse_master_keys(text: str) -> list[bytes]:
    keys = []
    for part in re.split(r"[\s,]+", text.strip()):
        if not part:
            continue
        try:
            key = base64.urlsafe_b64decode(part.encode() + b"=" * (-len(part) % 4))
        except (ValueError, TypeError):
            key = b""
        if len(key) != 32:
            raise KeyProblem(
                "ENCRYPTION_KEY holds a key that is not 32 bytes in URL-safe base64; "
                "`python -m medsamtale.sealing new` prints a new one.")
        keys.append(key)
    return keys


def master_keys_from(config, instance_path: str) -> list[bytes]:
    """The configured master keys, the sealing one first; KeyProblem when there are none:
    ENCRYPTION_KEY, else the file ENCRYPTION_KEY_FILE names, else instance/encryption.key."""
    text = config.get("ENCRYPTION_KEY") or ""
    path = config.get("ENCRYPTION_KEY_FILE") or ""
    default = os.path.join(instance_path, "encryption.key")
    if not text and (path or os.path.exists(default)):
        try:
            with open(path or default, encoding="utf-8") as file:
                text = file.read()
        except OSError as error:
            raise KeyProblem(f"ENCRYPTION_KEY_FILE {path} cannot be read: "
                             f"{error.strerror}.") from None
    keys = parse_master_keys(text)
    if not keys:
        raise KeyProblem(
            "No encryption key: set ENCRYPTION_KEY, or ENCRYPTION_KEY_FILE to a file holding "
            "it (`python -m medsamtale.sealing new` prints a new key). Medsamtale stores "
            "no conversation's content unencrypted, so it does not start without one.")
    return keys


class Keyring:
    """The process's master keys and the data keys it has opened."""

    def __init__(self, masters: list[bytes]):
        self.masters = {master_id(key): AESGCM(key) for key in masters}
        self.current_id = master_id(masters[0])
        self.derived = {DERIVED + mid: AESGCM(_derive(key)) for mid, key in
                        ((master_id(key), key) for key in masters)}
        self.system_id = DERIVED + self.current_id
        self.opened: dict[str, AESGCM] = {}

    # -- data keys --
    def new_data_key(self) -> tuple[bytes, bytes]:
        """A new data key: (the key, it wrapped by the current master key)."""
        key = AESGCM.generate_key(256)
        return key, self.wrap(key)

    def wrap(self, key: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self.masters[self.current_id].encrypt(nonce, key, b"data key")

    def unwrap(self, wrapped_by: str, wrapped: bytes) -> bytes:
        master = self.masters.get(wrapped_by)
        if master is None:
            raise KeyProblem(f"A data key is wrapped by master key {wrapped_by}, which "
                             "ENCRYPTION_KEY does not hold.")
        try:
            return master.decrypt(wrapped[:NONCE], wrapped[NONCE:], b"data key")
        except InvalidTag:
            raise KeyProblem(f"Master key {wrapped_by} does not open its data keys: "
                             "ENCRYPTION_KEY is not the key they were sealed with.") from None

    def remember(self, key_id: str, key: bytes) -> None:
        if len(self.opened) > 200_000:  # a process that has opened every conversation
            self.opened.clear()
        self.opened[key_id] = AESGCM(key)

    def knows(self, key_id: str) -> bool:
        return key_id in self.opened or key_id in self.derived

    # -- values --
    def seal(self, key_id: str, plain: bytes) -> str:
        aead = self.derived.get(key_id) or self.opened[key_id]
        nonce = os.urandom(NONCE)
        sealed = aead.encrypt(nonce, plain, key_id.encode())
        return f"{PREFIX}{key_id}${base64.b64encode(nonce + sealed).decode()}"

    def open(self, value: str, load) -> bytes:
        """The plain bytes of a sealed value; `load(key_id)` opens a data key not yet
        opened in this process."""
        key_id, _, body = value[len(PREFIX):].partition("$")
        aead = self.derived.get(key_id) or self.opened.get(key_id)
        if aead is None:
            load(key_id)
            aead = self.opened[key_id]
        raw = base64.b64decode(body)
        return aead.decrypt(raw[:NONCE], raw[NONCE:], key_id.encode())


def _derive(master: bytes) -> bytes:
    return HKDF(SHA256(), 32, salt=None, info=b"medsamtale system").derive(master)
