"""Logging set-up for the command line (dictConfig)."""

from __future__ import annotations

import logging.config


def setup_logging(level: str = "INFO") -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"default": {"format": "%(asctime)s %(levelname)-7s %(process)d %(name)s: %(message)s"}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "default"}},
            "root": {"handlers": ["stderr"], "level": level},
            # aiohttp's access log costs time on every request; enable it with MODERATION_LOG_LEVEL=DEBUG.
            "loggers": {"aiohttp.access": {"level": "WARNING" if level != "DEBUG" else "DEBUG"}},
        }
    )
