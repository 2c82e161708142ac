"""Comment records in Redis: written once, atomically with their place in the review queue."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from ..comments import Comment, Record, Status, split_public_id
from ..policy import Decision
from . import keys

# Write a record unless one exists; return the existing one (an idempotent resubmission) or {}.
# KEYS: comment hash, the site's set of reason names, then the queue indexes a held comment joins.
# ARGV: ttl (0 = keep), id, n indexes, n scores, m reason names, m names, then the hash's field/value pairs.
RECORD_SCRIPT = """
local existing = redis.call('HGETALL', KEYS[1])
if #existing > 0 then return existing end
local n = tonumber(ARGV[3])
local m = tonumber(ARGV[4 + n])
redis.call('HSET', KEYS[1], unpack(ARGV, 5 + n + m))
for i = 1, n do redis.call('ZADD', KEYS[2 + i], ARGV[3 + i], ARGV[2]) end
for i = 1, m do redis.call('SADD', KEYS[2], ARGV[4 + n + i]) end
if ARGV[1] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {}
"""


def queue_indexes(record: Record) -> list[tuple[str, float]]:
    """The sorted sets a held comment waits in, with its score in each: arrival, risk, post and reasons."""
    site_id, received = record.comment.site_id, record.received_at
    indexes = [(keys.pending(site_id), received), (keys.pending_by_risk(site_id), max(record.scores.values()))]
    post = record.comment.post_id or record.comment.permalink
    if post:
        indexes.append((keys.pending_for_post(site_id, post), received))
    indexes += [(keys.pending_for_reason(site_id, reason["name"]), received) for reason in record.reasons]
    return indexes


def author_token(comment: Comment) -> str:
    """Who wrote a comment, as a hash of the lower-cased e-mail address (else the name): never the address."""
    identity = (comment.author_email or "").strip().lower() or (comment.author_name or "").strip()
    if not identity:
        return ""
    return hashlib.sha256(f"{comment.site_id}\0{identity}".encode()).hexdigest()[:32]


def to_fields(record: Record) -> dict[str, str]:
    """The hash of a record: what scripts read or change as fields, everything else in one JSON document."""
    data = {
        "comment": record.comment.as_dict(),
        "scores": record.scores,
        "reasons": record.reasons,
        "thresholds": record.thresholds,
        "extra": record.extra,
    }
    fields = {
        "id": record.id,
        "status": record.status.value,
        "decision": record.decision.value,
        "model_version": record.model_version,
        "received_at": repr(record.received_at),
        "author": author_token(record.comment),
        "data": json.dumps(data, ensure_ascii=False, separators=(",", ":")),
    }
    if record.decision is Decision.HOLD:
        fields["indexes"] = json.dumps([key for key, _ in queue_indexes(record)])
    return fields


def from_fields(fields: Mapping[str, str]) -> Record:
    data = json.loads(fields["data"])
    return Record(
        id=fields["id"],
        comment=Comment(**data["comment"]),
        decision=Decision(fields["decision"]),
        status=Status(fields["status"]),
        scores=data["scores"],
        reasons=data["reasons"],
        model_version=fields["model_version"],
        thresholds=data["thresholds"],
        received_at=float(fields["received_at"]),
        extra=data["extra"],
    )


class CommentStore:
    """Records in Redis. Writes from concurrent requests go out together in one pipeline per round trip."""

    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self._redis = redis
        self._retention = retention_seconds
        self._record_sha = hashlib.sha1(RECORD_SCRIPT.encode()).hexdigest()
        self._known_sites: set[str] = set()
        self._waiting: list[tuple[Record, asyncio.Future[Record | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    @property
    def redis(self) -> Redis:
        return self._redis

    async def record(self, record: Record) -> Record | None:
        """Store ``record``; if the comment was recorded before, store nothing and return the earlier record."""
        future: asyncio.Future[Record | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((record, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        return await future

    async def _write_waiting(self) -> None:
        # While one pipeline is on the wire, the next batch gathers: one round trip carries many records.
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await self._write([record for record, _ in batch])
            except Exception as exc:  # every request of the batch learns about it (and spools)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=False):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(from_fields(pairs(result)) if result else None)
            for _, future in batch:  # never leave a request waiting
                if not future.done():
                    future.set_exception(RuntimeError("Redis pipeline returned fewer results than commands"))

    async def _write(self, records: Sequence[Record]) -> list[Any]:
        results = await self._pipeline(records)
        if any(isinstance(r, NoScriptError) for r in results):  # Redis restarted or flushed its scripts
            await self._redis.script_load(RECORD_SCRIPT)
            results = await self._pipeline(records)
        return results

    def _evalsha_args(self, record: Record) -> list[Any]:
        site_id = record.comment.site_id
        _, token = record.id.rsplit(":", 1)
        held = record.decision is Decision.HOLD
        indexes = queue_indexes(record) if held else []
        reasons = sorted({r["name"] for r in record.reasons}) if held else []
        index_keys = [key for key, _ in indexes]
        args: list[Any] = [self._record_sha, 2 + len(indexes), keys.comment(site_id, token),
                           keys.reasons_index(site_id), *index_keys,
                           "0" if held else str(self._retention), record.id,
                           len(indexes), *[repr(score) for _, score in indexes], len(reasons), *reasons]
        for name, value in to_fields(record).items():
            args += (name, value)
        return args

    async def _pipeline(self, records: Sequence[Record]) -> list[Any]:
        new_sites = {r.comment.site_id for r in records} - self._known_sites
        if len(records) == 1 and not new_sites:  # a lone command costs less than a pipeline of one
            try:
                return [await self._redis.evalsha(*self._evalsha_args(records[0]))]
            except NoScriptError as exc:
                return [exc]
        pipe = self._redis.pipeline(transaction=False)
        for record in records:
            pipe.evalsha(*self._evalsha_args(record))
        if new_sites:
            pipe.sadd(keys.sites(), *new_sites)
        results = await pipe.execute(raise_on_error=False)
        self._known_sites.update(new_sites)
        return results

    async def get(self, public_id: str) -> Record | None:
        parts = split_public_id(public_id)
        if parts is None:
            return None
        data = await self._redis.hgetall(keys.comment(*parts))
        return from_fields(_decode(data)) if data else None


def _decode(data: Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in data.items()}


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def pairs(flat: list[bytes | str]) -> dict[str, str]:
    return {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}
