"""Logging steps (``LoggingSteps``): write a message to the standard ``logging`` system.

Messages go to the ``steps_library.LoggingSteps`` logger. Passwords in URLs inside a message
(``scheme://user:secret@host``) are masked before logging.
"""

from __future__ import annotations

import logging
import re

from metalus_py.base.exceptions import PipelineException

logger = logging.getLogger("steps_library.LoggingSteps")

_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
    "CRITICAL": logging.CRITICAL,
}
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^:/@\s]*:)[^@\s]+(@)")


def mask_secrets(message: str) -> str:
    """Replace the password of every ``scheme://user:password@host`` URL in ``message`` by ``***``."""
    return _URL_PASSWORD.sub(r"\1***\2", str(message))


def log_message(message: str, level: str = "INFO") -> str:
    """Log a message at a level (log4j names accepted: TRACE, DEBUG, INFO, WARN, ERROR, FATAL).

    Args:
        message: the message.
        level: the level name, case-insensitive.

    Returns:
        The message as logged (with any URL passwords masked).
    """
    number = _LEVELS.get(str(level).upper())
    if number is None:
        raise PipelineException(f"log_message: unknown level '{level}'; use one of {sorted(_LEVELS)}")
    masked = mask_secrets(message)
    logger.log(number, masked)
    return masked


class LoggingSteps:
    """Log messages through the standard logging module."""

    log_message = staticmethod(log_message)
