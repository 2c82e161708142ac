"""The review queue's semantics against real Redis: claims, leases, decisions, bulk, audit, labels, stats."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any

import pytest
from redis.asyncio import Redis

from moderation_service.comments import Comment, Record, Status
from moderation_service.exceptions import Conflict, NotFound
from moderation_service.identity import Hasher
from moderation_service.policy import Decision
from moderation_service.review import keys
from moderation_service.review.labels import LabelStore
from moderation_service.review.queue import Action, Cursor, Order, ReviewQueue, training_labels
from moderation_service.review.store import CommentStore
from moderation_service.sites import Sites

HASHER = Hasher(b"test-identity-secret-0123456789")


def held(n: int, site: str = "kommblog", risk: float = 0.6, reason: str = "toxicity", post: str = "p1",
         email: str | None = None, ip: str | None = None) -> Record:
    comment = Comment(site_id=site, content=f"held comment {n}", comment_id=str(n), post_id=post,
                      author_email=email or f"author{n}@example.org", author_name=f"Author {n}", author_ip=ip)
    return Record(
        id=f"{site}:{n:016d}",
        comment=comment,
        identities=HASHER.identities(comment).as_dict(),
        decision=Decision.HOLD,
        status=Status.PENDING,
        scores={"spam": 0.1, "toxicity": risk},
        reasons=[{"kind": "score", "name": reason, "value": risk, "threshold": 0.5, "effect": "hold"}],
        model_version="v1",
        thresholds={},
        received_at=1_700_000_000.0 + n,
    )


@pytest.fixture
async def store(redis: Redis) -> CommentStore:
    return CommentStore(redis, retention_seconds=3600)


@pytest.fixture
def queue(redis: Redis) -> ReviewQueue:
    return ReviewQueue(redis, Sites(), retention_seconds=3600, lease_seconds=60)


class QueueClock:
    """The review queue's clock (``time`` in its module), moved on by the test: a lease ends when the test says,
    not when the machine gets round to it (a 0.2 s lease could end before the next line on a loaded machine)."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def __getattr__(self, name: str) -> Any:  # the rest of ``time`` (strftime, gmtime) as it is
        return getattr(time, name)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> QueueClock:
    from moderation_service.review import queue as queue_module

    moved = QueueClock()
    monkeypatch.setattr(queue_module, "time", moved)
    return moved


async def fill(store: CommentStore, records: list[Record]) -> None:
    for record in records:
        await store.record(record)


async def test_claims_oldest_first_and_never_twice(store, queue) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(n) for n in (3, 1, 2)])
    first = await queue.claim_next("anna", ["kommblog"], count=2)
    assert [i.record.id for i in first] == [held(1).id, held(2).id]
    assert all(i.claimed_by == "anna" for i in first)
    second = await queue.claim_next("ben", ["kommblog"], count=5)
    assert [i.record.id for i in second] == [held(3).id]
    assert await queue.claim_next("carla", ["kommblog"], count=1) == []


async def test_order_by_risk_post_and_reason(store, queue) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(1, risk=0.55), held(2, risk=0.95, reason="insult", post="p2"), held(3, risk=0.7)])
    by_risk = await queue.pending("kommblog", order=Order.RISK)
    assert [i.record.id for i in by_risk] == [held(2).id, held(3).id, held(1).id]
    assert [i.record.id for i in await queue.pending("kommblog", post="p2")] == [held(2).id]
    assert [i.record.id for i in await queue.pending("kommblog", reason="toxicity")] == [held(1).id, held(3).id]
    claimed = await queue.claim_next("anna", ["kommblog"], count=1, reason="insult")
    assert [i.record.id for i in claimed] == [held(2).id]
    claimed = await queue.claim_next("anna", ["kommblog"], count=1, order=Order.RISK)
    assert [i.record.id for i in claimed] == [held(3).id]


async def test_claim_across_sites_takes_the_oldest_head(store, queue) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(5, site="a"), held(2, site="b"), held(7, site="a")])
    claimed = await queue.claim_next("anna", ["a", "b"], count=3)
    assert [i.record.id for i in claimed] == [held(2, site="b").id, held(5, site="a").id, held(7, site="a").id]


