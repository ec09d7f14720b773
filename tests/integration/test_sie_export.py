"""SIE 4 export on a real database: header, chart, objects, balances and vouchers, read back
with Kassan's own SIE parser and checked against the ledger's trial balance."""

from __future__ import annotations

import io
from datetime import date
from importlib.metadata import version

import pytest
from sqlalchemy import Connection, Engine, func, select

from kassan.cli.main import main
from kassan.web.database import get_engine
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import dimensions, posting
from reports.errors import SieExportRefused
from reports.sie.export import VoucherRow, voucher_records, write_sie
from reports.sie.model import CARRIED_RESULT_ACCOUNT, is_balance_account
from reports.sie.parse import parse
from reports.trial_balance import trial_balance

ODD_TEXT = 'Gåva "Solidaritet" från klubben C:\\kassa, 5 €'


def _entry(day: date, text: str, series: str, lines: list[tuple[str, int, str | None]]) -> Draft:
    """Lines as (account, signed öre: debit positive, network slug)."""
    return Draft(
        date=day,
        text=text,
        series=series,
        source_kind="test",
        lines=tuple(
            LineDraft(acc, max(ore, 0), max(-ore, 0), network=net) for acc, ore, net in lines
        ),
    )


def book_sample_ledger(conn: Connection) -> None:
    """Two years of a small organisation's books: card gifts with fees and payouts, bankgiro
    gifts, an invoice, an unidentified payment matched later, across two networks."""
    dimensions.create_network(conn, "fred", "Fred och säkerhet")
    dimensions.create_network(conn, "klimat", 'Rättvis "grön" omställning')
    drafts = [
        _entry(
            date(2025, 2, 3), "Kortgåva", "K", [("1580", 50000, None), ("3993", -50000, "fred")]
        ),
        _entry(
            date(2025, 2, 3), "Stripe-avgift", "K", [("6570", 1075, None), ("1580", -1075, None)]
        ),
        _entry(
            date(2025, 2, 10), "Utbetalning", "K", [("1930", 48925, None), ("1580", -48925, None)]
        ),
        _entry(
            date(2025, 5, 2),
            "Faktura 1",
            "F",
            [("1510", 1500000, None), ("3993", -1500000, "klimat")],
        ),
        _entry(
            date(2025, 6, 1),
            "Okänd insättning",
            "B",
            [("1930", 30000, None), ("2890", -30000, None)],
        ),
        _entry(
            date(2025, 12, 30),
            "Faktura 1 betald",
            "B",
            [("1930", 1500000, None), ("1510", -1500000, None)],
        ),
        _entry(date(2026, 1, 15), ODD_TEXT, "B", [("1930", 12550, None), ("3993", -12550, "fred")]),
        _entry(
            date(2026, 2, 1), "Matchad", "B", [("2890", 30000, None), ("3993", -30000, "klimat")]
        ),
        _entry(
            date(2026, 3, 1),
            "Delad gåva",
            "B",
            [("1930", 100000, None), ("3993", -60000, "fred"), ("3993", -40000, "klimat")],
        ),
        _entry(date(2026, 3, 5), "Bankavgift", "M", [("6570", 3500, None), ("1930", -3500, None)]),
    ]
    for draft in drafts:
        posting.post(conn, draft)


def expected_balances(conn: Connection, year: int) -> dict[str, dict[str, int]]:
    """#IB/#UB/#RES for ``year`` computed from Kassan's trial balances, year by year."""
    by_year = {
        y: {a["account"]: a["balance_ore"] for a in trial_balance(conn, y)["accounts"]}
        for y in range(2020, year + 1)
    }
    ib: dict[str, int] = {}
    carried = 0
    for y in range(2020, year):
        for account, ore in by_year[y].items():
            if is_balance_account(account):
                ib[account] = ib.get(account, 0) + ore
            else:
                carried += ore
    if carried:
        ib[CARRIED_RESULT_ACCOUNT] = ib.get(CARRIED_RESULT_ACCOUNT, 0) + carried
    ub = dict(ib)
    res: dict[str, int] = {}
    for account, ore in by_year[year].items():
        if is_balance_account(account):
            ub[account] = ub.get(account, 0) + ore
        elif ore:
            res[account] = ore
    return {"IB": ib, "UB": ub, "RES": res}


def export_bytes(engine: Engine, year: int, **kw: object) -> bytes:
    out = io.BytesIO()
    with engine.connect() as conn:
        write_sie(
            conn,
            year,
            out,
            org_name="Solidaritetsorganisationen",
            org_number="802000-0000",
            generated=date(2026, 11, 28),
            **kw,  # type: ignore[arg-type]
        )
    return out.getvalue()


def test_the_export_has_the_sie_4_header_in_cp437_with_crlf(engine):
    with engine.begin() as conn:
        book_sample_ledger(conn)
    data = export_bytes(engine, 2026)
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    lines = data.decode("cp437").split("\r\n")
    assert lines[:12] == [
        "#FLAGGA 0",
        f'#PROGRAM "Kassan" "{version("kassan")}"',
        "#FORMAT PC8",
        "#GEN 20261128",
        "#SIETYP 4",
        '#ORGNR "802000-0000"',
        '#FNAMN "Solidaritetsorganisationen"',
        "#RAR 0 20260101 20261231",
        "#RAR -1 20250101 20251231",
        "#KPTYP BAS2014",
        "#VALUTA SEK",
        '#KONTO 1510 "Kundfordringar"',
    ]
    assert "#KTYP 1510 T" in lines and "#KTYP 2890 S" in lines
    assert "#KTYP 3993 I" in lines and "#KTYP 6570 K" in lines
    assert '#DIM 6 "Projekt"' in lines
    assert '#OBJEKT 6 "fred" "Fred och säkerhet"' in lines
    assert '#OBJEKT 6 "klimat" "Rättvis \\"grön\\" omställning"' in lines
    # Swedish letters are CP437 bytes (ä = 0x84), not UTF-8
    assert "Företagskonto".encode("cp437") in data


