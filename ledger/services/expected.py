"""Expected payments: one row per thing we expect money for (a gift paid by bankgiro or Swish, a
monthly giver's standing reference, a pledge instalment, an invoice, a collection), each with
its own OCR reference, and the receipts matched to it.

A reference is made from a serial drawn from a counter row in the database (never from
``max() + 1``), and expected payments are never deleted (a trigger refuses it), so no reference
is ever handed out twice. Status follows what the ledger receives: ``record_receipt`` is called
by whoever booked the payment (bank import, Swish callback, finance desk) with the entry it
booked; this module books nothing itself.

``record_receipts`` does the same for a bank file's batch at once (one lock query, one insert,
one update per touched payment). An undone booking (a reversal at the finance desk) is taken
back with ``reverse_receipt``: receipts are never deleted or negated (a negative row would
break ``amount_ore > 0`` and the UNIQUE source key), so the row stays and its
``reversal_entry_id`` names the reversing entry, and the expected payment's ``paid_ore`` and
status go back.

Statuses: ``open`` → ``partly_paid`` → ``paid``; ``overdue`` when the due date passes unpaid
(``mark_overdue``); ``written_off`` and ``cancelled`` are set by finance. A repeating payment
(a monthly giver, a collection) stays ``open`` and keeps adding to ``paid_ore``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Select, any_, bindparam, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError

from ledger.db import tables as t
from ledger.errors import LedgerError
from ledger.money import Money
from ledger.references import is_valid_reference, make_reference, normalise

__all__ = [
    "GIFT_KINDS",
    "OPEN_STATUSES",
    "STATUSES",
    "ExpectedPayment",
    "Receipt",
    "ReceiptConflict",
    "RecordedReceipt",
    "by_gift",
    "by_id",
    "by_reference",
    "create",
    "for_gift",
    "mark_overdue",
    "open_payments",
    "record_receipt",
    "record_receipts",
    "reverse_receipt",
]

STATUSES = ("open", "partly_paid", "paid", "overdue", "written_off", "cancelled")
OPEN_STATUSES = ("open", "partly_paid", "overdue")
# kinds with at most one expected payment per gift (a partial UNIQUE index on gift_id)
GIFT_KINDS = ("gift", "monthly_gift")
_COUNTER = "ocr"


class ReceiptConflict(LedgerError):
    """A payment already recorded against one expected payment was offered for another."""

    status = 409


@dataclass(frozen=True, slots=True)
class ExpectedPayment:
    id: int
    reference: str
    kind: str
    gift_id: int | None
    network_id: int | None
    contributor_id: int | None
    amount_ore: int | None  # None: any amount
    currency: str
    due_date: date | None
    repeating: bool
    status: str
    paid_ore: int
    payer_name: str | None  # the contributor's or the gift's donor name, for matching by name
    created_at: datetime
    updated_at: datetime

    @property
    def amount(self) -> Money | None:
        return None if self.amount_ore is None else Money(self.amount_ore, self.currency)

    @property
    def paid(self) -> Money:
        return Money(self.paid_ore, self.currency)

    @property
    def outstanding(self) -> Money | None:
        """What is still due; None when any amount (or any number of payments) is welcome."""
        if self.amount_ore is None or self.repeating:
            return None
        return Money(max(0, self.amount_ore - self.paid_ore), self.currency)


@dataclass(frozen=True, slots=True)
class RecordedReceipt(ExpectedPayment):
    """The expected payment after a receipt, with what the receipt itself came to."""

    surplus_ore: int = 0  # the part of the receipt beyond what was due: for suspense
    new: bool = True  # False: this source key was recorded before; nothing changed now

    @property
    def surplus(self) -> Money:
        return Money(self.surplus_ore, self.currency)


@dataclass(frozen=True, slots=True)
class Receipt:
    """One payment booked as ``entry_id``, offered to ``record_receipts``."""

    expected_id: int
    entry_id: int
    amount: Money
    source_key: str
    received_on: date


def _select() -> Select[Any]:
    e, c, g = t.expected_payments.c, t.contributors.c, t.gifts.c
    return select(
        t.expected_payments, func.coalesce(c.name, g.donor_name).label("payer_name")
    ).select_from(
        t.expected_payments.outerjoin(t.contributors, e.contributor_id == c.id).outerjoin(
            t.gifts, e.gift_id == g.id
        )
    )


def _record(row: Any) -> ExpectedPayment:
    return ExpectedPayment(
        id=row.id,
        reference=row.reference,
        kind=row.kind,
        gift_id=row.gift_id,
        network_id=row.network_id,
        contributor_id=row.contributor_id,
        amount_ore=None if row.amount_ore is None else int(row.amount_ore),
        currency=row.currency,
        due_date=row.due_date,
        repeating=bool(row.repeating),
        status=row.status,
        paid_ore=int(row.paid_ore),
        payer_name=row.payer_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _next_serial(conn: Connection) -> int:
    # The UPDATE takes the counter row's lock until commit, so concurrent callers queue here.
    serial = conn.execute(
        text(
            "UPDATE reference_counters SET last_value = last_value + 1 "
            "WHERE name = :name RETURNING last_value"
        ),
        {"name": _COUNTER},
    ).scalar_one()
    return int(serial)


def create(
    conn: Connection,
    *,
    kind: str,
    amount: Money | None,
    network_id: int | None,
    contributor_id: int | None,
    gift_id: int | None = None,
    due_date: date | None = None,
    repeating: bool = False,
) -> ExpectedPayment:
    """A new expected payment with a fresh reference, in the caller's transaction.

    A second one of a ``GIFT_KINDS`` kind for the same gift raises SQLAlchemy's
    ``IntegrityError`` (use ``by_gift`` to find the first).
    """
    if not kind or len(kind) > 20:
        raise LedgerError("an expected payment needs a kind of at most 20 characters", "kind")
    if amount is not None and amount.ore <= 0:
        raise LedgerError("an expected amount must be above zero", "amount")
    now = datetime.now(UTC)
    reference = make_reference(_next_serial(conn))
    new_id = conn.execute(
        t.expected_payments.insert()
        .values(
            reference=reference,
            kind=kind,
            gift_id=gift_id,
            network_id=network_id,
            contributor_id=contributor_id,
            amount_ore=None if amount is None else amount.ore,
            currency="SEK" if amount is None else amount.currency,
            due_date=due_date,
            repeating=repeating,
            status="open",
            paid_ore=0,
            created_at=now,
            updated_at=now,
        )
        .returning(t.expected_payments.c.id)
    ).scalar_one()
    found = by_id(conn, int(new_id))
    if found is None:  # pragma: no cover - just inserted in this transaction
        raise LedgerError("the new expected payment vanished", "id")
    return found


def by_id(conn: Connection, expected_id: int) -> ExpectedPayment | None:
    row = conn.execute(_select().where(t.expected_payments.c.id == expected_id)).first()
    return None if row is None else _record(row)


def by_reference(conn: Connection, reference: str) -> ExpectedPayment | None:
    """The expected payment with this reference (spaces ignored); None for an invalid one."""
    digits = normalise(reference)
    if not is_valid_reference(digits):
        return None
    row = conn.execute(_select().where(t.expected_payments.c.reference == digits)).first()
    return None if row is None else _record(row)


def by_gift(conn: Connection, gift_id: int) -> ExpectedPayment | None:
    """The gift's own expected payment (one of ``GIFT_KINDS``), if it has one."""
    e = t.expected_payments.c
    row = conn.execute(_select().where(e.gift_id == gift_id, e.kind.in_(GIFT_KINDS))).first()
    return None if row is None else _record(row)


