"""Which database errors mean « not now » rather than « wrong »: the pool or the server has
no connection to give, the server is restarting or was just restarted, SQLite stayed
locked beyond its busy timeout. The web answers those with a 503 page and `Retry-After`
(app/web/errors.py), never a 500."""

from __future__ import annotations

from sqlalchemy import exc

# PostgreSQL SQLSTATEs (Appendix A of its manual): class 08, connection exception; 53300
# too_many_connections (max_connections or a role's or database's CONNECTION LIMIT);
# 57P01-57P03, admin_shutdown (pg_terminate_backend, a restart), crash_shutdown,
# cannot_connect_now (the server is starting).
_CLASSES = ("08",)
_CODES = frozenset({"53300", "57P01", "57P02", "57P03"})
_SQLITE_LOCKED = ("database is locked", "database table is locked")


def temporarily_unavailable(error: BaseException) -> bool:
    if isinstance(error, exc.TimeoutError):
        return True  # QueuePool limit reached: no connection freed within pool_timeout
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        code = getattr(error.orig, "sqlstate", None)
        if isinstance(code, str) and (code in _CODES or code.startswith(_CLASSES)):
            return True
        return any(words in str(error.orig) for words in _SQLITE_LOCKED)
    if isinstance(error, ConnectionError):
        # asyncpg lets a refused connection through SQLAlchemy's pool as it is: only those
        # raised while the pool was connecting are the database's.
        return _raised_by_the_pool(error)
    return False


def _raised_by_the_pool(error: BaseException) -> bool:
    trace = error.__traceback__
    while trace is not None:
        if str(trace.tb_frame.f_globals.get("__name__", "")).startswith("sqlalchemy.pool"):
            return True
        trace = trace.tb_next
    return False
