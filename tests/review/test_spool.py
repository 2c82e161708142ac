"""The local spool: durable across reopening, ordered, and drained idempotently into Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from moderation_service.comments import Comment, Record, Status
from moderation_service.policy import Decision
from moderation_service.review import keys
from moderation_service.review.spool import Spool
from moderation_service.review.store import CommentStore


def record(n: int, decision: Decision = Decision.HOLD) -> Record:
    return Record(
        id=f"kommblog:{'a' * 15}{n}",
        comment=Comment(site_id="kommblog", content=f"comment {n}", comment_id=str(n)),
        decision=decision,
        status=Status.PENDING if decision is Decision.HOLD else Status.PUBLISHED,
        scores={"spam": 0.1},
        reasons=[],
        model_version="v",
        thresholds={},
        received_at=1000.0 + n,
    )


async def test_spooled_records_survive_closing_and_reopening(tmp_path):  # type: ignore[no-untyped-def]
    spool = Spool(tmp_path, "a")
    for n in range(3):
        await spool.put(record(n))
    await spool.close()
    reopened = Spool(tmp_path, "a")
    assert await reopened.pending() == 3
    await reopened.close()


async def test_drain_delivers_in_order_and_empties_every_file(tmp_path, redis: Redis):  # type: ignore[no-untyped-def]
    mine, theirs = Spool(tmp_path, "mine"), Spool(tmp_path, "theirs")
    await mine.put(record(1))
    await theirs.put(record(2))
    await theirs.put(record(3, Decision.PUBLISH))
    await theirs.close()
    store = CommentStore(redis, retention_seconds=3600)
    assert await mine.drain(store) == 3
    assert await mine.pending() == 0
    assert await redis.zrange(keys.pending("kommblog"), 0, -1) == [record(1).id, record(2).id]
    assert (await store.get(record(3).id)).status is Status.PUBLISHED  # type: ignore[union-attr]
    assert mine.maybe_pending is False
    await mine.close()


async def test_replaying_a_record_already_in_redis_changes_nothing(tmp_path, redis: Redis):  # type: ignore[no-untyped-def]
    store = CommentStore(redis, retention_seconds=3600)
    assert await store.record(record(1)) is None
    spool = Spool(tmp_path, "s")
    await spool.put(record(1))
    assert await spool.drain(store) == 1
    assert await redis.zcard(keys.pending("kommblog")) == 1
    await spool.close()
