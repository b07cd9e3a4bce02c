"""Alembic migrations of Horn's database (applied on start by `upgrade_database`)."""
