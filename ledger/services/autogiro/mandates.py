"""Autogiro mandates: taken in (from the gift form, or signed in the donor's internet bank),
sent, approved or refused by the payer's bank, cancelled; every change kept in the history.

The payer number is the mandate's key (``autogiro_mandates.payer_number``), given by the
database once and never changed, so Bankgirot, the files and the ledger name a mandate alike.
The identity number is checked with ``python-stdnum`` (personnummer, or organisation number
written ``00`` + ten digits as Bankgirot wants it) and the bank account with ``bankkonto``
(Bankgirot's rules per clearing range: length and check digit). Both are stored encrypted
(``ledger.services.pii``) with a masked text to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import bankkonto
from cryptography.fernet import MultiFernet
from sqlalchemy import Connection, select, text
from stdnum.se import orgnr, personnummer

from ledger.db import tables as t
from ledger.errors import MandateNotFound, MandateRefused
from ledger.money import Money
from ledger.services import pii
from ledger.statuses import MandateStatus

__all__ = [
    "Mandate",
    "MandateDraft",
    "bank_account",
    "cancel",
    "create",
    "get",
    "history",
    "identity_number",
    "note",
    "record_status",
]

FORM = "form"
INTERNET_BANK = "e-mandate"  # fits source VARCHAR(12)
# Which state may follow which; a mandate advice that says what is already so changes nothing.
_NEXT = {
    MandateStatus.NEW: {MandateStatus.SENT, MandateStatus.CANCELLED},
    MandateStatus.SENT: {MandateStatus.ACTIVE, MandateStatus.REFUSED, MandateStatus.CANCELLED},
    MandateStatus.ACTIVE: {MandateStatus.CANCELLED},
    MandateStatus.REFUSED: set(),
    MandateStatus.CANCELLED: set(),
}


@dataclass(frozen=True, slots=True)
class MandateDraft:
    """A mandate as the donor gave it: contributor, network (None: where needed most),
    monthly amount, identity number, clearing and account number, and the consent text shown."""

    contributor_id: int
    network_id: int | None
    amount: Money
    identity: str
    clearing: str
    account: str
    consent_text: str
    source: str = FORM


@dataclass(frozen=True, slots=True)
class Mandate:
    payer_number: int
    contributor_id: int
    network_id: int | None
    amount: Money
    identity_masked: str
    clearing: str
    account_masked: str
    consent_text: str
    source: str
    status: MandateStatus
    tk03_pending: bool
    created_at: datetime


def identity_number(raw: str) -> str:
    """The 12 digits Bankgirot wants: a personnummer with its century, or ``00`` and an
    organisation number. ``MandateRefused`` (field ``identity``) when it fails its check."""
    digits = "".join(c for c in raw if c.isdigit())
    if len(digits) == 10 and orgnr.is_valid(digits) and int(digits[2:4]) >= 20:
        return "00" + digits  # the month digits of a legal person's number are 20 or more
    if personnummer.is_valid(raw.strip()):
        compact = personnummer.compact(raw.strip())
        century = personnummer.get_birth_date(raw.strip()).year // 100
        tail = "".join(c for c in compact if c.isdigit())
        return tail if len(tail) == 12 else f"{century}{tail}"
    if len(digits) == 12 and digits.startswith("00") and orgnr.is_valid(digits[2:]):
        return digits
    raise MandateRefused(
        f"{raw!r} är inget giltigt personnummer eller organisationsnummer", "identity"
    )


def bank_account(clearing: str, account: str) -> tuple[str, str]:
    """Clearing and account number as digits, checked by Bankgirot's rules for the bank
    (``bankkonto``); ``MandateRefused`` (field ``account``) in Swedish otherwise."""
    clearing_digits = "".join(c for c in clearing if c.isdigit())
    account_digits = "".join(c for c in account if c.isdigit())
    # Bankgirot writes a Swedbank clearing number (8xxx-x) without its fifth digit, and so
    # do donors who copy it from there; bankkonto wants five digits but checks the account
    # number, not that digit, so four are checked with any fifth and kept as they came.
    checked = (
        clearing_digits + "0"
        if len(clearing_digits) == 4 and clearing_digits[0] == "8"
        else clearing_digits
    )
    try:
        bankkonto.validate(checked, account_digits)
    except bankkonto.BankkontoException as exc:
        raise MandateRefused(
            f"clearingnummer {clearing} och kontonummer {account} är inget giltigt svenskt "
            f"bankkonto ({exc})",
            "account",
        ) from exc
    return clearing_digits, account_digits


def _mask_identity(identity: str) -> str:
    return f"{identity[:8]}-****"


def _mask_account(account: str) -> str:
    return "*" * max(len(account) - 4, 0) + account[-4:]


def _event(conn: Connection, payer_number: int, status: str, source: str, note: str | None) -> None:
    conn.execute(
        t.autogiro_mandate_events.insert().values(
            payer_number=payer_number,
            at=datetime.now(UTC),
            status=status,
            source=source,
            note=note,
        )
    )


def create(
    conn: Connection, crypt: MultiFernet, draft: MandateDraft, payer_number: int | None = None
) -> int:
    """Take a mandate in (status new) and return its payer number: the database's next, or
    ``payer_number`` when the payer chose it (an e-mandate from the internet bank)."""
    identity = identity_number(draft.identity)
    clearing, account = bank_account(draft.clearing, draft.account)
    if draft.amount.currency != "SEK" or draft.amount.ore < 100:
        raise MandateRefused("beloppet ska vara minst 1 krona", "amount")
    if not draft.consent_text.strip():
        raise MandateRefused("medgivandetexten saknas", "consent_text")
    now = datetime.now(UTC)
    chosen = {} if payer_number is None else {"payer_number": payer_number}
    payer_number = conn.execute(
        t.autogiro_mandates.insert()
        .values(
            **chosen,
            contributor_id=draft.contributor_id,
            network_id=draft.network_id,
            amount_ore=draft.amount.ore,
            currency="SEK",
            identity_enc=pii.encrypt(crypt, identity),
            identity_masked=_mask_identity(identity),
            clearing=clearing,
            account_enc=pii.encrypt(crypt, account),
            account_masked=_mask_account(account),
            consent_text=draft.consent_text,
            source=draft.source,
            status=MandateStatus.NEW,
            tk03_pending=False,
            created_at=now,
            updated_at=now,
        )
        .returning(t.autogiro_mandates.c.payer_number)
    ).scalar_one()
    if chosen and conn.dialect.name == "postgresql":
        # A number given by hand leaves PostgreSQL's sequence behind: move it past the highest
        # payer number, so the next mandate from the form takes a free one.
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('autogiro_mandates', 'payer_number'), "
                "(SELECT max(payer_number) FROM autogiro_mandates))"
            )
        )
    source = "gåvoformuläret" if draft.source == FORM else "internetbanken"
    _event(conn, payer_number, MandateStatus.NEW, source, None)
    return int(payer_number)


def _from_row(row: Any) -> Mandate:
    return Mandate(
        row.payer_number,
        row.contributor_id,
        row.network_id,
        Money(row.amount_ore, row.currency),
        row.identity_masked,
        row.clearing,
        row.account_masked,
        row.consent_text,
        row.source,
        MandateStatus(row.status),
        bool(row.tk03_pending),
        row.created_at,
    )


def get(conn: Connection, payer_number: int, *, lock: bool = False) -> Mandate:
    query = select(t.autogiro_mandates).where(t.autogiro_mandates.c.payer_number == payer_number)
    row = conn.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise MandateNotFound(f"inget autogiromedgivande har betalarnummer {payer_number}")
    return _from_row(row)


def secrets(conn: Connection, crypt: MultiFernet, payer_number: int) -> Mapping[str, str]:
    """The identity number and account in clear, for the mandate file only."""
    row = conn.execute(
        select(t.autogiro_mandates.c.identity_enc, t.autogiro_mandates.c.account_enc).where(
            t.autogiro_mandates.c.payer_number == payer_number
        )
    ).one()
    return {
        "identity": pii.decrypt(crypt, row.identity_enc),
        "account": pii.decrypt(crypt, row.account_enc),
    }


def record_status(
    conn: Connection,
    payer_number: int,
    status: MandateStatus,
    source: str,
    note: str | None = None,
    **columns: Any,
) -> bool:
    """Move a mandate to ``status`` (keeping the history); False when it is there already.
    A move the life of a mandate does not allow (a refused mandate made active) is refused."""
    mandate = get(conn, payer_number, lock=True)
    if mandate.status == status:
        return False
    if status not in _NEXT[mandate.status]:
        raise MandateRefused(
            f"medgivande {payer_number} är {mandate.status.value} och kan inte bli {status.value}",
            "status",
        )
    conn.execute(
        t.autogiro_mandates.update()
        .where(t.autogiro_mandates.c.payer_number == payer_number)
        .values(status=status, updated_at=datetime.now(UTC), **columns)
    )
    _event(conn, payer_number, status, source, note)
    return True


def note(conn: Connection, payer_number: int, source: str, text: str) -> None:
    """Keep a word in the mandate's history without changing its status (a mandate advice
    that confirms what is so, or that changes nothing)."""
    mandate = get(conn, payer_number)
    _event(conn, payer_number, mandate.status, source, text)


def cancel(conn: Connection, payer_number: int, source: str, note: str | None = None) -> bool:
    """End a mandate at our side (the donor's stop link, finance staff): no more debits from
    now on, and a TK03 in the next mandate file if Bankgirot has the mandate. False when it had
    ended already."""
    mandate = get(conn, payer_number, lock=True)
    if mandate.status in (MandateStatus.CANCELLED, MandateStatus.REFUSED):
        return False
    known_to_bankgirot = mandate.status in (MandateStatus.SENT, MandateStatus.ACTIVE)
    return record_status(
        conn, payer_number, MandateStatus.CANCELLED, source, note, tk03_pending=known_to_bankgirot
    )


def history(conn: Connection, payer_number: int) -> list[Any]:
    """The mandate's changes, oldest first: (at, status, source, note) rows."""
    e = t.autogiro_mandate_events.c
    return list(
        conn.execute(
            select(e.at, e.status, e.source, e.note)
            .where(e.payer_number == payer_number)
            .order_by(e.id)
        )
    )
