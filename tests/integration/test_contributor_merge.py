"""Merging two contributors: one booked reclassification moves the ledger, rows are re-pointed,
nothing is lost and nothing happens twice."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.errors import DimensionRefused
from ledger.money import Money
from ledger.services import contributors, expected, journal, merge, networks, pii, posting

CRYPT = pii.cipher({})
ON = date(2026, 6, 1)


def _org(conn, name, email):
    return contributors.create(conn, CRYPT, "organisation", {"name": name, "email": email})


def _gift(conn, ore, who, network, day=date(2026, 3, 1)):
    posting.post(
        conn,
        Draft(
            day,
            "Gåva",
            (
                LineDraft("1930", ore, 0),
                LineDraft("3993", 0, ore, network=network, contributor_id=who),
            ),
            series="B",
        ),
    )


def _by_contributor(conn):
    ln = t.journal_lines.c
    rows = conn.execute(
        select(ln.account, ln.contributor_id, func.sum(ln.debit_ore - ln.credit_ore)).group_by(
            ln.account, ln.contributor_id
        )
    )
    return {(r[0], r[1]): r[2] for r in rows if r[2]}


def _by_account(conn):
    ln = t.journal_lines.c
    rows = conn.execute(
        select(ln.account, func.sum(ln.debit_ore - ln.credit_ore)).group_by(ln.account)
    )
    return dict(rows.all())


@pytest.fixture
def two(engine):
    with engine.begin() as conn:
        colombia = networks.create(conn, {"slug": "colombia", "name": "Colombia"})
        networks.create(conn, {"slug": "palestina", "name": "Palestina"})
        a = _org(conn, "Seko klubb Posten", "klubb@seko.se")
        b = _org(conn, "Seko-klubben Posten", "posten@seko.se")
        _gift(conn, 100_000, a, "colombia")
        _gift(conn, 30_000, b, "colombia")
        _gift(conn, 20_000, b, "palestina")
        _gift(conn, 5_000, b, None)
        networks.join(conn, colombia, a, date(2026, 3, 1))
        mb = networks.join(conn, colombia, b, date(2025, 9, 1))
        networks.add_commitment(conn, mb, "study_circle", 2026, count=2)
        expected.create(
            conn, kind="pledge", amount=Money(10_000), network_id=colombia, contributor_id=b
        )
    return a, b, colombia


def test_a_merge_books_one_balanced_reclassification(engine, two):
    a, b, _ = two
    with engine.begin() as conn:
        before_accounts = _by_account(conn)
        result = merge.merge(conn, b, a, on=ON)
        entry = journal.get_entry(conn, result.entry_id)
        after = _by_contributor(conn)
        assert _by_account(conn) == before_accounts
    assert result.merged_now
    assert (entry.series, entry.source_key) == ("M", f"merge:{b}:{a}")
    assert (
        sum(ln.debit_ore for ln in entry.lines)
        == sum(ln.credit_ore for ln in entry.lines)
        == 55_000
    )
    # 3993 per network: b's credits move to a, b ends at nothing
    assert {
        (ln.network_id is not None, ln.contributor_id, ln.debit_ore, ln.credit_ore)
        for ln in entry.lines
    } == {
        (True, b, 30_000, 0),
        (True, a, 0, 30_000),
        (True, b, 20_000, 0),
        (True, a, 0, 20_000),
        (False, b, 5_000, 0),
        (False, a, 0, 5_000),
    }
    assert after == {("1930", None): 155_000, ("3993", a): -155_000}


def test_a_merge_repoints_memberships_and_marks_the_merged_one(engine, two):
    a, b, colombia = two
    with engine.begin() as conn:
        result = merge.merge(conn, b, a, on=ON)
        merged = contributors.get(conn, b)
        [membership] = networks.memberships(conn, network_id=colombia)
    assert merged.merged_into == a
    assert membership.contributor_id == a
    assert membership.joined_on == date(2025, 9, 1)  # the earlier of the two
    assert [c.kind for c in membership.commitments] == ["study_circle"]
    assert result.moved == {"expected_payments": 1, "network_memberships": 1}
    with engine.begin() as conn:
        assert [p.contributor_id for p in expected.open_payments(conn)] == [a]


def test_merging_twice_books_nothing_twice(engine, two):
    a, b, _ = two
    with engine.begin() as conn:
        first = merge.merge(conn, b, a, on=ON)
    with engine.begin() as conn:
        entries = conn.scalar(select(func.count()).select_from(t.journal_entries))
        again = merge.merge(conn, b, a, on=ON)
        assert conn.scalar(select(func.count()).select_from(t.journal_entries)) == entries
    assert not again.merged_now and again.entry_id == first.entry_id and again.moved == first.moved


def test_a_merged_contributor_is_not_merged_elsewhere_nor_into(engine, two):
    a, b, _ = two
    with engine.begin() as conn:
        c = _org(conn, "Tredje", "tredje@seko.se")
        merge.merge(conn, b, a, on=ON)
        with pytest.raises(DimensionRefused) as caught:
            merge.merge(conn, b, c, on=ON)
        assert caught.value.field == "from_id"
        with pytest.raises(DimensionRefused) as caught:
            merge.merge(conn, c, b, on=ON)
        assert caught.value.field == "into_id"
        with pytest.raises(DimensionRefused):
            merge.merge(conn, a, a, on=ON)


def test_a_person_is_not_merged_into_an_organisation(engine, two):
    a, _, _ = two
    with engine.begin() as conn:
        person = contributors.create(conn, CRYPT, "person", {"name": "Sara"})
        with pytest.raises(DimensionRefused, match="person and an organisation"):
            merge.merge(conn, person, a, on=ON)


def test_without_a_balance_a_merge_books_nothing(engine):
    with engine.begin() as conn:
        a = _org(conn, "A", "a@example.org")
        b = _org(conn, "B", "b@example.org")
        entries = conn.scalar(select(func.count()).select_from(t.journal_entries))
        result = merge.merge(conn, b, a, on=ON)
        assert conn.scalar(select(func.count()).select_from(t.journal_entries)) == entries
    assert result.entry_id is None and result.merged_now


def test_the_merged_ones_email_finds_the_survivor(engine, two):
    from ledger.services import dimensions

    a, b, _ = two
    with engine.begin() as conn:
        merge.merge(conn, b, a, on=ON)
        assert dimensions.find_contributor_by_email(conn, "posten@seko.se").id == a
        # lists show the survivor only; the merged one stays readable by its id
        assert [r.id for r in contributors.search(conn, "posten")[0]] == [a]
        assert contributors.get(conn, b).merged_into == a
