"""One comment's webhook events reach the blog in the order they happened, and a decision taken back is
never delivered afterwards. The outbox is driven pass by pass here (no background loop), so the order of
attempts is the test's, not the scheduler's."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from redis.asyncio import Redis

from moderation_service.exceptions import Conflict
from moderation_service.metrics import Metrics
from moderation_service.review import keys
from moderation_service.review.outbox import Outbox, WebhookPolicy
from moderation_service.review.queue import Action, ReviewQueue
from moderation_service.review.store import CommentStore
from moderation_service.sites import SiteConfig, Sites
from tests.review.test_queue import held
from tests.review.test_webhooks import SECRET, Receiver, start_receiver

ITEM = held(1)


@pytest.fixture
async def world(aiohttp_server, redis: Redis):  # type: ignore[no-untyped-def]
    receiver = Receiver()
    server = await start_receiver(aiohttp_server, receiver)
    sites = Sites(sites={"kommblog": SiteConfig("kommblog", webhook_url=str(server.make_url("/hook")),
                                                webhook_secret=SECRET)})
    store = CommentStore(redis, retention_seconds=3600)
    await store.record(ITEM)
    queue = ReviewQueue(redis, sites, retention_seconds=3600, lease_seconds=60)
    outbox = Outbox(redis, sites, WebhookPolicy(max_attempts=2, backoff_seconds=0.01), Metrics(), store)
    async with aiohttp.ClientSession() as session:
        yield receiver, queue, outbox, session


async def decide(queue: ReviewQueue, action: Action, moderator: str = "anna") -> None:
    await queue.claim(ITEM.id, moderator)
    await queue.decide(ITEM.id, moderator, action)


def heard(receiver: Receiver) -> list[tuple[str, str]]:
    return [(event["event"], event["status"]) for event in receiver.delivered]


async def deliver_all(receiver: Receiver, outbox: Outbox, session: aiohttp.ClientSession, count: int) -> None:
    """Passes of the outbox (a second apart, as it runs) until ``count`` events reached the blog."""
    for _ in range(5):
        await outbox.deliver_due(session)
        if len(receiver.delivered) >= count:
            return
        await asyncio.sleep(1.05)
    raise AssertionError(f"only {len(receiver.delivered)} of {count} events delivered")


@pytest.mark.parametrize("blog_down", [False, True])
async def test_events_after_a_reopen_arrive_in_order(world, blog_down: bool) -> None:  # type: ignore[no-untyped-def]
    """Both later events are due at once: the new decision goes only once the reopening is settled, also when
    the reopening fails first and waits for its next attempt."""
    receiver, queue, outbox, session = world
    await decide(queue, Action.APPROVE)
    await outbox.deliver_due(session)
    await queue.reopen(ITEM.id, "bert")
    await queue.decide(ITEM.id, "bert", Action.REJECT)
    if blog_down:
        receiver.failures, receiver.calls = 1, []
        await outbox.deliver_due(session)
        assert len(receiver.calls) == 1 and len(receiver.delivered) == 1
    await deliver_all(receiver, outbox, session, 3)
    assert heard(receiver) == [("comment.decided", "approved"), ("comment.reopened", "pending"),
                               ("comment.decided", "rejected")]


async def test_a_decision_never_sent_is_cancelled_and_the_blog_hears_only_the_new_one(world) -> None:  # type: ignore[no-untyped-def]
    receiver, queue, outbox, session = world
    await decide(queue, Action.APPROVE)
    await queue.reopen(ITEM.id, "anna")
    await queue.decide(ITEM.id, "anna", Action.REJECT)
    await outbox.deliver_due(session)
    assert heard(receiver) == [("comment.decided", "rejected")]
    statuses = sorted(delivery["status"] for delivery in await outbox.list("kommblog"))
    assert statuses == ["cancelled", "delivered"]


async def test_a_failed_decision_is_cancelled_when_reopened_and_cannot_be_retried(world, redis) -> None:  # type: ignore[no-untyped-def]
    receiver, queue, outbox, session = world
    receiver.failures = 2  # the blog is down for both attempts the policy allows
    await decide(queue, Action.APPROVE)
    for _ in range(2):
        await outbox.deliver_due(session)
        await asyncio.sleep(0.05)
    [failed] = await outbox.list("kommblog", status="failed")
    await queue.reopen(ITEM.id, "anna")
    assert (await redis.hget(keys.delivery("kommblog", failed["id"]), "status")) == "cancelled"
    with pytest.raises(Conflict, match="is cancelled; only a failed delivery is retried"):
        await outbox.retry("kommblog", failed["id"])  # an operator's retry must not send it
    await outbox.deliver_due(session)
    # The blog may have seen the decision (an attempt was made), so it hears that the comment waits again.
    assert heard(receiver) == [("comment.reopened", "pending")]
    reopened = receiver.delivered[0]
    assert reopened["previous_status"] == "approved" and reopened["reopened_by"] == "anna"


async def test_a_delivery_being_sent_is_not_cancelled_and_the_reopening_follows_it(world, redis) -> None:  # type: ignore[no-untyped-def]
    receiver, queue, outbox, session = world
    await decide(queue, Action.APPROVE)
    [decided] = await outbox.list("kommblog")
    key = keys.delivery("kommblog", decided["id"])
    # Another process is sending it right now: it took it from the due set with an in-flight lease.
    await redis.hset(key, "sending_until", repr(time.time() + 120))
    await redis.zadd(keys.outbox_due("kommblog"), {decided["id"]: time.time() + 120})
    await queue.reopen(ITEM.id, "anna")
    assert await redis.hget(key, "status") == "pending"
    await outbox.deliver_due(session)  # the reopening waits while the decision is on its way
    assert receiver.delivered == []
    await redis.hdel(key, "sending_until")  # it reached the blog
    await redis.hset(key, "status", "delivered")
    await redis.zrem(keys.outbox_due("kommblog"), decided["id"])
    await deliver_all(receiver, outbox, session, 1)
    assert heard(receiver) == [("comment.reopened", "pending")]


async def test_the_order_holds_past_a_cancelled_event(world) -> None:  # type: ignore[no-untyped-def]
    """The blog is down while a decision is taken, taken back, taken again (never tried, so cancelled) and
    taken back and taken once more: the last decision must not overtake the first reopening."""
    receiver, queue, outbox, session = world
    receiver.failures = 10**6
    await decide(queue, Action.APPROVE)
    await outbox.deliver_due(session)  # tried: the blog may have seen it
    await queue.reopen(ITEM.id, "anna")
    await queue.decide(ITEM.id, "anna", Action.REJECT)  # waits behind the reopening, never tried
    await queue.reopen(ITEM.id, "anna")  # cancels the rejection: the blog never heard of it
    await queue.decide(ITEM.id, "anna", Action.APPROVE)
    receiver.failures = 0
    await deliver_all(receiver, outbox, session, 2)
    assert heard(receiver) == [("comment.reopened", "pending"), ("comment.decided", "approved")]


async def test_a_failed_event_is_resent_only_while_it_is_the_latest(world, redis) -> None:  # type: ignore[no-untyped-def]
    receiver, queue, outbox, session = world
    await decide(queue, Action.APPROVE)
    await outbox.deliver_due(session)
    receiver.failures, receiver.calls = 2, []
    await queue.reopen(ITEM.id, "anna")
    for _ in range(2):
        await outbox.deliver_due(session)
        await asyncio.sleep(0.05)
    [reopening] = await outbox.list("kommblog", status="failed")
    await outbox.retry("kommblog", reopening["id"])  # the latest event: sent again
    await deliver_all(receiver, outbox, session, 2)
    await queue.decide(ITEM.id, "anna", Action.REJECT)
    await deliver_all(receiver, outbox, session, 3)
    await redis.hset(keys.delivery("kommblog", reopening["id"]), "status", "failed")  # as if it had failed
    with pytest.raises(Conflict, match="A later event about the comment"):
        await outbox.retry("kommblog", reopening["id"])
    await queue.delete(ITEM.id, "kommblog")  # the blog deleted the comment: what is owed about it is cancelled
    assert await redis.hget(keys.delivery("kommblog", reopening["id"]), "status") == "cancelled"
    await redis.hset(keys.delivery("kommblog", reopening["id"]), "status", "failed")  # (as if kept from before)
    with pytest.raises(Conflict, match="was deleted or has expired"):
        await outbox.retry("kommblog", reopening["id"])
