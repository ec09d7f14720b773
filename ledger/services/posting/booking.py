"""Booking entries: ``post`` and ``post_once`` for one, ``post_many`` for a stream in batches
(bank imports, demo seeding); an already booked source key returns the first entry."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger.entries import Draft, PostedEntry
from ledger.errors import LedgerError
from ledger.services import journal
from ledger.services.posting import direct, pipeline
from ledger.services.posting.database_errors import translate
from ledger.services.posting.writer import Writer


@dataclass(frozen=True, slots=True)
class BulkResult:
    posted: int
    duplicates: int
    lines: int


def post(conn: Connection, draft: Draft, *, created_by: int | None = None) -> PostedEntry:
    """Book one entry and return it; an already booked source key returns the first entry."""
    return post_once(conn, draft, created_by=created_by)[0]


def post_once(
    conn: Connection, draft: Draft, *, created_by: int | None = None
) -> tuple[PostedEntry, bool]:
    """Like ``post``, and also say whether this call booked it (False: it was booked before)."""
    draft.validate()
    key = draft.source_key or f"{draft.source_kind}:{uuid.uuid4().hex}"
    if pipeline.usable(conn):
        return pipeline.post_once(conn, draft, key, created_by)
    if direct.usable(conn):
        return direct.post_once(conn, draft, key, created_by)
    try:
        with conn.begin_nested():
            writer = Writer(conn, created_by, one=(draft, key))
            # The source key is looked up once, under the head lock: no writer can book the
            # same fact between this look-up and our insert.
            if writer.booked_id is not None:
                found = journal.get_entry(conn, writer.booked_id)
                if found is not None:
                    return found, False
            entry = writer.prepare(draft, key)
            writer.flush()
    except IntegrityError as exc:
        found = journal.find_by_source_key(conn, key)
        if found is not None:
            return found, False
        raise translate(exc) from exc
    except DBAPIError as exc:
        raise translate(exc) from exc
    return entry, True


def post_many(
    conn: Connection,
    drafts: Iterable[Draft],
    *,
    batch_size: int = 20_000,
    created_by: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BulkResult:
    """Book many entries in the caller's transaction; skips source keys already booked.

    Every entry must carry its own source key (bulk sources are external facts). ``progress``
    is called with the number of entries handled after each batch.
    """
    posted = duplicates = lines = 0
    it = iter(drafts)
    while batch := list(islice(it, batch_size)):
        for draft in batch:
            draft.validate()
            if draft.source_key is None:
                raise LedgerError("bulk entries need a source key", "source_key")
        try:
            writer = Writer(conn, created_by)
            # One look-up for the batch's contributors, not one per contributor first seen.
            writer.contributors |= journal.existing_contributors(
                conn,
                {
                    ln.contributor_id
                    for d in batch
                    for ln in d.lines
                    if ln.contributor_id is not None
                },
            )
            seen = journal.booked_source_keys(conn, [d.source_key for d in batch])  # type: ignore[misc]
            for draft in batch:
                key = draft.source_key
                assert key is not None
                if key in seen:
                    duplicates += 1
                    continue
                seen.add(key)
                entry = writer.prepare(draft, key)
                lines += len(entry.lines)
                posted += 1
            writer.flush()
        except DBAPIError as exc:
            raise translate(exc) from exc
        if progress is not None:
            progress(posted + duplicates)
    return BulkResult(posted=posted, duplicates=duplicates, lines=lines)
