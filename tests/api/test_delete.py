"""DELETE /v1/comments/{id}: the blog deleted a comment, so nobody reviews it and its record goes; on an
erasure request its labelled examples go too."""

from __future__ import annotations

import json

from moderation_service.review import keys
from tests.api.test_comments import INSULT, submit
from tests.api.test_review import call, hold
from tests.conftest import auth


async def delete(client, item_id: str, query: str = "", role: str = "blog"):  # type: ignore[no-untyped-def]
    response = await client.delete(f"/v1/comments/{item_id}{query}", headers=auth(role))
    return response.status, await response.json()


async def zsets(redis) -> dict[str, int]:  # type: ignore[no-untyped-def]
    found = {}
    for key in await redis.keys("moderation:{kommblog}:*"):
        if await redis.type(key) == "zset":
            found[key] = await redis.zcard(key)
    return found


async def test_a_comment_deleted_while_claimed_leaves_the_queue_and_the_moderator_is_told(  # type: ignore[no-untyped-def]
        client, comment, redis):
    item_id = await hold(client, comment, 1)
    await call(client, "POST", "/v1/review/claims", json={"count": 1})
    status, body = await delete(client, item_id)
    assert status == 200 and body == {"id": item_id, "deleted": True, "status": "pending", "labels_deleted": 0}
    assert not any((await zsets(redis)).values())  # every queue index, the claims
    assert await redis.exists(keys.comment("kommblog", item_id.split(":")[1])) == 0
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"})
    assert status == 404
    status, body = await call(client, "GET", f"/v1/comments/{item_id}", role="blog")
    assert status == 404
    _, audit = await call(client, "GET", "/v1/review/audit?site_id=kommblog&limit=1")
    [entry] = audit["entries"]
    assert entry["action"] == "delete" and entry["actor"] == "kommblog" and entry["before"] == {"status": "pending"}
    status, body = await delete(client, item_id)
    assert status == 404 and "was deleted" in body["error"]["message"]


async def test_labels_stay_unless_the_blog_asks_to_erase_them(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    kept, erased = [await hold(client, comment, n) for n in (1, 2)]
    for item_id in (kept, erased):
        await call(client, "POST", f"/v1/review/items/{item_id}/claim")
        await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "reject"})
    # Feedback on the same text that names no comment id (as Akismet's submit-spam does) is found by its text.
    await redis.xadd(keys.labels("kommblog"), {"example": json.dumps(
        {"content": f"{INSULT} (2)", "labels": {"spam": 0}, "source": "akismet", "site_id": "kommblog"})})
    await redis.xadd(keys.labels("kommblog"), {"example": json.dumps(
        {"content": "unrelated", "labels": {"spam": 0}, "source": "akismet", "site_id": "kommblog"})})

    status, body = await delete(client, kept)
    assert status == 200 and body["status"] == "rejected" and body["labels_deleted"] == 0
    status, body = await delete(client, erased, "?labels=delete")
    assert status == 200 and body["labels_deleted"] == 2
    remaining = [json.loads(fields["example"])["content"] for _, fields in await redis.xrange(keys.labels("kommblog"))]
    assert remaining == [f"{INSULT} (1)", "unrelated"]


async def test_erasing_an_edited_comment_erases_the_labels_of_its_earlier_versions(  # type: ignore[no-untyped-def]
        client, comment, redis):
    item_id = await hold(client, comment, 1)
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"})
    without_id = {key: value for key, value in comment.items() if key != "comment_id"}
    await redis.xadd(keys.labels("kommblog"), {"example": json.dumps(
        {"content": f"{INSULT} (1)", "labels": {"spam": 0}, "source": "akismet", "site_id": "kommblog"})})
    _, edited = await submit(client, {**without_id, "comment_id": "h1", "content": "Ganz anders jetzt."})
    assert edited["revision"] == 2
    status, body = await delete(client, item_id, "?labels=delete")
    assert status == 200 and body["labels_deleted"] == 2
    assert await redis.xlen(keys.labels("kommblog")) == 0


async def test_who_may_delete_and_what_is_refused(client, comment) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, comment, 1)
    status, body = await delete(client, item_id, role="other_blog")
    assert status == 403
    status, body = await delete(client, item_id, role="moderator")
    assert status == 403
    status, body = await delete(client, item_id, "?labels=yes")
    assert status == 422 and body["error"]["fields"] == {"labels": ["Use 'keep' (the default) or 'delete'."]}
    response = await client.delete(f"/v1/comments/{item_id}")
    assert response.status == 401
    status, body = await delete(client, "kommblog:zzzzzzzzzzzzzzzz")
    assert status == 404
    status, body = await delete(client, item_id, role="admin")
    assert status == 200 and body["deleted"] is True


