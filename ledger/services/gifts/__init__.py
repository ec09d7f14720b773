"""Gifts from the donor pages: what a donor asked to give, before and after paying.

A gift row is written before the donor is sent to the card processor; the Stripe webhooks
(``webhooks.stripe``) then move its status on (``paid``, ``active``, ``cancelled``, ...).
A gift by bankgiro or Swish (``channel``) also gets an expected payment with its own OCR
reference (``ledger.services.expected``), and stays ``pending`` until that money is matched.
``validate`` checks the donor form and returns every problem at once, keyed by field, in
Swedish (messages are marked with ``N_`` so the web layer can translate them).

The package's modules: ``donor_form`` (``validate``), ``records`` (what a gift is, finding it)
and ``writing`` (the gift row written and moved on). Callers use the names below:
``gifts.create_gift``.
"""

from __future__ import annotations

from ledger.services.gifts.donor_form import (
    CHANNELS,
    FREQUENCIES,
    KINDS,
    MAX_ORE,
    MIN_ORE,
    PRESETS_KR,
    GiftDraft,
    validate,
)
from ledger.services.gifts.records import Gift, find_gift, get_gift, is_public_id, new_public_id
from ledger.services.gifts.writing import (
    create_gift,
    mark_cancelled,
    same_checkout,
    set_checkout_session,
    update_donor,
)

__all__ = [
    "CHANNELS",
    "FREQUENCIES",
    "KINDS",
    "MAX_ORE",
    "MIN_ORE",
    "PRESETS_KR",
    "Gift",
    "GiftDraft",
    "create_gift",
    "find_gift",
    "get_gift",
    "is_public_id",
    "mark_cancelled",
    "new_public_id",
    "same_checkout",
    "set_checkout_session",
    "update_donor",
    "validate",
]
