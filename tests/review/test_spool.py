"""The local spool: durable across reopening, ordered, and drained idempotently into Redis."""

from __future__ import annotations

import dataclasses
import os
import stat

import pytest
from redis.asyncio import Redis

from moderation_service.comments import Comment, Record, Status
from moderation_service.exceptions import NotFound
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
    assert (await store.record(record(1))).repeated is False
    spool = Spool(tmp_path, "s")
    await spool.put(record(1))
    assert await spool.drain(store) == 1
    assert await redis.zcard(keys.pending("kommblog")) == 1
    await spool.close()


async def test_an_edit_spooled_after_its_comment_is_delivered_as_an_edit(tmp_path, redis: Redis):  # type: ignore[no-untyped-def]
    """Redis was down for the comment and for its edit: both wait, and arrive in order."""
    first = record(1)
    edit = dataclasses.replace(first, comment=dataclasses.replace(first.comment, content="comment 1, edited"),
                               decision=Decision.PUBLISH, status=Status.PUBLISHED, received_at=first.received_at + 5)
    spool = Spool(tmp_path, "s")
    await spool.put(first)
    await spool.put(edit)
    store = CommentStore(redis, retention_seconds=3600)
    assert await spool.drain(store) == 2
    stored = await store.get(first.id)
    assert stored is not None and stored.revision == 2 and stored.comment.content == "comment 1, edited"
    assert stored.status is Status.PUBLISHED and stored.earlier[0]["comment"]["content"] == "comment 1"
    assert await redis.zcard(keys.pending("kommblog")) == 0  # the held first version left the queue
    await spool.close()


async def test_one_bad_record_does_not_hold_back_the_others_and_none_is_lost(  # type: ignore[no-untyped-def]
    tmp_path, redis: Redis
):
    """A record this version cannot read (written by another version, say) is set aside in the file's
    'rejected' table; one that Redis refuses stays spooled until Redis takes it; the others are delivered."""
    import sqlite3

    store = CommentStore(redis, retention_seconds=3600)
    spool = Spool(tmp_path, "s")
    await spool.put(record(1))
    unreadable = '{"id": "kommblog:unreadable", "format": "from another version"}'
    spool._own().execute("INSERT INTO spool (record) VALUES (?)", (unreadable,))
    refused = record(2)
    await spool.put(refused)
    await spool.put(record(3))
    await redis.set(store.key_of(refused.id), "not a hash")  # Redis refuses to store that one: WRONGTYPE

    assert await spool.drain(store) == 2
    assert await redis.zrange(keys.pending("kommblog"), 0, -1) == [record(1).id, record(3).id]
    assert (await spool.pending(), await spool.rejected()) == (1, 1)
    assert spool.maybe_pending is True  # the refused record is tried again

    await redis.delete(store.key_of(refused.id))
    assert await spool.drain(store) == 1
    assert await redis.zrange(keys.pending("kommblog"), 0, -1) == [record(1).id, refused.id, record(3).id]
    assert (await spool.pending(), await spool.rejected()) == (0, 1)
    await spool.close()
    with sqlite3.connect(tmp_path / "s.sqlite3") as kept:
        [(kept_record, error)] = kept.execute("SELECT record, error FROM rejected").fetchall()
    assert kept_record == unreadable and error.startswith("KeyError")


async def test_a_damaged_spool_file_does_not_stop_the_others(tmp_path, redis: Redis, caplog):  # type: ignore[no-untyped-def]
    (tmp_path / "damaged.sqlite3").write_bytes(b"this is not a database" * 100)
    spool = Spool(tmp_path, "s")
    await spool.put(record(1))
    assert await spool.pending() == 1
    assert await spool.drain(CommentStore(redis, retention_seconds=3600)) == 1
    assert await redis.zrange(keys.pending("kommblog"), 0, -1) == [record(1).id]
    assert await spool.pending() == 0
    assert (tmp_path / "damaged.sqlite3").read_bytes().startswith(b"this is not a database")  # left for a person
    assert sum("damaged.sqlite3 cannot be read" in message for message in caplog.messages) == 1  # logged once
    await spool.close()


async def test_a_delivered_record_leaves_no_copy_in_the_spool_files(tmp_path, redis: Redis):  # type: ignore[no-untyped-def]
    """Once in Redis, a spooled comment is erased where Redis's copy is (a blog's DELETE): no copy of its text or
    its author's address stays in the spool's files, the write-ahead log included, while the service runs on."""
    spool = Spool(tmp_path, "s")
    for n in range(3):
        r = record(n)
        await spool.put(dataclasses.replace(r, comment=dataclasses.replace(
            r.comment, content=f"Mein Geheimnis {n} " * 200, author_email=f"erika{n}@example.org")))
    assert await spool.drain(CommentStore(redis, retention_seconds=3600)) == 3
    for path in tmp_path.iterdir():
        kept = path.read_bytes()
        assert b"example.org" not in kept and b"Geheimnis" not in kept, path.name
    await spool.close()


