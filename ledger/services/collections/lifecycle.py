"""A collection after its start: finance's review (approve with its organiser and reference, ask
for changes, refuse), the organiser's edits with their history, cash reports, closing, and the
gifts given on its page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, select

from ledger.db import tables as t
from ledger.errors import CollectionConflict, CollectionInvalid, LedgerError
from ledger.money import Money
from ledger.services import expected
from ledger.services.collections.lookup import get
from ledger.services.collections.records import PUBLIC, Collection
from ledger.services.collections.start_form import (
    EDITABLE,
    MAX_GOAL_ORE,
    parse_end,
    parse_goal,
    text_field,
)
from ledger.statuses import CollectionStatus

_WAITING = (CollectionStatus.PENDING, CollectionStatus.CHANGES)  # waiting for staff to review


def _locked(conn: Connection, collection_id: int) -> Collection:
    c = t.collections.c
    conn.execute(select(c.id).where(c.id == collection_id).with_for_update()).first()
    found = get(conn, collection_id)
    if found is None:
        raise LedgerError(f"no collection {collection_id}", "collection_id")
    return found


def _set(conn: Connection, collection_id: int, **values: Any) -> Collection:
    conn.execute(
        t.collections.update()
        .where(t.collections.c.id == collection_id)
        .values(updated_at=datetime.now(UTC), **values)
    )
    return _locked(conn, collection_id)


def _organiser(conn: Connection, current: Collection) -> int:
    """The club's contributor: the one with this organisation number, else a new one."""
    c = t.contributors.c
    found = conn.execute(
        select(c.id).where(
            c.organisation_number == current.organisation_number, c.merged_into.is_(None)
        )
    ).first()
    if found is not None:
        return int(found.id)
    # The contact's e-mail is a person's, often already a donor's or another club's contact:
    # the club gets it only while no active contributor has it (e-mails are unique), and the
    # collection keeps it either way.
    email = current.contact_email.strip().lower()  # stored as the contributor service does
    taken = conn.execute(select(c.id).where(c.email == email, c.merged_into.is_(None))).first()
    return int(
        conn.execute(
            t.contributors.insert()
            .values(
                kind="organisation",
                name=current.org_name,
                email=None if taken is not None else email,
                organisation_number=current.organisation_number,
                org_kind="club",
                contact_person=current.contact_name,
                created_at=datetime.now(UTC),
            )
            .returning(c.id)
        ).scalar_one()
    )


def approve(conn: Connection, collection_id: int) -> Collection:
    """Make it public, with its organiser and its one repeating reference (made once)."""
    current = _locked(conn, collection_id)
    if current.status == CollectionStatus.ACTIVE:
        return current
    if current.status not in _WAITING:
        raise CollectionConflict(f"a {current.status} collection cannot be approved", "status")
    payment = expected.create(
        conn,
        kind="collection",
        amount=None,
        network_id=current.network_id,
        contributor_id=None,
        repeating=True,
    )
    return _set(
        conn,
        collection_id,
        status=CollectionStatus.ACTIVE,
        contributor_id=_organiser(conn, current),
        expected_payment_id=payment.id,
        approved_at=datetime.now(UTC),
        review_note=None,
    )


def review(conn: Connection, collection_id: int, decision: str, note: str) -> Collection:
    """Ask for changes or refuse, with the reason the organiser will read."""
    if decision not in (CollectionStatus.CHANGES, CollectionStatus.REFUSED):
        raise LedgerError("decision must be changes or refused", "decision")
    note = note.strip()
    if not note or len(note) > 1000:
        raise CollectionInvalid({"note": "Skriv en motivering (högst 1000 tecken)."})
    current = _locked(conn, collection_id)
    if current.status not in _WAITING:
        raise CollectionConflict(
            f"a {current.status} collection is not waiting for review", "status"
        )
    return _set(conn, collection_id, status=decision, review_note=note)


def revoke_links(conn: Connection, collection_id: int) -> Collection:
    current = _locked(conn, collection_id)
    return _set(conn, collection_id, token_version=current.token_version + 1)