def for_gift(
    conn: Connection,
    *,
    gift_id: int,
    amount: Money,
    network_id: int | None,
    monthly: bool,
) -> ExpectedPayment:
    """The gift's expected payment, made on first call: a double submit of the donor form gets
    the same reference back (the partial UNIQUE index on ``gift_id`` decides a race)."""
    found = by_gift(conn, gift_id)
    if found is not None:
        return found
    try:
        with conn.begin_nested():
            return create(
                conn,
                kind="monthly_gift" if monthly else "gift",
                amount=amount,
                network_id=network_id,
                contributor_id=None,
                gift_id=gift_id,
                repeating=monthly,
            )
    except IntegrityError:
        found = by_gift(conn, gift_id)
        if found is None:
            raise
        return found


def open_payments(
    conn: Connection,
    *,
    amount: Money | None = None,
    kind: str | None = None,
    contributor_id: int | None = None,
    limit: int = 1000,
) -> list[ExpectedPayment]:
    """Expected payments still waiting for money, for matching a payment without a reference.

    ``amount`` keeps those expecting exactly that amount, or any amount; oldest first.
    """
    e = t.expected_payments.c
    query = _select().where(e.status.in_(OPEN_STATUSES))
    if amount is not None:
        query = query.where(
            e.currency == amount.currency,
            (e.amount_ore == amount.ore) | e.amount_ore.is_(None),
        )
    if kind is not None:
        query = query.where(e.kind == kind)
    if contributor_id is not None:
        query = query.where(e.contributor_id == contributor_id)
    rows = conn.execute(query.order_by(e.created_at, e.id).limit(limit))
    return [_record(row) for row in rows]


