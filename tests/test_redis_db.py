"""Test sessions and benchmarks share a Redis server: each claims an empty database and leaves it empty."""

from __future__ import annotations

import pytest
import redis

from bench.redis_db import NoFreeDatabase, claimed_database
from tests.redis_server import RedisServer


def test_a_claimed_database_is_left_empty_and_free(private_redis: RedisServer) -> None:
    base = private_redis.url
    registry = redis.Redis.from_url(f"{base}/0")
    with claimed_database(base) as url:
        database = redis.Redis.from_url(url)
        assert database.dbsize() == 0 and url == f"{base}/15"
        database.set("moderation:migrated:author-history-ttl", "1")  # what a service writes at its start
        assert registry.get("moderation-tests:claim:15") is not None
        with claimed_database(base) as second:  # another run meanwhile: another database
            assert second == f"{base}/14"
    assert database.dbsize() == 0 and registry.keys("moderation-tests:claim:*") == []
    with claimed_database(base) as again:  # so the next run can take it
        assert again == f"{base}/15"


def test_a_database_that_holds_data_is_not_taken(private_redis: RedisServer) -> None:
    base = private_redis.url
    redis.Redis.from_url(f"{base}/15").set("someone-elses", "data")
    with claimed_database(base) as url:
        assert url == f"{base}/14"
    assert redis.Redis.from_url(f"{base}/15").get("someone-elses") == b"data"
    for db in range(1, 15):
        redis.Redis.from_url(f"{base}/{db}").set("someone-elses", "data")
    with pytest.raises(NoFreeDatabase, match="no free empty database"), claimed_database(base):
        pass
