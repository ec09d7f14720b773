"""Turning a draft into what the writer inserts, with no database: its lines checked against
the chart and the networks and numbered, its id, number and hash, and the row tuples.

``Writer.prepare`` reads what these need (the chart, the networks, the series' last number,
the head's last id and hash) under the head lock and calls them; kept apart, each decision is
tested without a database (tests/unit/test_posting_prepare.py).
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import date

from ledger.entries import Draft, PostedEntry, PostedLine, entry_hash
from ledger.errors import UnknownAccount, UnknownDimension

__all__ = [
    "ENTRY_COLUMNS",
    "LINE_COLUMNS",
    "entry_row",
    "line_rows",
    "posted_entry",
    "posted_lines",
]

# The column order of the rows below, as the writer's INSERT and COPY name them.
ENTRY_COLUMNS = (
    "id",
    "series",
    "number",
    "fiscal_year",
    "date",
    "text",
    "source_kind",
    "source_key",
    "reverses_id",
    "prev_hash",
    "hash",
    "created_by",
)
LINE_COLUMNS = (
    "entry_id",
    "line_no",
    "account",
    "debit_ore",
    "credit_ore",
    "currency",
    "network_id",
    "contributor_id",
)


def posted_lines(
    draft: Draft, accounts: Container[str], networks: Mapping[str, int]
) -> tuple[PostedLine, ...]:
    """The draft's lines numbered from 1, each network slug replaced by its id.

    An account not in ``accounts`` raises ``UnknownAccount``, a slug not in ``networks``
    ``UnknownDimension``; both name the line (``lines[i].account``), the first one found wins.
    """
    out = []
    # Bulk posting runs this for every entry: locals instead of attribute look-ups, and the
    # named tuple built without its Python-level ``__new__``.
    new, line_type = tuple.__new__, PostedLine
    for i, ln in enumerate(draft.lines, start=1):
        account = ln.account
        if account not in accounts:
            raise UnknownAccount(
                f"account {account} is not in the chart", f"lines[{i - 1}].account"
            )
        network_id = None
        slug = ln.network
        if slug is not None:
            network_id = networks.get(slug)
            if network_id is None:
                raise UnknownDimension(f"no network {slug!r}", f"lines[{i - 1}].network")
        out.append(
            new(
                line_type,
                (
                    i,
                    account,
                    ln.debit_ore,
                    ln.credit_ore,
                    ln.currency,
                    network_id,
                    ln.contributor_id,
                ),
            )
        )
    return tuple(out)


def posted_entry(
    draft: Draft,
    key: str,
    lines: tuple[PostedLine, ...],
    *,
    entry_id: int,
    number: int,
    fiscal_year: int,
    prev_hash: str,
    reverses_id: int | None = None,
) -> PostedEntry:
    """The entry as it will be stored, with its hash over its content and ``prev_hash``.

    The hash is computed first and the entry built once (``entry_hash`` is what
    ``PostedEntry.content_hash`` calls, so ``verify`` recomputes the same digest)."""
    digest = entry_hash(
        id=entry_id,
        series=draft.series,
        number=number,
        fiscal_year=fiscal_year,
        date=draft.date,
        text=draft.text,
        source_kind=draft.source_kind,
        source_key=key,
        reverses_id=reverses_id,
        prev_hash=prev_hash,
        lines=lines,
    )
    return PostedEntry(
        id=entry_id,
        series=draft.series,
        number=number,
        fiscal_year=fiscal_year,
        date=draft.date,
        text=draft.text,
        source_kind=draft.source_kind,
        source_key=key,
        reverses_id=reverses_id,
        prev_hash=prev_hash,
        hash=digest,
        lines=lines,
    )


def entry_row(
    entry: PostedEntry, created_by: int | None, *, date_as_text: bool, hash_as_bytes: bool
) -> tuple[object, ...]:
    """The ``journal_entries`` row, in ``ENTRY_COLUMNS`` order. ``date_as_text``: SQLite's
    bulk path writes through JSON, so the date goes as its ISO text. ``hash_as_bytes``:
    PostgreSQL keeps the two hashes as their 32 bytes (``Sha256``)."""
    day: date | str = entry.date.isoformat() if date_as_text else entry.date
    return (
        entry.id,
        entry.series,
        entry.number,
        entry.fiscal_year,
        day,
        entry.text,
        entry.source_kind,
        entry.source_key,
        entry.reverses_id,
        bytes.fromhex(entry.prev_hash) if hash_as_bytes else entry.prev_hash,
        bytes.fromhex(entry.hash) if hash_as_bytes else entry.hash,
        created_by,
    )


def line_rows(entry: PostedEntry) -> list[tuple[object, ...]]:
    """The ``journal_lines`` rows, in ``LINE_COLUMNS`` order."""
    return [(entry.id, *pl) for pl in entry.lines]
