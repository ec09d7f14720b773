"""Gifts from the donor pages: what a donor asked to give, before and after paying.

A gift row is written before the donor is sent to the card processor; the Stripe webhooks
(``webhooks.stripe``) then move its status on (``paid``, ``active``, ``cancelled``, ...).
A gift by bankgiro or Swish (``channel``) also gets an expected payment with its own OCR
reference (``ledger.services.expected``), and stays ``pending`` until that money is matched.
``validate`` checks the donor form and returns every problem at once, keyed by field, in
Swedish (messages are marked with ``N_`` so the web layer can translate them).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import Connection, Select, select
from stdnum.se import orgnr, personnummer

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.money import parse_amount
from ledger.services import pii
from ledger.statuses import GiftStatus

__all__ = [
    "CHANNELS",
    "FREQUENCIES",
    "KINDS",
    "MIN_ORE",
    "PRESETS_KR",
    "Gift",
    "GiftDraft",
    "GiftInvalid",
    "create_gift",
    "find_gift",
    "get_gift",
    "mark_cancelled",
    "new_public_id",
    "set_checkout_session",
    "update_donor",
    "validate",
]

FREQUENCIES = ("once", "monthly")
# card: Stripe Checkout; bankgiro: an OCR reference; swish: QR code or Swish Handel request
CHANNELS = ("card", "bankgiro", "swish")
KINDS = ("person", "organisation")
PRESETS_KR = (100, 200, 500, 1000)
MIN_ORE = 20_00
MAX_ORE = 10_000_000_00  # larger gifts go by invoice, and a card would refuse them anyway
_MAX_NAME = 200
_MAX_EMAIL = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PUBLIC_ID = re.compile(r"^[0-9a-f]{32}$")


def N_(message: str) -> str:
    """Marks a message for translation where it is shown, not where it is made."""
    return message


class GiftInvalid(LedgerError):
    """The donor form has errors; ``errors`` maps each field to its (Swedish) message."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(errors[first], first)
        self.errors = errors


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


@dataclass(frozen=True, slots=True)
class Gift:
    id: int
    public_id: str
    network_id: int | None
    network_slug: str | None
    network_name: str | None
    contributor_id: int | None
    amount_ore: int
    currency: str
    frequency: str
    channel: str
    status: str
    donor_kind: str
    donor_name: str
    donor_email: str
    organisation_number: str | None
    personnummer_enc: str | None
    consent_contact: bool
    locale: str
    stripe_checkout_session_id: str | None
    stripe_subscription_id: str | None
    created_at: datetime


def new_public_id() -> str:
    return secrets.token_hex(16)


def is_public_id(value: object) -> bool:
    return isinstance(value, str) and bool(_PUBLIC_ID.match(value))


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
    form: Mapping[str, str], channels: tuple[str, ...], frequency: str, errors: dict[str, str]
) -> str:
    # A form from before the choice existed (or with card the only one) means card.
    channel = _text(form, "channel") or "card"
    if channel not in channels:
        errors["channel"] = N_("Välj ett av betalsätten.")
    elif channel == "swish" and frequency == "monthly":
        errors["channel"] = N_(
            "Swish går bara för gåvor en gång. Välj kort eller bankgiro för en månadsgåva."
        )
    return channel


