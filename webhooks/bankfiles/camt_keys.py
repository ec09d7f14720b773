"""The once-only key of a camt transaction: a name for the payment in the world, so that the
camt.054 notification and the day's camt.053 statement that report the same payment give it the
same key, and two payments never share one.

The first of these that the transaction has is its key (docs/ledger.md, "Source keys"):

1. ``swish:<16 digits>``: a Swish entry's clearing-system reference, Swish's own payment
   reference, the key the Swish report and the callbacks use too;
2. ``bank:<AcctSvcrRef>``: the transaction's own account-servicer reference
   (``TxDtls/Refs/AcctSvcrRef``), which the bank gives once per payment;
3. ``uetr:<UETR>``: the universal end-to-end reference of SWIFT gpi, a UUID and unique by
   construction, so it goes before the references a payer or an agent chooses;
4. ``txid:<TxId>``: the instructing agent's transaction id;
5. ``e2e:<EndToEndId>``: the payer's end-to-end reference, unless it is a placeholder such as
   ``NOTPROVIDED``;
6. the entry's reference when the transaction has none of its own: ``bank:<Ntry/AcctSvcrRef>``,
   else ``ntry:<account>:<booking day>:<NtryRef>`` (an entry reference is only unique within
   the account's report of the day), with ``:<position>`` of the transaction in the entry
   when the entry holds several.

``AcctSvcrRef`` is optional in ISO 20022, so a file without it is read by the other references.
Where several transactions of one entry would share a key (a bank that repeats the entry's
reference on each), each gets ``:<position>``. A reference that is not the bank's unique one
(``txid``, ``e2e``, ``ntry``) and comes again in a later entry of the same file gets ``:<n>``
for its n-th time (``#2``), so two payments in one file never share a key. A reversal
(``RvslInd``) has the key of the payment it reverses with ``:reversal`` after it.
"""

from __future__ import annotations

from datetime import date

from webhooks.bankfiles.camt_fields import Fields

__all__ = ["FileKeys", "entry_key", "reversal_key", "transaction_key"]

_PLACEHOLDERS = frozenset({"NOTPROVIDED", "NOT PROVIDED", "NONREF"})
_NOT_UNIQUE = ("txid:", "e2e:", "ntry:")


def _given(text: str | None) -> str | None:
    if text is None or text.upper() in _PLACEHOLDERS:
        return None
    return text


def transaction_key(tx: Fields, swish_reference: str | None = None) -> str | None:
    """The key from the transaction's own references, or None when it has none."""
    if swish_reference is not None:
        return f"swish:{swish_reference}"
    if ref := _given(tx.get("Refs/AcctSvcrRef")):
        return f"bank:{ref}"
    if uetr := _given(tx.get("Refs/UETR")):
        return f"uetr:{uetr.lower()}"
    if txid := _given(tx.get("Refs/TxId")):
        return f"txid:{txid}"
    if e2e := _given(tx.get("Refs/EndToEndId")):
        return f"e2e:{e2e}"
    return None


def entry_key(entry: Fields, account: str | None, booked: date) -> str | None:
    """The key from the entry's references (without the position), or None when it has none."""
    if ref := _given(entry.get("AcctSvcrRef")):
        return f"bank:{ref}"
    if ref := _given(entry.get("NtryRef")):
        return f"ntry:{account or '-'}:{booked.isoformat()}:{ref}"
    return None


def reversal_key(original: str) -> str:
    """The key of the line that reverses the payment keyed ``original``."""
    return f"{original}:reversal"


class FileKeys:
    """Keys from references that need not be unique, already given in this file, so a repeat
    gets its occurrence number.

    Only ``txid``/``e2e``/``ntry`` keys are remembered: the bank's own references are unique by the
    bank's contract (a repeat is a conflict for the importer to show), and remembering every key
    of a million-payment file would cost the memory the streaming reader saves.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def unique(self, key: str) -> str:
        if not key.startswith(_NOT_UNIQUE):
            return key
        count = self._seen.get(key, 0) + 1
        self._seen[key] = count
        return key if count == 1 else f"{key}#{count}"
