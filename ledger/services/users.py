"""Staff users (admin, finance, leadership), their passwords and their API tokens.

Passwords are hashed with argon2 (argon2-cffi). API tokens are 256-bit random strings shown
once; only their SHA-256 is stored, which is enough for a secret with that much entropy and
keeps the per-request check cheap.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, func, select

from ledger.db import tables as t
from ledger.errors import UserRefused

ROLES = ("admin", "finance", "leadership")
MIN_PASSWORD = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    role: str
    active: bool

    def can_write(self) -> bool:
        return self.role in ("admin", "finance")


def _row_to_user(row: object) -> User:
    return User(row.id, row.email, row.role, row.active)  # type: ignore[attr-defined]


def create_user(conn: Connection, email: str, password: str, role: str) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise UserRefused(f"not an e-mail address: {email!r}", "email")
    if role not in ROLES:
        raise UserRefused(f"role must be one of {', '.join(ROLES)}", "role")
    if len(password) < MIN_PASSWORD:
        raise UserRefused(f"the password needs at least {MIN_PASSWORD} characters", "password")
    if get_user_by_email(conn, email) is not None:
        raise UserRefused(f"a user {email} exists already", "email")
    user_id = conn.execute(
        t.users.insert()
        .values(email=email, password_hash=_hasher.hash(password), role=role, active=True)
        .returning(t.users.c.id)
    ).scalar_one()
    return User(user_id, email, role, True)


def set_password(conn: Connection, email: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserRefused(f"the password needs at least {MIN_PASSWORD} characters", "password")
    done = conn.execute(
        t.users.update()
        .where(t.users.c.email == email.strip().lower())
        .values(password_hash=_hasher.hash(password))
    )
    if done.rowcount != 1:
        raise UserRefused(f"no user {email}", "email")


def get_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
    return _row_to_user(row) if row else None


def get_user_by_email(conn: Connection, email: str) -> User | None:
    row = conn.execute(select(t.users).where(t.users.c.email == email.strip().lower())).first()
    return _row_to_user(row) if row else None


def authenticate(conn: Connection, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same answer for both misses)."""
    row = conn.execute(select(t.users).where(t.users.c.email == email.strip().lower())).first()
    if row is None:
        # Spend the same time as a real check so e-mail addresses cannot be probed by timing.
        _hasher.hash(password)
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not row.active:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        conn.execute(
            t.users.update()
            .where(t.users.c.id == row.id)
            .values(password_hash=_hasher.hash(password))
        )
    return _row_to_user(row)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: Connection, email: str, label: str = "cli") -> str:
    """A new API token for the user; the clear text is returned once and never stored."""
    user = get_user_by_email(conn, email)
    if user is None:
        raise UserRefused(f"no user {email}", "email")
    token = "ksn_" + secrets.token_urlsafe(32)
    conn.execute(
        t.api_tokens.insert().values(
            user_id=user.id, token_hash=_token_digest(token), label=label[:100]
        )
    )
    return token


def user_for_token(conn: Connection, token: str) -> User | None:
    tok = t.api_tokens.c
    row = conn.execute(
        select(t.users)
        .join(t.api_tokens, tok.user_id == t.users.c.id)
        .where(tok.token_hash == _token_digest(token), tok.revoked_at.is_(None))
    ).first()
    if row is None or not row.active:
        return None
    return _row_to_user(row)


def revoke_tokens(conn: Connection, email: str) -> int:
    user = get_user_by_email(conn, email)
    if user is None:
        raise UserRefused(f"no user {email}", "email")
    tok = t.api_tokens.c
    done = conn.execute(
        t.api_tokens.update()
        .where(tok.user_id == user.id, tok.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return done.rowcount


def count_users(conn: Connection) -> int:
    return conn.scalar(select(func.count()).select_from(t.users)) or 0
