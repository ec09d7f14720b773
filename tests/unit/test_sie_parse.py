"""The SIE 4 parser on the real sample files and on the format's corner cases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reports.sie.parse import decode, parse, parse_amount, split_fields

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "sie"


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


# name: (#KONTO, #VER, #TRANS, #IB 0 on 1930 in öre, company name)
FIGURES = {
    "BL0001_typ4.SE": (117, 84, 405, 62357928, "SEEE Speak Easy Executive English AB"),
    "SIE_exempelfil.se": (540, 26, 148, 2350311, "SBMDEMO Lars"),
    "Sie4.se": (291, 70, 260, -525005564, "Demoföretaget AB"),
    "XE_SIE_4_20151125095119.SE": (373, 65, 248, -188191684, "Entreprenad AB"),
    "magenta_bokforing_SIE4E.se": (136, 19, 84, 7592400, "TESTFÖRETAGET AB"),
    "transaktioner_ovnbolag.se": (567, 163, 671, 107134758, "Övningsbolaget AB (Ekonomi 60)"),
    "transaktioner_ovnbolag-bad-balance.se": (
        567,
        163,
        671,
        107134758,
        "Övningsbolaget AB (Ekonomi 60)",
    ),
}


def test_every_sample_file_is_covered() -> None:
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(FIGURES)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_each_sample_file_parses_with_its_real_figures(name: str) -> None:
    accounts, vouchers, trans, ib_1930, company = FIGURES[name]
    sie = parse(_read(name))
    assert sie.encoding == "cp437"
    assert sie.sie_type == "4"
    assert sie.company_name == company
    assert len(sie.accounts) == accounts
    assert len(sie.vouchers) == vouchers
    assert sum(len(v.trans) for v in sie.vouchers) == trans
    assert sie.balances_of("IB", 0)["1930"] == ib_1930


@pytest.mark.parametrize(
    "name",
    [
        "BL0001_typ4.SE",
        "SIE_exempelfil.se",
        "Sie4.se",
        "magenta_bokforing_SIE4E.se",
        "transaktioner_ovnbolag.se",
    ],
)
def test_the_well_formed_samples_have_no_problems(name: str) -> None:
    assert parse(_read(name)).problems == []


def test_the_bad_balance_file_names_the_voucher_date_and_difference() -> None:
    sie = parse(_read("transaktioner_ovnbolag-bad-balance.se"))
    assert len(sie.problems) == 1
    problem = sie.problems[0]
    assert problem.line == 3905
    assert "verifikation B 1 (2011-01-07) balanserar inte" in problem.message
    assert "-12\xa0771,00\xa0kr" in problem.message
    voucher = next(v for v in sie.vouchers if (v.series, v.number) == ("B", "1"))
    assert voucher.difference_ore == -1277100


def test_the_softone_xe_file_has_one_voucher_that_does_not_balance() -> None:
    # The published file really holds it: 12.00 debit against 10.00 credit.
    sie = parse(_read("XE_SIE_4_20151125095119.SE"))
    expected = "verifikation 1 1 (2015-09-12) balanserar inte: debet och kredit skiljer sig med"
    assert [p.message for p in sie.problems] == [f"{expected} 2,00\xa0kr"]


def test_header_years_chart_types_and_objects_are_read() -> None:
    sie = parse(_read("transaktioner_ovnbolag.se"))
    assert sie.org_number == "5555555555"
    assert sie.program == "Avendo 5.20"
    assert sie.generated == date(2011, 5, 31)
    assert sie.chart_type == "EUBAS97"
    assert sie.years[0].start == date(2011, 1, 1)
    assert sie.years[-1].end == date(2010, 12, 31)
    assert sie.accounts["1010"].name == "Balanserade utgifter"
    assert sie.accounts["1010"].ktyp == "T"
    assert sie.dimensions["6"] == "Projekt"
    c2 = next(v for v in sie.vouchers if (v.series, v.number) == ("C", "2"))
    assert c2.trans[0].objects == (("7", "1"),)
    assert c2.trans[0].ore == 544000


def test_rtrans_and_btrans_rows_do_not_count_in_the_voucher() -> None:
    sie = parse(_read("BL0001_typ4.SE"))
    # BL's file corrects vouchers with #BTRANS/#RTRANS pairs; 405 #TRANS rows remain and
    # every voucher still balances on them alone.
    assert all(v.difference_ore == 0 for v in sie.vouchers)


def test_a_file_quirks_are_read_as_their_writers_meant() -> None:
    sie = parse(_read("XE_SIE_4_20151125095119.SE"))
    # a letter written as a bare quote inside a quoted name
    assert sie.accounts["1684"].name == 'Fordringar hos leverant"r'
    sie4 = parse(_read("Sie4.se"))
    # a text cut off without its closing quote does not swallow the voucher
    v = next(v for v in sie4.vouchers if (v.series, v.number) == ("2", "24"))
    assert [t.ore for t in v.trans] == [5725000, -1145000, -90000, -390000, -4100000]


def test_utf8_and_latin1_files_that_say_pc8_are_read_all_the_same() -> None:
    cp437 = _read("magenta_bokforing_SIE4E.se")
    text = cp437.decode("cp437")
    reference = parse(cp437)
    for encoding in ("utf-8", "latin-1"):
        sie = parse(text.encode(encoding))
        assert sie.encoding == encoding
        assert sie.company_name == "TESTFÖRETAGET AB"
        assert sie.accounts == reference.accounts
        assert sie.vouchers == reference.vouchers


def test_decode_prefers_cp437_for_plain_ascii() -> None:
    assert decode(b"#FLAGGA 0\r\n") == ("#FLAGGA 0\r\n", "cp437")


def test_fields_quotes_escapes_and_object_lists() -> None:
    assert split_fields(r'#VER "A" 1 20260101 "Sa \"hej\" C:\\x" sign') == [
        "#VER",
        "A",
        "1",
        "20260101",
        'Sa "hej" C:\\x',
        "sign",
    ]
    assert split_fields('#TRANS 3993 {6 "fred" 1 "x y"} -100.50') == [
        "#TRANS",
        "3993",
        ("6", "fred", "1", "x y"),
        "-100.50",
    ]
    assert split_fields("#TRANS 1930 { } 5") == ["#TRANS", "1930", (), "5"]
    with pytest.raises(ValueError, match="objektlista"):
        split_fields("#TRANS 1930 {6 ")


@pytest.mark.parametrize(
    ("text", "ore"),
    [("133", 13300), ("-5224.6", -522460), ("1000.00", 100000), ("0.5", 50), ("-.25", -25)],
)
def test_amounts_are_exact_ore(text: str, ore: int) -> None:
    assert parse_amount(text) == ore


@pytest.mark.parametrize("text", ["", "-", "1.234", "12,50kr", "1e3"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="belopp"):
        parse_amount(text)


def test_problems_carry_their_line_numbers() -> None:
    data = "\r\n".join(
        [
            "#FLAGGA 0",
            "#RAR 0 20261301 20261231",
            "#IB 0 1930 12,5x",
            "not a record",
            '#VER A 1 20260105 "Gåva"',
            "{",
            "#TRANS 1930 {} 100.00",
            "#TRANS 3993 {} -99.00",
            "}",
            '#VER A 2 2026 "trasigt datum"',
            "{",
            "#TRANS 1930 {} 1",
            "}",
            "#TRANS 1930 {} 1",
            "#IB x 1930 1.00",
            '#VER A 3 20260105 "utan rader"',
            "#KONTO 1930 Bank",
        ]
    ).encode("cp437")
    sie = parse(data)
    assert [(p.line, p.message.split(":")[0]) for p in sie.problems] == [
        (2, "ogiltigt datum '20261301'"),
        (3, "ogiltigt belopp '12,5x'"),
        (4, "raden börjar inte med en etikett (#...)"),
        (5, "verifikation A 1 (2026-01-05) balanserar inte"),
        (10, "ogiltigt datum '2026' (ska vara ÅÅÅÅMMDD)"),
        (14, "#TRANS utanför en verifikation"),
        (15, "ogiltigt årsnummer 'x' (0, -1, ...)"),
        (16, "#VER utan rader ('{' ... '}')"),
    ]
    assert len(sie.vouchers) == 1
