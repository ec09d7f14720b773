"""How amounts read for people: pages, PDFs, CSV and the command line, in their language."""

from __future__ import annotations

import functools
import re
import unicodedata

from babel.numbers import format_currency

from ledger.money import Money

__all__ = ["format_money", "swedish_key"]

# The Swedish alphabet ends ... x y z å ä ö; æ and ø sort as ä and ö, ü as y (SAOL's rules).
# No maintained collation library installs here without a compiler and ICU's headers (PyICU),
# so the few rules that differ from plain Unicode order are written out.
# "{", "|" and "}" are the characters right after "z".
_AFTER_Z = {"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}"}
_AS = {"ü": "y"}
_CODE_THEN_DIGIT = re.compile(r"([A-Za-z]{2,})(-?\d)")
_DIGIT_THEN_CODE = re.compile(r"(\d)([A-Za-z]{2,})")


@functools.lru_cache(maxsize=8192)
def format_money(money: Money, locale: str = "sv_SE") -> str:
    """``1 234,50 kr`` in Swedish, ``SEK 1,234.50`` in English (Babel's CLDR patterns).

    CLDR's currency-spacing rule puts a no-break space between a currency code made of letters
    and the digits beside it; Babel leaves that rule out ("SEK83,250.00"), so it is applied
    here. Babel takes about 0.1 ms an amount and the dashboard shows a few hundred amounts
    that rarely change between two views, so the texts are kept (the same amount always reads
    the same; ``Money`` is frozen)."""
    text = format_currency(money.decimal, money.currency, locale=locale)
    return _CODE_THEN_DIGIT.sub("\\1\u00a0\\2", _DIGIT_THEN_CODE.sub("\\1\u00a0\\2", text))


def swedish_key(text: str) -> tuple[str, str]:
    """Sort key for names as a Swedish reader expects: Östafrika after Palestina, Ängby after
    Zeta, é as e; case and accents only break ties."""
    letters = []
    for ch in text.casefold():
        if ch in _AFTER_Z:
            letters.append(_AFTER_Z[ch])
        elif ch in _AS:
            letters.append(_AS[ch])
        else:
            base = unicodedata.normalize("NFD", ch)
            letters.append("".join(c for c in base if not unicodedata.combining(c)))
    return "".join(letters), text
