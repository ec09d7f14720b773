"""The donor form checked into a ``GiftDraft``: every problem at once, keyed by field, in Swedish
(messages are marked with ``N_`` so the web layer can translate them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from stdnum.se import orgnr, personnummer

from ledger.errors import GiftInvalid
from ledger.money import parse_amount

FREQUENCIES = ("once", "monthly")
# card: Stripe Checkout; bankgiro: an OCR reference; swish: QR code or Swish Handel request;
# autogiro: a mandate for Bankgirot's direct debit (monthly gifts only)
CHANNELS = ("card", "bankgiro", "swish", "autogiro")
KINDS = ("person", "organisation")
PRESETS_KR = (100, 200, 500, 1000)
MIN_ORE = 20_00
MAX_ORE = 10_000_000_00  # larger gifts go by invoice, and a card would refuse them anyway
_MAX_NAME = 200
_MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def N_(message: str) -> str:
    """Marks a message for translation where it is shown, not where it is made."""
    return message


@dataclass(frozen=True, slots=True)
class GiftDraft:
    """A valid donor form: what the gift row and the checkout are made from."""

    amount_ore: int
    frequency: str
    donor_kind: str
    donor_name: str
    donor_email: str
    organisation_number: str | None
    personnummer: str | None  # clear, only until it is encrypted by ``create_gift``
    consent_contact: bool
    locale: str
    channel: str = "card"


def _text(form: Mapping[str, str], name: str) -> str:
    return " ".join(str(form.get(name) or "").split())


def _amount(form: Mapping[str, str], errors: dict[str, str]) -> int:
    # Without JavaScript a donor may type an amount and leave a preset chosen: typed wins.
    typed = _text(form, "amount_other")
    chosen = typed or _text(form, "amount")
    if not chosen or chosen == "other":
        errors["amount"] = N_("Välj eller skriv ett belopp.")
        return 0
    try:
        money = parse_amount(chosen)
    except ValueError:
        errors["amount"] = N_("Skriv beloppet i kronor, till exempel 250 eller 250,50.")
        return 0
    if money.ore < MIN_ORE:
        errors["amount"] = N_("Det minsta beloppet är 20 kr.")
    elif money.ore > MAX_ORE:
        errors["amount"] = N_("Beloppet är för stort för kort. Kontakta oss om en större gåva.")
    return money.ore


def _full_personnummer(valid: str) -> str:
    """``ÅÅÅÅMMDD-NNNN``: the century from the birth date, as Skatteverket's reports want it."""
    digits = "".join(c for c in personnummer.compact(valid) if c.isdigit())
    century = personnummer.get_birth_date(valid).year // 100
    full = digits if len(digits) == 12 else f"{century}{digits}"
    return f"{full[:8]}-{full[8:]}"


def _channel(
    form: Mapping[str, str],
    channels: tuple[str, ...],
    frequency: str,
    errors: dict[str, str],
    swish_monthly: bool = False,
) -> str:
    # A form from before the choice existed (or with card the only one) means card.
    channel = _text(form, "channel") or "card"
    if channel not in channels:
        errors["channel"] = N_("Välj ett av betalsätten.")
    elif channel == "swish" and frequency == "monthly" and not swish_monthly:
        errors["channel"] = N_(
            "Swish går bara för gåvor en gång. Välj kort eller bankgiro för en månadsgåva."
        )
    elif channel == "autogiro" and frequency != "monthly":
        errors["channel"] = N_(
            "Autogiro går bara för månadsgåvor. Välj Varje månad, eller ett annat betalsätt."
        )
    return channel


def validate(
    form: Mapping[str, str],
    *,
    locale: str = "sv",
    channels: tuple[str, ...] = ("card",),
    swish_monthly: bool = False,
) -> GiftDraft:
    """The donor form as a ``GiftDraft``; raises ``GiftInvalid`` naming every bad field.

    ``channels`` are the payment methods offered (those whose settings are present);
    ``swish_monthly``: the Swish agreement includes recurring payments (a monthly consent).
    """
    errors: dict[str, str] = {}
    amount_ore = _amount(form, errors)
    frequency = _text(form, "frequency")
    if frequency not in FREQUENCIES:
        errors["frequency"] = N_("Välj om du vill ge en gång eller varje månad.")
    kind = _text(form, "donor_kind")
    if kind not in KINDS:
        errors["donor_kind"] = N_("Välj om du ger som privatperson eller som organisation.")
    name = _text(form, "donor_name")
    if not name:
        errors["donor_name"] = N_("Skriv ditt namn eller organisationens namn.")
    elif len(name) > _MAX_NAME:
        errors["donor_name"] = N_("Namnet får vara högst 200 tecken.")
    email = _text(form, "donor_email").lower()
    if not email:
        errors["donor_email"] = N_("Skriv din e-postadress, så att vi kan skicka kvittot.")
    elif len(email) > _MAX_EMAIL or not _EMAIL.match(email):
        errors["donor_email"] = N_(
            "E-postadressen ser inte ut att stämma, till exempel namn@exempel.se."
        )
    org_number = None
    raw_org = _text(form, "organisation_number")
    if kind == "organisation":
        if not raw_org:
            errors["organisation_number"] = N_("Skriv organisationsnumret (NNNNNN-NNNN).")
        elif not orgnr.is_valid(raw_org):
            errors["organisation_number"] = N_(
                "Organisationsnumret stämmer inte. Kontrollera siffrorna (NNNNNN-NNNN)."
            )
        else:
            org_number = orgnr.format(raw_org)
    pnr = None
    raw_pnr = _text(form, "personnummer")
    if raw_pnr and kind != "organisation":
        if personnummer.is_valid(raw_pnr):
            pnr = _full_personnummer(raw_pnr)
        else:
            errors["personnummer"] = N_(
                "Personnumret stämmer inte. Skriv det som ÅÅÅÅMMDD-NNNN, eller lämna fältet tomt."
            )
    channel = _channel(form, channels, frequency, errors, swish_monthly)
    if errors:
        raise GiftInvalid(errors)
    return GiftDraft(
        amount_ore=amount_ore,
        frequency=frequency,
        donor_kind=kind,
        donor_name=name,
        donor_email=email,
        organisation_number=org_number,
        personnummer=pnr,
        consent_contact=_text(form, "consent_contact") in ("1", "on", "yes", "ja"),
        locale=locale if locale in ("sv", "en") else "sv",
        channel=channel,
    )
