"""The service's Redis connections pack commands with hiredis: the same bytes as redis-py, on a real server."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import (
    AuthenticationError,
    DataError,
    NoPermissionError,
    OutOfMemoryError,
    ReadOnlyError,
    ResponseError,
)

from moderation_service.redis_connection import (
    REDIS_DOWN,
    HiredisPacking,
    RedisRefused,
    RefusalsParser,
    connection_pool,
)


class Packing(HiredisPacking, Connection):
    pass


COMMANDS: list[tuple[Any, ...]] = [
    ("EVALSHA", "a" * 40, 3, "moderation:{blog}:comment:x", "k2", "k3", 60, 2, 1.5, 1764222222.123456, -7, 10**20),
    ("HSET", "h", "content", "Grüße, 😀 " * 2000, "score", 0.30000000000000004),  # over redis-py's chunk size
    ("SET", "k", "\ud800".encode("utf-8", "surrogatepass")),
    ("SCRIPT LOAD", "return 1"),
    (b"CONFIG GET", "maxmemory"),
    ("GET", b"bytes\x00with\r\nbreaks"),
    ("SET", "k", float("inf")),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: str(c[0]))
def test_the_same_bytes_as_redis_py(command: tuple[Any, ...]) -> None:
    assert b"".join(Packing().pack_command(*command)) == b"".join(Connection().pack_command(*command))


@pytest.mark.parametrize("value", [memoryview(b"view"), True, None, [1]])
def test_what_hiredis_does_not_take_is_packed_or_refused_by_redis_py(value: object) -> None:
    try:
        expected: Any = b"".join(Connection().pack_command("SET", "k", value))
    except DataError as error:
        with pytest.raises(DataError, match=str(error)):
            Packing().pack_command("SET", "k", value)
    else:
        assert b"".join(Packing().pack_command("SET", "k", value)) == expected


def test_another_encoding_is_left_to_redis_py() -> None:
    latin = Packing(encoding="latin-1")
    assert latin.pack_command("SET", "k", "Grüße") == Connection(encoding="latin-1").pack_command("SET", "k", "Grüße")


@pytest.mark.parametrize(("url", "base"), [("redis://localhost/1", Connection), ("rediss://localhost/1", SSLConnection),
                                           ("unix:///tmp/redis.sock?db=1", UnixDomainSocketConnection)])
def test_every_url_keeps_its_connection_class(url: str, base: type) -> None:
    pool = connection_pool(url)
    assert issubclass(pool.connection_class, base) and issubclass(pool.connection_class, HiredisPacking)


async def test_commands_and_pipelines_round_trip(redis: Redis, redis_url: str) -> None:  # redis: a clean database
    client = Redis(connection_pool=connection_pool(redis_url, decode_responses=True))
    try:
        text = "Grüße, 😀 " * 2000
        await client.hset("h", mapping={"content": text, "score": 0.25, "count": 3})
        async with client.pipeline(transaction=False) as pipe:
            pipe.hgetall("h").incrbyfloat("f", 1.5).eval("return {KEYS[1], ARGV[1]}", 1, "k", "ä")
            assert await pipe.execute() == [{"content": text, "score": "0.25", "count": "3"}, 1.5, ["k", "ä"]]
    finally:
        await client.aclose(close_connection_pool=True)


@pytest.mark.parametrize("reply", [
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set",
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.",
])
def test_refusals_redis_py_does_not_name_are_raised_as_redis_refused(reply: str) -> None:
    error = RefusalsParser.parse_error(reply)
    assert type(error) is RedisRefused and str(error) == reply
    assert isinstance(error, REDIS_DOWN)
    wrapped = RefusalsParser.parse_error(f"ERR Error running script (call to f_0): @user_script:1: -{reply}")
    assert type(wrapped) is RedisRefused


@pytest.mark.parametrize(("reply", "expected"), [
    ("OOM command not allowed when used memory > 'maxmemory'.", OutOfMemoryError),
    ("READONLY You can't write against a read only replica.", ReadOnlyError),
    ("NOAUTH Authentication required.", AuthenticationError),
    ("WRONGPASS invalid username-password pair or user is disabled.", AuthenticationError),
    ("NOPERM User service has no permissions to run the 'evalsha' command", NoPermissionError),
    # Redis 6 wraps the error of a command that a script calls:
    ("ERR Error running script (call to f_a51f): @user_script:4: @user_script: 4: -OOM command not allowed when "
     "used memory > 'maxmemory'.", OutOfMemoryError),
    ("ERR Error running script (call to f_a51f): @user_script:4: @user_script: 4: -READONLY You can't write "
     "against a read only replica.", ReadOnlyError),
    ("ERR Error running script (call to f_a51f): @user_script:4: @user_script: 4: -WRONGTYPE Operation against a "
     "key holding the wrong kind of value", ResponseError),
    ("ERR unknown command 'NOPE'", ResponseError),
    ("WRONGTYPE Operation against a key holding the wrong kind of value", ResponseError),
])
def test_other_errors_keep_redis_py_classes(reply: str, expected: type[Exception]) -> None:
    error = RefusalsParser.parse_error(reply)
    assert type(error) is expected
    # Outages and refusals make the service spool; a mistake in a command is a bug and must not hide there.
    assert isinstance(error, REDIS_DOWN) is (expected is not ResponseError)


async def test_pool_connections_parse_replies_with_the_refusals_parser(redis_url: str) -> None:
    pool = connection_pool(redis_url, decode_responses=True)
    client = Redis(connection_pool=pool)
    try:
        with pytest.raises(ResponseError) as raised:  # a real error reply, through the pool's parser
            await client.execute_command("DENIED-IS-NOT-A-COMMAND")
        assert type(raised.value) is ResponseError and "unknown command" in str(raised.value)
        connection = await pool.get_connection()
        assert isinstance(connection._parser, RefusalsParser)
        await pool.release(connection)
    finally:
        await client.aclose(close_connection_pool=True)
