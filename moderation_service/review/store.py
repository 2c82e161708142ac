"""Comment records in Redis: written once, atomically with their place in the review queue."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis

from ..comments import Comment, Record, Status, split_public_id
from ..policy import Decision
from . import keys

# Write a record unless one exists; return the existing one (an idempotent resubmission) or {}.
# KEYS: comment hash, site's pending queue. ARGV: ttl (0 = keep), queue score ('' = not queued), id, fields...
RECORD_SCRIPT = """
local existing = redis.call('HGETALL', KEYS[1])
if #existing > 0 then return existing end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
if ARGV[2] ~= '' then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3]) end
if ARGV[1] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {}
"""


def to_fields(record: Record) -> dict[str, str]:
    return {
        "id": record.id,
        "site_id": record.comment.site_id,
        "comment": json.dumps(record.comment.as_dict(), ensure_ascii=False, separators=(",", ":")),
        "decision": record.decision.value,
        "status": record.status.value,
        "scores": json.dumps(record.scores, separators=(",", ":")),
        "reasons": json.dumps(record.reasons, separators=(",", ":")),
        "model_version": record.model_version,
        "thresholds": json.dumps(record.thresholds, separators=(",", ":")),
        "received_at": repr(record.received_at),
        "extra": json.dumps(record.extra, separators=(",", ":")),
    }


def from_fields(data: Mapping[str, str]) -> Record:
    return Record(
        id=data["id"],
        comment=Comment(**json.loads(data["comment"])),
        decision=Decision(data["decision"]),
        status=Status(data["status"]),
        scores=json.loads(data["scores"]),
        reasons=json.loads(data["reasons"]),
        model_version=data["model_version"],
        thresholds=json.loads(data["thresholds"]),
        received_at=float(data["received_at"]),
        extra=json.loads(data.get("extra") or "{}"),
    )


class CommentStore:
    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self._redis = redis
        self._retention = retention_seconds
        self._record = redis.register_script(RECORD_SCRIPT)
        self._known_sites: set[str] = set()

    @property
    def redis(self) -> Redis:
        return self._redis

    async def record(self, record: Record) -> Record | None:
        """Store ``record``; if the comment was recorded before, store nothing and return the earlier record."""
        site_id = record.comment.site_id
        _, token = record.id.rsplit(":", 1)
        held = record.decision is Decision.HOLD
        args: list[Any] = ["0" if held else str(self._retention), repr(record.received_at) if held else "", record.id]
        for name, value in to_fields(record).items():
            args += (name, value)
        existing = await self._record(keys=[keys.comment(site_id, token), keys.pending(site_id)], args=args)
        if site_id not in self._known_sites:
            await self._redis.sadd(keys.sites(), site_id)
            self._known_sites.add(site_id)
        if existing:
            return from_fields(_pairs(existing))
        return None

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


def _pairs(flat: list[bytes | str]) -> dict[str, str]:
    return {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}
