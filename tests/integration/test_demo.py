import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kassan import demo
from kassan.cli.demo import demo_cli
from kassan.demo import autogiro, bankfile, cards, manual, workplace
from ledger.db import tables as t
from ledger.services import collections, expected, invoices, users
from reports import dashboard
from reports.funding import funding_gap
from reports.trial_balance import trial_balance
from webhooks.bankfiles.autogiro.codes import FileKind

DEMO_AUTOGIRO_CUSTOMER = "471117"  # as the Makefile's DEMO_ENV
GIFTS = 150  # above the bulk threshold, so the fast insert path is the one under test


@pytest.fixture(autouse=True)
def _demo_bankgiro(app):
    """The demo's bankgiro is ours and Autogiro is set up, as ``make demo`` sets
    KASSAN_BANKGIRO and KASSAN_AUTOGIRO_CUSTOMER_NUMBER."""
    app.config["BANKGIRO"] = bankfile.DEMO_BANKGIRO
    app.config["AUTOGIRO_CUSTOMER_NUMBER"] = DEMO_AUTOGIRO_CUSTOMER


def _seed(cli, *args, **kwargs):
    result = cli.invoke(demo_cli, ["seed", *args], **kwargs)
    assert result.exit_code == 0, result.output
    return result


def _counts(engine):
    tables = {
        name: getattr(t, name)
        for name in (
            "networks",
            "network_budgets",
            "contributors",
            "users",
            "journal_entries",
            "journal_lines",
            "fiscal_years",
        )
    }
    with engine.connect() as conn:
        counts = {
            name: conn.scalar(select(func.count()).select_from(table))
            for name, table in tables.items()
        }
        b = t.account_balances.c
        counts["balances"] = tuple(
            conn.execute(select(func.sum(b.debit_ore), func.sum(b.credit_ore))).one()
        )
    return counts


def _gifts_booked(engine):
    """Entries of demo gifts: bankgiro gifts (source kind demo) and card charges."""
    e = t.journal_entries.c
    with engine.connect() as conn:
        return conn.scalar(
            select(func.count()).where(
                (e.source_kind == "demo") | e.source_key.startswith("stripe:charge:")
            )
        )


def test_seeding_books_networks_budgets_contributors_logins_and_gifts(cli, engine):
    result = _seed(cli, "--gifts", str(GIFTS))
    today = date.today()
    years = list(range(2025, max(2026, today.year) + 2))  # through next year
    plan = demo.build_plan(GIFTS, today)
    by_bank = {f"demo:gift:{g.n}" for g in plan.gifts if g.channel == "bankgiro"}

    assert "http://127.0.0.1:5000/login" in result.output
    for email, _role, password in demo.DEMO_USERS:
        assert email in result.output
        assert password in result.output
        assert len(password) >= users.MIN_PASSWORD
    assert f"{GIFTS} booked now, 0 already there" in result.output

    with engine.connect() as conn:
        networks = {r.slug: r.id for r in conn.execute(select(t.networks))}
        assert set(networks) == {slug for slug, _, _ in demo.NETWORKS}
        budgets = conn.execute(select(t.network_budgets)).all()
        assert {(b.network_id, b.year) for b in budgets} == {
            (nid, y) for nid in networks.values() for y in years
        }
        for b in budgets:
            assert 400_000_00 <= b.need_ore <= 2_500_000_00
            assert 60 * b.need_ore <= 100 * b.sida_ore <= 90 * b.need_ore

        kinds = dict(
            conn.execute(
                select(t.contributors.c.kind, func.count()).group_by(t.contributors.c.kind)
            ).all()
        )
        clubs = len(workplace.COLLECTIONS)  # each collection's club becomes a contributor
        assert kinds == {"person": demo.PERSONS, "organisation": len(demo.ORGANISATIONS) + clubs}
        assert sum(kinds.values()) >= 280

        for email, role, password in demo.DEMO_USERS:
            user = users.authenticate(conn, email, password)
            assert user is not None
            assert user.role == role

        everything = conn.execute(select(t.journal_entries)).all()
        for series in {e.series for e in everything}:
            for year in {e.fiscal_year for e in everything}:
                numbers = sorted(
                    e.number for e in everything if e.fiscal_year == year and e.series == series
                )
                assert numbers == list(range(1, len(numbers) + 1))
        entries = [e for e in everything if e.source_kind == "demo"]
        assert len(entries) == len(by_bank)
        assert {e.series for e in entries} == {"B"}
        assert {e.source_key for e in entries} == by_bank
        assert all(date(2025, 1, 1) <= e.date <= today for e in entries)
        charges = {e.source_key for e in everything if e.source_key.startswith("stripe:charge:")}
        assert charges == {
            f"stripe:charge:ch_demo_{g.n}" for g in plan.gifts if g.channel == "card"
        }
        assert len(by_bank) + len(charges) == GIFTS

        ids = [e.id for e in entries]
        lines = conn.execute(
            select(t.journal_lines).where(t.journal_lines.c.entry_id.in_(ids))
        ).all()
        debits = [ln for ln in lines if ln.debit_ore]
        credits = [ln for ln in lines if ln.credit_ore]
        assert {ln.account for ln in debits} == {"1930"}
        assert {ln.account for ln in credits} == {"3993"}
        assert all(ln.contributor_id is not None for ln in credits)
        assert any(ln.network_id is None for ln in credits)  # where it is needed most
        assert any(ln.network_id is not None for ln in credits)
        org_ids = set(
            conn.scalars(select(t.contributors.c.id).where(t.contributors.c.kind == "organisation"))
        )
        org_gifts = [ln.credit_ore for ln in credits if ln.contributor_id in org_ids]
        person_gifts = [ln.credit_ore for ln in credits if ln.contributor_id not in org_ids]
        assert org_gifts
        assert all(5_000_00 <= ore <= 100_000_00 for ore in org_gifts)
        assert all(50_00 <= ore <= 1_000_00 for ore in person_gifts)


