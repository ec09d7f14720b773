"""Configuration from the environment (12-factor). Every setting is listed in
``docs/configuration.md``; production refuses to start without the secrets it needs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ledger import organisation
from ledger.errors import ConfigError
from ledger.payment_instructions import is_valid_bankgiro, is_valid_swish_number

ENVIRONMENTS = ("development", "test", "production")
# Where Stripe webhook events are booked; see webhooks/stripe/worker.py.
STRIPE_APPLY_MODES = ("background", "worker", "inline")


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
    stripe_apply = env.get("STRIPE_WEBHOOK_APPLY", "background")
    if stripe_apply not in STRIPE_APPLY_MODES:
        raise ConfigError(
            f"STRIPE_WEBHOOK_APPLY must be one of {', '.join(STRIPE_APPLY_MODES)}, "
            f"not {stripe_apply!r}"
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
        _require_organisation_number(env)
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
        "ORGANISATION_NUMBER": env.get("KASSAN_ORGANISATION_NUMBER") or organisation.PLACEHOLDER,
        "API_PAGE_SIZE_MAX": int(env.get("KASSAN_API_PAGE_SIZE_MAX", "500")),
        # a database fault of the moment (a lock not had in time, SQLite busy) answers 503 with
        # this Retry-After: pages, the API and the webhooks (Stripe and Swish send again)
        "RETRY_AFTER_SECONDS": _days(env, "KASSAN_RETRY_AFTER_SECONDS", 5, 1, 300, "seconds"),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY"),
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY"),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE"),
        "STRIPE_WEBHOOK_APPLY": stripe_apply,
        "SMTP_URL": env.get("SMTP_URL"),
        "MAIL_FROM": env.get("KASSAN_MAIL_FROM", "gavor@kassan.example"),
        "PUBLIC_BASE_URL": env.get("KASSAN_PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "PII_KEYS": env.get("KASSAN_PII_KEYS"),
        **_login_settings(env),
        **_swish_settings(env, kassan_env),
        **_giro_settings(env),
        **_invoice_settings(env),
        "FUNDING_GAP_MONTHLY_GIFT_ORE": _kronor(env, "KASSAN_FUNDING_GAP_MONTHLY_GIFT", 200) * 100,
        # bank files are larger than any form: their two upload routes get their own limit
        "BANK_FILE_MAX_BYTES": _days(env, "KASSAN_BANK_FILE_MAX_MB", 100, 1, 2048, "MiB") << 20,
        # uploaded bank files are imported by a thread in each app process; "0": only by
        # ``kassan webhooks work``
        "BANK_IMPORT_IN_APP": env.get("KASSAN_BANK_IMPORT_IN_APP", "1")
        not in ("0", "false", "nej"),
        # Skatteverket has approved us as a gift recipient: receipts mention the tax reduction
        "TAX_APPROVED_RECIPIENT": env.get("KASSAN_TAX_APPROVED_RECIPIENT") in ("1", "true", "ja"),
    }


def _require_organisation_number(env: dict[str, str]) -> None:
    """Production books for one real organisation: SIE files are checked against its number,
    and receipts and invoices print it, so the placeholder or a mistyped number stops the start."""
    number = env.get("KASSAN_ORGANISATION_NUMBER") or ""
    if not number or organisation.same(number, organisation.PLACEHOLDER):
        raise ConfigError(
            "KASSAN_ORGANISATION_NUMBER must be set to the organisation's own number in "
            f"production, not the placeholder {organisation.PLACEHOLDER}"
        )
    if not organisation.is_valid(number):
        raise ConfigError(
            f"KASSAN_ORGANISATION_NUMBER {number!r} is not a Swedish organisation number "
            "(check digit)"
        )


def _login_settings(env: dict[str, str]) -> dict[str, Any]:
    """The login throttle (Flask-Limiter): where failed sign-ins are counted and how many are
    allowed. Memory counts per process, which is right for one process only; production with
    several workers or servers points ``RATELIMIT_STORAGE_URI`` at a shared store."""
    return {
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or "memory://",
        # a moving window: a lockout ends when the oldest counted failure leaves the window
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_KEY_PREFIX": "kassan",
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("KASSAN_LOGIN_LIMIT_PER_ACCOUNT") or "10 per 15 minutes",
        "LOGIN_LIMIT_PER_ADDRESS": env.get("KASSAN_LOGIN_LIMIT_PER_ADDRESS") or "30 per 15 minutes",
        # reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted
        "TRUSTED_PROXIES": _days(env, "KASSAN_TRUSTED_PROXIES", 0, 0, 5, "proxies"),
    }


def _giro_settings(env: dict[str, str]) -> dict[str, Any]:
    """Bankgiro and Swish without an agreement (a QR code); each off unless its number is set.
    A wrong number would send donors' money elsewhere, so it stops the start."""
    bankgiro = env.get("KASSAN_BANKGIRO") or None
    if bankgiro and not is_valid_bankgiro(bankgiro):
        raise ConfigError(f"KASSAN_BANKGIRO {bankgiro!r} is not a bankgiro number (check digit)")
    payee = env.get("SWISH_PAYEE_NUMBER") or None
    if payee and not is_valid_swish_number(payee):
        raise ConfigError(f"SWISH_PAYEE_NUMBER {payee!r} is not a Swish number (123... or 9...)")
    customer = env.get("KASSAN_AUTOGIRO_CUSTOMER_NUMBER") or None
    if customer and not (customer.isdigit() and len(customer) == 6):
        raise ConfigError(
            f"KASSAN_AUTOGIRO_CUSTOMER_NUMBER {customer!r} is not Bankgirot's 6-digit "
            "customer number"
        )
    return {
        "BANKGIRO": bankgiro,
        "SWISH_PAYEE_NUMBER": payee,
        "AUTOGIRO_CUSTOMER_NUMBER": customer,
        # Autogiro debits fall on this day of the month (the next banking day when it is none)
        "AUTOGIRO_DEBIT_DAY": _days(env, "KASSAN_AUTOGIRO_DEBIT_DAY", 28, 1, 28),
    }