async def test_expired_lease_returns_the_item(store, queue, redis, clock) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(1)])
    await queue.claim_next("anna", ["kommblog"], count=1, lease_seconds=10)
    assert await queue.claim_next("ben", ["kommblog"], count=1) == []
    clock.advance(11)
    taken = await queue.claim_next("ben", ["kommblog"], count=1)
    assert [i.claimed_by for i in taken] == ["ben"]
    with pytest.raises(Conflict) as error:
        await queue.decide(held(1).id, "anna", Action.APPROVE)
    assert error.value.code == "claimed_by_other"
    actions = [e["action"] for e in reversed(await queue.audit("kommblog"))]
    assert actions == ["claim", "lease_expired", "claim"]


async def test_decide_after_own_lease_expired_is_refused(store, queue, clock) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(1)])
    await queue.claim(held(1).id, "anna", lease_seconds=10)
    clock.advance(11)
    with pytest.raises(Conflict) as error:
        await queue.decide(held(1).id, "anna", Action.APPROVE)
    assert error.value.code == "lease_expired" and "claim it again" in error.value.message


async def test_renew_and_release(store, queue) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(1)])
    first = await queue.claim(held(1).id, "anna", lease_seconds=10)
    renewed = await queue.claim(held(1).id, "anna", lease_seconds=100)
    assert renewed.claim_expires > first.claim_expires  # type: ignore[operator]
    with pytest.raises(Conflict) as error:
        await queue.release(held(1).id, "ben")
    assert error.value.code == "claimed_by_other"
    released = await queue.release(held(1).id, "anna")
    assert released.claimed_by is None
    assert [i.claimed_by for i in await queue.claim_next("ben", ["kommblog"])] == ["ben"]


async def test_deciding_unheld_decided_or_foreign_items_is_refused(store, queue) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(1), held(2)])
    with pytest.raises(Conflict) as error:
        await queue.decide(held(1).id, "anna", Action.APPROVE)
    assert error.value.code == "not_claimed" and "claim it first" in error.value.message
    await queue.claim(held(1).id, "anna")
    with pytest.raises(Conflict) as error:
        await queue.decide(held(1).id, "ben", Action.REJECT)
    assert error.value.code == "claimed_by_other" and "claimed by anna" in error.value.message
    with pytest.raises(Conflict) as error:
        await queue.claim(held(1).id, "ben")
    assert error.value.code == "claimed_by_other"
    decided = await queue.decide(held(1).id, "anna", Action.REJECT, categories=["insult"], note="rude")
    assert decided.record.status is Status.REJECTED and decided.decided_by == "anna"
    with pytest.raises(Conflict) as error:
        await queue.decide(held(1).id, "anna", Action.APPROVE)
    assert error.value.code == "already_decided" and "rejected by anna" in error.value.message
    with pytest.raises(NotFound):
        await queue.decide("kommblog:zzzzzzzzzzzzzzzz", "anna", Action.APPROVE)


async def test_decision_leaves_every_index_and_stores_label_audit_and_history(store, queue, redis) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(1, email="Jana@Example.org"), held(2, email="jana@example.org")])
    await queue.claim_next("anna", ["kommblog"], count=2)
    await queue.decide(held(1).id, "anna", Action.APPROVE)
    for key in (keys.pending("kommblog"), keys.pending_by_risk("kommblog"), keys.claims("kommblog"),
                keys.pending_for_post("kommblog", "p1"), keys.pending_for_reason("kommblog", "toxicity")):
        assert await redis.zscore(key, held(1).id) is None, key
        assert await redis.zscore(key, held(2).id) is not None, key  # still held (and claimed) by anna
    examples = [e async for _, e in LabelStore(redis).examples("kommblog")]
    assert examples[0]["content"] == "held comment 1"
    assert examples[0]["labels"] == {"spam": 0, "toxicity": 0}
    assert examples[0]["labelled_by"] == "anna" and examples[0]["source"] == "moderator"
    item = await queue.item(held(2).id)
    assert item.author_history == {"approved": 1}  # same author, case-insensitive address
    stored_keys = [k async for k in redis.scan_iter(match="*author*")]
    assert not any("jana" in k.lower() for k in stored_keys)
    audit = (await queue.audit("kommblog"))[0]
    assert audit["action"] == "decide" and audit["actor"] == "anna" and audit["item"] == held(1).id
    assert json.loads(audit["before"])["status"] == "pending" and json.loads(audit["after"])["status"] == "approved"
    assert 3590 <= await redis.ttl(keys.comment("kommblog", held(1).id.split(":")[1])) <= 3600


