"""The Content Security Policy of every answer, and the inline styles a page may allow.

The policy allows nothing inline. A page that shows a server-made chart (pygal puts a
``<style>`` element inside each SVG) names that element's hash with ``allow_styles`` while it
renders, and its answer's policy lists the hash in ``style-src``; every other page keeps the
strict policy. No ``'unsafe-inline'`` anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g

_BASE = (
    "default-src 'self'; base-uri 'self'; "
    # Chromium applies form-action to the redirect after a POST: the gift form's answer is
    # a 303 to Stripe Checkout, which must be allowed.
    "form-action 'self' https://checkout.stripe.com; "
    "frame-ancestors 'none'; object-src 'none'"
)
_KEY = "kassan_csp_styles"


def allow_styles(sources: Iterable[str]) -> None:
    """Let this answer's page apply the inline ``<style>`` elements with these hash sources."""
    found: list[str] = g.setdefault(_KEY, [])
    found.extend(s for s in sources if s not in found)


def policy() -> str:
    """The policy for the answer being made (the strict one unless a page allowed styles)."""
    styles: list[str] = g.get(_KEY, [])
    if not styles:
        return _BASE
    return f"{_BASE}; style-src 'self' {' '.join(styles)}"
