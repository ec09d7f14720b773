"""Running tallies over the journal: grouped sums kept per process, brought up to date by
reading only the entries booked since the last read.

The journal is append-only and hash-chained (each entry's hash covers the one before), so a
tally that remembers the last entry it read and that entry's hash can prove, with one primary-key
read, that nothing it counted has changed; then only the lines of newer entries are read (a
range of the lines' primary key), however long the journal is. If that entry is gone or its
hash differs (another database behind the same URL, a restore), the tally starts again.
The newest entry comes from ``ledger_head``, which posting moves in the entry's own
transaction, so every entry up to it is committed.

What a tally groups by must not change for lines already counted: journal lines never change,
and a contributor's kind (person or organisation) is fixed when it is created.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, select

from ledger.db import tables as t

__all__ = ["Sums", "running"]

Sums = dict[tuple[Any, ...], list[int]]
# (after entry id, up to entry id) -> a select of rows (*key, *values)
QueryFor = Callable[[int, int], Select[Any]]


@dataclass(frozen=True, slots=True)
class _Tally:
    last_id: int = 0
    last_hash: str = ""
    sums: Sums = field(default_factory=dict)  # never changed once stored: a newer tally replaces it


_tallies: dict[tuple[str, str], _Tally] = {}
_lock = threading.Lock()


def _head(conn: Connection) -> tuple[int, str]:
    h = t.ledger_head.c
    row = conn.execute(select(h.last_entry_id, h.last_hash).where(h.id == 1)).first()
    return (int(row[0]), str(row[1])) if row else (0, "")


def _still_there(conn: Connection, tally: _Tally) -> bool:
    if tally.last_id == 0:
        return True
    e = t.journal_entries.c
    return conn.scalar(select(e.hash).where(e.id == tally.last_id)) == tally.last_hash


def running(conn: Connection, name: str, keys: int, query_for: QueryFor) -> Sums:
    """The sums of ``query_for``'s rows over the whole journal, grouped by their first ``keys``
    columns; ``name`` names the tally (with everything the query depends on, e.g. the year)."""
    slot = (conn.engine.url.render_as_string(hide_password=True), name)
    head_id, head_hash = _head(conn)
    with _lock:
        tally = _tallies.get(slot) or _Tally()
    if tally.last_id > head_id or not _still_there(conn, tally):
        tally = _Tally()
    if tally.last_id < head_id:
        sums = {k: list(v) for k, v in tally.sums.items()}
        for row in conn.execute(query_for(tally.last_id, head_id)):
            key, values = tuple(row[:keys]), row[keys:]
            got = sums.setdefault(key, [0] * len(values))
            for i, value in enumerate(values):
                got[i] += int(value or 0)
        tally = _Tally(head_id, head_hash, sums)
        with _lock:
            _tallies[slot] = tally
    return {k: list(v) for k, v in tally.sums.items()}
