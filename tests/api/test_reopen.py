"""Reopening a moderator's decision (an undo): the comment waits again, and what the decision taught or sent
is taken back: its label, the author's and the day's counts, and a webhook delivery not yet made."""

from __future__ import annotations

import json

from moderation_service.appkeys import QUEUE
from moderation_service.review import keys
from tests.api.test_comments import submit
from tests.api.test_review import call, hold


async def decide(client, item_id: str, action: str, role: str = "moderator") -> dict:  # type: ignore[no-untyped-def,type-arg]
    await call(client, "POST", f"/v1/review/items/{item_id}/claim", role=role)
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision", role=role,
                              json={"action": action})
    assert status == 200, body
    return body


async def test_a_decision_taken_back_leaves_no_trace_but_the_audit_log(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, comment, 1)
    await decide(client, item_id, "approve")
    assert await redis.xlen(keys.labels("kommblog")) == 1
    assert await redis.ttl(keys.comment("kommblog", item_id.split(":")[1])) > 0
    _, stats = await call(client, "GET", "/v1/review/stats?site_id=kommblog")
    assert stats["sites"]["kommblog"]["decisions_today"] == {"mod": 1}

    status, reopened = await call(client, "POST", f"/v1/review/items/{item_id}/reopen")
    assert status == 200
    assert reopened["status"] == "pending" and reopened["decided"] is None
    assert reopened["claim"]["by"] == "mod"  # theirs to decide again at once
    assert reopened["author_history"] == {"approved": 0, "rejected": 0, "spam": 0}
    assert await redis.xlen(keys.labels("kommblog")) == 0
    assert await redis.ttl(keys.comment("kommblog", item_id.split(":")[1])) == -1  # kept until decided
    _, stats = await call(client, "GET", "/v1/review/stats?site_id=kommblog")
    assert stats["sites"]["kommblog"]["decisions_today"] == {"mod": 0}
    assert stats["sites"]["kommblog"]["pending"] == 1 and stats["sites"]["kommblog"]["claimed"] == 1
    assert set(stats["sites"]["kommblog"]["pending_by_reason"]) == {r["name"] for r in reopened["reasons"]}
    _, seen = await call(client, "GET", f"/v1/comments/{item_id}", role="blog")
    assert seen["status"] == "pending" and seen["decided_by"] is None
    _, by_post = await call(client, "GET", f"/v1/review/items?site_id=kommblog&post={comment['post_id']}&order=risk")
    assert [item["id"] for item in by_post["items"]] == [item_id]

    _, audit = await call(client, "GET", "/v1/review/audit?site_id=kommblog&limit=1")
    [entry] = audit["entries"]
    assert entry["action"] == "reopen" and entry["actor"] == "mod"
    assert entry["before"] == {"status": "approved", "decided_by": "mod", "action": "approve"}

    status, decided = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "reject"})
    assert status == 200 and decided["author_history"] == {"approved": 0, "rejected": 1, "spam": 0}
    [(_, label)] = await redis.xrange(keys.labels("kommblog"))
    assert json.loads(label["example"])["labels"] == {"spam": 0, "toxicity": 1}


async def test_another_moderator_may_reopen_and_then_holds_it(client, comment) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, comment, 1)
    await decide(client, item_id, "spam")
    status, reopened = await call(client, "POST", f"/v1/review/items/{item_id}/reopen", role="admin")
    assert status == 200 and reopened["claim"]["by"] == "ops"
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"})
    assert status == 409 and body["error"]["code"] == "claimed_by_other"


async def test_what_cannot_be_reopened_says_why(client, comment) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, comment, 1)
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/reopen")
    assert status == 409 and body["error"]["code"] == "not_decided"
    _, published = await submit(client, comment)
    assert published["decision"] == "publish"
    status, body = await call(client, "POST", f"/v1/review/items/{published['id']}/reopen")
    assert status == 409 and body["error"]["code"] == "not_reopenable"
    assert body["error"]["message"] == (f"'{published['id']}' was published by the model, not by a moderator: "
                                        "only a moderator's decision can be reopened.")
    status, body = await call(client, "POST", "/v1/review/items/kommblog:zzzzzzzzzzzzzzzz/reopen")
    assert status == 404
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/reopen", role="blog")
    assert status == 403


async def test_a_reopen_based_on_a_stale_read_changes_nothing(client, comment) -> None:  # type: ignore[no-untyped-def]
    """Two moderators undo at once, one decides again: the second undo, read before, must not take back the
    new decision."""
    item_id = await hold(client, comment, 1)
    await decide(client, item_id, "approve")
    queue = client.server.app[QUEUE]
    stale = await queue.item(item_id)
    await call(client, "POST", f"/v1/review/items/{item_id}/reopen")
    await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "reject"})

    async def read_before(_: str):  # type: ignore[no-untyped-def]
        return stale

    queue.item = read_before
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/reopen", role="admin")
    assert status == 409 and body["error"]["code"] == "changed"
    del queue.item
    assert (await queue.item(item_id)).record.status.value == "rejected"


async def test_reopening_a_given_decision_refuses_a_later_one(client, comment) -> None:  # type: ignore[no-untyped-def]
    """The UI's undo names the decision it took: one taken since by someone else is not taken back."""
    item_id = await hold(client, comment, 1)
    mine = await decide(client, item_id, "approve")
    await call(client, "POST", f"/v1/review/items/{item_id}/reopen", role="admin")
    await call(client, "POST", f"/v1/review/items/{item_id}/decision", role="admin", json={"action": "reject"})
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/reopen",
                              json={"decided_at": mine["decided"]["at"]})
    assert status == 409 and body["error"]["code"] == "changed"
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "rejected" and item["decided"]["by"] == "ops"
    status, reopened = await call(client, "POST", f"/v1/review/items/{item_id}/reopen",
                                  json={"decided_at": item["decided"]["at"]})
    assert status == 200 and reopened["status"] == "pending"
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/reopen", json={"decided_at": "gestern"})
    assert status == 422 and "decided_at" in body["error"]["fields"]


async def test_bulk_results_say_when_each_decision_was_taken(client, comment) -> None:  # type: ignore[no-untyped-def]
    ids = [await hold(client, comment, n) for n in range(2)]
    await call(client, "POST", "/v1/review/claims", json={"count": 2})
    _, body = await call(client, "POST", "/v1/review/decisions", json={"items": ids, "action": "spam"})
    for result in body["results"]:
        _, item = await call(client, "GET", f"/v1/review/items/{result['id']}")
        assert result["decided_at"] == item["decided"]["at"]
