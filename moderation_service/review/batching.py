"""Redis commands from concurrent requests, sent together: one pipeline per round trip.

Under load many requests want one small Redis command each. Sent one by one, each pays a round trip and
redis-py's per-command overhead; queued here, whatever arrives while one pipeline is on the wire goes out
in the next, so one round trip carries many commands. A lone command goes out on its own.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError


class Script:
    """A Lua script known by its SHA-1; loaded into Redis on first use and again after a Redis restart."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


class Batcher:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._waiting: list[tuple[Script, list[Any], asyncio.Future[Any]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def run(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        """Run ``script`` with ``keys`` and ``args`` in the next batch; raises what the command raised."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((script, [len(keys), *keys, *args], future))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_waiting())
        return await future

    async def _send_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await self._send(batch)
            except Exception as exc:  # connection trouble: every caller of the batch learns about it
                results = [exc] * len(batch)
            for (_, _, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def _send(self, batch: list[tuple[Script, list[Any], asyncio.Future[Any]]]) -> list[Any]:
        results = await self._execute(batch)
        missing = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        if missing:  # Redis restarted or flushed its script cache
            for source in {batch[i][0].source for i in missing}:
                await self._redis.script_load(source)
            # Only those again: the others have run, and running a counter or a first store twice is wrong.
            for i, result in zip(missing, await self._execute([batch[i] for i in missing]), strict=True):
                results[i] = result
        return results

    async def _execute(self, batch: list[tuple[Script, list[Any], asyncio.Future[Any]]]) -> list[Any]:
        if len(batch) == 1:
            script, arguments, _ = batch[0]
            try:
                return [await self._redis.evalsha(script.sha, *arguments)]
            except NoScriptError as exc:
                return [exc]
        pipe = self._redis.pipeline(transaction=False)
        for script, arguments, _ in batch:
            pipe.evalsha(script.sha, *arguments)
        return list(await pipe.execute(raise_on_error=False))
