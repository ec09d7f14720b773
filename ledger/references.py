"""OCR references: the number a payer types with a bankgiro payment (or a Swish message) so the
payment finds what it pays for.

Kassan's references follow Bankgirot's "variable length with check digit and length digit"
control (OCR-kontroll med checksiffra och längdsiffra): digits only, 2 to 25 of them; the last
digit is the mod-10 (Luhn) check digit computed over everything before it, the length digit
included; the second to last is the total length mod 10 (a 12-digit reference ends in "2?").
Banks refuse a reference that fails either control when the bankgiro has that agreement, so a
mistyped reference is caught at the payer's bank, not in our matching.
"""

from __future__ import annotations

from stdnum import luhn

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "is_valid_reference", "make_reference", "normalise"]

MIN_LENGTH = 2
MAX_LENGTH = 25


def normalise(value: str) -> str:
    """The reference as typed, without the spaces (and hyphens) people group digits with."""
    return "".join(value.split()).replace("-", "")


def make_reference(serial: int) -> str:
    """The reference for ``serial``: its digits, then the length digit, then the check digit."""
    if isinstance(serial, bool) or not isinstance(serial, int) or serial < 0:
        raise ValueError(f"a reference serial is a non-negative integer, not {serial!r}")
    body = str(serial)
    length = len(body) + 2
    if length > MAX_LENGTH:
        raise ValueError(f"serial {serial} is too long for a {MAX_LENGTH}-digit reference")
    with_length = body + str(length % 10)
    return with_length + luhn.calc_check_digit(with_length)


def is_valid_reference(value: str) -> bool:
    """Whether ``value`` (normalised first) passes the length and check digit controls."""
    if not isinstance(value, str):
        return False
    digits = normalise(value)
    if not (MIN_LENGTH <= len(digits) <= MAX_LENGTH) or not digits.isascii():
        return False
    if not digits.isdigit():
        return False
    return int(digits[-2]) == len(digits) % 10 and luhn.is_valid(digits)
