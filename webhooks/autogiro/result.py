"""What importing one report from Bankgirot did, record by record, for people and for the
command's exit code: booked now, booked before with the same content, conflicts, listed."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.money import Money
from webhooks.bankfiles.autogiro import FileKind
from webhooks.bankfiles.records import ControlTotal

__all__ = ["AutogiroImport", "Outcome"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One record and what became of it, for people: ``what`` is Swedish."""

    line: int
    payer_number: int
    amount: Money | None
    what: str
    voucher: str | None = None


@dataclass
class AutogiroImport:
    filename: str
    kind: FileKind
    records: int
    controls: tuple[ControlTotal, ...]
    booked: list[Outcome] = field(default_factory=list)
    already: list[Outcome] = field(default_factory=list)
    conflicts: list[Outcome] = field(default_factory=list)
    listed: list[Outcome] = field(default_factory=list)  # failed, renewed, rejected, changes
    problems: list[str] = field(default_factory=list)
    file_ore: int | None = None  # the file's own net amount, when it moves money
    booked_ore: int = 0  # signed, as 1930 moved: now (or a bank line moved it, see deposits)
    already_ore: int = 0  # signed: booked before with the same content

    @property
    def ok(self) -> bool:
        agree = self.file_ore is None or self.file_ore == self.booked_ore + self.already_ore
        controls = all(c.ok for c in self.controls)
        return agree and controls and not self.conflicts and not self.problems
