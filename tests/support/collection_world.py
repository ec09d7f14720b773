"""An approved workplace collection for tests: Verkstadsklubben's "Fika för Palestina"."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ledger.services import collections

FORM: dict[str, str] = {
    "org_name": "Verkstadsklubben",
    "organisation_number": "802481-1658",
    "contact_name": "Karin Berg",
    "contact_email": "karin@example.se",
    "title": "Fika för Palestina",
    "body": "Vi samlar på jobbet.",
    "goal": "5000",
}


def approved_collection(engine: Any, network_id: int | None) -> collections.Collection:
    """Started through the public form's service and approved, ending in 30 days."""
    values = {**FORM, "end_date": (date.today() + timedelta(days=30)).isoformat()}
    with engine.begin() as conn:
        started = collections.start(
            conn,
            values,
            network_id=network_id,
            image_data=None,
            address_hash="x",
            today=date.today(),
        )
        return collections.approve(conn, started.id)
