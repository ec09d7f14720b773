"""Personal data at rest: personnummer are stored only as Fernet tokens, never in clear.

``KASSAN_PII_KEYS`` holds comma-separated Fernet keys. The first encrypts; every key decrypts,
so a key is rotated by putting a new one first and keeping the old ones until
``rotate`` has re-encrypted the rows. Production refuses to start without keys
(``ledger.config``); development and tests derive a fixed, publicly known key, which is only
good for fake data.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ledger.errors import ConfigError, PiiError

__all__ = ["cipher", "decrypt", "encrypt", "rotate"]

_DEV_SEED = b"kassan-development-pii-key-not-for-production"


def _dev_key() -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(_DEV_SEED).digest())


def cipher(config: Mapping[str, object]) -> MultiFernet:
    """The keys from ``config["PII_KEYS"]``; raises ``ConfigError`` on a malformed key."""
    raw = str(config.get("PII_KEYS") or "").strip()
    if not raw:
        if config.get("KASSAN_ENV") == "production":
            raise ConfigError("KASSAN_PII_KEYS must be set in production")
        return MultiFernet([Fernet(_dev_key())])
    fernets = []
    for number, key in enumerate((k.strip() for k in raw.split(",")), start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError as exc:
            raise ConfigError(
                f"KASSAN_PII_KEYS key {number} is not a Fernet key "
                "(python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from exc
    return MultiFernet(fernets)


def encrypt(crypt: MultiFernet, clear: str) -> str:
    return crypt.encrypt(clear.encode()).decode("ascii")


def decrypt(crypt: MultiFernet, token: str) -> str:
    try:
        return crypt.decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise PiiError("the token does not decrypt with any configured PII key") from exc


def rotate(crypt: MultiFernet, token: str) -> str:
    """The token re-encrypted with the first (newest) key."""
    try:
        return crypt.rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise PiiError("the token does not decrypt with any configured PII key") from exc
