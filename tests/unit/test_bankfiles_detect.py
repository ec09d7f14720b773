"""Telling a bank file's format from its content, and the one ``parse`` entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.camt_files import Statement, camt_bytes, swedish_entries
from webhooks.bankfiles import detect, parse
from webhooks.errors import BankFileInvalid

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"


@pytest.mark.parametrize(("folder", "expected"), [("bgmax", "bgmax"), ("swish", "swish-report")])
def test_every_sample_is_detected_and_parsed_through_the_one_entry_point(folder, expected):
    for path in sorted((SAMPLES / folder).iterdir()):
        data = path.read_bytes()
        assert detect(data) == expected, path.name
        assert parse(data, path.name).file.format == expected


@pytest.mark.parametrize(("kind", "version"), [("053", "02"), ("054", "08"), ("054", "14")])
def test_camt_is_detected_by_its_namespace(kind, version):
    entries = swedish_entries()
    data = camt_bytes(entries, kind=kind, version=version, statement=Statement(entries))
    assert detect(data) == f"camt.{kind}"
    assert detect(b"\xef\xbb\xbf" + data) == f"camt.{kind}"
    assert parse(data, "bank.xml").file.format == f"camt.{kind}.001.{version}"


def test_an_unknown_file_is_refused_with_a_clear_message():
    assert detect(b"Datum;Belopp\n2026-12-01;100\n") is None
    with pytest.raises(BankFileInvalid) as caught:
        parse(b"Datum;Belopp\n", "export.csv")
    (error,) = caught.value.errors
    assert (error.file, error.line, error.field) == ("export.csv", 1, "format")
    assert "känns inte igen" in error.message


def test_a_forced_format_is_used_even_when_the_content_says_otherwise():
    bgmax = (SAMPLES / "bgmax").iterdir().__next__().read_bytes()
    with pytest.raises(BankFileInvalid) as caught:
        parse(bgmax, "fil.txt", format="swish-report")
    assert caught.value.errors[0].field == "startpost"
    with pytest.raises(BankFileInvalid) as caught:
        parse(bgmax, "fil.txt", format="mt940")
    assert "okänt filformat 'mt940'" in caught.value.errors[0].message
