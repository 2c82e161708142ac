"""Comment records in Redis: written once, atomically with their place in the review queue."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis

from ..comments import Comment, Record, Status, split_public_id
from ..jsonfast import dumps
from ..policy import Decision
from . import keys
from .batching import Batcher, Script

# Write a record unless one exists; return the existing one (an idempotent resubmission) or {}.
# KEYS: comment hash, the site's set of reason names, then the queue indexes a held comment joins.
# ARGV: ttl (0 = keep), id, n indexes, n scores, m reason names, m names, then the hash's field/value pairs.
# All or nothing: a key of the wrong type (edited by hand) is found before anything is written, since a
# comment stored but not queued would look stored to every retry and never reach a moderator.
RECORD = Script("""
local existing = redis.call('HGETALL', KEYS[1])
if #existing > 0 then return existing end
local n = tonumber(ARGV[3])
local m = tonumber(ARGV[4 + n])
for i = (m > 0) and 2 or 3, 2 + n do
  local kind = redis.call('TYPE', KEYS[i])['ok']
  local want = (i == 2) and 'set' or 'zset'
  if kind ~= 'none' and kind ~= want then
    return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' holds a ' .. kind .. ', not a ' .. want)
  end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 5 + n + m))
for i = 1, n do redis.call('ZADD', KEYS[2 + i], ARGV[3 + i], ARGV[2]) end
for i = 1, m do redis.call('SADD', KEYS[2], ARGV[4 + n + i]) end
if ARGV[1] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {}
""")


def queue_indexes(record: Record) -> list[tuple[str, float]]:
    """The sorted sets a held comment waits in, with its score in each: arrival, risk, post and reasons."""
    site_id, received = record.comment.site_id, record.received_at
    indexes = [(keys.pending(site_id), received), (keys.pending_by_risk(site_id), max(record.scores.values()))]
    post = record.comment.post_id or record.comment.permalink
    if post:
        indexes.append((keys.pending_for_post(site_id, post), received))
    reasons = sorted({r["name"] for r in record.reasons})
    indexes += [(keys.pending_for_reason(site_id, name), received) for name in reasons]
    return indexes


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
        # Keyed hashes (see moderation_service.identity): author history, and reputation after a spam verdict.
        "author": record.identities.get("author", ""),
        "identities": dumps(record.identities),
        "data": dumps(data),
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
        identities=json.loads(fields.get("identities") or "{}"),
    )


class CommentStore:
    """Records in Redis; writes from concurrent requests share round trips (see :mod:`.batching`)."""

    def __init__(self, redis: Redis, retention_seconds: int, batcher: Batcher | None = None) -> None:
        self._redis = redis
        self._retention = retention_seconds
        self._batcher = batcher or Batcher(redis)
        self._known_sites: set[str] = set()

    @property
    def redis(self) -> Redis:
        return self._redis

    @staticmethod
    def key_of(record_id: str) -> str:
        """The Redis key of the record with this id (``<site>:<token>``, as the service makes them)."""
        site_id, _, token = record_id.rpartition(":")
        return keys.comment(site_id, token)

    async def record(self, record: Record) -> Record | None:
        """Store ``record``; if the comment was recorded before, store nothing and return the earlier record."""
        site_id = record.comment.site_id
        if site_id not in self._known_sites:
            await self._redis.sadd(keys.sites(), site_id)
            self._known_sites.add(site_id)
        held = record.decision is Decision.HOLD
        indexes = queue_indexes(record) if held else []
        reasons = sorted({r["name"] for r in record.reasons}) if held else []
        args: list[Any] = ["0" if held else str(self._retention), record.id,
                           len(indexes), *[repr(score) for _, score in indexes], len(reasons), *reasons]
        for name, value in to_fields(record).items():
            args += (name, value)
        existing = await self._batcher.run(
            RECORD, [self.key_of(record.id), keys.reasons_index(site_id), *[key for key, _ in indexes]], args)
        return from_fields(pairs(existing)) if existing else None

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
