"""Commands of concurrent requests share one pipeline: each caller gets its own result or error, and a
script Redis no longer knows is loaded and run once, not the whole batch again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from moderation_service.redis_connection import connection_pool
from moderation_service.review.batching import Batcher, Script
from tests.redis_server import RedisServer

COUNT = Script("return redis.call('INCR', KEYS[1])")
COUNT_TOO = Script("return redis.call('INCRBY', KEYS[1], ARGV[1])")


@pytest.fixture
async def private_redis(tmp_path) -> AsyncIterator[Redis]:  # type: ignore[no-untyped-def]
    """A server of its own: these tests flush the script cache, which is the whole server's."""
    server = RedisServer(directory=tmp_path / "redis").start()
    client = Redis(connection_pool=connection_pool(server.url, decode_responses=True))
    yield client
    await client.aclose(close_connection_pool=True)
    server.stop()


async def test_each_caller_gets_its_own_result_or_error(private_redis: Redis) -> None:
    await private_redis.script_load(COUNT.source)
    await private_redis.set("text", "not a number")
    batcher = Batcher(private_redis)
    first, failed, second = await asyncio.gather(
        batcher.run(COUNT, ["counter"], []), batcher.run(COUNT, ["text"], []), batcher.run(COUNT, ["counter"], []),
        return_exceptions=True)
    assert (first, second) == (1, 2)
    assert isinstance(failed, ResponseError) and "not an integer" in str(failed)


async def test_only_the_scripts_redis_lost_run_again(private_redis: Redis) -> None:
    """After a Redis restart the script cache fills again one script at a time; a batch mixing a known and
    an unknown script must not run the known one twice (a counter would count twice)."""
    batcher = Batcher(private_redis)
    await private_redis.script_flush()
    await private_redis.script_load(COUNT.source)  # COUNT_TOO is unknown to Redis now
    results = await asyncio.gather(batcher.run(COUNT, ["a"], []), batcher.run(COUNT_TOO, ["b"], [5]))
    assert results == [1, 5]
    assert (await private_redis.get("a"), await private_redis.get("b")) == ("1", "5")
    assert await private_redis.script_exists(COUNT.sha, COUNT_TOO.sha) == [True, True]
