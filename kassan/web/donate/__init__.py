"""The donor pages: ``/`` (the networks), ``/n/<slug>`` and ``/ge`` (the gift form, to one
network or where the need is greatest), ``/betala/<gift>`` (how to pay by bankgiro or Swish),
``/tack/<gift>`` (thank you) and ``/sluta/<token>`` (stop a monthly gift from the receipt's
signed link).

Payment methods: card (Stripe Checkout), bankgiro (an OCR reference) and Swish (a prefilled QR
code, or a Swish Handel payment request when ``SWISH_MERCHANT_NUMBER`` is set); a method whose
settings are missing is not offered.

Swedish by default, English with ``?lang=en`` (remembered in the session). No JavaScript is
needed: every choice is a plain form control, and errors come back with the form, values kept;
the payment page's copy buttons are a small script on top of text that can be copied by hand.

The package's modules: ``blueprint`` (the blueprint and the language), ``pages`` (the networks
and the form), ``form_page`` (the form's parts, shared with a collection's page), ``payment``
(card, bankgiro and Swish) and ``after_paying``. Importing the package registers every route
on ``bp``.
"""

from __future__ import annotations

from kassan.web.donate import after_paying, pages, payment
from kassan.web.donate.blueprint import bp

__all__ = ["after_paying", "bp", "pages", "payment"]
