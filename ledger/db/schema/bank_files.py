"""Our bank accounts and imported bank files: the accounts whose statements we import, the
import itself, its raw bytes in chunks, each line read from it and
how a line's money was allocated."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ledger.db.schema.metadata import BigId, metadata

# The accounts that are ours: a file for any other is refused (issue 11, rule 4). ``number``
# is a compact IBAN or a Swedish ``clearing-account``; ``ledger_account`` is where its money books.
bank_accounts = Table(
    "bank_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(34), nullable=False, unique=True),
    Column("ledger_account", String(4), ForeignKey("accounts.code"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


bank_imports = Table(
    "bank_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("filename", String(255), nullable=False),
    Column("format", String(20), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("imported_by", Integer, ForeignKey("users.id")),
    Column("line_count", Integer, nullable=False),
    Column("credit_count", Integer, nullable=False),
    Column("credit_ore", BigInteger, nullable=False),
    Column("debit_count", Integer, nullable=False),
    Column("debit_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("booked_count", Integer, nullable=False),
    Column("confirmed_count", Integer, nullable=False),
    Column("matched_count", Integer, nullable=False),
    Column("unmatched_count", Integer, nullable=False),
    Column("conflict_count", Integer, nullable=False, server_default="0"),
    Column("summary", Text, nullable=False),
)


bank_import_chunks = Table(
    "bank_import_chunks",
    metadata,
    Column("import_id", Integer, ForeignKey("bank_imports.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)


# An uploaded bank file waiting for, or being imported by, the background worker (issue 12,
# item 6). ``active_sha256`` holds the file's hash while the job waits or runs and is cleared
# when it ends: its UNIQUE refuses the same file queued twice (NULLs never collide), and once
# the job has made its import, ``bank_imports.sha256`` refuses it from then on. ``claim`` is the
# token of the worker that holds the job; ``heartbeat_at`` says it is alive.
bank_import_jobs = Table(
    "bank_import_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, index=True),
    Column("active_sha256", String(64), unique=True),
    Column("filename", String(255), nullable=False),
    Column("format", String(20)),  # as asked for; None: detected from the file
    Column("size", BigInteger, nullable=False),
    Column("requested_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False, index=True),
    Column("claim", String(36)),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("bytes_done", BigInteger, nullable=False, server_default="0"),
    Column("line_total", Integer),  # known once the whole file is checked
    Column("lines_done", Integer, nullable=False, server_default="0"),
    Column("import_id", Integer, ForeignKey("bank_imports.id")),
    Column("cash_ore", BigInteger),
    Column("errors", Text),  # refused: JSON list of {file, line, field, message}
    Column("finished_at", DateTime(timezone=True)),
)


bank_import_job_chunks = Table(
    "bank_import_job_chunks",
    metadata,
    Column("job_id", Integer, ForeignKey("bank_import_jobs.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)


bank_lines = Table(
    "bank_lines",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("import_id", Integer, ForeignKey("bank_imports.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("key", String(200), nullable=False, index=True),
    Column("booking_date", Date, nullable=False),
    Column("value_date", Date),
    Column("direction", String(3), nullable=False),
    Column("amount_ore", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(35)),
    Column("message", String(500)),
    Column("payer_name", String(140)),
    Column("payer_account", String(50)),
    Column("account", String(50)),
    Column("channel", String(20)),
    Column("match_kind", String(12), nullable=False),
    Column("expected_payment_id", Integer, ForeignKey("expected_payments.id")),
    # Indexed (ix_bank_lines_entry_id): the matcher asks whether a line already claims an entry.
    Column("entry_id", BigId, ForeignKey("journal_entries.id"), index=True),
    # A conflict: the entry booked under the line's key that says something else; entry_id
    # stays empty, since the line itself is booked nowhere.
    Column("conflict_entry_id", BigId, ForeignKey("journal_entries.id")),
    Column("open_ore", BigInteger, nullable=False),
    Column("note", String(500)),
    UniqueConstraint("import_id", "line_no"),
)


bank_line_allocations = Table(
    "bank_line_allocations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("line_id", BigId, ForeignKey("bank_lines.id"), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("expected_payment_id", Integer, ForeignKey("expected_payments.id")),
    Column("network_id", Integer, ForeignKey("networks.id")),
    Column("contributor_id", Integer, ForeignKey("contributors.id")),
    Column("amount_ore", BigInteger, nullable=False),
    Column("entry_id", BigId, ForeignKey("journal_entries.id")),
    Column("note", String(500)),
    Column("created_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reversal_entry_id", BigId, ForeignKey("journal_entries.id")),
)