def validate(
    form: Mapping[str, str], *, locale: str = "sv", channels: tuple[str, ...] = ("card",)
) -> GiftDraft:
    """The donor form as a ``GiftDraft``; raises ``GiftInvalid`` naming every bad field.

    ``channels`` are the payment methods offered (those whose settings are present).
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
    channel = _channel(form, channels, frequency, errors)
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


def _select() -> Select[Any]:
    g, n = t.gifts.c, t.networks.c
    return select(t.gifts, n.slug.label("network_slug"), n.name.label("network_name")).select_from(
        t.gifts.outerjoin(t.networks, g.network_id == n.id)
    )


def _gift(row: Any) -> Gift:
    return Gift(
        id=row.id,
        public_id=row.public_id,
        network_id=row.network_id,
        network_slug=row.network_slug,
        network_name=row.network_name,
        contributor_id=row.contributor_id,
        amount_ore=int(row.amount_ore),
        currency=row.currency,
        frequency=row.frequency,
        channel=row.channel,
        status=row.status,
        donor_kind=row.donor_kind,
        donor_name=row.donor_name,
        donor_email=row.donor_email,
        organisation_number=row.organisation_number,
        personnummer_enc=row.personnummer_enc,
        consent_contact=bool(row.consent_contact),
        locale=row.locale,
        stripe_checkout_session_id=row.stripe_checkout_session_id,
        stripe_subscription_id=row.stripe_subscription_id,
        created_at=row.created_at,
    )


def get_gift(conn: Connection, public_id: str) -> Gift | None:
    """The gift with this public id (from a donor's link), or None."""
    if not is_public_id(public_id):
        return None
    return find_gift(conn, public_id=public_id)


def find_gift(
    conn: Connection,
    *,
    public_id: str | None = None,
    session_id: str | None = None,
    payment_intent_id: str | None = None,
    subscription_id: str | None = None,
    lock: bool = False,
) -> Gift | None:
    """The gift matching the first of the given ids that is set and known, or None.

    The card processor's webhooks name a gift by whichever id they carry; ``lock`` holds the
    row (``FOR UPDATE`` on PostgreSQL) while its status is moved on.
    """
    g = t.gifts.c
    for column, value in (
        (g.public_id, public_id),
        (g.stripe_checkout_session_id, session_id),
        (g.stripe_payment_intent_id, payment_intent_id),
        (g.stripe_subscription_id, subscription_id),
    ):
        if not value:
            continue
        query = _select().where(column == value)
        if lock:
            query = query.with_for_update(of=t.gifts)
        row = conn.execute(query).first()
        if row is not None:
            return _gift(row)
    return None


def _donor_values(draft: GiftDraft, crypt: MultiFernet) -> dict[str, object]:
    return {
        "donor_kind": draft.donor_kind,
        "donor_name": draft.donor_name,
        "donor_email": draft.donor_email,
        "organisation_number": draft.organisation_number,
        "personnummer_enc": pii.encrypt(crypt, draft.personnummer) if draft.personnummer else None,
        "consent_contact": draft.consent_contact,
    }


def create_gift(
    conn: Connection,
    draft: GiftDraft,
    *,
    network_id: int | None,
    crypt: MultiFernet,
    public_id: str | None = None,
    channel: str | None = None,
) -> str:
    """Write a pending gift and return its public id. The personnummer is stored encrypted.

    A duplicate ``public_id`` raises SQLAlchemy's ``IntegrityError`` from the UNIQUE constraint.
    """
    pid = public_id or new_public_id()
    if not is_public_id(pid):
        raise ValueError("a gift's public id is 32 lowercase hex digits")
    now = datetime.now(UTC)
    conn.execute(
        t.gifts.insert().values(
            public_id=pid,
            network_id=network_id,
            amount_ore=draft.amount_ore,
            currency="SEK",
            frequency=draft.frequency,
            channel=channel or draft.channel,
            status=GiftStatus.PENDING,
            locale=draft.locale,
            created_at=now,
            updated_at=now,
            **_donor_values(draft, crypt),
        )
    )
    return pid


def same_checkout(gift: Gift, draft: GiftDraft, network_id: int | None) -> bool:
    """Whether ``draft`` would make the same checkout (Stripe session, reference) as ``gift``."""
    return (
        gift.status == GiftStatus.PENDING
        and gift.channel == draft.channel
        and gift.network_id == network_id
        and gift.amount_ore == draft.amount_ore
        and gift.frequency == draft.frequency
        and gift.donor_email == draft.donor_email
        and gift.locale == draft.locale
    )


def update_donor(conn: Connection, public_id: str, draft: GiftDraft, crypt: MultiFernet) -> None:
    """Details that Stripe never sees (name, numbers, consent) may change on a pending gift."""
    values = _donor_values(draft, crypt)
    if values["personnummer_enc"] is None:
        del values["personnummer_enc"]  # left blank on a returning form: keep what was given
    conn.execute(
        t.gifts.update()
        .where(t.gifts.c.public_id == public_id, t.gifts.c.status == GiftStatus.PENDING)
        .values(updated_at=datetime.now(UTC), **values)
    )


def set_checkout_session(conn: Connection, public_id: str, session_id: str) -> None:
    conn.execute(
        t.gifts.update()
        .where(t.gifts.c.public_id == public_id)
        .values(stripe_checkout_session_id=session_id, updated_at=datetime.now(UTC))
    )


def mark_cancelled(conn: Connection, public_id: str) -> bool:
    """A monthly gift stopped by its donor; its past payments stay in the ledger untouched."""
    result = conn.execute(
        t.gifts.update()
        .where(
            t.gifts.c.public_id == public_id,
            t.gifts.c.frequency == "monthly",
            t.gifts.c.status.in_(
                (GiftStatus.PENDING, GiftStatus.PAID, GiftStatus.ACTIVE, GiftStatus.FAILED)
            ),
        )
        .values(status=GiftStatus.CANCELLED, updated_at=datetime.now(UTC))
    )
    return result.rowcount == 1
