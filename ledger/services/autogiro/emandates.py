"""Mandates the donor signed in their own internet bank (Bankgirot's e-mandate file, TK51-TK59),
taken in: the identity number checked (``python-stdnum``), the donor matched to a contributor
(an organisation by its organisation number, a person by personnummer) or made, and the
mandate registered under the payer number the donor chose, status new, from the internet
bank. The next mandate file answers it (a TK04 with a blank answer: accepted); Bankgirot's
mandate advice then makes it active, as for a mandate from the gift form.

An e-mandate carries no amount: only the donor's own words (TK53, "JAG VILL GE 100 KR I
MÅNADEN"). Kassan takes the amount from there when it names kronor and no other period than a
month; otherwise it takes nothing in and says why, and finance answers in Autogiro Online.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography.fernet import MultiFernet
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from stdnum.se import orgnr

from ledger.db import tables as t
from ledger.errors import DimensionRefused, MandateRefused
from ledger.money import Money
from ledger.services import contributors, pii
from ledger.services.autogiro import mandates

__all__ = ["EMandateIn", "Taken", "take_in"]

_KRONOR = re.compile(r"(?<![\d,.])(\d{1,3}(?:[ .]\d{3})*|\d+)\s*(?:KR\b|KRONOR\b|:-)", re.I)
_OTHER_PERIOD = re.compile(r"KVARTAL|HALVÅR|ÅRET|PER ÅR|OM ÅRET|VARJE ÅR|VECKA|ENGÅNG", re.I)
_MAX_PAYER = 2**31 - 1  # autogiro_mandates.payer_number is an INTEGER


@dataclass(frozen=True, slots=True)
class EMandateIn:
    """An e-mandate as Bankgirot sent it (the reader's record, in ledger terms)."""

    payer_number: int
    identity: str  # 12 digits: a personnummer, or 00 and an organisation number
    clearing: str
    account: str
    name: str
    information: str
    address: str = ""
    postcode: str = ""
    city: str = ""


@dataclass(frozen=True, slots=True)
class Taken:
    payer_number: int
    contributor_id: int
    new_contributor: bool
    amount: Money


def _amount(information: str) -> Money:
    if _OTHER_PERIOD.search(information):
        raise MandateRefused(
            f"meddelandet ({information.strip()!r}) gäller inte en månadsgåva", "information"
        )
    found = _KRONOR.search(information)
    if found is None:
        raise MandateRefused(
            f"meddelandet ({information.strip()!r}) säger inget belopp i kronor", "information"
        )
    return Money.kr(int(re.sub(r"[ .]", "", found.group(1))))


def _person(conn: Connection, crypt: MultiFernet, identity: str) -> int | None:
    """The contributor with this personnummer: those with the same birth date, decrypted."""
    c = t.contributors.c
    full = f"{identity[:8]}-{identity[8:]}"
    for row in conn.execute(
        select(c.id, c.personnummer_enc).where(
            c.personnummer_masked == contributors.mask_personnummer(full),
            c.merged_into.is_(None),
            c.erased_at.is_(None),
        )
    ):
        if row.personnummer_enc and pii.decrypt(crypt, row.personnummer_enc) == full:
            return int(row.id)
    return None


def _contributor(
    conn: Connection, crypt: MultiFernet, e: EMandateIn, identity: str
) -> tuple[int, bool]:
    c = t.contributors.c
    if identity.startswith("00"):
        number = orgnr.format(identity[2:])
        found = conn.scalar(
            select(c.id).where(c.organisation_number == number, c.merged_into.is_(None))
        )
        kind, values = "organisation", {"organisation_number": number}
    else:
        found = _person(conn, crypt, identity)
        kind, values = "person", {"personnummer": identity}
    if found is not None:
        return int(found), False
    name = " ".join(e.name.split()) or f"Autogiro {e.payer_number}"
    address = {"address_line1": e.address, "postcode": e.postcode, "city": e.city}
    try:
        with conn.begin_nested():
            return contributors.create(conn, crypt, kind, {"name": name, **values, **address}), True
    except DimensionRefused:  # an address Kassan cannot keep (abroad): the person without it
        return contributors.create(conn, crypt, kind, {"name": name, **values}), True


def take_in(conn: Connection, crypt: MultiFernet, e: EMandateIn) -> Taken:
    """Register one e-mandate; ``MandateRefused`` (in Swedish, naming the field) when it
    cannot be: a payer number taken or too long, an identity or account that fails its check,
    no monthly amount in the donor's words."""
    if e.payer_number > _MAX_PAYER:
        raise MandateRefused(
            f"betalarnumret {e.payer_number} är längre än Kassans register tar (högst 10 siffror)",
            "payer_number",
        )
    identity = mandates.identity_number(e.identity)
    amount = _amount(e.information)
    contributor_id, new = _contributor(conn, crypt, e, identity)
    draft = mandates.MandateDraft(
        contributor_id,
        None,
        amount,
        identity,
        e.clearing,
        e.account,
        f"Medgivande lämnat i internetbanken. Betalarens meddelande: {e.information.strip()}",
        source=mandates.INTERNET_BANK,
    )
    try:
        with conn.begin_nested():
            payer = mandates.create(conn, crypt, draft, payer_number=e.payer_number)
    except IntegrityError as exc:
        raise MandateRefused(
            f"betalarnumret {e.payer_number} har redan ett medgivande", "payer_number"
        ) from exc
    return Taken(payer, contributor_id, new, amount)
