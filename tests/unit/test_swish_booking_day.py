"""The Swedish calendar day a Swish payment is booked on (``webhooks.swish.bookings.booking_date``):
Swish's timestamps are UTC, the books keep Swedish days, whatever zone the machine is in."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, tzinfo

import pytest

from webhooks.swish import bookings
from webhooks.swish.bookings import booking_date


@pytest.fixture(name="machine_in_new_york")
def machine_in_new_york_fixture() -> Iterator[None]:
    """The machine's own zone (``TZ``) set to New York, six hours behind Sweden."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


class _Clock(datetime):
    """A clock stopped at 2026-12-01 23:30 UTC: 00:30 on 2 December in Sweden."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _Clock:
        # as datetime.now does: in ``tz``, or without a zone in the machine's own zone
        return cls.fromtimestamp(datetime(2026, 12, 1, 23, 30, tzinfo=UTC).timestamp(), tz)


def test_a_payment_late_in_the_evening_utc_is_booked_on_the_next_swedish_day():
    assert booking_date("2026-11-28T23:30:00.123Z") == date(2026, 11, 29)
    assert booking_date("2026-11-28T22:59:59Z") == date(2026, 11, 28)
    assert booking_date("2026-07-28T22:30:00+00:00") == date(2026, 7, 29)  # summer time


def test_a_timestamp_without_a_zone_is_read_as_utc():
    assert booking_date("2026-11-28T23:30:00") == date(2026, 11, 29)


@pytest.mark.usefixtures("machine_in_new_york")
def test_a_timestamp_without_a_zone_is_utc_not_the_machines_zone():
    # 20:00 UTC is 21:00 in Sweden on the 28th; 20:00 in New York would be 02:00 on the 29th
    assert booking_date("2026-11-28T20:00:00") == date(2026, 11, 28)
    assert booking_date("2026-11-28T23:30:00") == date(2026, 11, 29)


@pytest.mark.usefixtures("machine_in_new_york")
def test_without_a_timestamp_the_payment_is_booked_today_in_sweden(monkeypatch):
    monkeypatch.setattr(bookings, "datetime", _Clock)
    # 23:30 UTC on 1 December: already 2 December in Sweden, still the 1st in New York
    assert booking_date(None) == date(2026, 12, 2)
    assert booking_date("") == date(2026, 12, 2)
