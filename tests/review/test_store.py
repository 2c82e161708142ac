"""Storing a decided comment: all or nothing; a retry stores nothing, and a late older version undoes no edit."""

from __future__ import annotations

import dataclasses

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from moderation_service.comments import Comment, Record, Status
from moderation_service.policy import Decision
from moderation_service.review import keys
from moderation_service.review.store import CommentStore


def held(post: str = "post-1") -> Record:
    return Record(
        id="kommblog:aaaaaaaaaaaaaaa1",
        comment=Comment(site_id="kommblog", content="a held comment", comment_id="1", post_id=post),
        decision=Decision.HOLD,
        status=Status.PENDING,
        scores={"toxicity": 0.8},
        reasons=[{"kind": "score", "name": "toxicity", "value": 0.8, "threshold": 0.3, "effect": "hold"}],
        model_version="v",
        thresholds={},
        received_at=1000.0,
    )


@pytest.mark.parametrize("bad_key", [keys.pending_for_post("kommblog", "post-1"), keys.reasons_index("kommblog")])
async def test_a_key_of_the_wrong_type_stores_nothing_and_a_retry_queues_the_comment(
    redis: Redis, bad_key: str
) -> None:
    """A comment stored but not queued would look stored to every retry and never reach a moderator."""
    store = CommentStore(redis, retention_seconds=3600)
    record = held()
    await redis.set(bad_key, "edited by hand")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await store.record(record)
    assert await redis.exists(store.key_of(record.id)) == 0
    assert await redis.zcard(keys.pending("kommblog")) == 0

    await redis.delete(bad_key)
    assert (await store.record(record)).repeated is False
    assert await redis.zrange(keys.pending("kommblog"), 0, -1) == [record.id]
    assert await redis.zrange(keys.pending_for_post("kommblog", "post-1"), 0, -1) == [record.id]


async def test_an_older_version_replayed_late_does_not_undo_an_edit(redis: Redis) -> None:
    """Spools are drained file by file: the first version may reach Redis after the edit that replaced it."""
    store = CommentStore(redis, retention_seconds=3600)
    first = held()
    edit = dataclasses.replace(first, comment=dataclasses.replace(first.comment, content="the edited text"),
                               received_at=first.received_at + 60)
    assert (await store.record(edit)).repeated is False
    late = await store.record(first)
    assert late.repeated is True and late.record.comment.content == "the edited text" and late.record.revision == 1
    assert (await store.get(first.id)).comment.content == "the edited text"  # type: ignore[union-attr]


async def test_a_record_stored_before_versions_were_kept_answers_every_resubmission(redis: Redis) -> None:
    """Records written by an earlier release have no version: a resubmission gets the stored answer, as then."""
    store = CommentStore(redis, retention_seconds=3600)
    record = held()
    await store.record(record)
    await redis.hdel(store.key_of(record.id), "version", "revision")
    changed = dataclasses.replace(record, comment=dataclasses.replace(record.comment, content="other"),
                                  received_at=record.received_at + 60)
    again = await store.record(changed)
    assert again.repeated is True and again.record.comment.content == "a held comment" and again.record.revision == 1


async def test_the_set_of_sites_is_written_again_after_redis_lost_it(redis: Redis, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A Redis restarted without persistence forgets the sites; the moderators' queue lists sites from it."""
    from moderation_service.review import store as store_module

    store = CommentStore(redis, retention_seconds=3600)
    await store.record(held())
    assert await redis.smembers(keys.sites()) == {"kommblog"}
    await redis.delete(keys.sites())
    later = dataclasses.replace(held(), id="kommblog:aaaaaaaaaaaaaaa2",
                                comment=dataclasses.replace(held().comment, comment_id="2"))
    await store.record(later)
    assert await redis.smembers(keys.sites()) == set()  # not on every comment: once a minute
    monkeypatch.setattr(store_module, "SITES_REFRESH_SECONDS", 0.0)
    await store.record(dataclasses.replace(later, id="kommblog:aaaaaaaaaaaaaaa3"))
    assert await redis.smembers(keys.sites()) == {"kommblog"}
