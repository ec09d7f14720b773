"""The organisation's own number (organisationsnummer) and how another number is compared with it.

Numbers are written in many ways ("802000-1234", "8020001234", "16 802000-1234" with the
century-like prefix some programs put before a legal person's number); ``python-stdnum``'s
``stdnum.se.orgnr`` removes the separators, and the prefix is dropped here, so two spellings of
one number compare equal.
"""

from __future__ import annotations

from typing import Final

from stdnum.se import orgnr

# The number the configuration falls back to for local use; production refuses to start with it.
PLACEHOLDER: Final = "802000-0000"


def normalise(number: str) -> str:
    """The number's ten digits, or its compacted text when it is not one (kept to be shown)."""
    compact: str = orgnr.compact(number or "")
    if len(compact) == 12 and compact.isdigit() and compact[:2] in ("16", "19", "20"):
        compact = compact[2:]
    return compact


def same(one: str, other: str) -> bool:
    """Whether two spellings name the same organisation number."""
    return bool(normalise(one)) and normalise(one) == normalise(other)


def is_valid(number: str) -> bool:
    """A Swedish organisation number with a right check digit."""
    return bool(orgnr.is_valid(normalise(number)))
