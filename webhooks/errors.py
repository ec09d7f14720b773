"""Every error raised while money comes in: Swish, Stripe and bank files.

The refusals derive from ``ledger.errors.LedgerError`` and, like the ledger's, carry no HTTP
status: the app maps each class in ``kassan/web/errors.py``. Names follow the ledger's
(``...Invalid``, ``...NotFound``, ``...Conflict``, ``...Refused``); ``SwishNotConfigured``,
``SwishUnavailable`` and ``NotYetBookable`` say a condition that passes (settings, Swish's
servers, an event that arrived before the payment it belongs to), not a wrong request.

``ParseError`` is an error value, not an exception: a bank-file parser returns every bad line
it finds (file, line, field, message) and ``BankFileInvalid`` carries them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.errors import LedgerError

# --- bank files ------------------------------------------------------------------------------

_SHOWN_PARSE_ERRORS = 20  # a file with thousands of bad lines must still give a readable message


@dataclass(frozen=True, slots=True)
class ParseError:
    """Where and what: ``file`` name, 1-based text ``line``, ``field`` (or None), message."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, rad {self.line}" if self.line is not None else self.file
        if self.field:
            where += f" ({self.field})"
        return f"{where}: {self.message}"


class BankFileInvalid(LedgerError):
    """The file is refused whole; ``errors`` lists every bad line found, not only the first."""

    def __init__(self, errors: list[ParseError] | tuple[ParseError, ...]) -> None:
        self.errors = tuple(errors)
        if not self.errors:
            raise ValueError("BankFileInvalid needs at least one ParseError")
        first = self.errors[0]
        shown = "; ".join(str(e) for e in self.errors[:_SHOWN_PARSE_ERRORS])
        more = len(self.errors) - _SHOWN_PARSE_ERRORS
        if more > 0:
            shown += f"; och {more} fel till"
        super().__init__(f"Filen kan inte läsas in: {shown}", field=first.field)


class BankFileConflict(LedgerError):
    """This very file (the same bytes) was imported before."""


class CamtEntryInvalid(ValueError):
    """A field of a camt entry is missing or wrong; ``field`` and ``line`` say which and where.

    The camt parser turns it into a ``ParseError`` for the file's list; it never leaves the
    parser.
    """

    def __init__(self, line: int | None, field: str, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.field = field
        self.message = message


class AutogiroRecordInvalid(LedgerError):
    """A record Kassan was to write to Bankgirot does not fit the field the manual gives it
    (a payer number over 16 digits, a text outside ISO-8859-1, a zero amount...)."""


# --- Swish -----------------------------------------------------------------------------------


class SwishNotConfigured(LedgerError):
    """Swish Handel was asked for but its settings are missing or wrong."""


class SwishUnavailable(LedgerError):
    """Swish could not be reached or answered with a server error; nothing is known."""


class SwishRefused(LedgerError):
    """Swish refused the request; ``codes`` are its error codes (``BE18``, ``ACMT03``, ...)."""

    def __init__(self, http_status: int, errors: list[dict[str, Any]]) -> None:
        self.http_status = http_status
        self.codes = [str(e.get("errorCode") or "") for e in errors]
        text = "; ".join(f"{e.get('errorCode')}: {e.get('errorMessage')}" for e in errors)
        super().__init__(f"Swish refused the request ({http_status}): {text or 'no details'}")


class SwishNotFound(LedgerError):
    """Swish knows no payment request or refund with that id."""


class SwishRequestNotFound(LedgerError):
    """No payment request or refund of ours has this id."""


class SwishRequestConflict(LedgerError):
    """Swish's copy of the request does not agree with ours: nothing is booked."""


class SwishRefundRefused(LedgerError):
    """The refund cannot be made: the payment is not paid, or the amount is too large."""


class PayerNumberInvalid(LedgerError):
    """The donor's mobile number is not a Swedish mobile number Swish could know."""


# --- Stripe ----------------------------------------------------------------------------------


class NotYetBookable(LedgerError):
    """The fact cannot be booked yet (the payment it belongs to is not known); retry later.

    Its name is stored in the inbox's ``last_error``, so it keeps it.
    """


class StripeEventInvalid(ValueError):
    """A verified body that is not a Stripe event."""


class StripeNotConfigured(RuntimeError):
    """Card payments were asked for but no Stripe key is configured."""
