"""What a donor's receipt and annual statement say, read from the ledger (data first).

A *gift* here is a booked voucher that credits gift income (3993) with the donor as its
contributor: a card charge, a Swish payment, a bankgiro or Swish line from a bank file, a payment
matched at the finance desk, an invoice to an organisation (booked when issued). Its date is the
voucher's date and its year the calendar year of that date (the year Skatteverket counts).

What reduces a gift is every later voucher that takes income back from *that* gift, whenever it
is booked (a refund in January lowers the December gift, not January):

- a reversal (``reverses_id``), also of a refund (which gives the money back to the gift);
- a card refund, dispute and won dispute (``stripe_charge_links`` leads to the charge's voucher,
  written by ``webhooks.stripe.bookings`` when it books them);
- a Swish refund (``swish_refunds`` leads to the payment's voucher) and a Swish or bank payment's
  part beyond what was expected (``swish-surplus:``/``bank-surplus:`` + the payment's key);
- a credit note (``invoices.credits_invoice_id`` leads to the invoice's voucher).

A voucher on 3993 for the donor that leads to none of their gifts (a manual correction) stands
on its own: a gift if it adds income, a correction if it takes income away, in its own year.
Not gifts: moves between contributors or networks (``merge``, ``allocation``) and opening
balances (``sie_ib``). A donor merged into another is the survivor's: their gifts come along.

The figures for a tax reduction (skattereduktion för gåvor, 67 kap. 20-26 §§ inkomstskattelagen)
are here in one place; the documents mention it only for persons, and only when the organisation
is an approved gift recipient (setting ``TAX_APPROVED_RECIPIENT``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select

from ledger.chart import GIFT_INCOME
from ledger.db import tables as t
from ledger.money import Money

__all__ = [
    "TAX",
    "AnnualStatement",
    "Donor",
    "GiftRecord",
    "annual_statement",
    "donor_gifts",
    "get_donor",
    "receipt",
    "years",
]

NOT_GIFTS = ("merge", "allocation", "sie_ib")
WHERE_NEEDED = "Där behovet är störst"
_CARD_FOLLOW_UPS = ("stripe:refund:", "stripe:dispute:", "stripe:dispute_won:")
_CHANNELS = {
    "stripe": "Kort",
    "swish": "Swish",
    "invoice": "Faktura",
    "desk": "Bankinbetalning",
    "autogiro": "Autogiro",
}


@dataclass(frozen=True, slots=True)
class TaxRules:
    """Skattereduktion för gåvor for persons (Skatteverket; amounts since income year 2022)."""

    percent: int = 25
    min_gift_ore: int = 200_00  # per gift occasion, to the same recipient
    min_year_ore: int = 2_000_00  # in the year, to one or more approved recipients
    max_reduction_ore: int = 3_000_00  # a year, reached by gifts of 12 000 kr


TAX = TaxRules()


@dataclass(frozen=True, slots=True)
class Donor:
    id: int
    kind: str  # person or organisation
    name: str
    organisation_number: str | None
    personnummer_masked: str | None
    email: str | None

    @property
    def identity(self) -> str:
        """``Org.nr 802002-1234`` or ``Personnummer 19811218-****`` (never the last four)."""
        if self.organisation_number:
            return f"Org.nr {self.organisation_number}"
        if self.personnummer_masked:
            return f"Personnummer {self.personnummer_masked}"
        return ""


@dataclass(frozen=True, slots=True)
class GiftRecord:
    entry_id: int
    voucher: str  # series and number, ``K12``
    fiscal_year: int
    date: date
    network: str
    channel: str
    gross: Money  # what the voucher booked as income (0 for a correction)
    returned: Money  # what later vouchers took back from it (refunds, credit notes, ...)

    @property
    def net(self) -> Money:
        return self.gross - self.returned

    @property
    def is_gift(self) -> bool:
        return self.gross.ore > 0


@dataclass(frozen=True, slots=True)
class AnnualStatement:
    donor: Donor
    year: int
    gifts: tuple[GiftRecord, ...]
    total: Money
    tax_basis: Money  # what counts for a person's tax reduction: gifts of at least 200 kr each


def get_donor(conn: Connection, contributor_id: int) -> Donor | None:
    c = t.contributors.c
    row = conn.execute(select(t.contributors).where(c.id == contributor_id)).first()
    if row is None:
        return None
    return Donor(
        id=row.id,
        kind=row.kind,
        name=row.name,
        organisation_number=row.organisation_number,
        personnummer_masked=row.personnummer_masked,
        email=row.email or row.invoice_email,
    )


def _with_merged(conn: Connection, contributor_id: int) -> list[int]:
    ids = {contributor_id}
    frontier = {contributor_id}
    while frontier:
        found = set(
            conn.scalars(
                select(t.contributors.c.id).where(t.contributors.c.merged_into.in_(frontier))
            )
        )
        frontier = found - ids
        ids |= frontier
    return sorted(ids)


@dataclass(slots=True)
class _Voucher:
    id: int
    voucher: str
    fiscal_year: int
    date: date
    source_kind: str
    source_key: str
    text: str
    reverses_id: int | None
    currency: str
    net_ore: int = 0
    network_ids: set[int | None] = field(default_factory=set)


def _vouchers(conn: Connection, ids: list[int]) -> dict[int, _Voucher]:
    e, ln = t.journal_entries.c, t.journal_lines.c
    rows = conn.execute(
        select(
            e.id,
            e.series,
            e.number,
            e.fiscal_year,
            e.date,
            e.source_kind,
            e.source_key,
            e.text,
            e.reverses_id,
            ln.network_id,
            ln.credit_ore,
            ln.debit_ore,
            ln.currency,
        )
        .select_from(t.journal_lines.join(t.journal_entries, ln.entry_id == e.id))
        .where(
            ln.account == GIFT_INCOME,
            ln.contributor_id.in_(ids),
            e.source_kind.not_in(NOT_GIFTS),
        )
        .order_by(e.date, e.id)
    )
    found: dict[int, _Voucher] = {}
    for r in rows:
        v = found.get(r.id)
        if v is None:
            v = found[r.id] = _Voucher(
                r.id,
                f"{r.series}{r.number}",
                r.fiscal_year,
                r.date,
                r.source_kind,
                r.source_key,
                r.text,
                r.reverses_id,
                r.currency,
            )
        v.net_ore += int(r.credit_ore) - int(r.debit_ore)
        v.network_ids.add(r.network_id)
    return found


def _table_links(conn: Connection, vouchers: dict[int, _Voucher]) -> dict[int, int]:
    """Card refund or dispute -> the charge's voucher, Swish refund -> the payment's voucher,
    credit note -> the invoice's voucher."""
    links: dict[int, int] = {}
    card = [v.id for v in vouchers.values() if v.source_key.startswith(_CARD_FOLLOW_UPS)]
    if card:
        c = t.stripe_charge_links.c
        for entry_id, charge_entry_id in conn.execute(
            select(c.entry_id, c.charge_entry_id).where(c.entry_id.in_(card))
        ):
            links[int(entry_id)] = int(charge_entry_id)
    refunds = [v.id for v in vouchers.values() if v.source_key.startswith("swish-refund:")]
    if refunds:
        r, p = t.swish_refunds.c, t.swish_payments.c
        for refund_entry, payment_entry in conn.execute(
            select(r.entry_id, p.entry_id)
            .select_from(
                t.swish_refunds.join(t.swish_payments, r.payment_instruction_id == p.instruction_id)
            )
            .where(r.entry_id.in_(refunds))
        ):
            if payment_entry is not None:
                links[int(refund_entry)] = int(payment_entry)
    notes = [v.id for v in vouchers.values() if v.source_kind == "credit_note"]
    if notes:
        note = t.invoices.alias("note")
        original = t.invoices.alias("original")
        for note_entry, invoice_entry in conn.execute(
            select(note.c.entry_id, original.c.entry_id)
            .select_from(note.join(original, note.c.credits_invoice_id == original.c.id))
            .where(note.c.entry_id.in_(notes))
        ):
            links[int(note_entry)] = int(invoice_entry)
    return links


