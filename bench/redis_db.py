"""A database of a shared Redis server for one run of the tests or of a benchmark, and left empty after it.

Runs on one server (a test session, a benchmark, another session's tests) each claim a database of their own
(1-15, never 0) with a key in database 0 (``SET NX`` with an expiry), take it only when it is empty, flush only
it, and flush it once more before giving it back: what a run wrote (a migration marker a service writes at
start, a benchmark's comments) never makes the database unusable for the runs after it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import redis

DEFAULT_SERVER = "redis://127.0.0.1:6379"
DATABASE_HELP = ("the Redis database to use (default: one of 127.0.0.1:6379 claimed for the run as test sessions "
                 "claim theirs, empty after it; a URL given is flushed first)")
CLAIM_SECONDS = 6 * 3600


class NoFreeDatabase(RuntimeError):
    """Every database 1-15 is claimed by another run or holds data."""


@contextmanager
def claimed_database(base_url: str = DEFAULT_SERVER) -> Iterator[str]:
    """The URL of an empty database of ``base_url`` that no other run uses, flushed again when the run ends.

    Raises :class:`redis.ConnectionError` when no server answers, :class:`NoFreeDatabase` when none is free.
    """
    base = base_url.rstrip("/")
    registry = redis.Redis.from_url(f"{base}/0")
    registry.ping()
    try:
        for db in range(15, 0, -1):
            claim = f"moderation-tests:claim:{db}"
            if not registry.set(claim, os.getpid(), nx=True, ex=CLAIM_SECONDS):
                continue
            database = redis.Redis.from_url(f"{base}/{db}")
            try:
                if database.dbsize() == 0:
                    try:
                        yield f"{base}/{db}"
                    finally:
                        database.flushdb()
                    return
            finally:
                database.close()
                registry.delete(claim)
        raise NoFreeDatabase(f"no free empty database (1-15) on {base}")
    finally:
        registry.close()


@contextmanager
def benchmark_database(url: str | None) -> Iterator[str]:
    """A benchmark's database: ``url`` when given (flushed first: the caller chose it for this), else one
    claimed on the local server as test sessions claim theirs, and left empty afterwards."""
    if url is None:
        with claimed_database() as claimed:
            yield claimed
        return
    redis.Redis.from_url(url).flushdb()
    yield url
