"""Configuration from the environment (12-factor). Every setting is listed in
``docs/configuration.md``; production refuses to start without the secrets it needs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "test", "production")


class ConfigError(RuntimeError):
    """The environment does not describe a runnable Kassan."""


def default_database_url(instance_path: str | Path) -> str:
    return f"sqlite:///{Path(instance_path) / 'kassan.db'}"


def from_environment(
    instance_path: str | Path, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Flask config values read from ``env`` (default ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    kassan_env = env.get("KASSAN_ENV", "development")
    if kassan_env not in ENVIRONMENTS:
        raise ConfigError(
            f"KASSAN_ENV must be one of {', '.join(ENVIRONMENTS)}, not {kassan_env!r}"
        )
    secret = env.get("SECRET_KEY")
    if kassan_env == "production":
        if not secret or len(secret) < 32:
            raise ConfigError(
                "SECRET_KEY must be set to at least 32 random characters in production "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if not env.get("DATABASE_URL"):
            raise ConfigError("DATABASE_URL must be set in production")
        if not env.get("KASSAN_PII_KEYS"):
            raise ConfigError(
                "KASSAN_PII_KEYS must be set in production: comma-separated Fernet keys, the "
                "first encrypts (python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            )
    elif not secret:
        # Development and tests only: a per-process random key (sessions end on restart).
        import secrets

        secret = secrets.token_urlsafe(48)
    return {
        "KASSAN_ENV": kassan_env,
        "SECRET_KEY": secret,
        "DATABASE_URL": env.get("DATABASE_URL") or default_database_url(instance_path),
        "TESTING": kassan_env == "test",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": kassan_env == "production",
        "REMEMBER_COOKIE_SECURE": kassan_env == "production",
        "ORGANISATION_NAME": env.get("KASSAN_ORGANISATION_NAME", "Solidaritetsorganisationen"),
        "ORGANISATION_NUMBER": env.get("KASSAN_ORGANISATION_NUMBER", "802000-0000"),
        "API_PAGE_SIZE_MAX": int(env.get("KASSAN_API_PAGE_SIZE_MAX", "500")),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY"),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY"),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE"),
        "SMTP_URL": env.get("SMTP_URL"),
        "MAIL_FROM": env.get("KASSAN_MAIL_FROM", "gavor@kassan.example"),
        "PUBLIC_BASE_URL": env.get("KASSAN_PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "PII_KEYS": env.get("KASSAN_PII_KEYS"),
    }
