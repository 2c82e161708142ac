"""The service's Redis connection pool: redis-py's asyncio client, with commands packed by hiredis.

redis-py's asyncio connections pack every command in Python (its synchronous client uses hiredis when it
is installed). A decision sends two scripts of about 25 and 15 arguments, and packing them took about 37 µs
of the request's CPU; ``hiredis.pack_command`` writes the same bytes in about 5 µs
(``tests/test_redis_connection.py`` compares them). Arguments hiredis does not take (a memoryview, or a
wrong type, which redis-py refuses with its own error) go through redis-py's packing.
"""

from __future__ import annotations

from typing import Any

import hiredis
from redis.asyncio import BlockingConnectionPool


class HiredisPacking:
    """Mixin for a ``redis.asyncio`` connection class: ``pack_command`` through hiredis."""

    encoder: Any

    def pack_command(self, *args: Any) -> list[bytes]:
        if self.encoder.encoding != "utf-8" or self.encoder.encoding_errors != "strict":
            return super().pack_command(*args)  # type: ignore[misc, no-any-return]
        # A command name with literal arguments ("SCRIPT LOAD") is sent as separate words, as redis-py does.
        words = args[0].encode().split() if isinstance(args[0], str) else args[0].split()
        try:
            return [hiredis.pack_command((*words, *args[1:]))]
        except TypeError:
            return super().pack_command(*args)  # type: ignore[misc, no-any-return]


def connection_pool(url: str, **options: Any) -> BlockingConnectionPool:
    """A pool for ``url`` (``redis://``, ``rediss://`` or ``unix://``) whose connections pack with hiredis."""
    pool = BlockingConnectionPool.from_url(url, **options)
    base = pool.connection_class
    pool.connection_class = type(f"Hiredis{base.__name__}", (HiredisPacking, base), {})
    return pool
