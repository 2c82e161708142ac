"""A durable local spool for records that could not reach Redis.

When Redis is unreachable the service still answers; each record it could not store is committed to a
SQLite file (WAL, ``synchronous=FULL``: on disk before the answer goes out) and written to Redis by
:meth:`Spool.drain` once Redis is back. Each process writes its own file; draining reads every file in the
folder, so records spooled by a process that no longer runs are delivered too. Replaying is safe because
storing a record is idempotent, an older version of a comment never replaces a newer one (an edit), and a
record received before the blog deleted its comment is dropped (the deletion is marked in Redis, since the
DELETE may reach a process for which Redis is up before the record is delivered, and then finds nothing). A
decision of the blog's own that came meanwhile the same way is kept in Redis and applied as the record is
stored (see :meth:`CommentStore.record`); when applying it fails for Redis going away, the record stays here
and the decision there, for the next drain.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

from redis.exceptions import RedisError

from ..comments import Record
from ..exceptions import StorageUnavailable
from ..redis_connection import REDIS_DOWN
from .store import CommentStore, from_fields, to_fields

logger = logging.getLogger(__name__)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL)",
    # Records that Redis is up but cannot take (a record written by another version of the service that this
    # one cannot read, or one that Redis refuses): kept here for an operator instead of blocking the rest.
    "CREATE TABLE IF NOT EXISTS rejected (seq INTEGER PRIMARY KEY, record TEXT NOT NULL, error TEXT NOT NULL, "
    "rejected_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)",
)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    # A delivered record is erased with Redis's copy (a blog's DELETE): deleted rows are overwritten (not every
    # SQLite build does so by default), and the write-ahead log that held them is emptied after each delivery.
    connection.execute("PRAGMA secure_delete=ON")
    for statement in SCHEMA:
        connection.execute(statement)
    return connection


def _private(directory: Path, path: Path) -> None:
    """A spooled record holds the commenter's e-mail and IP address: the folder and this process's file are for
    the service's user alone (SQLite gives its ``-wal`` and ``-shm`` files the database file's mode), as the
    embedded Redis's folder is. A folder or file that is not the service's user's own (an operator's) stays as
    they made it."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    _made_private(directory)


def _made_private(directory: Path) -> None:
    """The folder, and every spool file in it (other processes' too, with their ``-wal`` and ``-shm``), for the
    service's user alone (see :func:`_private`): made by an earlier release under the usual umask, they were
    readable by every user of the machine."""
    for own, mode in ((directory, 0o700), *((path, 0o600) for path in directory.glob("*.sqlite3*"))):
        with suppress(OSError):
            own.chmod(mode)


