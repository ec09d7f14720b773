"""The fields of camt elements: an element walked once into a flat ``{"A/B/C": text}`` map, and
amounts, signs, dates and statuses read from it with the field's path in every error.

Each element is walked once (first occurrence wins; ``Ustrd`` lines are joined): twenty
``find`` calls per entry cost four times as much, and a benchmark file has a hundred thousand
entries.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from ledger.money import Money
from webhooks.errors import CamtEntryInvalid

__all__ = ["Fields", "day", "first", "flatten", "money", "ore", "sign", "status"]

Fields = dict[str, str]

_LOCAL: dict[str, str] = {}  # "{urn:...}Local" -> "Local": a file has a few dozen tags


def flatten(element: etree._Element, skip: str = "") -> Fields:
    """``{"path/below/element": text}`` for every element under ``element`` that has text,
    and ``"path@Ccy"`` for amounts; the subtree named ``skip`` (a child) is left out."""
    out: Fields = {}
    local = _LOCAL
    stack: list[tuple[etree._Element, str]] = [(element, "")]
    while stack:
        parent, prefix = stack.pop()
        for child in parent:
            tag = child.tag
            name = local.get(tag)
            if name is None:
                # Every element of a camt document is in its one namespace: "{urn:...}Local".
                name = local[tag] = tag[tag.find("}") + 1 :]
            path = prefix + name
            if path == skip:
                continue
            text = child.text
            if text is not None and (text := text.strip()):
                if path not in out:
                    out[path] = text
                    if name == "Amt":
                        out[path + "@Ccy"] = child.get("Ccy", "")
                elif name == "Ustrd":
                    out[path] += " " + text
            if len(child):
                stack.append((child, path + "/"))
    return out


def first(fields: Fields, *paths: str) -> str | None:
    """The text at the first of ``paths`` that the element has (paths moved between versions)."""
    for path in paths:
        value = fields.get(path)
        if value is not None:
            return value
    return None


def money(fields: Fields, path: str, line: int | None) -> Money | None:
    """The amount at ``path`` in its ``Ccy``, unsigned; None when the element is absent."""
    text = fields.get(path)
    if text is None:
        return None
    currency = fields.get(f"{path}@Ccy", "")
    amount = ore(text)
    if amount is None:
        raise CamtEntryInvalid(line, path, f"beloppet är inget belopp i öre: {text!r}")
    try:
        return Money(amount, currency)
    except ValueError as exc:
        raise CamtEntryInvalid(
            line, path, f"beloppet {text!r} {currency!r} går inte att läsa: {exc}"
        ) from exc


def sign(indicator: str | None, line: int | None) -> int:
    """+1 for ``CRDT`` (money in), -1 for ``DBIT``."""
    if indicator == "CRDT":
        return 1
    if indicator == "DBIT":
        return -1
    raise CamtEntryInvalid(
        line, "CdtDbtInd", f"CdtDbtInd ska vara CRDT eller DBIT, är {indicator!r}"
    )


def day(fields: Fields, where: str, line: int | None) -> date | None:
    """The date of ``where`` (``BookgDt``, ``ValDt``): its ``Dt``, or the day of its ``DtTm``."""
    text = first(fields, f"{where}/Dt", f"{where}/DtTm")
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise CamtEntryInvalid(line, where, f"{where} är inget datum: {text!r}") from exc


def status(fields: Fields) -> str | None:
    """``BOOK``, ``PDNG``, ``INFO``...: ``<Sts>BOOK`` up to 001.06, ``<Sts><Cd>BOOK`` later."""
    return first(fields, "Sts/Cd", "Sts")


def ore(text: str | None) -> int | None:
    """An unsigned decimal amount (``"1284.30"``, ``"0"``) in öre, or None when it is none;
    digits past the second decimal must be zeros (an öre is not split)."""
    if text is None:
        return None
    # Parsed by hand, not through Decimal: a large file has a hundred thousand of them.
    whole, _, fraction = text.strip().partition(".")
    if not (whole.isdigit() and (fraction.isdigit() or not fraction)) or fraction[2:].strip("0"):
        return None
    return int(whole) * 100 + int((fraction[:2] or "0").ljust(2, "0"))