def _parent(v: _Voucher, by_key: dict[str, int], table: dict[int, int]) -> int | None:
    """The voucher this one takes income back from (or gives it back to), if any."""
    if v.reverses_id is not None:
        return v.reverses_id
    if v.id in table:
        return table[v.id]
    key = v.source_key
    for prefix, original in (("swish-surplus:", "swish:"), ("bank-surplus:", "")):
        if key.startswith(prefix):
            return by_key.get(original + key.removeprefix(prefix))
    return None


def _channel(v: _Voucher) -> str:
    if v.source_kind == "bank":
        return "Swish" if v.voucher.startswith("S") else "Bankgiro"
    return _CHANNELS.get(v.source_kind, "Manuell bokföring")


def donor_gifts(conn: Connection, contributor_id: int) -> list[GiftRecord]:
    """Every gift (and lone correction) of the donor, oldest first, each net of what was
    taken back from it."""
    vouchers = _vouchers(conn, _with_merged(conn, contributor_id))
    by_key = {v.source_key: v.id for v in vouchers.values()}
    table = _table_links(conn, vouchers)
    parents = {v.id: _parent(v, by_key, table) for v in vouchers.values()}
    returned: dict[int, int] = defaultdict(int)
    roots = []
    for v in vouchers.values():
        root, steps = v.id, 0
        # a reversal of a refund leads to the refund, which leads to the gift
        while parents.get(root) in vouchers and steps < len(vouchers):
            root, steps = parents[root] or root, steps + 1
        if root == v.id:
            roots.append(v)
        else:
            returned[root] -= v.net_ore
    names = {row.id: row.name for row in conn.execute(select(t.networks.c.id, t.networks.c.name))}
    records = []
    for v in roots:
        gross = max(v.net_ore, 0)
        taken = returned[v.id] + max(-v.net_ore, 0)
        if gross == 0 and taken == 0:
            continue
        network = ", ".join(
            sorted(
                names.get(n, WHERE_NEEDED) if n is not None else WHERE_NEEDED for n in v.network_ids
            )
        )
        records.append(
            GiftRecord(
                entry_id=v.id,
                voucher=v.voucher,
                fiscal_year=v.fiscal_year,
                date=v.date,
                network=network,
                channel=_channel(v),
                gross=Money(gross, v.currency),
                returned=Money(taken, v.currency),
            )
        )
    return records


def receipt(conn: Connection, contributor_id: int, entry_id: int) -> GiftRecord | None:
    """The donor's gift booked by voucher ``entry_id``; None if it is not one of theirs."""
    for record in donor_gifts(conn, contributor_id):
        if record.entry_id == entry_id and record.is_gift:
            return record
    return None


def years(records: list[GiftRecord]) -> list[int]:
    """The calendar years with gifts, newest first."""
    return sorted({r.date.year for r in records}, reverse=True)


def annual_statement(conn: Connection, donor: Donor, year: int) -> AnnualStatement:
    """All of the donor's gifts dated in ``year``, net of refunds, and their total."""
    gifts = tuple(r for r in donor_gifts(conn, donor.id) if r.date.year == year)
    currency = gifts[0].gross.currency if gifts else "SEK"
    total = sum((g.net for g in gifts), Money.zero(currency))
    basis = sum((g.net for g in gifts if g.net.ore >= TAX.min_gift_ore), Money.zero(currency))
    return AnnualStatement(donor=donor, year=year, gifts=gifts, total=total, tax_basis=basis)
