"""Storage: the schema (SQLAlchemy Core tables) and engines for SQLite and PostgreSQL.

The schema itself is created by Alembic migrations in ``migrations/``; the tables here describe
it for queries. The database enforces the ledger's invariants with triggers and constraints
(see ``migrations/versions/0001_ledger_core.py``).
"""