async def test_a_record_spooled_before_its_comment_was_deleted_is_not_delivered(  # type: ignore[no-untyped-def]
    tmp_path, redis: Redis
):
    """The blog deleted the comment while its record waited here (a DELETE answered 404, the record not in Redis
    yet): delivering it must not bring the comment back; the other spooled record is delivered."""
    from moderation_service.review.queue import ReviewQueue
    from moderation_service.sites import Sites

    store = CommentStore(redis, retention_seconds=3600)
    queue = ReviewQueue(redis, Sites(), 3600, 300)
    spool = Spool(tmp_path, "s")
    await spool.put(record(1))
    later = dataclasses.replace(record(2), received_at=2e9)  # another comment, received after any deletion
    await spool.put(later)
    with pytest.raises(NotFound):  # not in Redis yet
        await queue.delete(record(1).id, "kommblog")
    assert await spool.drain(store) == 2
    assert await spool.pending() == 0
    assert await store.get(record(1).id) is None
    assert await redis.zrange(keys.pending("kommblog"), 0, -1) == [later.id]
    await spool.close()


async def test_a_blog_decision_kept_for_a_spooled_record_survives_a_failure_to_apply_it(  # type: ignore[no-untyped-def]
    tmp_path, redis: Redis
):
    """The blog decided while the record waited here (kept in Redis, see api.blog_reports). Redis going away
    between storing the record and applying the decision must lose neither: the record stays spooled, the
    decision stays kept, and the next drain (a retry of the stored record) applies it."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from moderation_service.review.queue import ReviewQueue
    from moderation_service.sites import Sites

    queue = ReviewQueue(redis, Sites(), 3600, 300)
    spool = Spool(tmp_path, "s")
    await spool.put(record(1))
    assert await queue.keep_decision(record(1).id, {"action": "approve", "at": "2000.0"}) == "kept"
    applied: list[tuple[str, str]] = []

    async def settle(stored: Record, kept) -> Record:  # type: ignore[no-untyped-def]
        if not applied:
            applied.append(("failed", kept["action"]))
            raise RedisConnectionError("Redis went away")
        applied.append((stored.id, kept["action"]))
        await queue.forget_decision(stored.id, kept["at"])
        return stored

    store = CommentStore(redis, retention_seconds=3600, settle=settle)
    with pytest.raises(RedisConnectionError):
        await spool.drain(store)
    assert await spool.pending() == 1 and await store.get(record(1).id) is not None
    assert await spool.drain(store) == 1
    assert applied == [("failed", "approve"), (record(1).id, "approve")]
    assert await redis.exists(keys.kept_decision(store.key_of(record(1).id))) == 0
    assert await spool.drain(store) == 0
    await spool.close()


async def test_spooled_records_are_readable_by_the_service_s_user_only(tmp_path):  # type: ignore[no-untyped-def]
    """A spooled record holds the commenter's e-mail and IP address: with the usual umask (022) the folder and
    its files (the database, its -wal and -shm) would be readable by every user of the machine, unlike the
    embedded Redis's data (mode 700)."""
    previous = os.umask(0o022)
    spool = Spool(tmp_path / "spool", "a")
    try:
        await spool.put(record(1))
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in (tmp_path / "spool").iterdir()}
    finally:
        os.umask(previous)
        await spool.close()
    assert stat.S_IMODE((tmp_path / "spool").stat().st_mode) == 0o700
    assert set(modes) >= {"a.sqlite3", "a.sqlite3-wal"}
    assert {name: mode for name, mode in modes.items() if mode & 0o077} == {}


async def test_a_spool_folder_left_readable_by_an_earlier_release_is_made_private(tmp_path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "spool"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    (folder / "a.sqlite3").touch()
    (folder / "a.sqlite3").chmod(0o644)
    spool = Spool(folder, "a")
    await spool.put(record(1))
    await spool.close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "a.sqlite3").stat().st_mode) == 0o600


async def test_an_earlier_release_s_spool_is_made_private_when_it_is_drained(tmp_path, redis: Redis):  # type: ignore[no-untyped-def]
    """After an upgrade with Redis up, the new process never spools, but it delivers (and counts, for /readyz)
    the records an earlier release's process left: that folder and its files, readable by every user, were
    made private only once this process spooled a record of its own, which may be never."""
    folder = tmp_path / "spool"
    previous = os.umask(0o022)
    try:
        earlier = Spool(folder, "spool-4711")
        await earlier.put(record(1))
        await earlier.close()
        folder.chmod(0o755)  # as an earlier release left it
        (folder / "spool-4711.sqlite3").chmod(0o644)
    finally:
        os.umask(previous)
    spool = Spool(folder, "spool-4712")
    assert await spool.pending() == 1
    assert await spool.drain(CommentStore(redis, retention_seconds=3600)) == 1
    await spool.close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}
    assert "spool-4711.sqlite3" in modes and {name: mode for name, mode in modes.items() if mode & 0o077} == {}