def test_training_labels_from_actions() -> None:
    assert training_labels(Action.APPROVE, []) == {"spam": 0, "toxicity": 0}
    assert training_labels(Action.APPROVE, ["profanity"]) == {"spam": 0, "toxicity": 1, "profanity": 1}
    assert training_labels(Action.REJECT, ["insult", "threat"]) == {"spam": 0, "toxicity": 1, "insult": 1, "threat": 1}
    assert training_labels(Action.SPAM, []) == {"spam": 1}


async def test_bulk_decisions_report_each_item(store, queue) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(n) for n in range(1, 5)])
    await queue.claim_next("anna", ["kommblog"], count=3)
    results = await queue.decide_many([held(n).id for n in range(1, 5)], "anna", Action.SPAM)
    assert [getattr(r, "record", None) and r.record.status for r in results[:3]] == [Status.SPAM] * 3
    assert results[3].error.code == "not_claimed"  # type: ignore[union-attr]


async def test_stats(store, queue) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(1), held(2, reason="spam"), held(3)])
    await queue.claim_next("anna", ["kommblog"], count=1)
    await queue.decide(held(1).id, "anna", Action.APPROVE)
    stats = (await queue.stats(["kommblog"]))["kommblog"]
    assert stats["pending"] == 2 and stats["claimed"] == 0
    assert stats["pending_by_reason"] == {"spam": 1, "toxicity": 1}
    assert stats["oldest_age_seconds"] == pytest.approx(time.time() - held(2).received_at, abs=5)
    assert stats["decisions_today"] == {"anna": 1}


async def test_twenty_moderators_500_items_each_decided_exactly_once(store, redis) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(n) for n in range(500)])
    decided_by: dict[str, list[str]] = {}

    async def moderator(name: str) -> None:
        own_queue = ReviewQueue(redis, Sites(), retention_seconds=3600)  # as if in its own process
        while claimed := await own_queue.claim_next(name, ["kommblog"], count=3):
            for item in claimed:
                await own_queue.decide(item.record.id, name, Action.APPROVE)
                decided_by.setdefault(item.record.id, []).append(name)

    await asyncio.gather(*[moderator(f"mod{i}") for i in range(20)])
    assert len(decided_by) == 500
    assert all(len(names) == 1 for names in decided_by.values())
    assert len({names[0] for names in decided_by.values()}) > 1  # the work was shared
    assert await redis.zcard(keys.pending("kommblog")) == 0
    assert await LabelStore(redis).count() == 500
    decide_entries = [e for e in await redis.xrange(keys.audit("kommblog")) if e[1]["action"] == "decide"]
    assert len(decide_entries) == 500


async def test_filtered_page_is_full_when_matches_lie_deep(store, queue) -> None:  # type: ignore[no-untyped-def]
    """A page filtered by post and reason holds the matches even when older items of the post do not match."""
    await fill(store, [held(n, reason="toxicity") for n in range(1, 61)] + [held(n, reason="insult") for n in (61, 62)])
    page = await queue.pending("kommblog", post="p1", reason="insult", limit=5)
    assert [i.record.id for i in page] == [held(61).id, held(62).id]
    claimed = await queue.claim_next("anna", ["kommblog"], count=5, post="p1", reason="insult")
    assert [i.record.id for i in claimed] == [held(61).id, held(62).id]


async def test_risk_order_holds_with_a_filter(store, queue) -> None:  # type: ignore[no-untyped-def]
    """Ordered by risk within one post or reason: the riskiest first, not the oldest, in listing and claiming."""
    await fill(store, [held(1, risk=0.5), held(2, risk=0.9), held(3, risk=0.7), held(4, risk=0.99, post="p2")])
    for kwargs in ({"post": "p1"}, {"reason": "toxicity", "post": "p1"}):
        listed = await queue.pending("kommblog", order=Order.RISK, **kwargs)
        assert [i.record.id for i in listed] == [held(2).id, held(3).id, held(1).id]
        assert [i.record.id for i in await queue.pending("kommblog", order=Order.RISK, limit=1, offset=1,
                                                          **kwargs)] == [held(3).id]
    claimed = await queue.claim_next("anna", ["kommblog"], count=2, order=Order.RISK, reason="toxicity")
    assert [i.record.id for i in claimed] == [held(4).id, held(2).id]
    assert [i.record.id for i in await queue.claim_next("anna", ["kommblog"], order=Order.RISK, post="p1")] \
        == [held(3).id]


