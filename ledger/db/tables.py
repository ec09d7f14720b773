"""The tables, as SQLAlchemy Core metadata for queries. Migrations create them.

Each table is defined once, in the module of its area under ``ledger.db.schema``; this module
gathers them so that callers write ``from ledger.db import tables as t; t.journal_entries``.
"""

from __future__ import annotations

from ledger.db.schema.access_and_mail import (
    api_tokens,
    email_attachments,
    email_outbox,
    user_sessions,
    users,
)
from ledger.db.schema.autogiro import (
    autogiro_debits,
    autogiro_deposit_entries,
    autogiro_deposits,
    autogiro_files,
    autogiro_mandate_events,
    autogiro_mandates,
)
from ledger.db.schema.bank_files import (
    bank_accounts,
    bank_import_chunks,
    bank_import_job_chunks,
    bank_import_jobs,
    bank_imports,
    bank_line_allocations,
    bank_lines,
)
from ledger.db.schema.dimensions import (
    contributor_merges,
    contributors,
    membership_commitments,
    network_budgets,
    network_countries,
    network_memberships,
    network_partners,
    networks,
)
from ledger.db.schema.income_tallies import (
    funding_change_mark,
    income_mix,
    income_tally_mark,
    organisation_income,
)
from ledger.db.schema.invoicing import (
    invoice_lines,
    invoice_reminders,
    invoices,
    pledge_instalments,
    pledges,
)
from ledger.db.schema.ledger_core import (
    account_balances,
    accounts,
    fiscal_years,
    journal_entries,
    journal_lines,
    ledger_head,
    period_closings,
)
from ledger.db.schema.metadata import metadata
from ledger.db.schema.payments import (
    expected_payment_receipts,
    expected_payments,
    gifts,
    reference_counters,
    stripe_charge_links,
    stripe_events,
    swish_payments,
    swish_refunds,
)
from ledger.db.schema.swish_recurring import swish_consents, swish_recurring_payments
from ledger.db.schema.workplace_collections import (
    collection_cash,
    collection_changes,
    collection_entries,
    collections,
)

__all__ = [
    "account_balances",
    "accounts",
    "api_tokens",
    "autogiro_debits",
    "autogiro_deposit_entries",
    "autogiro_deposits",
    "autogiro_files",
    "autogiro_mandate_events",
    "autogiro_mandates",
    "bank_accounts",
    "bank_import_chunks",
    "bank_import_job_chunks",
    "bank_import_jobs",
    "bank_imports",
    "bank_line_allocations",
    "bank_lines",
    "collection_cash",
    "collection_changes",
    "collection_entries",
    "collections",
    "contributor_merges",
    "contributors",
    "email_attachments",
    "email_outbox",
    "expected_payment_receipts",
    "expected_payments",
    "fiscal_years",
    "funding_change_mark",
    "gifts",
    "income_mix",
    "income_tally_mark",
    "invoice_lines",
    "invoice_reminders",
    "invoices",
    "journal_entries",
    "journal_lines",
    "ledger_head",
    "membership_commitments",
    "metadata",
    "network_budgets",
    "network_countries",
    "network_memberships",
    "network_partners",
    "networks",
    "organisation_income",
    "period_closings",
    "pledge_instalments",
    "pledges",
    "reference_counters",
    "stripe_charge_links",
    "stripe_events",
    "swish_consents",
    "swish_payments",
    "swish_recurring_payments",
    "swish_refunds",
    "user_sessions",
    "users",
]
