"""The service's Redis connection pool: redis-py's asyncio client, with commands packed by hiredis.

redis-py's asyncio connections pack every command in Python (its synchronous client uses hiredis when it
is installed). A decision sends two scripts of about 25 and 15 arguments, and packing them took about 37 µs
of the request's CPU; ``hiredis.pack_command`` writes the same bytes in about 5 µs
(``tests/test_redis_connection.py`` compares them). Arguments hiredis does not take (a memoryview, or a
wrong type, which redis-py refuses with its own error) go through redis-py's packing.

It also says what counts as Redis being unavailable (:data:`REDIS_DOWN`): not only unreachable or too slow,
but answering with a refusal to serve, such as protected mode, a failing disk, a full memory or a read-only
replica. The service spools records then, exactly as when Redis is away, and ``/readyz`` shows the refusal.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import hiredis
from redis._parsers import _AsyncHiredisParser
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import (
    MasterDownError,
    NoPermissionError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    ResponseError,
)
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


class RedisRefused(ResponseError):
    """Redis answers but refuses to serve: ``DENIED`` (protected mode: it takes no connection from another
    host until it has a password or protected mode is off) or ``MISCONF`` (it cannot write its persistence
    files, so it refuses writes). redis-py reports both as a plain ``ResponseError``."""


#: Redis cannot keep the service's records now: unreachable, too slow, or refusing. ``AuthenticationError``
#: (a wrong or missing password) and ``BusyLoadingError`` (loading its data after a restart) are
#: ``ConnectionError``\ s already.
REDIS_DOWN: tuple[type[BaseException], ...] = (
    RedisConnectionError, RedisTimeoutError, RedisRefused, OutOfMemoryError, ReadOnlyError, NoPermissionError,
    MasterDownError, ConnectionError, TimeoutError, OSError,
)


#: Redis before 7 wraps the error of a command a script calls: ``ERR Error running script (call to f_…):
#: @user_script:4: @user_script: 4: -OOM command not allowed …``.
SCRIPT_ERROR = re.compile(r"ERR Error running script .*?: -(?=[A-Z]+ )")


class RefusalsParser(_AsyncHiredisParser):
    """redis-py's hiredis reply parser, with the refusals it does not name raised as :class:`RedisRefused`,
    and the error inside a script's error (Redis 6) raised as what it is (a full memory, a replica…)."""

    REFUSALS = frozenset({"DENIED", "MISCONF"})

    @classmethod
    def parse_error(cls, response: str) -> ResponseError:
        if response.split(" ", 1)[0] in cls.REFUSALS:
            return RedisRefused(response)
        wrapped = SCRIPT_ERROR.match(response)
        if wrapped is not None:
            inner = cls.parse_error(response[wrapped.end():])
            if type(inner) is not ResponseError:
                return type(inner)(response)
        return super().parse_error(response)  # type: ignore[no-any-return]


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
    """A pool for ``url`` (``redis://``, ``rediss://`` or ``unix://``) whose connections pack with hiredis
    and name Redis's refusals."""
    pool = BlockingConnectionPool.from_url(url, parser_class=RefusalsParser, **options)
    base = pool.connection_class
    pool.connection_class = type(f"Hiredis{base.__name__}", (HiredisPacking, base), {})
    return pool


async def configuration_warnings(redis: Redis) -> list[str]:
    """What in Redis's configuration can lose the service's records: keys evicted when memory is full, or
    nothing kept on disk. Empty when all is well, or when Redis does not let us read its configuration."""
    try:
        config: dict[str, str] = {}
        for name in ("maxmemory-policy", "appendonly", "save"):  # one by one: Redis 6 reads one per call
            config.update(await redis.config_get(name))
    except RedisError as exc:  # managed Redis often refuses CONFIG
        logger.debug("cannot read Redis's configuration: %s", exc)
        return []
    warnings = []
    policy = config.get("maxmemory-policy", "noeviction")
    if policy.startswith("allkeys-"):
        warnings.append(f"Redis evicts keys when its memory is full (maxmemory-policy {policy}): held comments, "
                        "decisions and labels can disappear. Set maxmemory-policy noeviction; the service then "
                        "spools while Redis is full.")
    if config.get("appendonly") == "no":
        kept = ("keeps only RDB snapshots (save " + config["save"] + "): a restart loses what came after the last "
                "one" if config.get("save") else "keeps nothing on disk: a restart loses every record")
        warnings.append(f"Redis {kept}. Turn on appendonly yes.")
    for warning in warnings:
        logger.warning("%s", warning)
    return warnings
