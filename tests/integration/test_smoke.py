from datetime import date

from ledger.entries import Draft, LineDraft
from ledger.services import posting


def test_an_entry_posted_through_the_service_can_be_read_back(engine):
    with engine.begin() as conn:
        entry = posting.post(
            conn,
            Draft(date(2026, 3, 1), "Gåva", (LineDraft("1930", 100, 0), LineDraft("3993", 0, 100))),
        )
    assert entry.voucher == "M1"
