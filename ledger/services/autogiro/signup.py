"""A monthly gift by Autogiro from the gift form: the mandate taken in for the gift (with the
consent text the donor read), the confirmation e-mail with the payer number and the first
debit day; the gift following its mandate afterwards (active when Bankgirot's mandate advice
approves it, ended and the donor told when it refuses or cancels it); and the donor's stop
link, which cancels the mandate (a TK03 in the next mandate file) and ends the gift.

``config`` is the app's configuration (the ledger knows no web framework): ``SECRET_KEY`` for
the stop link, ``PUBLIC_BASE_URL``, ``ORGANISATION_NAME``, ``BANKGIRO``, ``AUTOGIRO_DEBIT_DAY``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date
from cryptography.fernet import MultiFernet
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from ledger.banking_days import debit_date, next_month
from ledger.db import tables as t
from ledger.errors import MandateRefused
from ledger.money import Money
from ledger.services import dimensions, gifts, mail
from ledger.services.autogiro import consent, mandates
from ledger.statuses import GiftStatus, MandateStatus

__all__ = [
    "LEAD_DAYS",
    "Signup",
    "consent_for",
    "first_debit",
    "for_gift",
    "mandate_changed",
    "sign_up",
    "stop",
]

# Days from the form to the first debit day: the mandate file goes out, Bankgirot and the
# payer's bank approve it (a few banking days), and the month's payment orders must reach
# Bankgirot before the debit day.
LEAD_DAYS = 14


@dataclass(frozen=True, slots=True)
class Signup:
    payer_number: int
    first_debit: date


def first_debit(today: date, debit_day: int) -> date:
    """The first debit day a mandate given ``today`` can make: this month's debit day if it is
    at least ``LEAD_DAYS`` away, else the first month's whose is."""
    month = today.strftime("%Y-%m")
    day = debit_date(month, debit_day)
    while day - today < timedelta(days=LEAD_DAYS):
        month = next_month(month)
        day = debit_date(month, debit_day)
    return day


def _contributor(conn: Connection, gift: gifts.Gift) -> int:
    """The gift's contributor: its own, the one with the donor's e-mail, or a new one."""
    if gift.contributor_id is not None:
        return gift.contributor_id
    found = dimensions.find_contributor_by_email(conn, gift.donor_email)
    contributor_id = (
        found.id
        if found is not None
        else dimensions.create_contributor(conn, gift.donor_kind, gift.donor_name, gift.donor_email)
    )
    g = t.gifts.c
    conn.execute(
        t.gifts.update()
        .where(g.id == gift.id, g.contributor_id.is_(None))
        .values(contributor_id=contributor_id, updated_at=datetime.now(UTC))
    )
    return int(contributor_id)


def for_gift(conn: Connection, gift_id: int) -> mandates.Mandate | None:
    """The mandate given for a gift on the form, if any."""
    m = t.autogiro_mandates.c
    payer = conn.scalar(select(m.payer_number).where(m.gift_id == gift_id))
    return mandates.get(conn, int(payer)) if payer is not None else None


def _payee(config: Mapping[str, object]) -> tuple[str, str]:
    return str(config.get("ORGANISATION_NAME") or "Kassan"), str(config.get("BANKGIRO") or "")


def consent_for(config: Mapping[str, object], translate: Callable[[str], str] = consent.N_) -> str:
    """The consent text this organisation's donors read and give, in the language
    ``translate`` gives it (Swedish unless told)."""
    return consent.consent_text(*_payee(config), translate=translate)


def _day_text(day: date) -> str:
    return format_date(day, "long", locale="sv_SE")


