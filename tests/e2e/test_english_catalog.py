"""The English pages have no holes: every text the donor pages (and the bank import progress
page) mark for translation has English in the committed catalog, and the gift form with
``?lang=en`` offers Autogiro and monthly Swish in English, the Autogiro consent included (the
same English text is kept with the mandate the donor gives)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import select

from ledger.db import tables as t
from ledger.services import dimensions
from tests.support.autogiro_files import BANKGIRO, CUSTOMER

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "kassan/web/translations"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_GIFT = re.compile(r'name="gift" value="([0-9a-f]{32})"')


def _english() -> dict[object, object]:
    with open(TRANSLATIONS / "en/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    return {m.id: m.string for m in catalog if m.id and not m.fuzzy}


def _translated(string: object) -> bool:
    parts = string if isinstance(string, tuple) else (string,)
    return all(isinstance(part, str) and part.strip() for part in parts)


def test_every_marked_text_has_english_in_the_catalog(tmp_path):
    pot = tmp_path / "messages.pot"
    # The same command as the header of babel.cfg, so the test sees what a maintainer extracts.
    subprocess.run(
        [
            str(Path(sys.executable).with_name("pybabel")),
            "extract",
            "-F",
            str(TRANSLATIONS / "babel.cfg"),
            "-k",
            "N_",
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as f:
        template = read_po(f)
    wanted = {m.id: sorted({path for path, _ in m.locations}) for m in template if m.id}
    english = _english()
    missing = {
        msgid: where for msgid, where in wanted.items() if not _translated(english.get(msgid))
    }
    assert len(wanted) > 150  # the extraction found the donor pages, not an empty tree
    assert not missing, "no English (or only fuzzy) in messages.po for:\n" + "\n".join(
        f"  {msgid!r} ({', '.join(where)})" for msgid, where in missing.items()
    )


def test_a_fuzzy_or_empty_entry_counts_as_missing():
    assert not _translated("")
    assert not _translated(("a gift", ""))
    assert not _translated(None)
    assert _translated(("%(n)s gift", "%(n)s gifts"))
    assert "Swish-QR-kod" in _english()


def _offer_everything(app, engine) -> None:
    app.config.update(
        BANKGIRO=BANKGIRO,
        AUTOGIRO_CUSTOMER_NUMBER=CUSTOMER,
        ORGANISATION_NAME="Solidaritetskassan",
        SWISH_MERCHANT_NUMBER="1234679304",
        SWISH_RECURRING=True,
    )
    with engine.begin() as conn:
        dimensions.create_network(conn, "fred", "Fred och demokrati")


def test_the_english_gift_form_offers_autogiro_and_monthly_swish_in_english(app, client, engine):
    _offer_everything(app, engine)

    page = client.get("/n/fred?lang=en").get_data(as_text=True)

    assert 'value="autogiro"' in page and 'value="swish"' in page
    assert (
        "<strong>Autogiro (direct debit)</strong> Monthly gifts only: taken from your bank" in page
    )
    assert "Once, or every month with a consent that you approve in the Swish app." in page
    assert "Autogiro details" in page and "Clearing number" in page and "Account number" in page
    assert "I have read the terms and consent to payment by Autogiro." in page
    assert "Consent to payment by Autogiro (terms " in page
    assert "I, the payer, consent to Solidaritetskassan (bankgiro 9912346), the payee" in page
    for swedish in ("Uppgifter för Autogiro", "varje månad med ett medgivande", "Medgivande till"):
        assert swedish not in page
    swedish_page = client.get("/n/fred?lang=sv").get_data(as_text=True)
    assert "Uppgifter för Autogiro" in swedish_page and "Medgivande till betalning" in swedish_page


def test_autogiro_mistakes_are_named_in_english_and_the_english_consent_is_kept(
    app, client, engine
):
    _offer_everything(app, engine)
    page = client.get("/n/fred?lang=en").get_data(as_text=True)
    csrf, gift = _CSRF.search(page), _GIFT.search(page)
    assert csrf is not None and gift is not None
    data = {
        "csrf_token": csrf.group(1),
        "gift": gift.group(1),
        "amount": "200",
        "frequency": "monthly",
        "donor_kind": "person",
        "donor_name": "Anna Andersson",
        "donor_email": "anna@example.se",
        "channel": "autogiro",
        "ag_identity": "19811218-9876",
        "ag_clearing": "8327-9",
        "ag_account": "9123456700",
    }

    refused = client.post("/n/fred", data=data)
    assert refused.status_code == 422
    assert "Consent: tick the box to say that you have read and accept the terms for Autogiro." in (
        refused.get_data(as_text=True)
    )

    given = client.post("/n/fred", data={**data, "ag_consent": "1"})
    assert given.status_code == 303
    with engine.connect() as conn:
        kept = conn.scalar(select(t.autogiro_mandates.c.consent_text))
    assert kept is not None
    assert kept.startswith("Consent to payment by Autogiro (terms ")
    for part in kept.split("\n\n"):
        assert part.strip().replace("'", "&#39;") in page  # the text kept is the text shown
