"""Staff users (admin, finance, leadership), their passwords, sign-in sessions and API tokens.

Passwords are hashed with argon2 (argon2-cffi). API tokens and session tokens are 256-bit
random strings; only their SHA-256 is stored, which is enough for a secret with that much
entropy and keeps the per-request check cheap. A session lives on the server: it ends at
logout, and all of a user's end when the user is deactivated or the password changes, whoever
holds a copy of the cookie.
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


@dataclass(frozen=True, slots=True)
class Deactivated:
    """What deactivating a user ended."""

    user: User
    sessions: int
    tokens: int


def set_password(conn: Connection, email: str, password: str) -> int:
    """A new password; every session of the user ends (it is set from the command line, from
    no session of theirs). Returns how many sessions ended."""
    if len(password) < MIN_PASSWORD:
        raise UserRefused(f"the password needs at least {MIN_PASSWORD} characters", "password")
    user = _existing(conn, email)
    conn.execute(
        t.users.update().where(t.users.c.id == user.id).values(password_hash=_hasher.hash(password))
    )
    return end_sessions(conn, user.id)


def deactivate_user(conn: Connection, email: str) -> Deactivated:
    """The user can no longer sign in; every session and API token of theirs ends at once."""
    user = _existing(conn, email)
    conn.execute(t.users.update().where(t.users.c.id == user.id).values(active=False))
    sessions = end_sessions(conn, user.id)
    tokens = revoke_tokens(conn, user.email)
    return Deactivated(User(user.id, user.email, user.role, False), sessions, tokens)


def _existing(conn: Connection, email: str) -> User:
    user = get_user_by_email(conn, email)
    if user is None:
        raise UserRefused(f"no user {email}", "email")
    return user


def start_session(conn: Connection, user: User) -> str:
    """A new sign-in session for ``user``; the token goes into the session cookie."""
    token = secrets.token_urlsafe(32)
    conn.execute(t.user_sessions.insert().values(user_id=user.id, token_hash=_token_digest(token)))
    return token


def user_for_session(conn: Connection, token: str) -> User | None:
    """The active user whose session ``token`` names, while the session has not ended."""
    ses = t.user_sessions.c
    row = conn.execute(
        select(t.users)
        .join(t.user_sessions, ses.user_id == t.users.c.id)
        .where(ses.token_hash == _token_digest(token), ses.ended_at.is_(None))
    ).first()
    if row is None or not row.active:
        return None
    return _row_to_user(row)


def end_session(conn: Connection, token: str) -> None:
    ses = t.user_sessions.c
    conn.execute(
        t.user_sessions.update()
        .where(ses.token_hash == _token_digest(token), ses.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
    )


def end_sessions(conn: Connection, user_id: int) -> int:
    """End every open session of the user; returns how many ended."""
    ses = t.user_sessions.c
    done = conn.execute(
        t.user_sessions.update()
        .where(ses.user_id == user_id, ses.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
    )
    return done.rowcount


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