def test_seeding_twice_books_nothing_twice_and_changes_no_count(cli, engine):
    _seed(cli, "--gifts", str(GIFTS))
    before = _counts(engine)

    again = _seed(cli, "--gifts", str(GIFTS))

    assert _counts(engine) == before
    assert f"0 booked now, {GIFTS} already there" in again.output
    assert "payments, already there" in again.output
    assert "(0 new)" in again.output
    assert "password was changed" not in again.output


def test_the_seeded_books_balance(cli, engine):
    _seed(cli, "--gifts", str(GIFTS))
    with engine.connect() as conn:
        report = trial_balance(conn)
        by_account = {a["account"]: a["balance_ore"] for a in report["accounts"]}
        ln = t.journal_lines.c
        line_totals = conn.execute(select(func.sum(ln.debit_ore), func.sum(ln.credit_ore))).one()
        invoiced = conn.scalar(select(func.sum(t.invoices.c.total_ore)))
        b, x = t.bank_lines.c, t.expected_payments.c
        from_bank = conn.scalar(select(func.sum(b.amount_ore)).where(b.direction == "in"))
        unmatched = conn.scalar(select(func.sum(b.amount_ore)).where(b.match_kind == "unmatched"))
        invoices_paid = conn.scalar(select(func.sum(x.paid_ore)).where(x.kind == "invoice"))
        d = t.autogiro_debits.c  # approved Autogiro debits: 1930/3993, series G
        by_autogiro = conn.scalar(select(func.sum(d.amount_ore)).where(d.status == "approved"))
    today = date.today()
    plan = demo.build_plan(GIFTS, today)
    by_bank = sum(g.ore for g in plan.gifts if g.channel == "bankgiro")
    by_card = [g for g in plan.gifts if g.channel == "card"]
    fees = sum(cards.fee_ore(g.ore) for g in by_card)
    paid_out = sum(p["amount"] for p in cards.payouts(by_card, today))
    by_hand = {"1910": 0, "1930": 0, "3993": 0, "6570": 0}  # manual entries, series M
    for m in manual.MANUAL:
        by_hand[m.debit] += 100 * m.kr
        by_hand[m.credit] -= 100 * m.kr
    assert report["totals"]["debit_ore"] == report["totals"]["credit_ore"] == line_totals[0]
    assert line_totals[0] == line_totals[1]
    assert by_account == {
        "1910": by_hand["1910"],
        "1930": by_bank + paid_out + from_bank + by_autogiro + by_hand["1930"],
        "1510": invoiced - invoices_paid,
        "1580": sum(g.ore for g in by_card) - fees - paid_out,
        "2890": -unmatched,
        "3993": by_hand["3993"]
        - (
            by_bank
            + sum(g.ore for g in by_card)
            + invoiced
            + from_bank
            + by_autogiro
            - invoices_paid
            - unmatched
        ),
        "6570": fees + by_hand["6570"],
    }
    assert by_hand["3993"] < 0 and by_hand["6570"] > 0
    assert fees > 0 and paid_out > 0 and invoiced > 0 and by_autogiro > 0
    assert from_bank > invoices_paid + unmatched > 0 and invoices_paid > 0


