"""Clinical free text is sealed with AES-256-GCM before it reaches the database.

A sealed value is `v1:` + urlsafe base64 of (12-byte nonce + ciphertext + tag). The column name is bound
in as associated data, so a value copied into another column fails to open instead of being misread.
"""

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from safeenough.errors import KeyMismatch, KeyMissing

PREFIX = "v1:"
KEY_BYTES = 32
NONCE_BYTES = 12


class FieldCipher:
    def __init__(self, key: bytes, *, source: str = "the key") -> None:
        if len(key) != KEY_BYTES:
            raise KeyMismatch(
                f"{source} is not a safeenough key (expected {KEY_BYTES} bytes of key material)"
            )
        self._aead = AESGCM(key)
        self._key = key
        self.source = source
        # Every unit of work asks for the same few secrets; derive each once.
        self._derived: dict[str, bytes] = {}

    def derive_secret(self, purpose: str) -> bytes:
        """A secret for another use (signing check-in links, keying login usernames), derived so the key
        itself is never reused."""
        if purpose not in self._derived:
            self._derived[purpose] = HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode("ascii")
            ).derive(self._key)
        return self._derived[purpose]

    def seal(self, plaintext: str, *, field: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), field.encode("ascii"))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str, *, field: str) -> str:
        if not sealed.startswith(PREFIX):
            raise KeyMismatch(
                f"a stored {field} is not in safeenough's sealed format; the data may be damaged"
            )
        raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
        try:
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], field.encode("ascii"))
        except InvalidTag:
            raise KeyMismatch(
                f"{self.source} cannot open the clinical text in this database. It was encrypted with a "
                "different key. Point SAFEENOUGH_SECRET_KEY_FILE at the key file that belongs to this "
                "database (or restore it from your backup); without it the text cannot be read."
            ) from None
        return plain.decode("utf-8")

    def seal_optional(self, plaintext: str | None, *, field: str) -> str | None:
        return None if plaintext is None else self.seal(plaintext, field=field)

    def open_optional(self, sealed: str | None, *, field: str) -> str | None:
        return None if sealed is None else self.open(sealed, field=field)


def encode_key(key: bytes) -> str:
    return "safeenough-key-v1:" + base64.urlsafe_b64encode(key).decode("ascii") + "\n"


def decode_key(text: str, *, source: str) -> bytes:
    marker = "safeenough-key-v1:"
    stripped = text.strip()
    if not stripped.startswith(marker):
        raise KeyMismatch(f"{source} is not a safeenough key file (it should start with {marker!r})")
    try:
        return base64.urlsafe_b64decode(stripped[len(marker) :])
    except ValueError:
        raise KeyMismatch(f"{source} is damaged: the key is not valid base64") from None


def load_key_file(path: Path) -> FieldCipher:
    if not path.exists():
        raise KeyMissing(
            f"The encryption key file {path} does not exist, but this database already holds encrypted "
            "clinical text. Restore the key file from your backup, or set SAFEENOUGH_SECRET_KEY_FILE to "
            "where it is."
        )
    return FieldCipher(decode_key(path.read_text(encoding="ascii"), source=str(path)), source=str(path))


def create_key_file(path: Path) -> FieldCipher:
    """Write a fresh random key readable by the owner only (0600), refusing to overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(encode_key(key))
    return FieldCipher(key, source=str(path))
