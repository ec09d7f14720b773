"""The only writer of journal entries.

``post`` books one entry, ``submit`` books one in a transaction of its own together with
concurrent submits (group commit, ``sequencer``), ``post_many`` books a stream of them in
batches (the path bank imports and demo seeding use), ``reverse`` books the mirror of an
entry. All of them:

* validate in Python first (``Draft.validate`` and the chart, dimensions and periods here);
* take the ledger's head row lock, so numbers and the hash chain are assigned in one order
  even with several app servers on one PostgreSQL;
* write the lines, then the entry (the database's triggers check the lines against it),
  then the kept balances and the new head, all in the caller's transaction (``submit``:
  in the batch's own);
* book an external fact at most once: a source key already booked returns the first entry.

The package's modules: ``booking`` (``post``, ``post_once``, ``post_many``), ``reversal``
(``reverse``), ``sequencer`` (``submit``), ``writer`` (``prepare`` and the writes) and
``database_errors`` (what the database refused, in the ledger's words). Callers use the names
below: ``posting.post``.
"""

from __future__ import annotations

from ledger.services.posting.booking import BulkResult, post, post_many, post_once
from ledger.services.posting.reversal import reverse
from ledger.services.posting.sequencer import Sequencer, sequencer_for, submit
from ledger.services.posting.writer import BULK_THRESHOLD

__all__ = [
    "BULK_THRESHOLD",
    "BulkResult",
    "Sequencer",
    "post",
    "post_many",
    "post_once",
    "reverse",
    "sequencer_for",
    "submit",
]