def test_seeding_refuses_to_run_in_production(app, cli, engine):
    app.config["KASSAN_ENV"] = "production"

    result = cli.invoke(demo_cli, ["seed", "--gifts", "10"])

    assert result.exit_code != 0
    assert "production" in result.output
    counts = _counts(engine)
    assert counts["networks"] == counts["contributors"] == counts["users"] == 0
    assert counts["journal_entries"] == 0


def test_the_number_of_gifts_can_come_from_the_environment(cli, engine):
    _seed(cli, env={"KASSAN_DEMO_GIFTS": "12"})
    assert _gifts_booked(engine) == 12


def test_a_larger_second_run_books_only_the_gifts_not_there_yet(cli, engine):
    _seed(cli, "--gifts", "30")
    result = _seed(cli, "--gifts", "45")
    assert "15 booked now, 30 already there" in result.output
    assert _gifts_booked(engine) == 45


def test_a_demo_login_whose_password_was_changed_is_left_as_it_is(cli, engine):
    with engine.begin() as conn:
        users.create_user(conn, "admin@kassan.example", "a-secret-of-our-own", "admin")

    result = _seed(cli, "--gifts", "5")

    assert "password was changed" in result.output
    with engine.connect() as conn:
        assert users.authenticate(conn, "admin@kassan.example", "a-secret-of-our-own")
        assert users.authenticate(conn, "ekonomi@kassan.example", "demo-ekonomi-2026")
        assert users.count_users(conn) == 3


def test_posting_reports_progress_after_each_batch(app, engine):
    plan = demo.build_plan(120, date(2026, 6, 30))
    seen: list[int] = []
    with engine.begin() as conn:
        summary = demo.seed(conn, plan, config=app.config, progress=seen.append, batch_size=50)
    assert seen == [50, 100, 120]
    assert (summary.gifts_posted, summary.gifts_already) == (120, 0)


def test_the_plan_is_the_same_for_the_same_day_and_stays_in_its_window():
    day = date(2026, 6, 30)
    plan = demo.build_plan(400, day)

    assert plan == demo.build_plan(400, day)
    assert [g.n for g in plan.gifts] == list(range(1, 401))
    assert all(date(2025, 1, 1) <= g.day <= day for g in plan.gifts)
    assert [g.day for g in plan.gifts] == sorted(g.day for g in plan.gifts)
    assert any(g.monthly for g in plan.gifts)
    assert len({c.email for c in plan.contributors}) == len(plan.contributors)
    assert all(c.email.isascii() for c in plan.contributors)
    assert demo.build_plan(0, day).gifts == ()
    assert demo.build_plan(10, date(2024, 12, 31)).gifts == ()


def test_the_demo_prints_its_logins_at_the_address_it_is_served_on(app, cli):
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5150"
    result = _seed(cli, "--gifts", "20")
    assert "Demo logins at http://127.0.0.1:5150/login:" in result.output


def test_the_dashboard_shows_card_gifts_monthly_givers_on_every_channel_and_pledges(cli, engine):
    _seed(cli, "--gifts", "600")
    today = date.today()
    plan = demo.build_plan(600, today)
    paying = [m for m in plan.monthly if not m.stopped]
    # in December no month of the year is left to project: next year's projection shows
    ahead = today.year if today.month < 12 else today.year + 1
    with engine.connect() as conn:
        now = funding_gap(conn, today.year, as_of=today)
        coming = funding_gap(conn, ahead, as_of=today)
        channels, _, _ = dashboard.giving(conn, today.year, None, {})

    assert {m.channel for m in paying} == {"card", "bankgiro"}
    # card subscriptions, standing orders and the Autogiro mandates Bankgirot approved
    assert now.total.monthly_givers == len(paying) + autogiro.GIVERS - 1
    assert now.autogiro_failures.failed == 1
    assert now.autogiro_failures.decided == (autogiro.GIVERS - 1) * autogiro.MONTHS
    assert now.churn.stopped == sum(m.stopped for m in plan.monthly) > 0
    assert now.total.committed_ore > 0
    assert coming.total.committed_ore > 0
    assert coming.total.projected_ore > 0
    shares = {c.key: c.net_ore for c in channels}
    assert shares["K"] > 0 and shares["B"] > 0 and shares["F"] > 0 and shares["G"] > 0