def _apply(current: ExpectedPayment, received: int) -> tuple[int, str]:
    """How much of ``received`` is surplus, and the status after it."""
    if current.status in ("cancelled", "written_off"):
        return received, current.status  # nothing is expected any more: all of it is surplus
    if current.repeating:
        return 0, current.status
    if current.amount_ore is None:
        return (received, current.status) if current.status == "paid" else (0, "paid")
    due = max(0, current.amount_ore - current.paid_ore)
    surplus = max(0, received - due)
    if current.paid_ore + received - surplus >= current.amount_ore:
        return surplus, "paid"
    return surplus, "overdue" if current.status == "overdue" else "partly_paid"


def _lock(conn: Connection, expected_id: int) -> ExpectedPayment:
    # FOR UPDATE on PostgreSQL; SQLite's write transaction (BEGIN IMMEDIATE) already serialises.
    e = t.expected_payments.c
    locked = conn.execute(select(e.id).where(e.id == expected_id).with_for_update()).first()
    current = by_id(conn, expected_id) if locked is not None else None
    if current is None:
        raise LedgerError(f"no expected payment {expected_id}", "expected_payment_id")
    return current


def _recorded(current: ExpectedPayment, surplus_ore: int, new: bool) -> RecordedReceipt:
    values = {f: getattr(current, f) for f in ExpectedPayment.__dataclass_fields__}
    return RecordedReceipt(**values, surplus_ore=surplus_ore, new=new)


def record_receipt(
    conn: Connection,
    expected_id: int,
    *,
    entry_id: int,
    amount: Money,
    source_key: str,
    received_on: date,
) -> RecordedReceipt:
    """Record a payment booked as ``entry_id`` against the expected payment; idempotent on
    ``source_key`` (the payment in the world: bank reference, Swish payment reference).

    The result's ``surplus`` is what the payment brought beyond what was due (an overpayment,
    or money for a cancelled or already paid one): the caller moves it to suspense.
    """
    _check(Receipt(expected_id, entry_id, amount, source_key, received_on))
    current = _lock(conn, expected_id)
    if amount.currency != current.currency:
        raise LedgerError(
            f"the payment is in {amount.currency}, the expected payment in {current.currency}",
            "currency",
        )
    surplus, status = _apply(current, amount.ore)
    r = t.expected_payment_receipts
    try:
        with conn.begin_nested():
            conn.execute(
                r.insert().values(
                    expected_payment_id=expected_id,
                    entry_id=entry_id,
                    amount_ore=amount.ore,
                    surplus_ore=surplus,
                    currency=amount.currency,
                    source_key=source_key,
                    received_on=received_on,
                    created_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        first = conn.execute(
            select(r.c.expected_payment_id, r.c.surplus_ore).where(r.c.source_key == source_key)
        ).first()
        if first is None:
            raise  # not the source key: a bad entry_id or amount, which is a caller's bug
        if first.expected_payment_id != expected_id:
            raise ReceiptConflict(
                f"payment {source_key} is already recorded against expected payment "
                f"{first.expected_payment_id}",
                "source_key",
            ) from None
        return _recorded(current, int(first.surplus_ore), new=False)
    conn.execute(
        t.expected_payments.update()
        .where(t.expected_payments.c.id == expected_id)
        .values(
            paid_ore=t.expected_payments.c.paid_ore + (amount.ore - surplus),
            status=status,
            updated_at=datetime.now(UTC),
        )
    )
    after = by_id(conn, expected_id)
    if after is None:  # pragma: no cover - locked above
        raise LedgerError(f"no expected payment {expected_id}", "expected_payment_id")
    return _recorded(after, surplus, new=True)


_IN_CHUNK = 1000  # ids or keys per IN (...): well below every driver's parameter limit


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i : i + _IN_CHUNK] for i in range(0, len(values), _IN_CHUNK)]


