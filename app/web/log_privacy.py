"""Keeps the modify and cancel links' tokens (and the staff password links') out of the
access log: whoever holds one can change a booking or an account, so a log line must not be
enough to do it."""

from __future__ import annotations

import logging
import re

TOKEN_IN_PATH = re.compile(r"(/rendez-vous/(?:modifier|annuler)/|/admin/reinitialiser/)[^/?#\s]+")
HIDDEN = "[jeton]"


def hide_tokens(text: str) -> str:
    return TOKEN_IN_PATH.sub(rf"\g<1>{HIDDEN}", text)


class HideLinkTokens(logging.Filter):
    """Rewrites the arguments of a log record (uvicorn's access log passes the path as one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = hide_tokens(record.msg)
        return True


def install(logger_names: tuple[str, ...] = ("uvicorn.access", "uvicorn.error")) -> None:
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, HideLinkTokens) for existing in logger.filters):
            logger.addFilter(HideLinkTokens())