def _days(
    env: dict[str, str], name: str, default: int, low: int, high: int, unit: str = "days"
) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(
            f"{name} must be a whole number of {unit} from {low} to {high}, not {raw!r}"
        )
    return int(raw)


def _kronor(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name) or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise ConfigError(f"{name} must be whole kronor from 1 to 1000000, not {raw!r}")
    return int(raw)


def _invoice_settings(env: dict[str, str]) -> dict[str, Any]:
    """The invoice's letterhead and its terms. The logo is read when a PDF is made, so a
    wrong path stops the start rather than the first invoice run."""
    logo = env.get("KASSAN_ORGANISATION_LOGO") or None
    if logo and not Path(logo).is_file():
        raise ConfigError(f"KASSAN_ORGANISATION_LOGO {logo!r} is not a readable file")
    address = env.get("KASSAN_ORGANISATION_ADDRESS") or ""
    return {
        "ORGANISATION_ADDRESS": tuple(p.strip() for p in address.split(";") if p.strip()),
        "ORGANISATION_LOGO": logo,
        "INVOICE_DUE_DAYS": _days(env, "KASSAN_INVOICE_DUE_DAYS", 30, 1, 365),
        "INVOICE_LEAD_DAYS": _days(env, "KASSAN_INVOICE_LEAD_DAYS", 30, 0, 365),
        "INVOICE_REMINDER_DAYS": _days(env, "KASSAN_INVOICE_REMINDER_DAYS", 14, 1, 365),
        "INVOICE_MAX_REMINDERS": _days(env, "KASSAN_INVOICE_MAX_REMINDERS", 2, 0, 10),
        # processes making the PDFs of `kassan invoices run` and `remind`: every core
        "PDF_WORKERS": _days(env, "KASSAN_PDF_WORKERS", os.cpu_count() or 1, 1, 256, "processes"),
    }


def _swish_settings(env: dict[str, str], kassan_env: str) -> dict[str, Any]:
    """Swish Handel (the API with a client certificate); off unless the merchant number is set."""
    values: dict[str, Any] = {
        name: env.get(name) or None
        for name in (
            "SWISH_MERCHANT_NUMBER",
            "SWISH_API_BASE",
            "SWISH_CERT",
            "SWISH_KEY",
            "SWISH_CA",
            "SWISH_CALLBACK_URL",
            "SWISH_RECURRING_API_BASE",
        )
    }
    # the agreement includes recurring payments: monthly gifts by a consent in the Swish app
    values["SWISH_RECURRING"] = env.get("SWISH_RECURRING") in ("1", "true", "ja")
    if values["SWISH_MERCHANT_NUMBER"] and kassan_env == "production":
        missing = [n for n in ("SWISH_CERT", "SWISH_KEY", "SWISH_CA") if not values[n]]
        if missing:
            raise ConfigError(
                "SWISH_MERCHANT_NUMBER is set, so " + ", ".join(missing) + " must be set too "
                "(the client certificate, its key and Swish's CA, as PEM files)"
            )
        callback = values["SWISH_CALLBACK_URL"]
        if callback and not str(callback).startswith("https://"):
            raise ConfigError("SWISH_CALLBACK_URL must be an https:// address (Swish refuses http)")
    return values