def test_the_bank_file_pays_swish_gifts_pledges_and_invoices_and_leaves_some_for_the_desk(
    cli, engine
):
    result = _seed(cli, "--gifts", str(GIFTS))
    today = date.today()
    plan = demo.build_plan(GIFTS, today)
    swished = bankfile.swish_gifts(plan, today)
    unknown = [u for u in bankfile._UNKNOWN if bankfile.START + timedelta(days=u[0]) <= today]
    g, b, e = t.gifts.c, t.bank_lines.c, t.journal_entries.c
    with engine.connect() as conn:
        swish = conn.execute(select(g.status, g.amount_ore).where(g.channel == "swish")).all()
        channels, _, _ = dashboard.giving(conn, today.year, None, {})
        lines = conn.execute(select(b.match_kind, b.channel, b.entry_id)).all()
        queue = conn.execute(
            select(e.series, t.journal_lines.c.account)
            .join(t.journal_lines, t.journal_lines.c.entry_id == e.id)
            .join(t.bank_lines, b.entry_id == e.id)
            .where(b.match_kind == "unmatched", t.journal_lines.c.credit_ore > 0)
        ).all()
        found, _ = invoices.list_invoices(conn, limit=1000)
        instalments = conn.execute(
            select(t.pledge_instalments.c.expected_payment_id)
            .join(t.pledges, t.pledges.c.id == t.pledge_instalments.c.pledge_id)
            .where(t.pledges.c.payment_way == "bankgiro", t.pledge_instalments.c.due_date <= today)
        ).scalars()
        pledged = [expected.by_id(conn, i) for i in instalments]

    assert f"{len(lines)} payments, {len(lines)} booked now ({len(unknown)} unmatched" in (
        result.output
    )
    assert len(swish) == len(swished) > 0
    assert {s.status for s in swish} == {"paid"}
    assert sum(s.amount_ore for s in swish) == sum(s.ore for s in swished)
    assert sum(1 for ln in lines if ln.channel == "swish") == len(swished)
    assert {c.key for c in channels if c.net_ore > 0} >= {"S", "B", "K", "F"}
    assert len(queue) == len(unknown) > 0
    assert set(queue) == {("B", "2890")}
    assert {ln.match_kind for ln in lines} == {"ocr", "unmatched"}
    assert pledged and {p.status for p in pledged if p is not None} == {"paid"}
    overdue = [i for i in found if i.kind == "invoice" and i.status(today) == "overdue"]
    assert len(overdue) == 1
    assert overdue[0].lines[0].description == bankfile.OVERDUE_TEXT
    paid = [i for i in found if i.kind == "invoice" and i.status(today) == "paid"]
    assert paid


def test_the_bank_file_is_the_same_file_on_a_second_run_the_same_day(app, cli, engine):
    _seed(cli, "--gifts", str(GIFTS))
    today = date.today()
    plan = demo.build_plan(GIFTS, today)
    with engine.connect() as conn:
        stored = conn.scalar(select(t.bank_imports.c.sha256))
        first = bankfile.build(conn, plan, today, "991-2346")
        assert first is not None
        assert hashlib.sha256(first).hexdigest() == stored
    again = bankfile.import_(engine, plan, today, app.config)
    assert again is not None and again.booked == 0
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.bank_imports)) == 1


def test_an_active_and_a_closed_workplace_collection_hold_their_colleagues_gifts(cli, engine):
    _seed(cli, "--gifts", str(GIFTS))
    _seed(cli, "--gifts", str(GIFTS))  # a second run starts none again
    with engine.connect() as conn:
        found = collections.list_collections(conn)
        raised = {c.status: collections.progress(conn, c) for c in found}
        organisers = {c.contributor_id for c in found}

    assert len(found) == len(workplace.COLLECTIONS) == 2
    assert set(raised) == {"active", "closed"}
    for spec in workplace.COLLECTIONS:
        got = raised["closed" if spec.closed else "active"]
        assert got.raised.ore == 100 * sum(kr for _, kr in spec.gifts_kr)
        assert got.gift_count == len(spec.gifts_kr)
    assert None not in organisers and len(organisers) == 2


