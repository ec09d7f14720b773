"""Alembic migrations: the only way Kassan's schema is created or changed."""
