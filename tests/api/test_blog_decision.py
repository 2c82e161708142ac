"""``POST /v1/comments/{id}/decision``: the blog decided a comment itself (its admin approved, rejected or
binned it), and tells the service: a held comment leaves the queue, a correction of the model is a label."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.api.test_comments import INSULT
from tests.api.test_review import call, hold
from tests.conftest import auth
from tests.protocols.conftest import labels_of

FRIENDLY = "Danke für den Beitrag! Die Beispiele zur Krisenkommunikation fand ich sehr hilfreich."


async def tell(client: Any, comment_id: str, action: str, **extra: Any) -> tuple[int, Any]:
    return await call(client, "POST", f"/v1/comments/{comment_id}/decision", role="blog",
                      json={"action": action, **extra})


async def test_a_held_comment_the_blog_decided_leaves_the_queue(client: Any, comment: Any) -> None:
    item_id = await hold(client, comment, 1)
    assert (await call(client, "POST", f"/v1/review/items/{item_id}/claim"))[0] == 200  # a moderator reads it
    status, body = await tell(client, item_id, "reject", categories=["insult"])
    assert status == 200 and body["applied"] == "decided"
    assert body["status"] == "rejected" and body["decided_by"] == "kommblog"
    _, listed = await call(client, "GET", "/v1/review/items?site_id=kommblog")
    assert listed["items"] == []
    [example] = await labels_of(client)
    assert example["source"] == "blog" and example["labels"] == {"spam": 0, "toxicity": 1, "insult": 1}
    status, body = await tell(client, item_id, "reject", categories=["insult"])  # the blog's retry
    assert status == 200 and body["applied"] == "decided" and len(await labels_of(client)) == 1
    status, refusal = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"})
    assert status == 409 and refusal["error"]["code"] == "already_decided"
    _, stats = await call(client, "GET", "/v1/review/stats?site_id=kommblog")
    assert "kommblog" not in json.dumps(stats["sites"]["kommblog"]["decisions_today"])  # moderators' tally only


async def test_a_correction_of_the_models_decision_is_a_label_once(client: Any, comment: Any) -> None:
    response = await client.post("/v1/comments", json={**comment, "comment_id": "p1", "content": FRIENDLY},
                                 headers=auth("blog"))
    published = await response.json()
    assert published["decision"] == "publish"
    for _ in range(2):  # a retry keeps no second label
        status, body = await tell(client, published["id"], "spam")
        assert status == 200 and body["applied"] == "labelled" and body["status"] == "published"
    [example] = await labels_of(client)
    assert example["labels"] == {"spam": 1} and example["source"] == "blog" and example["content"] == FRIENDLY
    assert "author_email" not in example
    answers = await asyncio.gather(*[tell(client, published["id"], "approve") for _ in range(10)])  # at once
    assert {status for status, _ in answers} == {200}
    # the blog's last word replaces its earlier correction, once for all ten
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 0, "toxicity": 0}]
    edited = FRIENDLY + " Und noch ein Gedanke dazu."  # the blog's edit is another text to correct
    response = await client.post("/v1/comments", json={**comment, "comment_id": "p1", "content": edited},
                                 headers=auth("blog"))
    assert (await response.json())["revision"] == 2
    assert (await tell(client, published["id"], "spam"))[0] == 200
    assert [e["content"] for e in await labels_of(client)][-1] == edited


async def test_the_blog_may_change_its_own_decision(client: Any, comment: Any) -> None:
    """Its admin rejected, then approved after all: the last word counts, with its label alone, and the
    moderators' queue never sees it again."""
    item_id = await hold(client, comment, 1)
    assert (await tell(client, item_id, "reject", categories=["insult"]))[0] == 200
    status, body = await tell(client, item_id, "approve")
    assert status == 200 and body["applied"] == "decided" and body["status"] == "approved"
    assert body["decided_by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 0, "toxicity": 0}]
    _, listed = await call(client, "GET", "/v1/review/items?site_id=kommblog")
    assert listed["items"] == []
    _, audit = await call(client, "GET", "/v1/review/audit?site_id=kommblog", role="moderator")
    assert [entry["action"] for entry in audit["entries"]][:3] == ["decide", "reopen", "decide"]


async def test_a_moderators_decision_is_not_overruled(client: Any, comment: Any) -> None:
    item_id = await hold(client, comment, 1)
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    assert (await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"}))[0] == 200
    status, body = await tell(client, item_id, "spam")
    assert status == 409 and "already decided (approved by mod)" in body["error"]["message"]
    assert body["error"]["code"] == "already_decided"
    assert f"/v1/review/items/{item_id}/reopen" in body["error"]["message"]  # how to decide it again


async def test_bad_requests_say_what_to_fix(client: Any, comment: Any) -> None:
    item_id = await hold(client, comment, 1)
    status, body = await tell(client, item_id, "delete")
    assert status == 422 and "action" in body["error"]["fields"]
    status, body = await tell(client, item_id, "reject", categories=["rude"])
    assert status == 422 and "categories" in body["error"]["fields"]
    status, body = await tell(client, item_id, "reject", note="x")
    assert status == 422 and "note" in body["error"]["fields"]
    status, body = await tell(client, "kommblog:zzzzzzzzzzzzzzzz", "approve")
    assert status == 202 and body["applied"] == "kept"  # no record here (yet): kept, see below
    status, body = await tell(client, "zzzzzzzzzzzzzzzz", "approve")
    assert status == 404 and "is not a comment id" in body["error"]["message"]
    status, _ = await call(client, "POST", f"/v1/comments/{item_id}/decision", role="monitor",
                           json={"action": "approve"})
    assert status == 403
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "pending" and INSULT in item["comment"]["content"]


async def test_the_blogs_corrections_of_the_model_are_in_the_comments_history(client: Any, comment: Any) -> None:
    """The blog's word on a comment the model decided is only a label, and the next one replaces it: without an
    audit entry nothing told who corrected the model when, nor that the blog first said otherwise."""
    response = await client.post("/v1/comments", json={**comment, "comment_id": "p1", "content": FRIENDLY},
                                 headers=auth("blog"))
    published = await response.json()
    for action in ("spam", "spam", "approve"):  # (the retry adds nothing)
        assert (await tell(client, published["id"], action))[0] == 200
    status, history = await call(client, "GET", f"/v1/review/items/{published['id']}/history")
    assert status == 200
    assert [(e["action"], e["actor"]) for e in history["entries"]] == [("correct", "kommblog"), ("correct", "kommblog")]
    assert [e["after"]["labels"] for e in history["entries"]] == [{"spam": 1}, {"spam": 0, "toxicity": 0}]
    assert {e["before"]["status"] for e in history["entries"]} == {"published"}
    assert history["entries"][0]["after"]["source"] == "blog"
    _, audit = await call(client, "GET", "/v1/review/audit?site_id=kommblog")
    assert [e["action"] for e in audit["entries"]] == ["correct", "correct"]


# ------------------------------------------------ a comment whose record still waits in a spool (Redis was away)


async def spooling_pair(aiohttp_client: Any, settings: Any) -> tuple[Any, Any]:
    """Two workers sharing the spool folder: ``served`` has Redis, ``away`` cannot reach it (its records wait in
    the spool). ``served`` has made its first pass over the spool, so it delivers only when told to."""
    from moderation_service.app import create_app
    from moderation_service.appkeys import SPOOL
    from tests.redis_server import free_port
    from tests.test_redis_outage import wait_until

    served = await aiohttp_client(create_app(settings))

    async def first_delivery_done() -> bool:
        return not served.server.app[SPOOL].maybe_pending

    await wait_until(first_delivery_done)
    away = await aiohttp_client(create_app(settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}")))
    return served, away


async def drain(client: Any) -> int:
    from moderation_service.appkeys import SPOOL, STORE

    return int(await client.server.app[SPOOL].drain(client.server.app[STORE]))


async def drain_but_not_settle(client: Any) -> None:
    """Deliver the spool, with Redis going away between storing the record and applying the decision kept for
    it: the record is stored and stays in the spool, the decision stays kept."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from moderation_service.appkeys import STORE

    store = client.server.app[STORE]
    settle = store.settle

    async def redis_went_away(*_: Any) -> Any:
        raise RedisConnectionError("Redis went away")

    store.settle = redis_went_away
    try:
        with pytest.raises(RedisConnectionError):
            await drain(client)
    finally:
        store.settle = settle


async def test_the_blogs_decision_on_a_comment_whose_record_waits_in_a_spool_is_applied_when_it_arrives(
        aiohttp_client: Any, settings: Any, comment: Any, redis: Any) -> None:
    """The record of a held comment waits in one worker's spool; the blog's decision reaches a worker for which
    Redis is up and that has nothing in Redis yet. It is kept (202, ``kept``), not lost as a 404, and the
    record delivered afterwards is decided so, as if the decision had come after it: status, label, audit."""
    from moderation_service.review import keys

    served, away = await spooling_pair(aiohttp_client, settings)
    response = await away.post("/v1/comments", json={**comment, "content": INSULT}, headers=auth("blog"))
    held = await response.json()
    assert held["decision"] == "hold" and held["spooled"] is True
    status, body = await tell(served, held["id"], "reject", categories=["insult"])
    assert status == 202 and body["applied"] == "kept" and body["id"] == held["id"]
    assert body["action"] == "reject" and body["expires_at"]
    status, again = await tell(served, held["id"], "reject", categories=["insult"])  # the blog's retry
    assert status == 202 and again["applied"] == "kept"

    assert await drain(served) == 1
    _, listed = await call(served, "GET", "/v1/review/items?site_id=kommblog")
    assert listed["items"] == []
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "rejected" and item["decided"]["by"] == "kommblog"
    [example] = await labels_of(served)
    assert example["source"] == "blog" and example["labels"] == {"spam": 0, "toxicity": 1, "insult": 1}
    _, audit = await call(served, "GET", "/v1/review/audit?site_id=kommblog")
    assert [(e["action"], e["actor"]) for e in audit["entries"]][:1] == [("decide", "kommblog")]
    assert await redis.keys(keys.kept_decision(keys.comment("kommblog", held["id"].split(":")[1]))) == []
    status, body = await tell(served, held["id"], "reject", categories=["insult"])  # now it is known
    assert status == 200 and body["applied"] == "decided" and len(await labels_of(served)) == 1


async def test_the_blogs_last_word_counts_for_a_comment_whose_record_waits_in_a_spool(
        aiohttp_client: Any, settings: Any, comment: Any) -> None:
    """Rejected, then approved after all, before the record arrived: the approval alone is applied."""
    served, away = await spooling_pair(aiohttp_client, settings)
    held = await (await away.post("/v1/comments", json={**comment, "content": INSULT}, headers=auth("blog"))).json()
    assert (await tell(served, held["id"], "reject"))[0] == 202
    assert (await tell(served, held["id"], "approve"))[0] == 202
    assert await drain(served) == 1
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]


async def test_a_version_received_after_the_blogs_kept_decision_is_judged_anew(
        aiohttp_client: Any, settings: Any, comment: Any) -> None:
    """The blog decided the version it had; an edit it sends afterwards is another text, decided afresh as
    any edit is (held, it waits), and the older version delivered later from the spool changes nothing."""
    served, away = await spooling_pair(aiohttp_client, settings)
    held = await (await away.post("/v1/comments", json={**comment, "content": INSULT}, headers=auth("blog"))).json()
    assert (await tell(served, held["id"], "approve"))[0] == 202
    edited = await (await served.post("/v1/comments", json={**comment, "content": f"{INSULT}!!"},
                                      headers=auth("blog"))).json()
    assert edited["id"] == held["id"] and edited["decision"] == "hold" and edited["status"] == "pending"
    assert await drain(served) == 1
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "pending" and item["comment"]["content"] == f"{INSULT}!!"
    assert await labels_of(served) == []


async def test_a_decision_on_a_comment_nobody_knows_is_kept_until_the_decision_retention_ends(
        client: Any, redis: Any, settings: Any) -> None:
    """Never submitted (or expired, or still in a spool: the service cannot tell): the answer says that the
    decision is kept and until when, and the key expires with the decision retention, leaving no junk."""
    from moderation_service.review import keys

    status, body = await tell(client, "kommblog:zzzzzzzzzzzzzzzz", "spam")
    assert status == 202 and body["applied"] == "kept" and body["status"] is None
    assert "no record" in body["message"]
    [key] = await redis.keys(keys.kept_decision(keys.comment("kommblog", "zzzzzzzzzzzzzzzz")))
    assert 0 < await redis.ttl(key) <= settings.decision_ttl_days * 86400
    status, body = await call(client, "GET", "/v1/comments/kommblog:zzzzzzzzzzzzzzzz", role="blog")
    assert status == 404  # nothing to read: a decision alone is no comment


async def test_a_decision_on_a_comment_sent_again_after_its_deletion_is_applied_to_the_copy_sent_again(
        aiohttp_client: Any, settings: Any, comment: Any) -> None:
    """The blog deleted a comment and sent it again (the same comment id); the copy sent again waits in a spool.
    The deletion keeps out only versions received before it: the blog's decision after that is kept (``202``),
    not answered as deleted, and decides the copy sent again when it arrives."""
    from tests.api.test_delete import delete

    served, away = await spooling_pair(aiohttp_client, settings)
    item_id = await hold(served, comment, 1)
    assert (await delete(served, item_id))[0] == 200
    again = await (await away.post("/v1/comments", json={**comment, "comment_id": "h1", "content": f"{INSULT} (1)"},
                                   headers=auth("blog"))).json()
    assert again["id"] == item_id and again["spooled"] is True
    status, body = await tell(served, item_id, "reject", categories=["insult"])
    assert status == 202 and body["applied"] == "kept"
    assert await drain(served) == 1
    _, item = await call(served, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "rejected" and item["decided"]["by"] == "kommblog"
    assert item["comment"]["content"] == f"{INSULT} (1)"
    _, listed = await call(served, "GET", "/v1/review/items?site_id=kommblog")
    assert listed["items"] == []


async def test_a_kept_decision_not_applied_yet_gives_way_to_the_blogs_later_word_on_the_record(
        aiohttp_client: Any, settings: Any, comment: Any) -> None:
    """Redis goes away for the delivering worker between storing the record and applying the decision kept for
    it (both stay: the record in the spool, the decision in Redis); meanwhile the blog's next word reaches the
    record itself. Delivered again, the record must keep that word: the older kept decision goes unapplied
    (until 2026-11-28 it was applied then, as the blog changing its mind back)."""
    served, away = await spooling_pair(aiohttp_client, settings)
    held = await (await away.post("/v1/comments", json={**comment, "content": INSULT}, headers=auth("blog"))).json()
    assert (await tell(served, held["id"], "reject"))[0] == 202
    await drain_but_not_settle(served)
    status, body = await tell(served, held["id"], "approve")  # the record is there now, waiting
    assert status == 200 and body["status"] == "approved"
    assert await drain(served) == 1  # delivered again: a retry of the stored record
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "approved"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]


async def test_the_blogs_word_on_the_record_between_its_arrival_and_settling_counts(
        aiohttp_client: Any, settings: Any, comment: Any) -> None:
    """The record has just been stored, with the decision kept for it still to apply, when the blog's next word
    reaches the record itself: that word counts, and the older kept decision is not applied after it."""
    from moderation_service.appkeys import STORE

    served, away = await spooling_pair(aiohttp_client, settings)
    held = await (await away.post("/v1/comments", json={**comment, "content": INSULT}, headers=auth("blog"))).json()
    assert (await tell(served, held["id"], "reject"))[0] == 202
    store = served.server.app[STORE]
    settle = store.settle
    answers = []

    async def blog_speaks_first(record: Any, kept: Any) -> Any:
        answers.append(await tell(served, held["id"], "approve"))
        return await settle(record, kept)

    store.settle = blog_speaks_first
    try:
        assert await drain(served) == 1
    finally:
        store.settle = settle
    assert [(status, body["status"]) for status, body in answers] == [(200, "approved")]
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "approved"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]


async def test_a_kept_decision_this_version_cannot_read_holds_back_no_record(
        aiohttp_client: Any, settings: Any, comment: Any, redis: Any) -> None:
    """Workers of two versions run side by side during a rolling restart: a newer one may keep a decision this
    one cannot apply (a call it does not know, as Coral's ``suggestion`` was new on 2026-11-28). Its record,
    delivered here, raised: the spool's delivery stopped at it, and the records after it stayed in the spool,
    on every attempt. The record is stored as it came now, the decision left kept (a worker that knows it
    applies it on the record's next delivery, or it expires), and the records after it are delivered."""
    from moderation_service.api.blog_reports import BlogReport
    from moderation_service.review import keys
    from moderation_service.review.queue import Action

    served, away = await spooling_pair(aiohttp_client, settings)
    first = await (await away.post("/v1/comments", json={**comment, "content": INSULT},
                                   headers=auth("blog"))).json()
    second = await (await away.post("/v1/comments", json={**comment, "comment_id": "h2", "content": f"{INSULT} (2)"},
                                    headers=auth("blog"))).json()
    assert first["spooled"] is True and second["spooled"] is True
    site_id, _, token = first["id"].rpartition(":")
    kept = keys.kept_decision(keys.comment(site_id, token))
    await redis.hset(kept, mapping={**BlogReport("hereafter", Action.REJECT, "kommblog", "blog").fields()})
    await redis.expire(kept, 3600)
    assert await drain(served) == 2
    _, listed = await call(served, "GET", "/v1/review/items?site_id=kommblog")
    assert sorted(item["id"] for item in listed["items"]) == sorted([first["id"], second["id"]])
    assert await redis.exists(kept) == 1


def word_while_kept_decision_applies(monkeypatch: Any, redis: Any, kept: str, word: Callable[[], Awaitable[Any]],
                                     held_back: Callable[[Any], bool] = lambda report: True) -> list[asyncio.Task[Any]]:
    """The blog's next word (``word()``) is sent as the decision kept for a record (``kept``: its key; the first
    report ``held_back`` picks) is about to be applied, which waits until the word has been applied (the defect)
    or has reached it (a decision kept in its place, a take-back marking it superseded) and waits for it. The
    word's task, in a list, once sent."""
    from moderation_service.api import blog_reports

    apply_report = blog_reports.apply_report
    words: list[asyncio.Task[Any]] = []

    async def the_word_meanwhile(request: Any, record_id: str, report: Any, comment: Any = None) -> Any:
        if not words and held_back(report):
            words.append(asyncio.ensure_future(word()))
            while not words[0].done() and not await redis.hexists(kept, "superseded") \
                    and await redis.hget(kept, "at") == repr(report.at):
                await asyncio.sleep(0.01)
        return await apply_report(request, record_id, report, comment)

    monkeypatch.setattr(blog_reports, "apply_report", the_word_meanwhile)
    return words


async def test_the_blogs_word_landing_while_a_kept_decision_is_applied_is_applied_after_it(
        aiohttp_client: Any, settings: Any, comment: Any, redis: Any, monkeypatch: Any) -> None:
    """The record has arrived and the decision kept for it (a rejection) was found still to apply; the blog's
    next word (an approval) reaches the record before that decision is applied. The approval must count, not
    be overridden by the older rejection applied after it (until 2026-11-28 it was: the kept decision was
    checked, then applied, and the blog's word could land in between). The word is driven in between by
    holding the settling back at its apply until the word has either been applied (the defect) or reached the
    kept decision (kept in its place) and waits for it."""
    from moderation_service.review import keys

    served, away = await spooling_pair(aiohttp_client, settings)
    held = await (await away.post("/v1/comments", json={**comment, "content": INSULT}, headers=auth("blog"))).json()
    assert (await tell(served, held["id"], "reject"))[0] == 202
    kept = keys.kept_decision(keys.comment("kommblog", held["id"].split(":")[1]))
    words = word_while_kept_decision_applies(monkeypatch, redis, kept, lambda: tell(served, held["id"], "approve"),
                                             lambda report: report.action.value == "reject")
    assert await drain(served) == 1
    [word] = words
    status, body = await asyncio.wait_for(word, 30)
    assert status == 200 and body["status"] == "approved"
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]
    assert await redis.exists(kept) == 0


@pytest.mark.parametrize("record_stored", [False, True], ids=["record-in-a-spool", "record-stored-not-settled"])
async def test_the_blogs_word_failing_after_it_reached_a_kept_decision_loses_neither(
        aiohttp_client: Any, settings: Any, comment: Any, private_redis: Any, record_stored: bool) -> None:
    """The blog rejected a held comment whose record waited in a spool (kept), or was stored with the rejection
    still to apply; its approval then reached the kept rejection, and Redis went away before the approval was
    applied: ``503``, which the blog may never retry. Until 2026-11-28 the rejection had been marked superseded
    by then and was never applied, and the approval was not either: both were lost, and the comment, delivered
    once Redis was back, waited for a moderator. The approval is kept in the rejection's place as it reaches
    it, so the delivered record is decided by the blog's last word. (A real outage: the test's own Redis stops
    right after the word reached the kept decision.)"""
    from moderation_service.appkeys import QUEUE
    from moderation_service.review import keys
    from tests.test_redis_outage import wait_until

    served, away = await spooling_pair(aiohttp_client, settings.with_overrides(redis_url=private_redis.url))
    held = await (await away.post("/v1/comments", json={**comment, "content": INSULT}, headers=auth("blog"))).json()
    assert (await tell(served, held["id"], "reject", categories=["insult"]))[0] == 202
    if record_stored:
        await drain_but_not_settle(served)
    with private_redis.stopped_after(served.server.app[QUEUE], "supersede_decision"):
        status, body = await tell(served, held["id"], "approve")
    assert status == 503 and body["error"]["code"] == "storage_unavailable"
    private_redis.start()

    async def delivered() -> bool:
        await drain(served)
        status, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
        return status == 200

    await wait_until(delivered)
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]
    direct = served.server.app[QUEUE]._redis
    assert await direct.exists(keys.kept_decision(keys.comment("kommblog", held["id"].split(":")[1]))) == 0


async def rejected_while_spooled_and_words_failing(aiohttp_client: Any, settings: Any, comment: Any,
                                                    monkeypatch: Any) -> tuple[Any, dict[str, Any], str]:
    """A held comment whose record waits in a spool when the blog rejects it (the rejection is kept), with every
    later word's request failing as it waits for a kept decision to be applied (Redis away for its worker):
    the service that will deliver the record, the held comment's answer, and its kept decision's key."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from moderation_service.appkeys import QUEUE
    from moderation_service.review import keys

    served, away = await spooling_pair(aiohttp_client, settings)
    held = await (await away.post("/v1/comments", json={**comment, "content": INSULT}, headers=auth("blog"))).json()
    assert (await tell(served, held["id"], "reject", categories=["insult"]))[0] == 202

    async def away_for_the_word(item_id: str) -> float | None:
        raise RedisConnectionError("Redis went away for the word's worker")

    monkeypatch.setattr(served.server.app[QUEUE], "settling_until", away_for_the_word)
    return served, held, keys.kept_decision(keys.comment("kommblog", held["id"].split(":")[1]))


async def test_the_blogs_word_whose_request_fails_while_a_kept_decision_is_applied_is_applied_by_the_settler(
        aiohttp_client: Any, settings: Any, comment: Any, redis: Any, monkeypatch: Any) -> None:
    """The record has arrived and the decision kept for it (a rejection) is being applied when the blog's next
    word (an approval) reaches it: the approval is kept in its place, and its request waits for the rejection.
    That request then fails (``503``: Redis away for its worker, or the worker stops), and the blog may never
    retry. The record's delivery, which applied the rejection, was its last: nothing else would apply the
    approval kept in the rejection's place, so the settler applies it (until 2026-11-28 it was left kept, the
    comment stayed rejected and the blog's last word was lost until the kept hash expired)."""
    served, held, kept = await rejected_while_spooled_and_words_failing(aiohttp_client, settings, comment, monkeypatch)
    words = word_while_kept_decision_applies(monkeypatch, redis, kept, lambda: tell(served, held["id"], "approve"),
                                             lambda report: report.action.value == "reject")
    assert await drain(served) == 1
    [word] = words
    status, body = await asyncio.wait_for(word, 30)
    assert status == 503 and body["error"]["code"] == "storage_unavailable"
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]
    assert await redis.exists(kept) == 0


async def test_every_word_the_blog_keeps_while_the_one_before_is_applied_is_applied_by_the_settler(
        aiohttp_client: Any, settings: Any, comment: Any, redis: Any, monkeypatch: Any) -> None:
    """As above, with the blog changing its mind three times while the record's delivery applies its words: each
    word reaches the one being applied and is kept in its place, and each word's request fails (``503``). The
    settler applies them one after another until nothing newer is kept: the last one, an approval, stands
    (until 2026-11-28 it applied three, and the fourth decision, the approval, was left kept: the comment stayed
    rejected until the kept hash expired)."""
    from moderation_service.api import blog_reports
    from moderation_service.appkeys import HEALTH

    served, held, kept = await rejected_while_spooled_and_words_failing(aiohttp_client, settings, comment, monkeypatch)
    later_words = ["approve", "reject", "approve"]
    words: list[asyncio.Task[Any]] = []
    applied: list[str] = []
    apply_report = blog_reports.apply_report

    async def the_next_word_meanwhile(request: Any, record_id: str, report: Any, comment: Any = None) -> Any:
        applied.append(report.action.value)
        if len(words) < len(later_words):
            action = later_words[len(words)]
            words.append(asyncio.ensure_future(tell(served, held["id"], action)))
            while not words[-1].done():  # it fails once it has reached the decision applied now
                await asyncio.sleep(0.01)
            served.server.app[HEALTH].up()  # (Redis went away for the word's worker, not for this one)
            assert await redis.hget(kept, "action") == action  # kept in its place
        return await apply_report(request, record_id, report, comment)

    monkeypatch.setattr(blog_reports, "apply_report", the_next_word_meanwhile)
    assert await drain(served) == 1
    answers = await asyncio.gather(*words)
    assert [(status, body["error"]["code"]) for status, body in answers] == [(503, "storage_unavailable")] * 3
    assert applied == ["reject", "approve", "reject", "approve"]
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]
    assert await redis.exists(kept) == 0


@pytest.mark.parametrize("stalls_at", ["supersede_decision", "keep_decision"])
async def test_an_older_word_reaching_redis_after_a_newer_one_is_not_kept_in_its_place(
        aiohttp_client: Any, settings: Any, comment: Any, monkeypatch: Any, stalls_at: str) -> None:
    """Two of the blog's words about a comment whose record waits in a spool race: the rejection is received
    first, the approval after it, but the rejection's request stalls (before it reached the decision kept for
    the comment, or before it kept its own) until the approval has been kept. The approval is the blog's last
    word, and the one applied when the record arrives (until 2026-11-28 whichever reached Redis last was kept,
    here the older rejection). The words are told apart by when the service received them: no protocol says
    when the blog's admin acted."""
    from moderation_service.appkeys import QUEUE

    served, away = await spooling_pair(aiohttp_client, settings)
    held = await (await away.post("/v1/comments", json={**comment, "content": INSULT}, headers=auth("blog"))).json()
    queue = served.server.app[QUEUE]
    reach = getattr(queue, stalls_at)
    older_stalls, newer_kept = asyncio.Event(), asyncio.Event()

    async def the_older_word_stalls(item_id: str, fields: Any = None) -> Any:
        if fields is not None and fields["action"] == "reject":
            older_stalls.set()
            await newer_kept.wait()
        return await reach(item_id, fields)

    monkeypatch.setattr(queue, stalls_at, the_older_word_stalls)
    older = asyncio.ensure_future(tell(served, held["id"], "reject", categories=["insult"]))
    await asyncio.wait_for(older_stalls.wait(), 30)
    assert (await tell(served, held["id"], "approve"))[0] == 202
    newer_kept.set()
    assert (await asyncio.wait_for(older, 30))[0] == 202
    assert await drain(served) == 1
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]
