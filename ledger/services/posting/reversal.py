"""Reversing an entry: book its mirror (debits become credits), linked to it, never twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger.entries import Draft, LineDraft, PostedEntry
from ledger.errors import AlreadyReversed, EntryNotFound
from ledger.services import journal
from ledger.services.posting.database_errors import translate
from ledger.services.posting.writer import Writer


def reverse(
    conn: Connection,
    entry_id: int,
    *,
    on: date | None = None,
    text_: str | None = None,
    created_by: int | None = None,
) -> PostedEntry:
    """Book the mirror of an entry (debits become credits), linked to it; never twice."""
    original = journal.get_entry(conn, entry_id)
    if original is None:
        raise EntryNotFound(f"no entry {entry_id}", "id")
    if original.reversed_by_id is not None:
        raise AlreadyReversed(
            f"{original.voucher} ({original.fiscal_year}) is already reversed by entry "
            f"{original.reversed_by_id}",
            "id",
        )
    slugs = journal.network_slugs(conn)
    draft = Draft(
        date=on or date.today(),
        # the original's text is not copied: an entry booked before names left the texts may
        # carry a payer's name, and a correction must not write it into the chain again
        text=text_ or f"Rättelse av {original.voucher} ({original.fiscal_year})",
        series=original.series,
        source_kind="reversal",
        source_key=f"reversal:{original.id}",
        lines=tuple(
            LineDraft(
                account=ln.account,
                debit_ore=ln.credit_ore,
                credit_ore=ln.debit_ore,
                currency=ln.currency,
                network=slugs[ln.network_id] if ln.network_id is not None else None,
                contributor_id=ln.contributor_id,
            )
            for ln in original.lines
        ),
    )
    draft.validate()
    try:
        with conn.begin_nested():
            writer = Writer(conn, created_by)
            again = journal.get_entry(conn, entry_id)
            if again is not None and again.reversed_by_id is not None:
                raise AlreadyReversed(f"{original.voucher} is already reversed", "id")
            entry = writer.prepare(draft, draft.source_key or "", reverses_id=original.id)
            writer.flush()
    except IntegrityError as exc:
        if journal.find_by_source_key(conn, f"reversal:{original.id}") is not None:
            raise AlreadyReversed(f"{original.voucher} is already reversed", "id") from exc
        raise translate(exc) from exc
    except DBAPIError as exc:
        raise translate(exc) from exc
    return entry