def sign_up(
    conn: Connection,
    crypt: MultiFernet,
    config: Mapping[str, object],
    gift_public_id: str,
    identity: str,
    clearing: str,
    account: str,
    today: date,
    translate: Callable[[str], str] = consent.N_,
) -> Signup:
    """Take the mandate in for a monthly Autogiro gift and queue its confirmation; the same
    gift again (a double submit) returns the mandate it has. ``MandateRefused`` names the
    field (``identity``, ``account``) when a number fails its check. The consent text kept is
    the one the donor was shown, in the language ``translate`` gives it."""
    gift = gifts.get_gift(conn, gift_public_id)
    if gift is None or gift.channel != "autogiro" or gift.frequency != "monthly":
        raise MandateRefused("gåvan är ingen månadsgåva via Autogiro", "gift")
    debit_day = int(str(config.get("AUTOGIRO_DEBIT_DAY") or 28))
    existing = for_gift(conn, gift.id)
    if existing is not None:
        return Signup(existing.payer_number, first_debit(existing.created_at.date(), debit_day))
    text = consent_for(config, translate)
    draft = mandates.MandateDraft(
        _contributor(conn, gift),
        gift.network_id,
        Money(gift.amount_ore, gift.currency),
        identity,
        clearing,
        account,
        text,
    )
    try:
        with conn.begin_nested():
            payer = mandates.create(conn, crypt, draft)
            conn.execute(
                t.autogiro_mandates.update()
                .where(t.autogiro_mandates.c.payer_number == payer)
                .values(gift_id=gift.id)
            )
    except IntegrityError:  # the same form submitted twice at once: the other one made it
        made = for_gift(conn, gift.id)
        if made is None:
            raise
        return Signup(made.payer_number, first_debit(made.created_at.date(), debit_day))
    day = first_debit(today, debit_day)
    made = mandates.get(conn, payer)
    base = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    body = mail.render_text(
        "autogiro_signup.txt",
        gift=gift,
        organisation=_payee(config)[0],
        amount=str(Money(gift.amount_ore, gift.currency)),
        payer_number=payer,
        account=f"{made.clearing}-{made.account_masked}",
        first_debit=_day_text(day),
        stop_url=f"{base}/sluta/{mail.stop_token(str(config['SECRET_KEY']), gift.public_id)}",
        consent=text,
    )
    mail.enqueue(
        conn, f"autogiro-signup:{payer}", gift.donor_email, "Din månadsgåva via Autogiro", body
    )
    return Signup(payer, day)


def _gift_of(conn: Connection, payer_number: int) -> gifts.Gift | None:
    m, g = t.autogiro_mandates.c, t.gifts.c
    public_id = conn.scalar(
        select(g.public_id)
        .join_from(t.autogiro_mandates, t.gifts, g.id == m.gift_id)
        .where(m.payer_number == payer_number)
    )
    return gifts.get_gift(conn, public_id) if public_id is not None else None


def mandate_changed(
    conn: Connection,
    config: Mapping[str, object],
    payer_number: int,
    status: MandateStatus,
    reason: str,
) -> None:
    """Bankgirot's mandate advice moved a mandate: its gift follows, and the donor hears of a
    refusal or cancellation (once per mandate)."""
    gift = _gift_of(conn, payer_number)
    if gift is None:
        return
    if status is MandateStatus.ACTIVE:
        conn.execute(
            t.gifts.update()
            .where(t.gifts.c.id == gift.id, t.gifts.c.status == GiftStatus.PENDING)
            .values(status=GiftStatus.ACTIVE, updated_at=datetime.now(UTC))
        )
        return
    if status not in (MandateStatus.REFUSED, MandateStatus.CANCELLED):
        return
    gifts.mark_cancelled(conn, gift.public_id)
    base = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    path = f"/n/{gift.network_slug}" if gift.network_slug else "/ge"
    body = mail.render_text(
        "autogiro_ended.txt",
        gift=gift,
        organisation=_payee(config)[0],
        refused=status is MandateStatus.REFUSED,
        payer_number=payer_number,
        reason=reason,
        give_url=f"{base}{path}",
    )
    subject = (
        "Din bank godkände inte Autogiro-medgivandet"
        if status is MandateStatus.REFUSED
        else "Din månadsgåva via Autogiro har avslutats"
    )
    mail.enqueue(conn, f"autogiro-ended:{payer_number}", gift.donor_email, subject, body)


def stop(conn: Connection, gift_public_id: str) -> bool:
    """The donor's stop link: the mandate is cancelled (a TK03 waits for the next mandate file
    when Bankgirot has it) and the monthly gift ends. False when the gift has no mandate."""
    gift = gifts.get_gift(conn, gift_public_id)
    mandate = for_gift(conn, gift.id) if gift is not None else None
    if gift is None or mandate is None:
        return False
    mandates.cancel(conn, mandate.payer_number, "stopplänken", "givaren avslutade månadsgåvan")
    gifts.mark_cancelled(conn, gift.public_id)
    return True
