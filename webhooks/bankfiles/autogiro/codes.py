"""Autogiro's codes, named: what a file is, which way a payment goes, what Bankgirot answered.

Sources: Bankgirot's "Bg Autogiro Teknisk manual" (record layouts and code tables); the
published example files; byrokrat/autogiro (an open-source reader of the same files) to
cross-check. Where a code's meaning was not at hand in the manual its text says "kod NN" rather
than guessing; the code itself is always kept.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AmendmentOutcome",
    "Direction",
    "FileKind",
    "MandateOutcome",
    "PaymentStatus",
    "amendment_text",
    "mandate_outcome",
    "mandate_text",
]


class FileKind(StrEnum):
    """Which Autogiro file: the ``format`` a file is stored under."""

    REQUESTS = "autogiro-underlag"  # to Bankgirot: mandates, payment orders, amendments
    PAYMENT_SPECIFICATION = "autogiro-betalningsspecifikation"
    MANDATE_ADVICE = "autogiro-medgivandeavisering"
    E_MANDATES = "autogiro-internetbanksmedgivanden"
    REJECTED_ORDERS = "autogiro-avvisade-betalningsuppdrag"
    AMENDMENTS = "autogiro-makuleringar-andringar"
    WATCH_REGISTER = "autogiro-bevakningsregister"
    MANDATE_REGISTER = "autogiro-medgivanderegister"


class Direction(StrEnum):
    """TK82 takes money from the payer (a debit, our income); TK32 pays money to the payer."""

    DEBIT = "82"
    CREDIT = "32"


class PaymentStatus(StrEnum):
    """Status of a TK82/TK32 in the payment specification (position 80)."""

    APPROVED = "0"  # godkänd: the money moved
    INSUFFICIENT_FUNDS = "1"  # täckning saknas
    NO_MANDATE = "2"  # koppling (medgivande) saknas: no mandate, or the account is closed
    RENEWED = "9"  # förnyad täckning: Bankgirot tries again the next banking day

    @property
    def text(self) -> str:
        return _PAYMENT_STATUS_TEXT[self]


_PAYMENT_STATUS_TEXT = {
    PaymentStatus.APPROVED: "godkänd",
    PaymentStatus.INSUFFICIENT_FUNDS: "täckning saknas",
    PaymentStatus.NO_MANDATE: "medgivande saknas",
    PaymentStatus.RENEWED: "förnyad täckningskontroll",
}


class MandateOutcome(StrEnum):
    """What a mandate advice (TK73) means for the mandate it names."""

    ACTIVE = "active"  # a new mandate is approved by the payer's bank
    REFUSED = "refused"  # the new mandate was not approved (wrong account, wrong number...)
    CANCELLED = "cancelled"  # the mandate ended (by us, the payer, the bank, a closed account)
    INFORMATION = "information"  # nothing changes (a payer number changed, an answer to us)


# Information codes (TK73 position 62-63) and comment codes (64-65), from the manual's table.
_INFORMATION = {
    "03": "makulering initierad av betalningsmottagaren",
    "04": "nyupplägg initierat av betalningsmottagaren",
    "05": "byte av betalarnummer initierat av betalningsmottagaren",
    "10": "makulerat: betalningsmottagarens bankgironummer är avslutat",
    "42": "svar på kontoförfrågan från betalarens bank",
    "43": "makulerat: kontoförfrågan obesvarad",
    "44": "makulerat: betalarens bankgironummer är avslutat",
    "46": "makulering initierad av betalaren eller betalarens bank",
}
_COMMENT = {
    "02": "medgivandet makulerat på initiativ av betalaren eller betalarens bank",
    "03": "kontoslaget är inte godkänt för Autogiro",
    "04": "medgivandet saknas i Bankgirots medgivanderegister",
    "05": "felaktiga bankkonto- eller personuppgifter",
    "07": "makulerat: kontoförfrågan obesvarad",
    "09": "betalarens bankgironummer saknas hos Bankgirot",
    "10": "medgivandet finns redan eller är under förfrågan",
    "20": "felaktigt person- eller organisationsnummer",
    "21": "felaktigt betalarnummer",
    "23": "felaktigt bankkontonummer",
    "29": "betalningsmottagarens bankgironummer är felaktigt",
    "30": "betalningsmottagarens bankgironummer är avregistrerat",
    "32": "nytt medgivande",
    "33": "makulerat",
    "98": "makulerat: betalarens bankgironummer är makulerat",
}


def mandate_text(information: str, comment: str) -> str:
    """The Swedish text of a TK73's two codes, for people."""
    info = _INFORMATION.get(information, f"informationskod {information}")
    note = _COMMENT.get(comment, f"kommentarskod {comment}")
    return f"{info}: {note}"


def mandate_outcome(information: str, comment: str) -> MandateOutcome:
    """A TK73's effect on its mandate, from its information and comment code."""
    if information in ("10", "43", "44", "46") or comment in ("02", "07", "33", "98"):
        return MandateOutcome.CANCELLED
    if information in ("04", "42"):
        return MandateOutcome.ACTIVE if comment == "32" else MandateOutcome.REFUSED
    if information == "05" and comment == "32":
        return MandateOutcome.ACTIVE  # the mandate under its new payer number
    return MandateOutcome.INFORMATION


class AmendmentOutcome(StrEnum):
    """Whether Bankgirot carried out a cancellation or date change (its comment code)."""

    CANCELLED = "12"  # makulerad
    REDATED = "14"  # ny betalningsdag
    NOT_DONE = "-"  # any other comment code: the change was refused


def amendment_text(code: str) -> str:
    return {"12": "makulerad", "14": "betalningsdag ändrad"}.get(code, f"ej utförd (kod {code})")
