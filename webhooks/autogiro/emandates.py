"""Bankgirot's e-mandate file (``AG-EMEDGIV``, TK51-TK59) taken in: each e-mandate through
``ledger.services.autogiro.emandates.take_in`` in a savepoint of its own, so one that cannot be
taken in (listed, with why) leaves nothing behind and the others still go in."""

from __future__ import annotations

from cryptography.fernet import MultiFernet
from sqlalchemy import Connection

from ledger.errors import MandateRefused
from ledger.services.autogiro import emandates
from webhooks.autogiro.result import AutogiroImport, Outcome
from webhooks.bankfiles.autogiro.records import AutogiroFile, EMandate

__all__ = ["take_in_all"]


def _record(m: EMandate) -> emandates.EMandateIn:
    # The account field is Bankgirot's: 4-digit clearing, account number zero-padded to 12.
    return emandates.EMandateIn(
        payer_number=int(m.payer_number),
        identity=m.identity,
        clearing=m.account[:4],
        account=m.account[4:].lstrip("0"),
        name=m.name[0] if m.name else "",
        information=m.information,
        address=" ".join(m.address).strip(),
        postcode=m.postcode.strip(),
        city=m.city.strip(),
    )


def take_in_all(
    conn: Connection, parsed: AutogiroFile, result: AutogiroImport, crypt: MultiFernet | None
) -> None:
    for m in parsed.of(EMandate):
        payer = int(m.payer_number)
        if crypt is None:
            result.problems.append(
                f"rad {m.line}: internetbanksmedgivande (betalarnummer {payer}) kan inte tas "
                "emot utan nycklarna för personuppgifter (KASSAN_PII_KEYS)"
            )
            continue
        try:
            with conn.begin_nested():
                taken = emandates.take_in(conn, crypt, _record(m))
        except MandateRefused as exc:
            result.problems.append(
                f"rad {m.line}: internetbanksmedgivande (betalarnummer {payer}) togs inte emot: "
                f"{exc.message}; svara i Autogiro Online"
            )
            continue
        who = "ny givare" if taken.new_contributor else "befintlig givare"
        result.listed.append(
            Outcome(
                m.line,
                payer,
                taken.amount,
                f"internetbanksmedgivande taget emot ({who} {taken.contributor_id}), "
                "godkänns i nästa medgivandefil",
            )
        )
