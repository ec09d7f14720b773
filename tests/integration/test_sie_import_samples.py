"""Every real SIE file in ../shared/samples (sie/ and BL Administration's sie-bl/) is either
imported whole, once, or refused with a message naming the file and line, and never stacked on
opening balances the books already hold; another organisation's file is refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select

from kassan.cli.exports import import_sie_command
from ledger.db import tables as t
from ledger.entries import Draft, LineDraft
from ledger.services import posting
from reports.errors import SieImportInvalid
from reports.sie.import_ import SieImportResult, import_sie
from reports.sie.parse import parse
from reports.trial_balance import trial_balance

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"
BL = SAMPLES / "sie-bl"
BLBLOV = BL / "sie4j__BLBLOV_SIE4.SE"

# file -> None when it is imported whole, else a phrase of the reason it is refused
OUTCOMES: dict[str, str | None] = {
    "sie/BL0001_typ4.SE": None,
    "sie/SIE_exempelfil.se": "filen anger inget organisationsnummer (#ORGNR)",
    "sie/Sie4.se": None,
    "sie/XE_SIE_4_20151125095119.SE": "balanserar inte",
    "sie/magenta_bokforing_SIE4E.se": None,
    "sie/transaktioner_ovnbolag-bad-balance.se": "verifikation B 1 (2011-01-07) balanserar inte",
    "sie/transaktioner_ovnbolag.se": None,
    "sie-bl/sie4j__Arousells_Visning_AB.SE": "#IB på konto 145010: inte ett BAS-konto",
    "sie-bl/sie4j__BLBLOV_SIE2.SE": None,
    "sie-bl/sie4j__BLBLOV_SIE4.SE": None,
    "sie-bl/sie4j__BLBLOV_SIE4_ISO_8859_15.SE": None,
    "sie-bl/sie4j__BLBLOV_SIE4_UTF_8_1.SE": None,
    "sie-bl/sie4j__BLBLOV_SIE4_UTF_8_MISSING_ACCOUNTS.SE": "som saknas i kontoplanen",
    "sie-bl/sie4j__BLBLOV_SIE4_UTF_8_with_imbalanced_voucher.SE": "balanserar inte",
    "sie-bl/sie4j__BLBLOV_SIE4_UTF_8_with_missing_account_balance.SE": "ogiltigt belopp",
    "sie-bl/sie4j__CC2-foretaget.SE": None,
    "sie-bl/sie4j__SIE_test_av_KST_projekt_Testbolaget_e_-_kopia.SE": None,
    "sie-bl/sie4j__SIE_with_long_voucher_series_number.SE": "(#IB 0) balanserar inte",
    "sie-bl/sie4j__SIE_with_missing_program_version.se": "inget organisationsnummer",
    "sie-bl/sie4j__Testbolaget_Enskild_firma.SE": None,
    "sie-bl/sie4j__Transaktioner_per_Z-rapport.se": "#RAR 0 saknas",
}


def _state(conn: Connection) -> tuple[int, ...]:
    return tuple(
        conn.scalar(select(func.count()).select_from(table)) or 0
        for table in (t.accounts, t.journal_entries, t.journal_lines, t.account_balances)
    )


def _balances(conn: Connection) -> dict[str, int]:
    return {
        a["account"]: a["balance_ore"] for a in trial_balance(conn)["accounts"] if a["balance_ore"]
    }


def _import(conn: Connection, data: bytes, name: str, ours: str) -> SieImportResult:
    return import_sie(conn, data, name, organisation_number=ours)


def test_the_table_names_every_sample_file():
    on_disk = {
        f"{p.parent.name}/{p.name}" for d in ("sie", "sie-bl") for p in (SAMPLES / d).iterdir()
    }
    assert on_disk == set(OUTCOMES)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_a_sample_file_is_imported_whole_once_or_refused_clearly(engine, name):
    data = (SAMPLES / name).read_bytes()
    sie = parse(data)
    ours = sie.org_number or "802000-1234"  # a file without #ORGNR is nobody's
    with engine.connect() as conn:
        empty = _state(conn)
    refusal = OUTCOMES[name]
    if refusal is not None:
        with pytest.raises(SieImportInvalid) as refused, engine.begin() as conn:
            _import(conn, data, Path(name).name, ours)
        assert refusal in refused.value.message
        assert f"{Path(name).name}, rad " in refused.value.message
        with engine.connect() as conn:
            assert _state(conn) == empty
        return
    with engine.begin() as conn:
        first = _import(conn, data, Path(name).name, ours)
        once = _state(conn), _balances(conn)
    # the books open at the file's #IB 0, the unclosed years' result on 2068
    expected = {a: ore for a, ore in sie.balances_of("IB", 0).items() if ore}
    if first.carried_result_ore:
        expected["2068"] = expected.get("2068", 0) + first.carried_result_ore
    assert once[1] == expected
    assert sum(once[1].values()) == 0
    with engine.begin() as conn:
        again = _import(conn, data, Path(name).name, ours)
        assert (_state(conn), _balances(conn)) == once
    assert not again.booked_now and again.accounts_created == []


def test_bl_administrations_unclosed_years_go_to_2068_and_the_output_says_so(app, capsys):
    # #IB 0 is off by -187 195,27 kr: 2016's loss (#RES -1, 141 205,13 kr) plus the
    # 45 990,14 kr by which 2016's own opening balances (#IB -1) were off.
    app.config["ORGANISATION_NUMBER"] = "1655710918"
    with app.app_context():
        import_sie_command(BLBLOV)
        with app.extensions["kassan.engine"].connect() as conn:
            balances = _balances(conn)
    out = capsys.readouterr().out
    assert balances["2068"] == 18719527
    assert "2069" not in balances
    assert "föregående års förlust, 187\xa0195,27\xa0kr, bokfördes på 2068" in out


def test_another_organisations_file_is_refused_naming_both_numbers(engine):
    with engine.connect() as conn:
        before = _state(conn)
    with pytest.raises(SieImportInvalid) as refused, engine.begin() as conn:
        _import(conn, (SAMPLES / "sie/BL0001_typ4.SE").read_bytes(), "bl.se", "802000-1234")
    message = refused.value.message
    assert "bl.se, rad 7: filen gäller organisationsnummer 556265-1892" in message
    assert "bokföringen är för 802000-1234 (KASSAN_ORGANISATION_NUMBER)" in message
    with engine.connect() as conn:
        assert _state(conn) == before


@pytest.mark.parametrize("spelling", ["5562651892", "556265-1892", "16556265-1892", " 556265 1892"])
def test_our_number_in_any_spelling_is_ours(engine, spelling):
    with engine.begin() as conn:
        result = _import(conn, (SAMPLES / "sie/BL0001_typ4.SE").read_bytes(), "bl.se", spelling)
    assert result.booked_now


def test_the_same_balances_under_another_spelling_of_our_number_are_not_stacked(engine):
    data = (SAMPLES / "sie/BL0001_typ4.SE").read_bytes()
    with engine.begin() as conn:
        _import(conn, data, "bl.se", "556265-1892")
        before = _state(conn), _balances(conn)
    respelt = data.replace(b'#ORGNR "556265-1892"', b'#ORGNR "5562651892"')
    with pytest.raises(SieImportInvalid) as refused, engine.begin() as conn:
        _import(conn, respelt, "bl2.se", "556265-1892")
    assert "ingående balanser för räkenskapsåret som börjar 2009-07-01 finns redan" in (
        refused.value.message
    )
    with engine.connect() as conn:
        assert (_state(conn), _balances(conn)) == before


def test_a_second_file_with_other_opening_amounts_for_the_year_is_refused(engine):
    data = (SAMPLES / "sie/magenta_bokforing_SIE4E.se").read_bytes()
    with engine.begin() as conn:
        _import(conn, data, "m.se", "112233-4567")
        before = _state(conn), _balances(conn)
    # ten kronor moved from one asset to another: still balanced, other amounts
    changed = data.replace(b"#IB 0  1220 118210.00", b"#IB 0  1220 118220.00").replace(
        b"#IB 0  1229 -48682.00", b"#IB 0  1229 -48692.00"
    )
    assert sum(parse(changed).balances_of("IB", 0).values()) == 0
    assert parse(changed).balances_of("IB", 0) != parse(data).balances_of("IB", 0)
    with pytest.raises(SieImportInvalid) as refused, engine.begin() as conn:
        _import(conn, changed, "m2.se", "112233-4567")
    assert "finns redan i bokföringen (M1: Ingående balanser 2011" in refused.value.message
    with engine.connect() as conn:
        assert (_state(conn), _balances(conn)) == before


def test_opening_balances_are_refused_where_the_books_already_run_before_the_year(engine):
    with engine.begin() as conn:
        posting.post(
            conn,
            Draft(
                date=date(2010, 12, 30),
                text="Kassan bokförde redan 2010",
                series="M",
                lines=(LineDraft("1930", 50000, 0), LineDraft("2890", 0, 50000)),
            ),
        )
        before = _state(conn), _balances(conn)
    data = (SAMPLES / "sie/magenta_bokforing_SIE4E.se").read_bytes()
    with pytest.raises(SieImportInvalid) as refused, engine.begin() as conn:
        _import(conn, data, "m.se", "112233-4567")
    assert "bokföringen har redan verifikationer före 2011-01-01 (från 2010-12-30)" in (
        refused.value.message
    )
    with engine.connect() as conn:
        assert (_state(conn), _balances(conn)) == before
