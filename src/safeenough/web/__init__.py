"""The web adapter: a thin, server-rendered FastAPI app over the `Practice` facade.

Every request's state lives in the database (through the facade), so several workers or machines can
serve one PostgreSQL database. Only `safeenough.practice`, `domain`, `errors` and `settings` are used.
"""

from safeenough.web.app import create_app

__all__ = ["create_app"]
