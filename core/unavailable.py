"""A backing service the client cannot help: PostgreSQL gone, restarting, or refusing for now.

Django raises `OperationalError` (the server closed the connection, refused a new one, a
deadlock, a lock or statement timeout) or `InterfaceError` (a connection already closed) when
the database cannot do what was asked. The transaction it happened in is rolled back (services
write in one transaction each, and their keys make a retry safe), and the same request sent
again shortly is likely to succeed. Every door answers
it the same way: 503 with the stable code `service_unavailable` and Retry-After, never a 500
page (DESIGN.md: nothing a client can send, and nothing it cannot help, is a 500).
"""

import logging

from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DETAIL = "The shop's database is not answering just now. Try again in a few seconds."


def service_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what it was raised from) is the database being unavailable."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def unavailable_logged(exc: BaseException, where: str) -> None:
    """One warning with the cause (no ERROR: the code is not at fault, and alerting is on the database)."""
    logger.warning("%s: database unavailable (%s: %s)", where, type(exc).__name__, exc)