def _among(conn: Connection, column: Any, values: Iterable[Any]) -> Any:
    """``column IN (values)``; on PostgreSQL one array parameter (``= ANY``), since psycopg
    spends longer preparing a query with thousands of placeholders than the server runs it."""
    if conn.dialect.name == "postgresql":
        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(list(values))


_RECEIPT_COLUMNS = (
    ("expected_payment_id", "integer"),
    ("entry_id", "bigint"),
    ("amount_ore", "bigint"),
    ("surplus_ore", "bigint"),
    ("currency", "varchar"),
    ("source_key", "varchar"),
    ("received_on", "date"),
    ("created_at", "timestamptz"),
)


def _insert_receipts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if conn.dialect.name != "postgresql":
        conn.execute(t.expected_payment_receipts.insert(), rows)
        return
    # PostgreSQL: one INSERT over arrays, instead of one statement per row
    names = ", ".join(name for name, _ in _RECEIPT_COLUMNS)
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _RECEIPT_COLUMNS)
    conn.execute(
        text(f"INSERT INTO expected_payment_receipts ({names}) SELECT * FROM unnest({arrays})"),
        {name: [row[name] for row in rows] for name, _ in _RECEIPT_COLUMNS},
    )


def _check(receipt: Receipt) -> None:
    if receipt.amount.ore <= 0:
        raise LedgerError("a received amount must be above zero", "amount")
    if not receipt.source_key or len(receipt.source_key) > 200:
        raise LedgerError("a receipt needs a source key of at most 200 characters", "source_key")


def record_receipts(conn: Connection, receipts: Sequence[Receipt]) -> list[RecordedReceipt]:
    """``record_receipt`` for many payments at once, with the same idempotency on
    ``source_key`` and the same surplus rules, one result per receipt in order.

    The expected payments are locked in id order and read once, the receipts inserted in one
    statement, and each touched expected payment updated once. Should another transaction
    record one of these source keys in between, the batch falls back to ``record_receipt``
    one by one, whose answers are the authority.
    """
    for receipt in receipts:
        _check(receipt)
    ids = sorted({r.expected_id for r in receipts})
    e, r = t.expected_payments.c, t.expected_payment_receipts.c
    current: dict[int, ExpectedPayment] = {}
    for part in _chunks(ids):
        if conn.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE serialises already
            conn.execute(
                select(e.id).where(_among(conn, e.id, part)).order_by(e.id).with_for_update()
            ).all()
        current.update(
            (row.id, _record(row))
            for row in conn.execute(_select().where(_among(conn, e.id, part)))
        )
    earlier: dict[str, tuple[int, int]] = {}
    for part in _chunks(sorted({x.source_key for x in receipts})):
        rows = conn.execute(
            select(r.source_key, r.expected_payment_id, r.surplus_ore).where(
                _among(conn, r.source_key, part)
            )
        )
        earlier.update(
            (row.source_key, (row.expected_payment_id, int(row.surplus_ore))) for row in rows
        )
    now = datetime.now(UTC)
    out: list[RecordedReceipt] = []
    rows_in: list[dict[str, Any]] = []
    for x in receipts:
        state = current.get(x.expected_id)
        if state is None:
            raise LedgerError(f"no expected payment {x.expected_id}", "expected_payment_id")
        if x.amount.currency != state.currency:
            raise LedgerError(
                f"the payment is in {x.amount.currency}, the expected payment in {state.currency}",
                "currency",
            )
        if x.source_key in earlier:
            first_id, first_surplus = earlier[x.source_key]
            if first_id != x.expected_id:
                raise ReceiptConflict(
                    f"payment {x.source_key} is already recorded against expected payment "
                    f"{first_id}",
                    "source_key",
                )
            out.append(_recorded(state, first_surplus, new=False))
            continue
        surplus, status = _apply(state, x.amount.ore)
        earlier[x.source_key] = (x.expected_id, surplus)  # twice in one batch: once
        state = replace(
            state, paid_ore=state.paid_ore + x.amount.ore - surplus, status=status, updated_at=now
        )
        current[x.expected_id] = state
        out.append(_recorded(state, surplus, new=True))
        rows_in.append(
            {
                "expected_payment_id": x.expected_id,
                "entry_id": x.entry_id,
                "amount_ore": x.amount.ore,
                "surplus_ore": surplus,
                "currency": x.amount.currency,
                "source_key": x.source_key,
                "received_on": x.received_on,
                "created_at": now,
            }
        )
    if not rows_in:
        return out
    try:
        with conn.begin_nested():
            _insert_receipts(conn, rows_in)
    except IntegrityError:
        # A source key recorded by a concurrent transaction since we looked: let the
        # one-at-a-time path sort out which are new (it raises for a real fault).
        return [
            record_receipt(
                conn,
                x.expected_id,
                entry_id=x.entry_id,
                amount=x.amount,
                source_key=x.source_key,
                received_on=x.received_on,
            )
            for x in receipts
        ]
    touched = sorted({row["expected_payment_id"] for row in rows_in})
    if conn.dialect.name == "postgresql":
        # one statement for the batch; executemany would send one UPDATE per payment
        conn.execute(
            text(
                "UPDATE expected_payments AS e SET paid_ore = v.paid, status = v.status, "
                "updated_at = :now FROM unnest(CAST(:ids AS integer[]), "
                "CAST(:paid AS bigint[]), CAST(:status AS varchar[])) AS v(id, paid, status) "
                "WHERE e.id = v.id"
            ),
            {
                "now": now,
                "ids": touched,
                "paid": [current[i].paid_ore for i in touched],
                "status": [current[i].status for i in touched],
            },
        )
        return out
    conn.execute(
        t.expected_payments.update()
        .where(e.id == bindparam("b_id"))
        .values(paid_ore=bindparam("b_paid"), status=bindparam("b_status"), updated_at=now),
        [
            {"b_id": i, "b_paid": current[i].paid_ore, "b_status": current[i].status}
            for i in touched
        ],
    )
    return out


