"""Figures read from the tables besides the journal, kept per process while they hold.

The whole funding gap is kept under the ledger head and the change mark together: every table
it reads is either under the mark (migrations 0031 and 0032) or changes only with a posting
(the kept balances, the journal's allocation entries).

The funding gap's monthly gifts (one grouped scan of every monthly gift, the larger part of a
warm dashboard) and commitments, and the dashboard's monthly givers started and stopped, read
gifts, expected payments, Autogiro mandates and their events, pledges, their instalments and
invoices: tables that change without a posting (a subscription cancelled, a gift started).
Migration 0031's triggers raise ``funding_change_mark.version`` with every committed change of
them, so ``kept`` reads that one row first and answers from what it kept under the same
version, or reads afresh and keeps that.

Never stale: the version is read before the figures, so what is kept under a version holds at
least every change up to it; a change committed later raises the version, and the next read
sees the new one and reads afresh. Kept per engine (one database each), at most ``KEPT``
answers each, the oldest dropped first. Answers are frozen records or tuples, so a caller
cannot change what the next one gets. A forked child starts with a fresh lock and nothing
kept (``os.register_at_fork``).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, select

from ledger.db import tables as t

__all__ = ["KEPT", "kept", "version"]

KEPT = 64  # answers kept per engine: a few views (years, networks) on a few days
T = TypeVar("T")

_kept: WeakKeyDictionary[Engine, OrderedDict[Hashable, tuple[Hashable, object]]] = (
    WeakKeyDictionary()
)
_lock = threading.Lock()


def _after_fork_in_child() -> None:
    """A child forked while another thread held ``_lock`` would wait for it forever (that
    thread does not exist in the child), and what the lock guarded may be half changed: the
    child starts with a fresh lock and nothing kept (it reads afresh on first use)."""
    global _kept, _lock
    _kept = WeakKeyDictionary()
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def version(conn: Connection) -> int:
    """The change mark's version as ``conn`` sees it now."""
    m = t.funding_change_mark.c
    return int(conn.scalar(select(m.version).where(m.id == 1)) or 0)


def _marks(conn: Connection, head: bool) -> Hashable:
    """The change mark's version, and with ``head`` the ledger head's last entry, in one read."""
    if not head:
        return version(conn)
    m, h = t.funding_change_mark.c, t.ledger_head.c
    row = conn.execute(
        select(
            select(m.version).where(m.id == 1).scalar_subquery(),
            select(h.last_entry_id).where(h.id == 1).scalar_subquery(),
        )
    ).one()
    return (int(row[0] or 0), int(row[1] or 0))


def kept(conn: Connection, key: Hashable, read: Callable[[], T], *, head: bool = False) -> T:
    """``read()``'s answer for ``key``, kept while the change mark's version stands (and with
    ``head``, while the ledger head stands too: for figures that also read the journal or the
    kept balances, which change only with a posting, and a posting moves the head in its own
    transaction)."""
    now = _marks(conn, head)
    with _lock:
        answers = _kept.setdefault(conn.engine, OrderedDict())
        found = answers.get(key)
        if found is not None and found[0] == now:
            answers.move_to_end(key)
            return found[1]  # type: ignore[return-value]
    answer = read()
    with _lock:
        answers[key] = (now, answer)
        answers.move_to_end(key)
        while len(answers) > KEPT:
            answers.popitem(last=False)
    return answer