def edit(
    conn: Connection, collection_id: int, values: Mapping[str, Any], *, by: str, today: date
) -> Collection:
    """Change text, goal, end date or thank-you text; each change goes to the history."""
    current = _locked(conn, collection_id)
    if current.status == CollectionStatus.REFUSED:
        raise CollectionConflict("a refused collection cannot be edited", "status")
    errors: dict[str, str] = {}
    new: dict[str, Any] = {}
    for name in ("title", "body"):
        if name in values:
            new[name] = text_field(values, name, EDITABLE[name], errors)
    if "thanks_text" in values:
        thanks = str(values["thanks_text"] or "").strip()
        if len(thanks) > EDITABLE["thanks_text"]:
            errors["thanks_text"] = "Högst 2000 tecken."
        new["thanks_text"] = thanks or None
    if "goal" in values:
        new["goal_ore"] = parse_goal(values["goal"], errors)
    if "end_date" in values:
        new["end_date"] = parse_end(values["end_date"], today, errors)
    if errors:
        raise CollectionInvalid(errors)
    old = {
        "title": current.title,
        "body": current.body,
        "thanks_text": current.thanks_text,
        "goal_ore": current.goal.ore,
        "end_date": current.end_date,
    }
    changed = {k: v for k, v in new.items() if v != old[k]}
    now = datetime.now(UTC)
    if changed:
        conn.execute(
            t.collection_changes.insert(),
            [
                {
                    "collection_id": collection_id,
                    "field": k,
                    "old_value": str(old[k] or ""),
                    "new_value": str(v or ""),
                    "changed_by": by[:20],
                    "changed_at": now,
                }
                for k, v in changed.items()
            ],
        )
        return _set(conn, collection_id, **changed)
    return current


def history(conn: Connection, collection_id: int) -> list[Any]:
    h = t.collection_changes.c
    return list(
        conn.execute(
            select(h.field, h.old_value, h.new_value, h.changed_by, h.changed_at)
            .where(h.collection_id == collection_id)
            .order_by(h.changed_at.desc(), h.id.desc())
        )
    )


def report_cash(
    conn: Connection, collection_id: int, amount: Money, note: str, collected_on: date
) -> None:
    """The organiser's word that cash was collected; it counts as raised only once it is paid
    in with the collection's reference and the bank file books it."""
    current = _locked(conn, collection_id)
    if current.status not in PUBLIC:
        raise CollectionConflict("only an approved collection takes cash reports", "status")
    if amount.ore <= 0 or amount.ore > MAX_GOAL_ORE:
        raise CollectionInvalid({"cash": "Skriv beloppet i kronor."})
    conn.execute(
        t.collection_cash.insert().values(
            collection_id=collection_id,
            amount_ore=amount.ore,
            note=note.strip()[:200] or "-",
            collected_on=collected_on,
            created_at=datetime.now(UTC),
        )
    )


def close(conn: Connection, collection_id: int) -> Collection:
    """Close it (early, or at its end date); closing twice changes nothing."""
    current = _locked(conn, collection_id)
    if current.status == CollectionStatus.CLOSED:
        return current
    if current.status != CollectionStatus.ACTIVE:
        raise CollectionConflict(f"a {current.status} collection cannot be closed", "status")
    return _set(conn, collection_id, status=CollectionStatus.CLOSED, closed_at=datetime.now(UTC))


def close_expired(conn: Connection, today: date) -> int:
    """Close every active collection whose end date has passed; how many were closed now."""
    c = t.collections.c
    result = conn.execute(
        t.collections.update()
        .where(c.status == CollectionStatus.ACTIVE, c.end_date < today)
        .values(
            status=CollectionStatus.CLOSED,
            closed_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
        )
    )
    return int(result.rowcount)


def attach_gift(conn: Connection, gift_id: int, collection_id: int, shown_name: str | None) -> None:
    """Mark a gift as given on the collection's page, with the first name it may show."""
    first = (shown_name or "").split()
    conn.execute(
        t.gifts.update()
        .where(t.gifts.c.id == gift_id)
        .values(collection_id=collection_id, shown_name=first[0][:60] if first else None)
    )
