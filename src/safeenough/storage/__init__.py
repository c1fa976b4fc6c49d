"""Persistence: SQLAlchemy Core tables, repositories returning domain objects, field encryption."""