class Spool:
    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.path = directory / f"{name}.sqlite3"
        # One thread owns all SQLite work, so the event loop never waits on fsync.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spool")
        self._connection: sqlite3.Connection | None = None
        #: Whether any file may hold records; True until a drain finds them all empty.
        self.maybe_pending = True
        self._readable: set[Path] = set()
        self._unreadable: set[Path] = set()
        #: Whether the folder and the files in it were made private (see :func:`_made_private`), once.
        self._checked_private = False

    def _own(self) -> sqlite3.Connection:
        if self._connection is None:
            _private(self.directory, self.path)
            self._checked_private = True
            self._connection = _connect(self.path)
        return self._connection

    async def _run(self, function, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def _put(self, payload: str) -> None:
        self._own().execute("INSERT INTO spool (record) VALUES (?)", (payload,))

    async def put(self, record: Record) -> None:
        """Commit ``record`` to this process's file; :class:`StorageUnavailable` when the file cannot take it
        (a full disk, a folder that cannot be written): then nothing keeps the record, and the caller must
        say so instead of answering as if it were kept."""
        try:
            await self._run(self._put, json.dumps(to_fields(record), ensure_ascii=False))
        except (sqlite3.Error, OSError) as exc:
            logger.error("spool %s cannot keep record %s while Redis is away: %s", self.path, record.id, exc)
            raise StorageUnavailable(
                f"Redis is unreachable and the local spool cannot keep the comment ({exc}), so nothing was "
                "kept; send it again shortly.") from None
        self.maybe_pending = True

    def _files(self) -> list[Path]:
        """The spool files of the folder, this process's and others'; one that is not an SQLite database (a
        damaged disk, a stray file) is logged once and left alone, so that it cannot stop the others."""
        if not self.directory.is_dir():
            return []
        if not self._checked_private:  # an earlier release's folder, drained after an upgrade (Redis up)
            _made_private(self.directory)
            self._checked_private = True
        files = []
        for path in sorted(self.directory.glob("*.sqlite3")):
            if path in self._unreadable:
                continue
            if path != self.path and path not in self._readable:
                try:
                    _connect(path).close()
                except sqlite3.DatabaseError as exc:
                    self._unreadable.add(path)
                    logger.error("spool file %s cannot be read (%s): left as it is, its records are not delivered",
                                 path, exc)
                    continue
                self._readable.add(path)
            files.append(path)
        return files

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

    def _counts(self) -> tuple[int, int]:
        pending = rejected = 0
        for path in self._files():
            with self._open(path) as connection:
                row = connection.execute("SELECT (SELECT COUNT(*) FROM spool), (SELECT COUNT(*) FROM rejected)")
                file_pending, file_rejected = row.fetchone()
                pending, rejected = pending + file_pending, rejected + file_rejected
        return pending, rejected

    async def counts(self) -> tuple[int, int]:
        """Records waiting for Redis, and records set aside because Redis, though up, could not take them
        (see :meth:`drain`): one pass over the files."""
        return await self._run(self._counts)  # type: ignore[no-any-return]

    async def pending(self) -> int:
        return (await self.counts())[0]

    async def rejected(self) -> int:
        return (await self.counts())[1]

    def _batch(self, path: Path, after: int, limit: int) -> list[tuple[int, str]]:
        with self._open(path) as connection:
            return connection.execute("SELECT seq, record FROM spool WHERE seq > ? ORDER BY seq LIMIT ?",
                                      (after, limit)).fetchall()

    def _delete(self, path: Path, seqs: list[int]) -> None:
        with self._open(path) as connection:
            connection.executemany("DELETE FROM spool WHERE seq = ?", [(s,) for s in seqs])
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _reject(self, path: Path, seq: int, payload: str, error: str) -> None:
        with self._open(path) as connection:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT OR REPLACE INTO rejected (seq, record, error) VALUES (?, ?, ?)",
                               (seq, payload, error))
            connection.execute("DELETE FROM spool WHERE seq = ?", (seq,))
            connection.execute("COMMIT")

    async def drain(self, store: CommentStore, batch: int = 200) -> int:
        """Write every spooled record to Redis, oldest first; Redis being down stops the drain and propagates.

        One record must not hold back the others: a record this version cannot read (written by another
        version) is moved to the file's ``rejected`` table, where it stays for an operator; one that Redis
        refuses (an error reply about that record, not Redis being down) stays in the spool for the next drain.
        Both are logged, and ``/readyz`` counts them.
        """
        delivered, held_back, first_refusal = 0, 0, ""
        self.maybe_pending = False
        try:
            for path in await self._run(self._files):
                after = 0
                while rows := await self._run(self._batch, path, after, batch):
                    done: list[int] = []
                    try:
                        for seq, payload in rows:
                            after = seq
                            try:
                                record = from_fields(json.loads(payload))
                            except (ValueError, KeyError, TypeError) as exc:
                                error = f"{type(exc).__name__}: {exc}"
                                logger.error("spooled record %s in %s cannot be read (%s): moved to the file's "
                                             "'rejected' table", seq, path, error)
                                await self._run(self._reject, path, seq, payload, error)
                                continue
                            try:
                                stored = await store.record(record)
                            except REDIS_DOWN:
                                raise
                            except RedisError as exc:
                                held_back += 1
                                first_refusal = first_refusal or f"{record.id}: {type(exc).__name__}: {exc}"
                                continue
                            if stored.deleted:
                                logger.info("spooled record %s was deleted by the blog before it reached Redis: "
                                            "dropped", record.id)
                            done.append(seq)
                    finally:
                        if done:
                            await self._run(self._delete, path, done)
                            delivered += len(done)
        except BaseException:
            self.maybe_pending = True
            raise
        if held_back:
            self.maybe_pending = True
            logger.error("%d spooled record(s) refused by Redis, kept for the next attempt (first: %s)",
                         held_back, first_refusal)
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
