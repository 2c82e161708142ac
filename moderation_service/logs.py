"""Logging set-up for the command line (dictConfig), and the log of requests that are not valid HTTP."""

from __future__ import annotations

import logging
import logging.config
import re
import sys
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

# Where aiohttp's parser messages start quoting the request's own bytes: ``b'…'``, ``bytearray(…)`` or a
# quoted line, after a space or a colon (so that the apostrophe of "can't" is not taken for one).
_QUOTED_BYTES = re.compile(r"""(?:^|[\s:])(?:b?['"]|bytearray\().*$""", re.DOTALL)


def setup_logging(level: str = "INFO") -> None:
    # No access log: it costs time on every request, and a request line can carry a key (Perspective's ?key=).
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"default": {"format": "%(asctime)s %(levelname)-7s %(process)d %(name)s: %(message)s"}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "default"}},
            "root": {"handlers": ["stderr"], "level": level},
        }
    )


def malformed_request_reason(exc: HttpProcessingError) -> str:
    """What was wrong with a request aiohttp's parser refused, without any of the request's bytes."""
    first_line = (exc.message or "").strip().split("\n", 1)[0]
    return _QUOTED_BYTES.sub("", first_line).rstrip(":. ") or type(exc).__name__


class ServerLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server logger (``handler_args={"logger": …}``), for requests its parser refuses.

    aiohttp logs each such request (a header line over 8,190 bytes, a control character in a header, a
    bad request line) at ERROR with a traceback whose message quotes the offending bytes, an
    ``Authorization`` header or a ``?key=`` among them. A request that is not valid HTTP is the client's
    fault, not the service's: here it is one line at INFO saying what was wrong, without the bytes. Every
    other record (a real failure inside aiohttp) passes through unchanged.
    """

    def __init__(self, name: str = "moderation_service.http") -> None:
        super().__init__(logging.getLogger(name), {})

    def log(self, level: int, msg: object, *args: Any, exc_info: Any = None, **kwargs: Any) -> None:
        exc = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1] if exc_info else None
        if isinstance(exc, HttpProcessingError):
            # aiohttp's message names the client: "Error handling request from %s", request.remote
            said = str(msg) % args if args else str(msg)
            level, msg, exc_info = min(level, logging.INFO), "%s: not valid HTTP, refused: %s (%s)", None
            args = (said, malformed_request_reason(exc), type(exc).__name__)
        super().log(level, msg, *args, exc_info=exc_info, **kwargs)
