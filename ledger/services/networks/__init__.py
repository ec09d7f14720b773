"""Solidarity networks in full: theme, description, status, the countries they work in
(ISO 3166 codes, named in Swedish through Babel), their partner organisations, yearly budgets,
and membership: which organisations take part and what they give besides money.

``ledger.services.dimensions`` keeps creating the network row and its budget; this module adds
the rest and is the one place that checks those fields, for the pages and the API alike.

The package's modules: ``details`` (a network as read), ``editing`` (its fields checked and
changed) and ``membership``. Callers use the names below: ``networks.update``.
"""

from __future__ import annotations

from ledger.services.networks.details import (
    STATUSES,
    NetworkDetail,
    Partner,
    budgets,
    country_name,
    get,
    list_all,
)
from ledger.services.networks.editing import create, update
from ledger.services.networks.membership import (
    COMMITMENT_KINDS,
    Commitment,
    Membership,
    add_commitment,
    join,
    memberships,
)

__all__ = [
    "COMMITMENT_KINDS",
    "STATUSES",
    "Commitment",
    "Membership",
    "NetworkDetail",
    "Partner",
    "add_commitment",
    "budgets",
    "country_name",
    "create",
    "get",
    "join",
    "list_all",
    "memberships",
    "update",
]
