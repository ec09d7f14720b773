"""The finance desk's actions on bank lines whose money still sits in suspense (2890).

Each action moves part of a line's ``open_ore`` out of suspense with one entry per target, in
series A (allocations): 2890 / 3993 (network, contributor) for a gift, collection or
unrestricted money; 2890 / 1510 for an invoice; 2890 / 1930 when the money is sent back to
its sender. It records a ``bank_line_allocations`` row, lowers the line's ``open_ore`` and,
for an expected payment, records the receipt there. An undo is the reversal of that entry,
which gives the amount back to ``open_ore``; nothing is ever edited.

A double submit books nothing twice: every form carries a token, and the entries' source keys
(``desk:<token>:<n>``) are unique in the journal. The allocation rows are written in the same
transaction as their entry, and only by the call that booked it.

The package's modules: ``records`` (targets, parts, allocations), ``booking`` (one part booked),
``allocating`` (the desk's actions) and ``undoing``. Callers use the names below:
``reconcile.allocate``.
"""

from __future__ import annotations

from ledger.services.reconcile.allocating import allocate, allocate_lines
from ledger.services.reconcile.records import Allocation, Part, Target, allocations_for
from ledger.services.reconcile.undoing import undo

__all__ = ["Allocation", "Part", "Target", "allocate", "allocate_lines", "allocations_for", "undo"]