def _status_after_reversal(current: ExpectedPayment, paid_ore: int, today: date) -> str:
    if current.status in ("cancelled", "written_off") or current.repeating:
        return current.status
    if current.amount_ore is None:
        return "paid" if paid_ore > 0 else "open"
    if paid_ore >= current.amount_ore:
        return "paid"
    if current.due_date is not None and current.due_date < today:
        return "overdue"
    return "partly_paid" if paid_ore > 0 else "open"


def reverse_receipt(
    conn: Connection, source_key: str, *, reversal_entry_id: int
) -> ExpectedPayment | None:
    """Undo the receipt recorded for ``source_key`` because its entry was reversed as
    ``reversal_entry_id``: its expected payment no longer counts it (``paid_ore`` and status go
    back). Receipts are never deleted: the row stays and names the reversal. Undoing twice
    changes nothing the second time. None when no receipt has this source key.
    """
    r = t.expected_payment_receipts
    found = conn.execute(
        select(r.c.expected_payment_id).where(r.c.source_key == source_key)
    ).first()
    if found is None:
        return None
    current = _lock(conn, int(found.expected_payment_id))
    marked = conn.execute(
        r.update()
        .where(r.c.source_key == source_key, r.c.reversal_entry_id.is_(None))
        .values(reversal_entry_id=reversal_entry_id)
        .returning(r.c.amount_ore, r.c.surplus_ore)
    ).first()
    if marked is None:
        return current  # undone before
    # only what counted when it was recorded comes off: the surplus went to suspense
    paid = max(0, current.paid_ore - (int(marked.amount_ore) - int(marked.surplus_ore)))
    now = datetime.now(UTC)
    status = _status_after_reversal(current, paid, now.date())
    conn.execute(
        t.expected_payments.update()
        .where(t.expected_payments.c.id == current.id)
        .values(paid_ore=paid, status=status, updated_at=now)
    )
    return replace(current, paid_ore=paid, status=status, updated_at=now)


def mark_overdue(conn: Connection, today: date) -> int:
    """Mark unpaid, non-repeating payments whose due date has passed; returns how many."""
    e = t.expected_payments.c
    result = conn.execute(
        t.expected_payments.update()
        .where(
            e.status.in_(("open", "partly_paid")),
            e.repeating.is_(False),
            e.due_date.is_not(None),
            e.due_date < today,
        )
        .values(status="overdue", updated_at=datetime.now(UTC))
    )
    return int(result.rowcount)
