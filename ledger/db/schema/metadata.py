"""The one ``MetaData`` every table is defined on, and the column types they share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Dialect, Integer, MetaData, String, TypeDecorator
from sqlalchemy.dialects.postgresql import BYTEA
from sqlalchemy.types import TypeEngine

metadata = MetaData()

# SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Sha256(TypeDecorator[str]):
    """A SHA-256 digest of the hash chain: in Python always its 64 lowercase hex characters
    (the form ``ledger.entries.entry_hash`` returns and hashes over). PostgreSQL stores its 32
    bytes (``bytea``, migration 0029): half the room of the hex text in every entry. SQLite
    keeps the hex text, as it always has: its size is not what issue 14 measures, and its
    json_each bulk path has no ``unhex()`` before SQLite 3.41.

    Code that goes past SQLAlchemy's types to the driver (``posting.pipeline``, the COPY in
    ``Writer``) converts with ``to_stored`` / ``from_stored`` itself."""

    impl = String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(BYTEA())
        return dialect.type_descriptor(String(64))

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else to_stored(value, dialect.name == "postgresql")

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else from_stored(value)


def to_stored(digest: str, as_bytes: bool) -> str | bytes:
    """``digest`` (hex) as the database keeps it: bytes on PostgreSQL (``as_bytes``)."""
    return bytes.fromhex(digest) if as_bytes else digest


def from_stored(value: str | bytes | memoryview) -> str:
    """The hex text of a digest read back, whichever way it was stored."""
    return value if isinstance(value, str) else bytes(value).hex()