async def test_erasing_one_comment_leaves_another_comments_labels_with_the_same_text(  # type: ignore[no-untyped-def]
        client, comment, redis):
    same_text = {**comment, "content": INSULT}
    ids = []
    for n, author in enumerate(("Jana", "Kai")):
        _, body = await submit(client, {**same_text, "comment_id": f"same-{n}", "author_name": author})
        ids.append(body["id"])
        await call(client, "POST", f"/v1/review/items/{body['id']}/claim")
        await call(client, "POST", f"/v1/review/items/{body['id']}/decision", json={"action": "reject"})
    status, body = await delete(client, ids[0], "?labels=delete")
    assert status == 200 and body["labels_deleted"] == 1
    [(_, left)] = await redis.xrange(keys.labels("kommblog"))
    assert json.loads(left["example"])["comment_id"] == "same-1"


async def test_an_operator_erases_labels_after_the_record_is_gone(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, comment, 1)
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "reject"})
    await redis.xadd(keys.labels("kommblog"), {"example": json.dumps(
        {"content": f"{INSULT} (1)", "labels": {"spam": 0}, "source": "akismet", "site_id": "kommblog"})})
    await delete(client, item_id)  # labels kept; later someone asks for their data to be erased
    status, body = await delete(client, item_id, "?labels=delete")
    assert status == 404
    status, body = await call(client, "POST", "/v1/ops/labels/erase", role="admin",
                              json={"site_id": "kommblog", "comment_id": "h1"})
    assert status == 200 and body == {"site_id": "kommblog", "deleted": 1}
    status, body = await call(client, "POST", "/v1/ops/labels/erase", role="admin",
                              json={"site_id": "kommblog", "content": f"{INSULT} (1)"})
    assert status == 200 and body["deleted"] == 1
    assert await redis.xlen(keys.labels("kommblog")) == 0
    status, body = await call(client, "POST", "/v1/ops/labels/erase", role="admin", json={"site_id": "kommblog"})
    assert status == 422 and "comment_id" in body["error"]["fields"]
    # a typo in the site must not read as an erasure carried out ("deleted": 0)
    status, body = await call(client, "POST", "/v1/ops/labels/erase", role="admin",
                              json={"site_id": "kommblgo", "comment_id": "h1"})
    assert status == 404 and "No site 'kommblgo'" in body["error"]["message"]
    assert "Known sites: kommblog" in body["error"]["message"]
    status, body = await call(client, "POST", "/v1/ops/labels/erase", role="blog",
                              json={"site_id": "kommblog", "comment_id": "h1"})
    assert status == 403


