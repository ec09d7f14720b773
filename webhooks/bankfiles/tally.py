"""The check that every krona of a file reached the books (issue 11, rule 3), as pure arithmetic.

The file's own totals (what the parser read, which it has already held against the file's
control totals) are set beside what the import did with each line: booked now, already booked
with the same content (``confirmed``), or not booked at all (a ``conflict``). Per group: a
BgMax deposit, a camt account's statement or notification, a Swish report's account. They
agree when file = booked + already booked; for a statement that gives balances, opening +
booked + already booked must also equal closing. Every disagreement is a Swedish sentence
naming the group and the difference, for the CLI, the desk and the API alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.money import Money
from webhooks.bankfiles.decide import Match, MatchKind
from webhooks.bankfiles.records import Balance, BankLine

__all__ = ["GroupTotal", "Tally", "group_of"]


def group_of(line: BankLine) -> str:
    """The part of the file whose totals a line counts towards."""
    account = line.account or "okänt konto"
    deposit = line.detail("deposit_serial")
    return f"{account} insättning {deposit}" if deposit else account


@dataclass
class GroupTotal:
    """One group's totals in öre, signed (money in positive): the file's, and what was done."""

    group: str
    account: str
    currency: str
    file_count: int = 0
    file_ore: int = 0
    booked_count: int = 0  # booked by this import
    booked_ore: int = 0
    already_count: int = 0  # booked before, verified to say the same thing
    already_ore: int = 0
    conflict_count: int = 0  # booked nowhere: the key is booked with other content
    conflict_ore: int = 0

    @property
    def difference_ore(self) -> int:
        """What the file holds beyond what the books now hold for it."""
        return self.file_ore - self.booked_ore - self.already_ore

    def as_dict(self) -> dict[str, object]:
        return {
            "group": self.group,
            "account": self.account,
            "currency": self.currency,
            "file_count": self.file_count,
            "file_ore": self.file_ore,
            "booked_count": self.booked_count,
            "booked_ore": self.booked_ore,
            "already_count": self.already_count,
            "already_ore": self.already_ore,
            "conflict_count": self.conflict_count,
            "conflict_ore": self.conflict_ore,
            "difference_ore": self.difference_ore,
        }


class Tally:
    """Running totals per group, added to batch by batch as the import books."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], GroupTotal] = {}

    def add(self, lines: Sequence[BankLine], matches: Sequence[Match]) -> None:
        for line, match in zip(lines, matches, strict=True):
            currency = line.amount.currency
            name = group_of(line)
            total = self.groups.get((name, currency))
            if total is None:
                total = GroupTotal(name, line.account or "okänt konto", currency)
                self.groups[(name, currency)] = total
            ore = line.amount.ore
            total.file_count += 1
            total.file_ore += ore
            if match.kind == MatchKind.CONFLICT:
                total.conflict_count += 1
                total.conflict_ore += ore
            elif match.kind == MatchKind.CONFIRMED:
                total.already_count += 1
                total.already_ore += ore
            else:
                total.booked_count += 1
                total.booked_ore += ore

    def totals(self) -> list[GroupTotal]:
        return list(self.groups.values())

    def problems(self, balances: Sequence[Balance] = ()) -> list[str]:
        """Every way the books fail to hold the file, in Swedish; empty when they hold it."""
        out = []
        for g in self.groups.values():
            if g.difference_ore == 0:
                continue
            out.append(
                f"{g.group}: filen {_kr(g.file_ore, g.currency)}, bokfört nu "
                f"{_kr(g.booked_ore, g.currency)} och redan bokfört "
                f"{_kr(g.already_ore, g.currency)}; skillnad {_kr(g.difference_ore, g.currency)}"
                + (f" ({g.conflict_count} i konflikt, inte bokförda)" if g.conflict_count else "")
            )
        out.extend(self._balance_problems(balances))
        return out

    def _balance_problems(self, balances: Sequence[Balance]) -> list[str]:
        by_account: dict[str, list[Balance]] = {}
        for b in balances:
            by_account.setdefault(b.account, []).append(b)
        out = []
        for account, found in by_account.items():
            opening, closing = found[0].opening, found[-1].closing
            held = sum(
                g.booked_ore + g.already_ore
                for g in self.groups.values()
                if g.account == account and g.currency == opening.currency
            )
            if opening.ore + held != closing.ore:
                out.append(
                    f"{account}: ingående saldo {opening} + bokfört "
                    f"{_kr(held, opening.currency)} ger {_kr(opening.ore + held, opening.currency)}"
                    f", men utgående saldo är {closing}"
                )
        return out


def _kr(ore: int, currency: str) -> str:
    return str(Money(ore, currency))