async def test_claim_across_sites_by_risk_with_a_filter(store, queue) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(1, site="a", risk=0.6), held(2, site="b", risk=0.8), held(3, site="a", risk=0.95)])
    claimed = await queue.claim_next("anna", ["a", "b"], count=3, order=Order.RISK, reason="toxicity")
    assert [i.record.id for i in claimed] == [held(3, site="a").id, held(2, site="b").id, held(1, site="a").id]


async def test_filtered_listing_leaves_no_key_behind(store, queue, redis) -> None:  # type: ignore[no-untyped-def]
    await fill(store, [held(1), held(2, reason="insult")])
    before = set(await redis.keys("*"))
    await queue.pending("kommblog", order=Order.RISK, post="p1", reason="insult")
    await queue.claim_next("anna", ["kommblog"], order=Order.RISK, post="p1", reason="insult")
    after = set(await redis.keys("*"))
    assert after - before == {keys.claims("kommblog"), keys.audit("kommblog"),
                              keys.item_audit("kommblog", held(2).id.split(":")[1])}  # the claimed item's trail


async def test_claim_across_sites_skips_heads_held_by_others(store, queue, clock) -> None:  # type: ignore[no-untyped-def]
    """A site whose oldest item another moderator holds competes with its oldest free item."""
    await fill(store, [held(1, site="a"), held(2, site="b"), held(3, site="a"), held(4, site="b")])
    await queue.claim(held(1, site="a").id, "ben", lease_seconds=10)
    claimed = await queue.claim_next("anna", ["a", "b"], count=2)
    assert [i.record.id for i in claimed] == [held(2, site="b").id, held(3, site="a").id]
    clock.advance(11)  # ben's lease ends: his item is the oldest free one again
    claimed = await queue.claim_next("carla", ["b", "a"], count=2)
    assert [i.record.id for i in claimed] == [held(1, site="a").id, held(4, site="b").id]


async def test_moderators_across_sites_by_risk_with_a_filter_decide_each_item_once(  # type: ignore[no-untyped-def]
    store, redis
) -> None:
    """Concurrent claims over three sites, risk order and a reason filter: the merged walk with its bounds
    neither hands an item out twice nor leaves a matching one behind."""
    sites = ("a", "b", "c")
    await fill(store, [held(n, site=sites[n % 3], risk=(n * 37 % 100) / 100, reason="insult" if n % 4 else "spam")
                       for n in range(300)])
    decided_by: dict[str, list[str]] = {}

    async def moderator(name: str) -> None:
        own_queue = ReviewQueue(redis, Sites(), retention_seconds=3600)
        while claimed := await own_queue.claim_next(name, sites, count=4, order=Order.RISK, reason="insult"):
            for item in claimed:
                await own_queue.decide(item.record.id, name, Action.REJECT)
                decided_by.setdefault(item.record.id, []).append(name)

    await asyncio.gather(*[moderator(f"mod{i}") for i in range(12)])
    assert sorted(decided_by) == sorted(held(n, site=sites[n % 3]).id for n in range(300) if n % 4)
    assert all(len(names) == 1 for names in decided_by.values())
    for site in sites:  # the items of the other reason still wait, and no scratch key is left
        assert await redis.zcard(keys.pending(site)) == len([n for n in range(300) if n % 3 == sites.index(site)
                                                             and not n % 4])
        assert not await redis.exists(keys.selection(site))


async def test_authors_histories_stored_without_an_expiry_get_one_once(queue: ReviewQueue, redis: Redis) -> None:
    await redis.sadd(keys.sites(), "kommblog")
    old = keys.author("kommblog", "0" * 32)
    await redis.hset(old, mapping={"approved": 2})
    current = keys.author("kommblog", "1" * 32)
    await redis.hset(current, mapping={"spam": 1})
    await redis.expire(current, 100)
    assert await queue.expire_author_history() == 1
    assert 0 < await redis.ttl(old) <= 90 * 86400 and 0 < await redis.ttl(current) <= 100
    await redis.persist(old)
    assert await queue.expire_author_history() == 0  # once per Redis
    assert await redis.get(keys.migrated("author-history-ttl")) == "done"
    await redis.set(keys.migrated("author-history-ttl"), "running")  # another process at it: ask again later
    assert await queue.expire_author_history() is None


