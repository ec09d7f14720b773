"""Workplace collections: a club's own collection for a network, from the public start form
through approval to its close.

A collection is ``pending`` until finance approves it (or asks for ``changes``, or ``refused``
it); only an ``active`` or ``closed`` one is public. Approval gives it one repeating expected
payment of kind ``collection``: its OCR reference goes on the poster, in the Swish QR code and on
the page, and every bank or Swish payment carrying it finds the collection. The organising club
is found (or made) by organisation number and gets soft credit: the collection is linked to it,
while each gift's payer stays the donor of record on the ledger lines.

Raised money is read from what the ledger booked (``collection_progress``): receipts on the
collection's expected payments, and card entries linked to it net of their refunds.

The package's modules: ``records`` (what a collection is), ``lookup`` (reading, soft credit),
``start_form`` (the public start form) and ``lifecycle`` (review, edits, cash, close). Callers
use the names below: ``collections.approve``.
"""

from __future__ import annotations

from ledger.services.collection_progress import Progress, progress
from ledger.services.collections.lifecycle import (
    approve,
    attach_gift,
    close,
    close_expired,
    edit,
    history,
    report_cash,
    review,
    revoke_links,
)
from ledger.services.collections.lookup import (
    Organised,
    by_slug,
    for_contributor,
    get,
    image,
    list_collections,
    swish_payload,
)
from ledger.services.collections.records import PUBLIC, STATUSES, Collection
from ledger.services.collections.start_form import (
    EDITABLE,
    IMAGE_MAX_BYTES,
    IMAGE_MAX_MB,
    IMAGE_MAX_PIXELS,
    IMAGE_TYPES,
    MAX_GOAL_ORE,
    RATE_LIMIT,
    check_image,
    ip_hash,
    parse_end,
    parse_goal,
    rate_limited,
    start,
)

__all__ = [
    "EDITABLE",
    "IMAGE_MAX_BYTES",
    "IMAGE_MAX_MB",
    "IMAGE_MAX_PIXELS",
    "IMAGE_TYPES",
    "MAX_GOAL_ORE",
    "PUBLIC",
    "RATE_LIMIT",
    "STATUSES",
    "Collection",
    "Organised",
    "Progress",
    "approve",
    "attach_gift",
    "by_slug",
    "check_image",
    "close",
    "close_expired",
    "edit",
    "for_contributor",
    "get",
    "history",
    "image",
    "ip_hash",
    "list_collections",
    "parse_end",
    "parse_goal",
    "progress",
    "rate_limited",
    "report_cash",
    "review",
    "revoke_links",
    "start",
    "swish_payload",
]
