"""SQL storage: SQLite (embedded) and PostgreSQL, one code path.

Tables and queries are written once with SQLAlchemy Core, compiled once per dialect and
executed on the raw driver (sqlite3 inline, asyncpg), which keeps the driver's speed.
"""