async def test_a_comment_reviewed_elsewhere_taken_back_by_the_blog_stays_out_of_this_queue(  # type: ignore[no-untyped-def]
    store, queue
) -> None:
    """The blog takes back its own decision on a comment whose site reviews held comments elsewhere (Coral):
    it waits in no queue here, as it did at first, and a moderator here cannot claim or decide it."""
    record = held(1)
    record.extra["reviewed_elsewhere"] = True
    await fill(store, [record])
    await queue.decide(record.id, "kommblog", Action.REJECT, by_blog="blog")
    reopened = await queue.reopen(record.id, "kommblog", by_blog=True)
    assert reopened.record.status is Status.PENDING and reopened.claimed_by is None
    with pytest.raises(Conflict) as refused:
        await queue.claim(record.id, "anna")
    assert refused.value.code == "reviewed_elsewhere"
    with pytest.raises(Conflict) as refused:
        await queue.decide(record.id, "anna", Action.APPROVE)
    assert refused.value.code == "reviewed_elsewhere"
    assert await queue.claim_next("anna", ["kommblog"], count=5) == []


@pytest.mark.parametrize("order", [Order.OLDEST, Order.RISK])
async def test_cursor_walks_ties_and_filters_once_each(store, queue, order) -> None:  # type: ignore[no-untyped-def]
    """After a cursor: items of the same score are told apart by id (more than one batch of the script's walk
    of them), in either order and with a filter; items that left before the cursor shift nothing."""
    records = [held(n, risk=0.7) for n in range(1, 451)]
    await fill(store, [replace(r, received_at=1_700_000_000.0) for r in records])
    for filters in ({}, {"reason": "toxicity", "post": "p1"}):
        walked: list[str] = []
        after = None
        while True:
            found = await queue.select("kommblog", order, limit=40, after=after, **filters)
            walked += [item_id for item_id, _ in found]
            if len(found) < 40:
                break
            after = Cursor(found[-1][1], found[-1][0])
        expected = sorted(r.id for r in records)
        assert walked == (expected if order is Order.OLDEST else expected[::-1])
    first = await queue.select("kommblog", order, limit=3)
    for item_id, _ in first:  # decided (here: gone from the indexes) after the page was read
        await queue.claim(item_id, "anna")
        await queue.decide(item_id, "anna", Action.APPROVE)
    rest = await queue.select("kommblog", order, limit=3, after=Cursor(first[-1][1], first[-1][0]))
    everything = sorted(r.id for r in records)
    everything = everything if order is Order.OLDEST else everything[::-1]
    assert [i for i, _ in rest] == everything[3:6]
    # a cursor whose own item left, deep among its ties (past the script's first batch of 200)
    await queue.claim(everything[250], "anna")
    await queue.decide(everything[250], "anna", Action.SPAM)
    score = (await queue.select("kommblog", order, limit=1))[0][1]
    deep = await queue.select("kommblog", order, limit=3, after=Cursor(score, everything[250]))
    assert [i for i, _ in deep] == everything[251:254]


async def test_an_items_trail_lives_as_long_as_its_record(store, queue, redis) -> None:  # type: ignore[no-untyped-def]
    """The trail of an item's audit entries expires with its record, and goes when the blog deletes it."""
    await fill(store, [held(1), held(2)])
    token = held(1).id.split(":")[1]
    await queue.claim(held(1).id, "anna")
    assert await redis.ttl(keys.item_audit("kommblog", token)) == -1  # waiting: kept, as the record
    await queue.decide(held(1).id, "anna", Action.APPROVE)
    assert 3500 < await redis.ttl(keys.item_audit("kommblog", token)) <= 3600  # decided: the record's retention
    assert [e["action"] for e in await queue.history(held(1).id)] == ["claim", "decide"]
    await queue.reopen(held(1).id, "ben")
    assert await redis.ttl(keys.item_audit("kommblog", token)) == -1
    await queue.delete(held(1).id, "kommblog")
    assert not await redis.exists(keys.item_audit("kommblog", token))
    with pytest.raises(NotFound):
        await queue.history(held(1).id)
    assert [e["action"] for e in await queue.audit("kommblog")][:1] == ["delete"]  # the site's log keeps it
    assert await queue.history(held(2).id) == []  # waiting, nothing done yet