def test_the_manual_entries_are_booked_once_in_series_m(cli, engine):
    _seed(cli, "--gifts", "20")
    again = _seed(cli, "--gifts", "20")
    e = t.journal_entries.c
    with engine.connect() as conn:
        entries = conn.execute(select(e.series, e.text, e.source_kind).where(e.series == "M")).all()

    assert "0 manual entries (series M) booked now" in again.output
    assert sorted(x.text for x in entries) == sorted(m.text for m in manual.MANUAL)
    assert {x.source_kind for x in entries} == {"manual"}


def test_without_a_bankgiro_of_ours_the_demo_imports_no_bank_file(app, cli, engine):
    app.config["BANKGIRO"] = None

    result = _seed(cli, "--gifts", "20")

    assert "bank file:    none (KASSAN_BANKGIRO is not set" in result.output
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.bank_imports)) == 0


def test_autogiro_givers_are_taken_in_debited_and_booked_through_the_real_imports(app, cli, engine):
    result = _seed(cli, "--gifts", str(GIFTS))
    months, failed = autogiro.MONTHS, 1
    active = autogiro.GIVERS - 1  # Bankgirot refuses one mandate
    approved = active * months - failed
    assert (
        f"autogiro:     {autogiro.GIVERS} mandates ({autogiro.GIVERS} new, 1 refused), "
        f"{approved} debits approved, {failed} failed"
    ) in result.output

    with engine.connect() as conn:
        m, d, e = t.autogiro_mandates.c, t.autogiro_debits.c, t.journal_entries.c
        statuses = dict(conn.execute(select(m.status, func.count()).group_by(m.status)).all())
        assert statuses == {"active": active, "refused": 1}
        files = conn.execute(
            select(t.autogiro_files.c.direction, func.count()).group_by(
                t.autogiro_files.c.direction
            )
        ).all()
        # out: the mandate file and a payment order file a month; in: the advice and the specs
        assert dict(files) == {"out": 1 + months, "in": 1 + months}
        debits = dict(conn.execute(select(d.status, func.count()).group_by(d.status)).all())
        assert debits == {"approved": approved, "failed": failed}
        approved_ore = conn.scalar(select(func.sum(d.amount_ore)).where(d.status == "approved"))
        booked = conn.execute(select(e.id).where(e.series == "G")).all()
        assert len(booked) == approved
        lines = conn.execute(
            select(t.journal_lines).where(t.journal_lines.c.entry_id.in_([b.id for b in booked]))
        ).all()
        assert sum(ln.debit_ore for ln in lines if ln.account == "1930") == approved_ore
        assert sum(ln.credit_ore for ln in lines if ln.account == "3993") == approved_ore
        assert all(ln.contributor_id is not None for ln in lines if ln.account == "3993")
        gift_status = dict(
            conn.execute(
                select(t.gifts.c.status, func.count())
                .where(t.gifts.c.channel == "autogiro")
                .group_by(t.gifts.c.status)
            ).all()
        )
        assert gift_status == {"active": active, "cancelled": 1}


def test_the_demo_autogiro_imports_agree_with_their_files_and_a_second_run_adds_nothing(
    app, cli, engine
):
    del app.config["AUTOGIRO_CUSTOMER_NUMBER"]
    result = _seed(cli, "--gifts", str(GIFTS))
    assert "autogiro:     none (KASSAN_AUTOGIRO_CUSTOMER_NUMBER is not set)" in result.output
    app.config["AUTOGIRO_CUSTOMER_NUMBER"] = DEMO_AUTOGIRO_CUSTOMER
    plan = demo.build_plan(GIFTS, date.today())
    with app.app_context():
        made = autogiro.seed(engine, plan, date.today(), app.config)
    assert made is not None
    assert [i.kind for i in made.imports] == [FileKind.MANDATE_ADVICE] + [
        FileKind.PAYMENT_SPECIFICATION
    ] * autogiro.MONTHS
    specs_ore = 0
    for imported in made.imports:
        assert imported.ok, (imported.filename, imported.problems)
        assert not imported.conflicts
        if imported.file_ore is not None:
            assert imported.file_ore == imported.booked_ore
            specs_ore += imported.file_ore
    with engine.connect() as conn:
        d = t.autogiro_debits.c
        approved = conn.scalar(select(func.sum(d.amount_ore)).where(d.status == "approved"))
    assert specs_ore == approved > 0

    before = _counts(engine)
    with app.app_context():
        again = autogiro.seed(engine, plan, date.today(), app.config)
    assert again is not None
    assert again.imports == []
    assert (again.mandates, again.mandates_new, again.approved) == (made.mandates, 0, made.approved)
    assert _counts(engine) == before
