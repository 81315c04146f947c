"""The archive: SQLAlchemy models, opening an engine, Alembic migrations,
and the write path (functions that take a Session and never commit)."""