def test_the_exported_file_reads_back_with_every_figure_from_the_ledger(engine):
    with engine.begin() as conn:
        book_sample_ledger(conn)
        expected = expected_balances(conn, 2026)
        accounts = set(conn.scalars(select(t.accounts.c.code)))
        entries_2026 = conn.scalar(
            select(func.count()).where(t.journal_entries.c.fiscal_year == 2026)
        )
    sie = parse(export_bytes(engine, 2026))
    assert sie.problems == []
    assert set(sie.accounts) == accounts
    assert all(a.ktyp for a in sie.accounts.values())
    assert {k: v for k, v in sie.balances_of("IB", 0).items() if v} == {
        k: v for k, v in expected["IB"].items() if v
    }
    assert {k: v for k, v in sie.balances_of("UB", 0).items() if v} == {
        k: v for k, v in expected["UB"].items() if v
    }
    assert sie.balances_of("RES", 0) == expected["RES"]
    # 2025's result (gifts 15 500,00 kr less 10,75 kr fees) opens 2026 on equity
    assert sie.balances_of("IB", 0)[CARRIED_RESULT_ACCOUNT] == -(50000 + 1500000 - 1075)
    assert sum(sie.balances_of("IB", 0).values()) == 0
    # the year before: 2025's own figures, opening at nothing
    assert sie.balances_of("RES", -1) == {"3993": -1550000, "6570": 1075}
    assert sie.balances_of("UB", -1)["1930"] == 48925 + 30000 + 1500000
    assert len(sie.vouchers) == entries_2026 == 4


def test_vouchers_carry_series_number_text_and_the_network_on_each_row(engine):
    with engine.begin() as conn:
        book_sample_ledger(conn)
    sie = parse(export_bytes(engine, 2026))
    first, _, split, fee = sie.vouchers
    assert (first.series, first.number, first.date) == ("B", "1", date(2026, 1, 15))
    # quotes and backslashes survive; the euro sign has no CP437 letter and becomes "?"
    assert first.text == ODD_TEXT.replace("€", "?")
    assert [(r.account, r.objects, r.ore) for r in split.trans] == [
        ("1930", (), 100000),
        ("3993", (("6", "fred"),), -60000),
        ("3993", (("6", "klimat"),), -40000),
    ]
    assert (fee.series, fee.number) == ("M", "1")
    text = export_bytes(engine, 2026).decode("cp437")
    assert '#TRANS 3993 {6 "fred"} -600.00\r\n' in text
    assert "#TRANS 6570 {} 35.00\r\n" in text


def test_a_voucher_that_does_not_balance_stops_the_export():
    rows = [
        VoucherRow(7, "B", 7, date(2026, 3, 1), "Trasig", "1930", 10000, 0, "SEK", None),
        VoucherRow(7, "B", 7, date(2026, 3, 1), "Trasig", "3993", 0, 9900, "SEK", 1),
    ]
    with pytest.raises(
        SieExportRefused, match=r"B7 \(2026-03-01\) balanserar inte \(skillnad 1,00"
    ):
        list(voucher_records(rows, {1: "fred"}))


def test_amounts_in_another_currency_stop_the_export(engine):
    with engine.begin() as conn:
        posting.post(
            conn,
            Draft(
                date=date(2026, 4, 1),
                text="Gåva i euro",
                lines=(LineDraft("1930", 1000, 0, "EUR"), LineDraft("3993", 0, 1000, "EUR")),
            ),
        )
    with pytest.raises(SieExportRefused, match=r"M1 .* har belopp i EUR"):
        export_bytes(engine, 2026)


def test_progress_is_reported_while_streaming_a_larger_year(engine):
    drafts = (
        Draft(
            date=date(2026, 1 + i % 12, 1 + i % 28),
            text=f"Gåva {i}",
            series="B",
            source_kind="test",
            source_key=f"test:{i}",
            lines=(LineDraft("1930", 100 + i, 0), LineDraft("3993", 0, 100 + i)),
        )
        for i in range(2500)
    )
    with engine.begin() as conn:
        posting.post_many(conn, drafts)
    seen: list[int] = []
    sie = parse(export_bytes(engine, 2026, progress=seen.append))
    assert seen == [1000, 2000, 2500]
    assert len(sie.vouchers) == 2500
    assert sie.balances_of("RES", 0)["3993"] == -sum(100 + i for i in range(2500))


def test_the_cli_writes_the_file_and_a_refused_export_leaves_none(cli, app, tmp_path):
    with get_engine(app).begin() as conn:
        book_sample_ledger(conn)
    target = tmp_path / "kassan-2026.se"
    result = cli.invoke(main, ["export", "sie", "--year", "2026", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "4 verifikationer, 9 rader" in result.output
    assert parse(target.read_bytes()).problems == []

    with get_engine(app).begin() as conn:
        posting.post(
            conn,
            Draft(
                date=date(2025, 4, 1),
                text="Gåva i euro",
                lines=(LineDraft("1930", 1000, 0, "EUR"), LineDraft("3993", 0, 1000, "EUR")),
            ),
        )
    refused = tmp_path / "kassan-2025.se"
    result = cli.invoke(main, ["export", "sie", "--year", "2025", "-o", str(refused)])
    assert result.exit_code == 1
    assert "har belopp i EUR" in result.output
    assert not refused.exists()
    assert sorted(
        p.name for p in tmp_path.iterdir() if p.name.endswith(".se") or ".se." in p.name
    ) == ["kassan-2026.se"]
