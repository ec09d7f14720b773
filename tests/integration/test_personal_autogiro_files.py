"""The Autogiro files Kassan keeps whole (to and from Bankgirot) name donors by payer number and,
in the mandate file, by personnummer and bank account in clear. The export lists each file and
the records in it that name the person; erasure keeps them as underlying records of the books
(Bokföringslagen 7 kap. 2 §) and says so, and until when."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import update

from kassan.cli.contributors import contributors_cli
from ledger.db import tables as t
from ledger.money import Money
from ledger.services import contributors, pii
from ledger.services.autogiro import mandates
from tests.integration.test_autogiro_bank import SETTINGS, _mandates, _spec
from tests.support.autogiro_files import BANKGIRO, Debit, payment_specification
from webhooks.autogiro import outgoing, personal
from webhooks.autogiro.incoming import import_autogiro

CRYPT = pii.cipher({})
KEPT = datetime(2026, 12, 3, 9, tzinfo=UTC)


def _other_donor(engine) -> int:
    """Someone else with a mandate of their own, in files of their own."""
    with engine.begin() as conn:
        cid = contributors.create(conn, CRYPT, "person", {"name": "Olle Berg"})
        draft = mandates.MandateDraft(
            cid, None, Money.kr(100), "19811218-9876", "6000", "123456789", "Jag ..."
        )
        payer = mandates.create(conn, CRYPT, draft)
        outgoing.mandates_out(conn, CRYPT, SETTINGS, date(2026, 12, 20))
    return payer


def test_the_export_lists_the_autogiro_files_naming_the_person_and_erasure_keeps_them(engine, cli):
    cid, a, b = _mandates(engine)
    assert _spec(engine, a, b).ok
    other = _other_donor(engine)
    with engine.begin() as conn:
        data = payment_specification(date(2027, 2, 26), [Debit(other, 10000)], stamp="130000000000")
        assert import_autogiro(conn, BANKGIRO, data, "olle.txt").ok
        conn.execute(update(t.autogiro_files).values(created_at=KEPT))

    exported = cli.invoke(contributors_cli, ["export", str(cid)])

    assert exported.exit_code == 0, exported.output
    files = json.loads(exported.output)["autogiro_files"]
    assert [(f["direction"], f["kind"], [r["line"] for r in f["records"]]) for f in files] == [
        ("out", "mandates", [2, 3]),  # Olle's TK04 went in a file of its own
        ("in", "autogiro-medgivandeavisering", [2, 3]),
        ("out", "payments", [2, 3]),
        ("in", "autogiro-betalningsspecifikation", [3, 4]),
    ]
    assert "olle.txt" not in {f["filename"] for f in files}
    mandate_file = files[0]
    assert "198112189876" in mandate_file["records"][0]["text"]  # personnummer in clear
    spec = next(f for f in files if f["filename"] == "spec.txt")
    assert all(f"{a:016d}" in r["text"] or f"{b:016d}" in r["text"] for r in spec["records"])
    assert {f["kept_until"] for f in files} == {"2033-12-31"}

    erased = cli.invoke(contributors_cli, ["erase", str(cid)])

    assert erased.exit_code == 0, erased.output
    assert erased.output.splitlines()[-1].startswith(
        "Kvar: 4 Autogirofil(er) till och från Bankgirot som nämner givaren (betalarnummer; i "
        "medgivandefiler även personnummer och kontonummer), hela som räkenskapsinformation, "
        "till och med 2033-12-31 (Bokföringslagen 7 kap. 2 §): "
    )
    again = json.loads(cli.invoke(contributors_cli, ["export", str(cid)]).output)
    assert len(again["autogiro_files"]) == 4  # kept whole, still listed


def test_a_contributor_without_mandates_is_named_in_no_autogiro_file(engine, cli):
    cid, a, b = _mandates(engine)
    with engine.begin() as conn:
        someone = contributors.create(conn, CRYPT, "person", {"name": "Kim Ek"})
    exported = cli.invoke(contributors_cli, ["export", str(someone)])
    assert json.loads(exported.output)["autogiro_files"] == []
    erased = cli.invoke(contributors_cli, ["erase", str(someone)])
    assert "Autogirofil" not in erased.output
    assert cid != someone and a != b


def test_a_kept_file_the_parser_cannot_read_is_listed_by_the_payer_number_in_its_lines(engine):
    cid, a, _ = _mandates(engine)
    broken = f"01 not a real opening\n82 {a:016d} something\n".encode("iso-8859-1")
    with engine.begin() as conn:
        conn.execute(
            t.autogiro_files.insert().values(
                direction="in",
                kind="okänd",
                filename="trasig.txt",
                sha256="0" * 64,
                content=broken,
                records=2,
                created_at=KEPT,
            )
        )
        files = personal.held_files(conn, cid)
    (held,) = [f for f in files if f.filename == "trasig.txt"]
    assert held.records == ((2, f"82 {a:016d} something"),)
