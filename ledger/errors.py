"""Every error the ledger raises, in one place.

A ``LedgerError`` is a refusal: it says what went wrong (``message``) and which input was at
fault (``field``), never how to answer it. The app maps each class to an HTTP status in one
table (``kassan/web/errors.py``), the command line to its exit code in ``kassan/cli/errors.py``.
Refusals are named by what they are: ``...Invalid`` (the input is malformed), ``...NotFound``,
``...Conflict`` (the request clashes with what is stored) and ``...Refused`` (a rule forbids it).
The entry errors keep their older names (``UnbalancedEntry``, ``PeriodClosed``, ...) because the
API publishes them as error codes.

The last group are faults, not refusals: a broken configuration or a programming error. They
derive from ``RuntimeError`` or ``ValueError`` and are not answered as a user's mistake.
"""

from __future__ import annotations

from collections.abc import Mapping

# --- refusals: the journal itself ------------------------------------------------------------


class LedgerError(Exception):
    """Base of every refusal by the ledger. ``field`` names the offending input where known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidEntry(LedgerError):
    """The entry is malformed: too few lines, a negative amount, both sides set, and so on."""


class UnbalancedEntry(InvalidEntry):
    """Debits and credits differ in some currency."""


class UnknownAccount(InvalidEntry):
    """A line names an account that is not in the chart."""


class UnknownDimension(InvalidEntry):
    """A line names a network or contributor that does not exist."""


class PeriodClosed(LedgerError):
    """The accounting date falls in a locked period."""


class FiscalYearNotOpen(LedgerError):
    """The accounting date falls in a fiscal year nobody opened (``kassan ledger open-year``).

    ``year`` is the year to open; the message names it and the command.
    """

    def __init__(self, year: int, field: str | None = "date") -> None:
        super().__init__(
            f"fiscal year {year} is not open; open it with `kassan ledger open-year {year}`",
            field,
        )
        self.year = year


class AlreadyReversed(LedgerError):
    """The entry has been reversed already; a second reversal would double the correction."""


class EntryNotFound(LedgerError):
    """No journal entry has that id."""


class IntegrityViolation(LedgerError):
    """The database refused a write that the Python checks let through (a bug, or tampering)."""


class LedgerDamaged(LedgerError):
    """The ledger's own structure is broken (its head row is gone): nothing can be booked
    until it is repaired; ``kassan ledger verify`` names what is wrong."""


# --- refusals: the services around the journal -----------------------------------------------


class DimensionRefused(LedgerError):
    """A network, budget or contributor request that cannot be carried out.

    ``sv`` is the same refusal in Swedish, for the staff pages (the API answers in English).
    """

    def __init__(self, message: str, field: str | None = None, sv: str | None = None) -> None:
        super().__init__(message, field)
        self.sv = sv


class DimensionConflict(DimensionRefused):
    """The slug (or other unique key) is taken already."""


class DimensionNotFound(DimensionRefused):
    """No network, budget or contributor has that id or slug."""


class GiftInvalid(LedgerError):
    """The donor form has errors; ``errors`` maps each field to its (Swedish) message."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(errors[first], first)
        self.errors = errors


class PledgeInvalid(LedgerError):
    """The pledge form has errors; ``errors`` maps each field to its (Swedish) message."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(errors[first], first)
        self.errors = errors


class MandateRefused(LedgerError):
    """An Autogiro mandate cannot be taken in or changed as asked: an identity number or bank
    account that fails its check, an amount below one krona, a mandate in the wrong state.
    Its message is Swedish: donors and finance staff read it."""


class MandateNotFound(LedgerError):
    """No Autogiro mandate has this payer number."""


class PledgeNotFound(LedgerError):
    """No pledge has that id."""


class InvoiceNotFound(LedgerError):
    """No invoice has that id or number."""


class PdfNotMade(LedgerError):
    """A batch could not make a document's PDF (WeasyPrint raised, or its process ended); the
    message names the invoice. What was issued stays issued and unmailed, and the next run of
    the batch makes and mails it (the message is Swedish: the command line shows it)."""


class ReceiptConflict(LedgerError):
    """A payment already recorded against one expected payment was offered for another."""


class AllocationRefused(LedgerError):
    """Not allowed: more than is unallocated, a bad amount, note, token or year."""


class AllocationConflict(LedgerError):
    """The form token was used before for a different allocation."""


class CollectionInvalid(LedgerError):
    """The start or edit form has errors: ``errors`` maps each field to a Swedish message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()), next(iter(errors)))
        self.errors = dict(errors)


class CollectionConflict(LedgerError):
    """The collection is not in a state that allows this (approve a closed one, and so on)."""


class BankAccountInvalid(LedgerError):
    """Not an IBAN or a Swedish clearing and account number, or a ledger account that is not
    an asset account in the chart (the message is Swedish: the command line shows it)."""


class BankAccountConflict(LedgerError):
    """The bank account is ours already."""


class BankAccountNotFound(LedgerError):
    """No bank account of ours has that number."""


class DeskRefused(LedgerError):
    """An action the finance desk cannot carry out; the message is for the finance officer."""


class UserRefused(LedgerError):
    """A user or token request that cannot be carried out."""


# --- faults: configuration and programming errors --------------------------------------------


class ConfigError(RuntimeError):
    """The environment does not describe a runnable Kassan."""


class MailConfigError(RuntimeError):
    """``SMTP_URL`` is missing or not an smtp:// or smtps:// URL."""


class PiiError(RuntimeError):
    """A token could not be decrypted with any configured key."""


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""
