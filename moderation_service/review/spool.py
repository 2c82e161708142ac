"""A durable local spool for records that could not reach Redis.

When Redis is unreachable the service still answers; each record it could not store is committed to a
SQLite file (WAL, ``synchronous=FULL``: on disk before the answer goes out) and written to Redis by
:meth:`Spool.drain` once Redis is back. Each process writes its own file; draining reads every file in the
folder, so records spooled by a process that no longer runs are delivered too. Replaying is safe because
storing a record is idempotent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ..comments import Record
from .store import CommentStore, from_fields, to_fields

logger = logging.getLogger(__name__)

SCHEMA = "CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL)"


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute(SCHEMA)
    return connection


class Spool:
    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.path = directory / f"{name}.sqlite3"
        # One thread owns all SQLite work, so the event loop never waits on fsync.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")
        self._connection: sqlite3.Connection | None = None
        #: Whether any file may hold records; True until a drain finds them all empty.
        self.maybe_pending = True

    def _own(self) -> sqlite3.Connection:
        if self._connection is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._connection = _connect(self.path)
        return self._connection

    async def _run(self, function, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def _put(self, payload: str) -> None:
        self._own().execute("INSERT INTO spool (record) VALUES (?)", (payload,))

    async def put(self, record: Record) -> None:
        await self._run(self._put, json.dumps(to_fields(record), ensure_ascii=False))
        self.maybe_pending = True

    def _files(self) -> list[Path]:
        return sorted(self.directory.glob("*.sqlite3")) if self.directory.is_dir() else []

    @contextmanager
    def _open(self, path: Path) -> Iterator[sqlite3.Connection]:
        """This process's own file stays open; another process's file is opened for the operation."""
        if path == self.path:
            yield self._own()
            return
        connection = _connect(path)
        try:
            yield connection
        finally:
            connection.close()

    def _count(self) -> int:
        total = 0
        for path in self._files():
            with self._open(path) as connection:
                total += connection.execute("SELECT COUNT(*) FROM spool").fetchone()[0]
        return total

    async def pending(self) -> int:
        return int(await self._run(self._count))

    def _batch(self, path: Path, limit: int) -> list[tuple[int, str]]:
        with self._open(path) as connection:
            return connection.execute("SELECT seq, record FROM spool ORDER BY seq LIMIT ?", (limit,)).fetchall()

    def _delete(self, path: Path, seqs: list[int]) -> None:
        with self._open(path) as connection:
            connection.executemany("DELETE FROM spool WHERE seq = ?", [(s,) for s in seqs])

    async def drain(self, store: CommentStore, batch: int = 200) -> int:
        """Write every spooled record to Redis, oldest first; a Redis error stops the drain and propagates."""
        delivered = 0
        self.maybe_pending = False
        try:
            for path in await self._run(self._files):
                while rows := await self._run(self._batch, path, batch):
                    done: list[int] = []
                    try:
                        for seq, payload in rows:
                            await store.record(from_fields(json.loads(payload)))
                            done.append(seq)
                    finally:
                        if done:
                            await self._run(self._delete, path, done)
                            delivered += len(done)
        except BaseException:
            self.maybe_pending = True
            raise
        if delivered:
            logger.info("delivered %d spooled record(s) to Redis", delivered)
        return delivered

    async def close(self) -> None:
        def close_connection() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        await self._run(close_connection)
        self._executor.shutdown(wait=True)
