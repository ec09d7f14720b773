"""The Swedish calendar day a Swish payment is booked on (``webhooks.swish.bookings.booking_date``):
Swish's timestamps are UTC, the books keep Swedish days."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from webhooks.swish.bookings import booking_date


def test_a_payment_late_in_the_evening_utc_is_booked_on_the_next_swedish_day():
    assert booking_date("2026-11-28T23:30:00.123Z") == date(2026, 11, 29)
    assert booking_date("2026-11-28T22:59:59Z") == date(2026, 11, 28)
    assert booking_date("2026-07-28T22:30:00+00:00") == date(2026, 7, 29)  # summer time


def test_a_timestamp_without_a_zone_is_read_as_utc():
    assert booking_date("2026-11-28T23:30:00") == date(2026, 11, 29)


def test_without_a_timestamp_the_payment_is_booked_today_in_sweden():
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    assert booking_date(None) in (today, today + timedelta(days=1))
    assert booking_date("") in (today, today + timedelta(days=1))
