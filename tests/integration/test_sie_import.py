"""SIE import on a real database: chart and opening balances from the sample files, refusals
that change nothing (another organisation's file, a year that has its opening balances),
once-only booking, and the round trip export -> import."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select

from kassan.cli.exports import import_sie_command
from ledger.db import tables as t
from ledger.db.engine import make_engine
from ledger.errors import PeriodClosed
from ledger.services import journal, periods
from reports.errors import SieImportInvalid
from reports.sie.import_ import import_sie
from reports.sie.model import CARRIED_RESULT_ACCOUNT
from reports.sie.parse import parse
from reports.trial_balance import trial_balance
from tests.conftest import BACKEND
from tests.integration.test_sie_export import book_sample_ledger, export_bytes

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "sie"


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _import(conn: Connection, data: bytes, name: str, ours: str | None = None):  # type: ignore[no-untyped-def]
    """Import as the organisation the file names (``ours`` when the test says otherwise)."""
    number = parse(data).org_number if ours is None else ours
    return import_sie(conn, data, name, organisation_number=number)


def _balances(conn: Connection) -> dict[str, int]:
    return {
        a["account"]: a["balance_ore"] for a in trial_balance(conn)["accounts"] if a["balance_ore"]
    }


def _state(conn: Connection) -> tuple[int, int, int]:
    return (
        conn.scalar(select(func.count()).select_from(t.accounts)) or 0,
        conn.scalar(select(func.count()).select_from(t.journal_entries)) or 0,
        conn.scalar(select(func.count()).select_from(t.account_balances)) or 0,
    )


# name: (source key, last year's result carried to equity in öre)
IMPORTABLE = {
    "BL0001_typ4.SE": ("sie-ib:556265-1892:2009", 0),
    "Sie4.se": ("sie-ib:556654-7898:2014", 0),
    "magenta_bokforing_SIE4E.se": ("sie-ib:112233-4567:2011", 0),
    "transaktioner_ovnbolag.se": ("sie-ib:5555555555:2011", 115167815),
}


@pytest.mark.parametrize("name", sorted(IMPORTABLE))
def test_a_sample_file_brings_its_chart_and_one_opening_entry(engine, name):
    key, carried = IMPORTABLE[name]
    sie = parse(_read(name))
    with engine.begin() as conn:
        ours = journal.account_codes(conn)
        result = _import(conn, _read(name), name)
        entry = journal.find_by_source_key(conn, key)
        balances = _balances(conn)
        names = dict(conn.execute(select(t.accounts.c.code, t.accounts.c.name)).all())
    bas = {c for c in sie.accounts if len(c) == 4 and c.isdigit() and c[0] in "12345678"}
    assert sorted(result.accounts_created) == sorted(bas - ours)
    assert result.accounts_kept == len(bas & ours)
    assert sorted(result.accounts_skipped) == sorted(set(sie.accounts) - bas)
    assert entry is not None and entry.voucher == result.voucher == "M1"
    assert entry.date == sie.years[0].start
    assert entry.source_kind == "sie_ib"
    # the ledger now opens at exactly the file's #IB 0, plus last year's unclosed result
    expected = {a: ore for a, ore in sie.balances_of("IB", 0).items() if ore}
    if carried:
        expected[CARRIED_RESULT_ACCOUNT] = expected.get(CARRIED_RESULT_ACCOUNT, 0) - carried
    assert balances == expected
    assert result.carried_result_ore == -carried
    # our names for our accounts are left alone
    assert names["1930"] == "Företagskonto/checkkonto/affärskonto"


def test_the_ovningsbolag_figures(engine):
    with engine.begin() as conn:
        result = _import(conn, _read("transaktioner_ovnbolag.se"), "ovn.se")
        balances = _balances(conn)
        names = dict(conn.execute(select(t.accounts.c.code, t.accounts.c.name)).all())
        types = dict(conn.execute(select(t.accounts.c.code, t.accounts.c.type)).all())
    assert balances["1930"] == 107134758  # #IB 0 1930 1071347.58
    assert balances["1221"] == 51805753  # #IB 0 1221 518057.53
    assert balances["2068"] == -115167815  # 2010's profit, #RES -1 summed
    assert "2069" not in balances  # årets resultat is the year's own, not 2010's
    assert names["1030"] == "Patent" and types["1030"] == "asset"
    assert types["3051"] == "income" and types["7690"] == "expense"
    assert types["2440"] == "liability"
    assert result.opening_ore == sum(v for v in balances.values() if v > 0)


def test_importing_the_same_file_twice_books_nothing_twice(engine):
    with engine.begin() as conn:
        first = _import(conn, _read("magenta_bokforing_SIE4E.se"), "m.se")
        before = _state(conn), _balances(conn)
        again = _import(conn, _read("magenta_bokforing_SIE4E.se"), "m.se")
        after = _state(conn), _balances(conn)
    assert first.booked_now and not again.booked_now
    assert again.voucher == first.voucher == "M1"
    assert again.accounts_created == []
    assert after == before


def test_the_bad_balance_file_is_refused_naming_the_voucher_and_nothing_changes(engine):
    with engine.connect() as conn:
        before = _state(conn)
    with pytest.raises(SieImportInvalid) as refused, engine.begin() as conn:
        _import(conn, _read("transaktioner_ovnbolag-bad-balance.se"), "bad.se")
    message = refused.value.message
    assert "SIE-filen bad.se lästes inte in; inget ändrades" in message
    assert (
        "bad.se, rad 3905: verifikation B 1 (2011-01-07) balanserar inte: debet och kredit "
        "skiljer sig med -12\xa0771,00\xa0kr"
    ) in message
    with engine.connect() as conn:
        assert _state(conn) == before


def test_a_file_whose_opening_balances_do_not_add_up_is_refused(engine):
    with pytest.raises(SieImportInvalid) as refused, engine.begin() as conn:
        _import(conn, _read("XE_SIE_4_20151125095119.SE"), "xe.se")
    message = refused.value.message
    assert "xe.se, rad 1356: verifikation 1 1 (2015-09-12) balanserar inte" in message
    # opening balances on result accounts: named with their line
    assert "#IB på resultatkonto 3050 (-39\xa0400,00\xa0kr)" in message


def test_opening_balances_that_do_not_balance_are_refused(engine):
    data = "\r\n".join(
        [
            "#FLAGGA 0",
            "#SIETYP 4",
            '#FNAMN "Klubben"',
            "#RAR 0 20260101 20261231",
            "#IB 0 1930 1000.00",
            "#IB 0 2890 -999.00",
            "#IB 0 1940 5.00",
            '#ORGNR "802000-1234"',
        ]
    ).encode("cp437")
    with pytest.raises(SieImportInvalid) as refused, engine.begin() as conn:
        import_sie(conn, data, "klubben.se", organisation_number="802000-1234")
    message = refused.value.message
    assert "klubben.se, rad 5: de ingående balanserna (#IB 0) balanserar inte" in message
    assert "skiljer sig med 1,00\xa0kr" in message  # 1940 is refused on its own line
    assert "klubben.se, rad 7: #IB på konto 1940, som saknas i kontoplanen" in message


def test_a_closed_period_refuses_the_import_and_leaves_the_chart_alone(engine):
    with engine.begin() as conn:
        periods.close_through(conn, date(2011, 12, 31))
        before = _state(conn)
    with pytest.raises(PeriodClosed), engine.begin() as conn:
        _import(conn, _read("magenta_bokforing_SIE4E.se"), "m.se")
    with engine.connect() as conn:
        assert _state(conn) == before


def test_a_utf8_copy_of_a_pc8_file_imports_the_same(engine):
    data = _read("magenta_bokforing_SIE4E.se").decode("cp437").encode("utf-8")
    with engine.begin() as conn:
        result = _import(conn, data, "m-utf8.se")
        names = dict(conn.execute(select(t.accounts.c.code, t.accounts.c.name)).all())
    assert result.encoding == "utf-8"
    assert names["1251"] == "Datorer, företaget"


def test_the_command_body_prints_the_outcome_in_swedish(app, capsys):
    app.config["ORGANISATION_NUMBER"] = "555555-5555"  # the övningsbolag's #ORGNR
    with app.app_context():
        import_sie_command(SAMPLES / "transaktioner_ovnbolag.se")
        import_sie_command(SAMPLES / "transaktioner_ovnbolag.se")
    out = capsys.readouterr().out
    assert "SIE-import: transaktioner_ovnbolag.se (cp437)" in out
    assert "ingående balanser: bokförda som M1" in out
    assert "föregående års vinst, 1\xa0151\xa0678,15\xa0kr, bokfördes på 2068" in out
    assert "ingående balanser: redan bokförda som M1; inget bokfört nu" in out


@pytest.fixture
def second_engine(_template, tmp_path, request) -> Iterator[Engine]:
    """A second fresh database, to import into what the first one exported."""
    if BACKEND == "postgresql":
        pg = request.getfixturevalue("pg_cluster")
        name = f"t{os.getpid()}_second"
        pg.create_database(name, template=_template)
        eng = make_engine(pg.url_for(name))
        yield eng
        eng.dispose()
        pg.drop_database(name)
    else:
        path = tmp_path / "second.db"
        shutil.copyfile(_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()


def test_export_then_import_gives_back_the_same_balances(engine, second_engine):
    with engine.begin() as conn:
        book_sample_ledger(conn)
        before_2026: dict[str, int] = {}
        for account, ore in _balances_for(conn, 2025).items():
            target = account if account[0] in "12" else CARRIED_RESULT_ACCOUNT
            before_2026[target] = before_2026.get(target, 0) + ore
    exported = export_bytes(engine, 2026)
    with second_engine.begin() as conn:
        result = import_sie(conn, exported, "kassan-2026.se", organisation_number="802000-0000")
        imported = _balances(conn)
    assert result.booked_now and result.carried_result_ore == 0
    assert imported == {a: ore for a, ore in before_2026.items() if ore}
    # and the other way round: what the new books export as 2026's closing balance is
    # what the old books exported as its opening balance
    again = parse(export_bytes(second_engine, 2026))
    first = parse(exported)
    assert {a: v for a, v in again.balances_of("UB", 0).items() if v} == {
        a: v for a, v in first.balances_of("IB", 0).items() if v
    }


def _balances_for(conn: Connection, year: int) -> dict[str, int]:
    return {a["account"]: a["balance_ore"] for a in trial_balance(conn, year)["accounts"]}
