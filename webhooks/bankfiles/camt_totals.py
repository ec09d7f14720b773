"""A camt statement's or notification's own totals beside what was read: the transaction
summary (``TxsSummry``: number of entries, their sum, the net, credits and debits apart) and, in
a camt.053, the opening balance plus the booked entries against the closing balance.

Each total that disagrees is one ``(field, message)`` for the file's errors, with both figures;
every total is also kept as a ``ControlTotal`` for the import's summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ledger.money import Money
from webhooks.bankfiles.camt_fields import Fields, ore
from webhooks.bankfiles.records import ControlTotal

__all__ = ["Tally"]


@dataclass(slots=True)
class _Count:
    entries: int = 0
    sum_ore: int = 0  # unsigned, as TxsSummry's Sum
    net_ore: int = 0  # signed: credits minus debits
    credits: int = 0
    credit_ore: int = 0
    debits: int = 0
    debit_ore: int = 0

    def add(self, ore_: int, credit: bool) -> None:
        self.entries += 1
        self.sum_ore += ore_
        self.net_ore += ore_ if credit else -ore_
        if credit:
            self.credits += 1
            self.credit_ore += ore_
        else:
            self.debits += 1
            self.debit_ore += ore_


def _kr(ore_: int) -> str:
    return str(Money(ore_, "SEK").decimal)


@dataclass(slots=True)
class Tally:
    """The entries of one statement or notification as read: every entry (any status) and the
    booked ones apart, since banks differ in whether the summary counts pending entries."""

    every: _Count = field(default_factory=_Count)
    booked: _Count = field(default_factory=_Count)

    def add(self, fields: Fields, is_booked: bool) -> None:
        amount = ore(fields.get("Amt"))
        indicator = fields.get("CdtDbtInd")
        if amount is None or indicator not in ("CRDT", "DBIT"):
            # Not counted here; the entry itself is refused with its own message if booked.
            self.every.entries += 1
            if is_booked:
                self.booked.entries += 1
            return
        self.every.add(amount, indicator == "CRDT")
        if is_booked:
            self.booked.add(amount, indicator == "CRDT")

    def check_summary(
        self, summary: Fields, account: str
    ) -> tuple[list[ControlTotal], list[tuple[str, str]]]:
        """``TxsSummry`` against the entries read: controls, and errors as (field, message)."""
        controls: list[ControlTotal] = []
        errors: list[tuple[str, str]] = []
        net_text = summary.get("TtlNtries/TtlNetNtry/Amt") or summary.get("TtlNtries/TtlNetNtryAmt")
        net_sign = summary.get("TtlNtries/TtlNetNtry/CdtDbtInd") or summary.get(
            "TtlNtries/CdtDbtInd"
        )
        checks = [
            ("TtlNtries/NbOfNtries", "antal poster", lambda c: c.entries, False),
            ("TtlNtries/Sum", "summa poster", lambda c: c.sum_ore, True),
            ("TtlCdtNtries/NbOfNtries", "antal insättningar", lambda c: c.credits, False),
            ("TtlCdtNtries/Sum", "summa insättningar", lambda c: c.credit_ore, True),
            ("TtlDbtNtries/NbOfNtries", "antal uttag", lambda c: c.debits, False),
            ("TtlDbtNtries/Sum", "summa uttag", lambda c: c.debit_ore, True),
        ]
        for path, what, of, is_amount in checks:
            text = summary.get(path)
            if text is None:
                continue
            declared = ore(text) if is_amount else (int(text) if text.isdigit() else None)
            self._compare(controls, errors, account, path, what, declared, text, of, is_amount)
        if net_text is not None:
            declared = ore(net_text)
            if declared is not None and net_sign == "DBIT":
                declared = -declared
            self._compare(
                controls,
                errors,
                account,
                "TtlNtries/TtlNetNtry",
                "nettobelopp",
                declared,
                net_text,
                lambda c: c.net_ore,
                True,
            )
        return controls, errors

    def _compare(
        self,
        controls: list[ControlTotal],
        errors: list[tuple[str, str]],
        account: str,
        path: str,
        what: str,
        declared: int | None,
        text: str,
        of: Callable[[_Count], int],
        is_amount: bool,
    ) -> None:
        read = of(self.every)
        if declared is not None and declared != read:
            read = of(self.booked)
        unit = " (öre)" if is_amount else ""
        controls.append(ControlTotal(f"{account}: {what}{unit}", declared or 0, read))
        if declared is None:
            errors.append((f"TxsSummry/{path}", f"{what} är inget tal: {text!r}"))
        elif declared != read:
            shown = (_kr(declared), _kr(read)) if is_amount else (str(declared), str(read))
            errors.append(
                (
                    f"TxsSummry/{path}",
                    f"filen säger {what} {shown[0]}, men filens poster ger {shown[1]}",
                )
            )