async def test_a_comment_deleted_while_its_record_waits_in_a_spool_does_not_come_back(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, redis, comment):
    """Two workers share the spool folder. Redis is away for one of them when a held comment arrives, so its
    record waits in the spool; the blog's DELETE meanwhile is refused there (503, the blog sends it again),
    and sent again it reaches the other worker, for which Redis is up and which has nothing to deliver
    itself. The record delivered after that must not bring the deleted comment back into the queue."""
    from moderation_service.app import create_app
    from moderation_service.appkeys import SPOOL, STORE
    from tests.redis_server import free_port
    from tests.test_redis_outage import wait_until

    served = await aiohttp_client(create_app(settings))
    spool = served.server.app[SPOOL]

    async def first_delivery_done() -> bool:
        return not spool.maybe_pending

    await wait_until(first_delivery_done)
    away = await aiohttp_client(create_app(settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}")))
    response = await away.post("/v1/comments", json={**comment, "content": INSULT}, headers=auth("blog"))
    held = await response.json()
    assert held["decision"] == "hold" and held["spooled"] is True

    response = await away.delete(f"/v1/comments/{held['id']}", headers=auth("blog"))
    assert response.status == 503 and (await response.json())["error"]["code"] == "storage_unavailable"
    status, _ = await delete(served, held["id"])  # sent again: Redis is up, the record still in the spool
    assert status == 404  # nothing in Redis yet; the deletion is marked all the same
    status, body = await call(served, "POST", f"/v1/comments/{held['id']}/decision", role="blog",
                              json={"action": "approve"})  # kept, for a copy sent again: not for this one
    assert status == 202 and body["applied"] == "kept"

    assert await spool.drain(served.server.app[STORE]) == 1  # Redis is back for the first worker: it delivers
    assert not any((await zsets(redis)).values())
    assert await redis.exists(keys.comment("kommblog", held["id"].split(":")[1])) == 0
    status, _ = await call(served, "GET", f"/v1/comments/{held['id']}", role="blog")
    assert status == 404


async def test_a_comment_sent_again_after_its_deletion_is_kept(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    """What a deletion keeps out is a record received before it; the same comment sent afterwards is new."""
    item_id = await hold(client, comment, 1)
    status, _ = await delete(client, item_id)
    assert status == 200
    status, body = await submit(client, {**comment, "comment_id": "h1", "content": f"{INSULT} (1)"})
    assert status == 200 and body["id"] == item_id and body["decision"] == "hold" and body["repeated"] is False
    assert await redis.zrange(keys.pending("kommblog"), 0, -1) == [item_id]


async def test_a_deletion_takes_a_kept_decision_with_it_and_only_a_decision_after_it_is_kept(  # type: ignore[no-untyped-def]
        client, redis):
    """A decision of the blog's own kept for a comment with no record here (it may wait in a spool) goes with
    the comment's deletion. One made after the deletion is kept (the blog may have sent the comment again since,
    and that copy may wait in a spool; until 2026-11-28 it was a 404, and the copy then waited undecided); one
    made before it, reaching Redis after it, is not (it was about a version the deletion keeps out)."""
    from moderation_service.api.blog_reports import BlogReport
    from moderation_service.appkeys import QUEUE
    from moderation_service.review.queue import Action

    item_id = "kommblog:zzzzzzzzzzzzzzzz"
    kept = keys.kept_decision(keys.comment("kommblog", "zzzzzzzzzzzzzzzz"))
    status, body = await call(client, "POST", f"/v1/comments/{item_id}/decision", role="blog",
                              json={"action": "reject"})
    assert status == 202 and body["applied"] == "kept" and await redis.exists(kept) == 1
    made_before = BlogReport("decision", Action.REJECT, "kommblog", "blog")
    assert (await delete(client, item_id))[0] == 404
    assert await redis.exists(kept) == 0
    assert await client.server.app[QUEUE].keep_decision(item_id, made_before.fields()) == "deleted"
    assert await redis.exists(kept) == 0
    status, body = await call(client, "POST", f"/v1/comments/{item_id}/decision", role="blog",
                              json={"action": "reject"})
    assert status == 202 and body["applied"] == "kept" and await redis.exists(kept) == 1


async def test_an_erasure_that_fails_midway_leaves_the_record_for_the_blogs_retry(  # type: ignore[no-untyped-def]
        client, comment, redis):
    """The labels go before the record: had the record gone first, the blog's retry would be a 404 and the
    comment's labelled examples would stay."""
    item_id = await hold(client, comment, 1)
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "reject"})
    stream = keys.labels("kommblog")
    await redis.rename(stream, "aside")
    await redis.set(stream, "not a stream")  # the label walk fails (a real Redis error) after any earlier step
    response = await client.delete(f"/v1/comments/{item_id}?labels=delete", headers=auth("blog"))
    assert response.status == 500
    status, _ = await call(client, "GET", f"/v1/comments/{item_id}", role="blog")
    assert status == 200
    await redis.delete(stream)
    await redis.rename("aside", stream)
    status, body = await delete(client, item_id, "?labels=delete")
    assert status == 200 and body["labels_deleted"] == 1
    assert await redis.xlen(stream) == 0


async def test_an_erasure_takes_the_label_of_a_decision_made_while_it_ran(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    """A moderator's decision between the label walk and the record's deletion adds a label: it goes too."""
    from moderation_service.appkeys import LABELS
    from moderation_service.review.labels import LabelStore

    item_id = await hold(client, comment, 1)
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    labels: LabelStore = client.app[LABELS]
    original = labels.delete_about
    decided = []

    async def decide_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        deleted = await original(*args, **kwargs)
        if not decided:
            decided.append(await call(client, "POST", f"/v1/review/items/{item_id}/decision",
                                      json={"action": "reject"}))
        return deleted

    labels.delete_about = decide_meanwhile  # type: ignore[method-assign]
    status, body = await delete(client, item_id, "?labels=delete")
    assert decided[0][0] == 200
    assert status == 200 and body["status"] == "rejected" and body["labels_deleted"] == 1
    assert await redis.xlen(keys.labels("kommblog")) == 0
