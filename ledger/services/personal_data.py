"""One person's data, as the GDPR asks for it: everything Kassan holds about a contributor
(``export``), and their erasure (``erase``) without touching the books.

What erasure anonymises: the contributor's name, e-mail, personnummer, address and contact
fields; their gifts' donor name, e-mail, personnummer and shown name; the payer name, account
and message of the bank lines they paid; the payer number of their Swish payments; the
identity number and bank account of their Autogiro mandates (a mandate still running is
cancelled first: a TK03 needs only the payer number); the e-mail sent to them (address and
body), while mail not yet sent is dropped. What it keeps, because
Bokföringslagen (7 kap. 2 §) requires it until the end of the seventh year after the fiscal
year: the journal entries and their amounts (whose texts name a bank line, gift or invoice,
never a person, so ``verify`` passes unchanged), the invoices as issued, and the bank files as
the bank sent them, and the Autogiro files to and from Bankgirot (listed and dated by
``webhooks.autogiro.personal``, which reads them with the Autogiro parser). Only a person's
``id`` joins the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import Connection, func, or_, select

from ledger.db import tables as t
from ledger.errors import DimensionNotFound
from ledger.services import pii
from ledger.services.autogiro import mandates
from ledger.statuses import MandateStatus

__all__ = ["ERASED_NAME", "Erased", "erase", "export", "kept_until"]

ERASED_NAME = "Raderad"
ERASED_ADDRESS = "raderad@raderad.invalid"  # RFC 2606: a domain that can never receive mail
RETENTION_YEARS = 7


@dataclass(frozen=True, slots=True)
class Erased:
    """What ``erase`` changed (row counts per table) and what it kept until when."""

    contributor_id: int
    changed: dict[str, int]
    entries_kept: int
    kept_until: date | None  # None: no entry names the contributor, nothing is kept for them
    already: bool  # erased before: nothing left to change


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _rows(conn: Connection, query: Any, drop: Iterable[str] = ()) -> list[dict[str, Any]]:
    skip = set(drop)
    return [
        {k: _plain(v) for k, v in row._mapping.items() if k not in skip}
        for row in conn.execute(query)
    ]


def _contributor(conn: Connection, contributor_id: int) -> Any:
    row = conn.execute(select(t.contributors).where(t.contributors.c.id == contributor_id)).first()
    if row is None:
        raise DimensionNotFound(
            f"no contributor {contributor_id}", "id", f"Givare {contributor_id} finns inte."
        )
    return row


def _clear(crypt: MultiFernet, token: str | None) -> str | None:
    return None if not token else pii.decrypt(crypt, token)


def _mandates(conn: Connection, crypt: MultiFernet, contributor_id: int) -> list[dict[str, Any]]:
    """Their Autogiro mandates, identity number and account in clear, each with its history."""
    m, ev = t.autogiro_mandates.c, t.autogiro_mandate_events.c
    out = []
    for row in conn.execute(
        select(t.autogiro_mandates).where(m.contributor_id == contributor_id).order_by(m.created_at)
    ):
        mandate = {k: _plain(v) for k, v in row._mapping.items() if not k.endswith("_enc")}
        mandate["identity"] = _clear(crypt, row.identity_enc)
        mandate["account"] = _clear(crypt, row.account_enc)
        mandate["history"] = _rows(
            conn,
            select(ev.at, ev.status, ev.source, ev.note)
            .where(ev.payer_number == row.payer_number)
            .order_by(ev.id),
        )
        out.append(mandate)
    return out


def _entry_ids(contributor_id: int) -> Any:
    jl = t.journal_lines.c
    return select(jl.entry_id).where(jl.contributor_id == contributor_id).distinct()


def _gift_ids(contributor_id: int) -> Any:
    return select(t.gifts.c.id).where(t.gifts.c.contributor_id == contributor_id)


def _expected_ids(contributor_id: int) -> Any:
    e = t.expected_payments.c
    return select(e.id).where(
        or_(e.contributor_id == contributor_id, e.gift_id.in_(_gift_ids(contributor_id)))
    )


def _bank_line_ids(contributor_id: int) -> Any:
    """Lines they paid: for their expected payments, or booked (whole or in part) to them."""
    b, a = t.bank_lines.c, t.bank_line_allocations.c
    entries = _entry_ids(contributor_id)
    allocated = select(a.line_id).where(
        or_(a.contributor_id == contributor_id, a.entry_id.in_(entries))
    )
    return select(b.id).where(
        or_(
            b.expected_payment_id.in_(_expected_ids(contributor_id)),
            b.entry_id.in_(entries),
            b.id.in_(allocated),
        )
    )


def _addresses(conn: Connection, contributor_id: int, row: Any) -> set[str]:
    found = {row.email, row.invoice_email}
    found |= set(
        conn.execute(
            select(t.gifts.c.donor_email).where(t.gifts.c.contributor_id == contributor_id)
        ).scalars()
    )
    return {a.lower() for a in found if a and a != ERASED_ADDRESS}


def _mail(addresses: set[str]) -> Any:
    return func.lower(t.email_outbox.c.to_addr).in_(sorted(addresses))


def kept_until(conn: Connection, contributor_id: int) -> date | None:
    """The last day the books must keep this contributor's entries: the end of the seventh
    calendar year after the fiscal year of their latest entry ended (Bokföringslagen 7 kap.
    2 §); None when no entry names them."""
    e, fy = t.journal_entries.c, t.fiscal_years.c
    end = conn.execute(
        select(func.max(fy.end_date))
        .select_from(t.journal_entries.join(t.fiscal_years, fy.year == e.fiscal_year))
        .where(e.id.in_(_entry_ids(contributor_id)))
    ).scalar()
    return None if end is None else date(end.year + RETENTION_YEARS, 12, 31)


def export(conn: Connection, crypt: MultiFernet, contributor_id: int) -> dict[str, Any]:
    """Everything Kassan holds about one contributor, as JSON-ready data (personnummer clear)."""
    row = _contributor(conn, contributor_id)
    person = {k: _plain(v) for k, v in row._mapping.items() if k != "personnummer_enc"}
    person["personnummer"] = _clear(crypt, row.personnummer_enc)
    g = t.gifts.c
    gifts = []
    for gift in conn.execute(select(t.gifts).where(g.contributor_id == contributor_id)):
        out = {k: _plain(v) for k, v in gift._mapping.items() if k != "personnummer_enc"}
        out["personnummer"] = _clear(crypt, gift.personnummer_enc)
        gifts.append(out)
    c = t.collections.c
    addresses = _addresses(conn, contributor_id, row)
    collections = select(t.collections).where(
        or_(c.contributor_id == contributor_id, func.lower(c.contact_email).in_(sorted(addresses)))
    )
    o = t.email_outbox.c
    e, jl = t.journal_entries.c, t.journal_lines.c
    entries = []
    for entry in conn.execute(
        select(e.id, e.series, e.number, e.fiscal_year, e.date, e.text)
        .where(e.id.in_(_entry_ids(contributor_id)))
        .order_by(e.date, e.id)
    ):
        lines = _rows(
            conn,
            select(jl.account, jl.debit_ore, jl.credit_ore, jl.currency)
            .where(jl.entry_id == entry.id, jl.contributor_id == contributor_id)
            .order_by(jl.line_no),
        )
        entries.append({**{k: _plain(v) for k, v in entry._mapping.items()}, "lines": lines})
    return {
        "contributor": person,
        "gifts": gifts,
        "expected_payments": _rows(
            conn,
            select(t.expected_payments)
            .where(t.expected_payments.c.id.in_(_expected_ids(contributor_id)))
            .order_by(t.expected_payments.c.id),
        ),
        "bank_lines": _rows(
            conn,
            select(t.bank_lines)
            .where(t.bank_lines.c.id.in_(_bank_line_ids(contributor_id)))
            .order_by(t.bank_lines.c.id),
        ),
        "swish_payments": _rows(
            conn,
            select(t.swish_payments)
            .where(t.swish_payments.c.gift_id.in_(_gift_ids(contributor_id)))
            .order_by(t.swish_payments.c.created_at),
            drop=("token",),
        ),
        "swish_consents": _rows(
            conn,
            select(t.swish_consents)
            .where(t.swish_consents.c.gift_id.in_(_gift_ids(contributor_id)))
            .order_by(t.swish_consents.c.created_at),
            drop=("token",),
        ),
        "autogiro_mandates": _mandates(conn, crypt, contributor_id),
        "collections": _rows(conn, collections.order_by(c.id), drop=("image", "ip_hash")),
        "invoices": _rows(
            conn,
            select(t.invoices)
            .where(t.invoices.c.contributor_id == contributor_id)
            .order_by(t.invoices.c.number),
        ),
        "emails": _rows(
            conn,
            select(o.to_addr, o.subject, o.body_text, o.created_at, o.sent_at)
            .where(_mail(addresses))
            .order_by(o.id),
        )
        if addresses
        else [],
        "entries": entries,
    }


def erase(conn: Connection, contributor_id: int, *, now: datetime) -> Erased:
    """Anonymise one contributor's personal data where no law requires keeping it."""
    row = _contributor(conn, contributor_id)
    until = kept_until(conn, contributor_id)
    entries = conn.execute(
        select(func.count()).select_from(_entry_ids(contributor_id).subquery())
    ).scalar_one()
    if row.erased_at is not None:
        return Erased(contributor_id, {}, entries, until, already=True)
    addresses = _addresses(conn, contributor_id, row)
    changed: dict[str, int] = {}
    changed["contributors"] = conn.execute(
        t.contributors.update()
        .where(t.contributors.c.id == contributor_id)
        .values(
            name=f"{ERASED_NAME} givare {contributor_id}",
            email=None,
            personnummer_enc=None,
            personnummer_masked=None,
            contact_person=None,
            address_line1=None,
            address_line2=None,
            postcode=None,
            city=None,
            invoice_email=None,
            erased_at=now,
        )
    ).rowcount
    changed["gifts"] = conn.execute(
        t.gifts.update()
        .where(t.gifts.c.contributor_id == contributor_id)
        .values(
            donor_name=ERASED_NAME,
            donor_email=ERASED_ADDRESS,
            personnummer_enc=None,
            shown_name=None,
            updated_at=now,
        )
    ).rowcount
    changed["bank_lines"] = conn.execute(
        t.bank_lines.update()
        .where(t.bank_lines.c.id.in_(_bank_line_ids(contributor_id)))
        .values(payer_name=None, payer_account=None, message=None)
    ).rowcount
    changed["swish_payments"] = conn.execute(
        t.swish_payments.update()
        .where(t.swish_payments.c.gift_id.in_(_gift_ids(contributor_id)))
        .values(payer_alias=None, updated_at=now)
    ).rowcount
    changed["swish_consents"] = conn.execute(
        t.swish_consents.update()
        .where(t.swish_consents.c.gift_id.in_(_gift_ids(contributor_id)))
        .values(payer_alias=None, updated_at=now)
    ).rowcount
    m = t.autogiro_mandates.c
    running = (MandateStatus.NEW, MandateStatus.SENT, MandateStatus.ACTIVE)
    for payer in conn.scalars(
        select(m.payer_number).where(m.contributor_id == contributor_id, m.status.in_(running))
    ):
        mandates.cancel(conn, int(payer), "radering av personuppgifter")
    changed["autogiro_mandates"] = conn.execute(
        t.autogiro_mandates.update()
        .where(m.contributor_id == contributor_id)
        .values(
            identity_enc="",
            identity_masked="raderat",
            account_enc="",
            account_masked="raderat",
            updated_at=now,
        )
    ).rowcount
    changed["email_outbox"] = 0
    if addresses:
        o = t.email_outbox.c
        unsent = select(o.id).where(_mail(addresses), o.sent_at.is_(None))
        conn.execute(
            t.email_attachments.delete().where(t.email_attachments.c.outbox_id.in_(unsent))
        )
        dropped = conn.execute(t.email_outbox.delete().where(o.id.in_(unsent))).rowcount
        kept = conn.execute(
            t.email_outbox.update()
            .where(_mail(addresses))
            .values(to_addr=ERASED_ADDRESS, body_text="(raderad)", body_html=None)
        ).rowcount
        changed["email_outbox"] = dropped + kept
    return Erased(contributor_id, changed, entries, until, already=False)
