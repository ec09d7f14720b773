"""An Autogiro report from Bankgirot (mandate advice, payment specification, e-mandates, ...)
imported from the app's edges: ``kassan import FILE``, the finance desk's upload at
``/finance/imports`` and ``POST /api/v1/bank-imports``. Each one tells the file from its first
record (``detect_autogiro``) and calls ``webhooks.autogiro.incoming.import_autogiro`` in one
transaction, so the three cannot disagree.

Autogiro files are one record per donor and month, far from the size a bank statement can
reach, so they are imported at once, in the request, rather than queued for the background
import worker (whose jobs are bank-file imports, line by line in chunks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from sqlalchemy import Engine

from ledger.errors import DeskRefused
from ledger.money import Money
from ledger.services import pii
from reports.display import format_money
from webhooks.autogiro.incoming import AutogiroImport, import_autogiro
from webhooks.bankfiles.autogiro import detect_autogiro

__all__ = ["MAX_BYTES", "as_dict", "import_report", "is_autogiro", "render"]

MAX_BYTES = 32 * 1024 * 1024  # some 400,000 records: far beyond an organisation's month
_HEAD = 4096


def is_autogiro(stream: IO[bytes]) -> bool:
    """Whether the upload is an Autogiro file; the stream is left where it was."""
    start = stream.tell()
    head = stream.read(_HEAD)
    stream.seek(start)
    return detect_autogiro(head) is not None


def _bankgiro(config: Mapping[str, Any]) -> str:
    digits = "".join(c for c in str(config.get("BANKGIRO") or "") if c.isdigit())
    if not digits:
        raise DeskRefused("Autogirofiler läses bara in när KASSAN_BANKGIRO är satt", "file")
    return digits


def import_report(
    engine: Engine, config: Mapping[str, Any], stream: IO[bytes], filename: str
) -> AutogiroImport:
    """Read the whole file (at most ``MAX_BYTES``) and import it in one transaction."""
    bankgiro = _bankgiro(config)
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DeskRefused(
            f"{filename}: Autogirofilen är större än {MAX_BYTES // (1024 * 1024)} MB", "file"
        )
    with engine.begin() as conn:
        return import_autogiro(
            conn, bankgiro, data, filename, mail_config=config, crypt=pii.cipher(config)
        )


def _kr(ore: int) -> str:
    return format_money(Money(ore, "SEK"))


def render(result: AutogiroImport) -> list[str]:
    """The result line by line, in Swedish, as ``kassan import`` prints it and the desk shows
    it: what was booked, confirmed, in conflict and listed, the file's totals, the verdict."""
    lines = [
        f"Autogirofil {result.filename} ({result.kind.value}): {result.records} poster",
        f"  bokförda:        {len(result.booked)}",
        f"  redan bokförda:  {len(result.already)} (bekräftade, samma innehåll)",
        f"  i konflikt:      {len(result.conflicts)} (inte bokförda)",
    ]
    for title, outcomes in (
        ("BOKFÖRD", result.booked),
        ("REDAN BOKFÖRD", result.already),
        ("KONFLIKT", result.conflicts),
        ("NOTERAD", result.listed),
    ):
        for o in outcomes:
            amount = f", {format_money(o.amount)}" if o.amount is not None else ""
            voucher = f" [{o.voucher}]" if o.voucher else ""
            lines.append(
                f"  {title} rad {o.line}: betalarnummer {o.payer_number}{amount}: {o.what}{voucher}"
            )
    for ctl in result.controls:
        mark = "ok" if ctl.ok else "AVVIKER"
        lines.append(f"  filen: {ctl.what}: {ctl.declared}, läst: {ctl.computed} [{mark}]")
    if result.file_ore is not None:
        held = result.booked_ore + result.already_ore
        mark = "ok" if held == result.file_ore else "AVVIKER"
        lines.append(
            f"  filens nettobelopp: {_kr(result.file_ore)}, i bokföringen: "
            f"{_kr(result.booked_ore)} nu + {_kr(result.already_ore)} redan [{mark}]"
        )
    lines.extend(f"  AVVIKER: {problem}" for problem in result.problems)
    lines.append(
        "  filen och bokföringen stämmer [ok]"
        if result.ok
        else "  filen och bokföringen stämmer inte: se ovan [AVVIKER]"
    )
    return lines


def _outcomes(outcomes: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "line": o.line,
            "payer_number": o.payer_number,
            "amount_ore": o.amount.ore if o.amount is not None else None,
            "what": o.what,
            "voucher": o.voucher,
        }
        for o in outcomes
    ]


def as_dict(result: AutogiroImport) -> dict[str, Any]:
    """The result as the API answers it."""
    return {
        "filename": result.filename,
        "kind": result.kind.value,
        "records": result.records,
        "ok": result.ok,
        "booked": _outcomes(result.booked),
        "already": _outcomes(result.already),
        "conflicts": _outcomes(result.conflicts),
        "listed": _outcomes(result.listed),
        "problems": list(result.problems),
        "controls": [
            {"what": c.what, "declared": c.declared, "computed": c.computed, "ok": c.ok}
            for c in result.controls
        ],
        "file_ore": result.file_ore,
        "booked_ore": result.booked_ore,
        "already_ore": result.already_ore,
    }
