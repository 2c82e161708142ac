"""An edit (the blog's comment id again, with another text) is decided anew; a retry gets the stored answer.

What a moderator decided on an earlier version is kept with the comment and in the labels; a moderator
holding the comment while it changes must read the new text before their decision counts.
"""

from __future__ import annotations

import json

from moderation_service.review import keys
from tests.api.test_comments import INSULT, SPAM, submit
from tests.api.test_review import call
from tests.conftest import auth

FRIENDLY = "Danke für den Beitrag! Die Beispiele zur Krisenkommunikation fand ich sehr hilfreich."
OTHER_INSULT = "Du bist ein widerlicher Lügner und dummer Idiot, halt endlich dein dreckiges Maul"


def token(item_id: str) -> str:
    return item_id.split(":")[1]


async def queue_keys(redis) -> set[str]:  # type: ignore[no-untyped-def]
    """The queue indexes (sorted sets) that list anything."""
    indexes = [key for key in await redis.keys("moderation:{kommblog}:pending*") if await redis.type(key) == "zset"]
    return {key for key in indexes if await redis.zcard(key)}


async def test_a_held_comment_edited_into_a_friendly_one_is_published_and_leaves_the_queue(  # type: ignore[no-untyped-def]
        client, comment, redis):
    _, held = await submit(client, {**comment, "comment_id": "e1", "content": INSULT})
    assert held["decision"] == "hold" and await queue_keys(redis)

    status, edited = await submit(client, {**comment, "comment_id": "e1", "content": FRIENDLY})
    assert status == 200
    assert edited["id"] == held["id"] and edited["repeated"] is False and edited["revision"] == 2
    assert edited["decision"] == "publish" and edited["status"] == "published" and edited["review_item_id"] is None
    assert await queue_keys(redis) == set()  # every index: arrival, risk, post, reasons
    assert await redis.ttl(keys.comment("kommblog", token(held["id"]))) > 0  # kept as long as any published one

    _, seen = await call(client, "GET", f"/v1/comments/{held['id']}", role="blog")
    assert seen["status"] == "published" and seen["revision"] == 2
    [entry] = await redis.xrange(keys.audit("kommblog"))
    _, fields = entry
    assert fields["action"] == "edit" and fields["actor"] == "blog" and fields["item"] == held["id"]
    assert json.loads(fields["before"]) == {"status": "pending", "revision": 1}
    assert json.loads(fields["after"]) == {"status": "published", "revision": 2}


async def test_a_published_comment_edited_into_an_insult_is_held_with_its_earlier_version(  # type: ignore[no-untyped-def]
        client, comment, redis):
    _, first = await submit(client, {**comment, "comment_id": "e2"})
    assert first["decision"] == "publish"
    _, edited = await submit(client, {**comment, "comment_id": "e2", "content": INSULT})
    assert edited["decision"] == "hold" and edited["status"] == "pending" and edited["revision"] == 2
    assert edited["review_item_id"] == first["id"]
    assert await redis.ttl(keys.comment("kommblog", token(first["id"]))) == -1  # kept until decided, as any held one

    status, listed = await call(client, "GET", "/v1/review/items?site_id=kommblog")
    assert status == 200
    [item] = listed["items"]
    assert item["comment"]["content"] == INSULT and item["revision"] == 2
    [earlier] = item["earlier_versions"]
    assert earlier["revision"] == 1 and earlier["comment"]["content"] == comment["content"]
    assert earlier["decision"] == "publish" and earlier["status"] == "published" and earlier["decided"] is None
    assert earlier["scores"] == first["scores"]


async def test_an_approved_comment_edited_into_spam_is_decided_again_and_the_first_label_stays(  # type: ignore[no-untyped-def]
        client, comment, redis):
    _, held = await submit(client, {**comment, "comment_id": "e3", "content": INSULT})
    await call(client, "POST", f"/v1/review/items/{held['id']}/claim")
    status, _ = await call(client, "POST", f"/v1/review/items/{held['id']}/decision",
                           json={"action": "approve", "note": "scharf, aber sachlich"})
    assert status == 200

    _, edited = await submit(client, {**comment, "comment_id": "e3", "content": SPAM})
    assert edited["decision"] in ("spam", "hold") and edited["revision"] == 2
    status, item = await call(client, "GET", f"/v1/review/items/{held['id']}")
    assert status == 200 and item["decided"] is None and item["status"] == edited["status"]
    [earlier] = item["earlier_versions"]
    assert earlier["status"] == "approved" and earlier["comment"]["content"] == INSULT
    assert earlier["decided"]["by"] == "mod" and earlier["decided"]["action"] == "approve"
    assert earlier["decided"]["note"] == "scharf, aber sachlich"

    # The moderator's label was about the text they read: it stays, with that text.
    [(_, label)] = await redis.xrange(keys.labels("kommblog"))
    example = json.loads(label["example"])
    assert example["content"] == INSULT and example["labels"] == {"spam": 0, "toxicity": 0}


async def test_a_moderator_holding_an_edited_comment_must_read_the_new_text_before_deciding(  # type: ignore[no-untyped-def]
        client, comment, redis):
    _, held = await submit(client, {**comment, "comment_id": "e4", "content": INSULT})
    item_id = held["id"]
    status, claimed = await call(client, "POST", "/v1/review/claims", json={"count": 1})
    assert [i["id"] for i in claimed["items"]] == [item_id] and claimed["items"][0]["revision"] == 1

    _, edited = await submit(client, {**comment, "comment_id": "e4", "content": OTHER_INSULT})
    assert edited["decision"] == "hold" and edited["revision"] == 2

    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"})
    assert status == 409 and body["error"]["code"] == "edited"
    assert "revision 2" in body["error"]["message"] and f"/v1/review/items/{item_id}/claim" in body["error"]["message"]
    assert await redis.xlen(keys.labels("kommblog")) == 0  # nothing decided, nothing learnt

    # The claim is still theirs (nobody else can take the comment meanwhile); claiming again shows the new text.
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/claim", role="admin")
    assert status == 409 and body["error"]["code"] == "claimed_by_other"
    status, renewed = await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    assert status == 200 and renewed["comment"]["content"] == OTHER_INSULT and renewed["revision"] == 2
    status, decided = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "reject"})
    assert status == 200 and decided["status"] == "rejected"
    [(_, label)] = await redis.xrange(keys.labels("kommblog"))
    assert json.loads(label["example"])["content"] == OTHER_INSULT


async def test_the_bulk_decision_refuses_an_edited_item_alone(client, comment) -> None:  # type: ignore[no-untyped-def]
    ids = [(await submit(client, {**comment, "comment_id": f"b{n}", "content": f"{INSULT} ({n})"}))[1]["id"]
           for n in range(2)]
    await call(client, "POST", "/v1/review/claims", json={"count": 2})
    await submit(client, {**comment, "comment_id": "b1", "content": OTHER_INSULT})
    status, body = await call(client, "POST", "/v1/review/decisions", json={"items": ids, "action": "reject"})
    assert status == 200
    results = {result["id"]: result for result in body["results"]}
    assert results[ids[0]]["ok"] is True
    assert results[ids[1]]["ok"] is False and results[ids[1]]["error"]["code"] == "edited"


async def test_an_edit_out_of_the_queue_ends_the_claim(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    _, held = await submit(client, {**comment, "comment_id": "e5", "content": INSULT})
    await call(client, "POST", f"/v1/review/items/{held['id']}/claim")
    await submit(client, {**comment, "comment_id": "e5", "content": FRIENDLY})
    assert await redis.zcard(keys.claims("kommblog")) == 0
    status, body = await call(client, "POST", f"/v1/review/items/{held['id']}/decision", json={"action": "reject"})
    assert status == 409 and body["error"]["code"] == "decided_by_model"
    assert body["error"]["message"] == (f"'{held['id']}' was published by the model after the blog sent an edited "
                                        "version (revision 2), not by a moderator: it does not wait for review; "
                                        "nothing was changed.")


async def test_a_retry_of_the_edit_is_a_retry_and_counts_nothing_twice(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    await submit(client, {**comment, "comment_id": "e6", "content": INSULT})
    flood = lambda: redis.keys("moderation:{kommblog}:flood:ip:*")  # noqa: E731
    [flood_key] = await flood()
    assert await redis.get(flood_key) == "1"
    _, edited = await submit(client, {**comment, "comment_id": "e6", "content": OTHER_INSULT})
    _, again = await submit(client, {**comment, "comment_id": "e6", "content": OTHER_INSULT})
    assert edited["repeated"] is False and again["repeated"] is True
    assert again["revision"] == 2 and again["scores"] == edited["scores"]
    assert await redis.get(flood_key) == "1"  # an edit is no new comment for the flood limits
    assert await redis.zcard(keys.pending("kommblog")) == 1
    assert len(await redis.xrange(keys.audit("kommblog"))) == 1  # one edit


async def test_edits_are_counted_in_the_metrics(client, comment) -> None:  # type: ignore[no-untyped-def]
    await submit(client, {**comment, "comment_id": "e7"})
    await submit(client, {**comment, "comment_id": "e7", "content": INSULT})
    response = await client.get("/metrics", headers=auth("monitor"))
    assert "moderation_edited_submissions_total 1.0" in await response.text()


async def test_a_decision_names_the_revision_read_and_is_refused_for_another(  # type: ignore[no-untyped-def]
        client, comment, redis):
    # The edit arrives while the moderator holds the comment and their lease is renewed (the page does so in the
    # background): the renewal hands over the new text, but the moderator decides on the text they read.
    _, held = await submit(client, {**comment, "comment_id": "r1", "content": INSULT})
    item_id = held["id"]
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    await submit(client, {**comment, "comment_id": "r1", "content": OTHER_INSULT})
    status, renewed = await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    assert status == 200 and renewed["revision"] == 2

    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision",
                              json={"action": "approve", "revision": 1})
    assert status == 409 and body["error"]["code"] == "edited"
    assert "revision 2, not the revision 1 you decided on" in body["error"]["message"]
    assert await redis.xlen(keys.labels("kommblog")) == 0

    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision",
                              json={"action": "approve", "revision": 0})
    assert status == 422 and "revision" in body["error"]["fields"]
    status, decided = await call(client, "POST", f"/v1/review/items/{item_id}/decision",
                                 json={"action": "reject", "revision": 2})
    assert status == 200 and decided["status"] == "rejected"


async def test_the_bulk_decision_names_each_revision_read(client, comment) -> None:  # type: ignore[no-untyped-def]
    ids = [(await submit(client, {**comment, "comment_id": f"v{n}", "content": f"{INSULT} ({n})"}))[1]["id"]
           for n in range(2)]
    await call(client, "POST", "/v1/review/claims", json={"count": 2})
    await submit(client, {**comment, "comment_id": "v1", "content": OTHER_INSULT})
    await call(client, "POST", f"/v1/review/items/{ids[1]}/claim")  # renewed: the claim now knows revision 2
    status, body = await call(client, "POST", "/v1/review/decisions",
                              json={"items": ids, "action": "reject", "revisions": {ids[0]: 1, ids[1]: 1}})
    assert status == 200
    results = {result["id"]: result for result in body["results"]}
    assert results[ids[0]]["ok"] is True
    assert results[ids[1]]["ok"] is False and results[ids[1]]["error"]["code"] == "edited"
    status, body = await call(client, "POST", "/v1/review/decisions",
                              json={"items": ids[1:], "action": "reject", "revisions": {ids[1]: "zwei"}})
    assert status == 422 and "revisions" in body["error"]["fields"]


async def test_an_earlier_versions_decision_keeps_its_categories(client, comment) -> None:  # type: ignore[no-untyped-def]
    """What the moderator ticked (insult, profanity) is part of their decision: an edit kept who, when, the
    action and the note of the version it replaced, but dropped the categories."""
    _, held = await submit(client, {**comment, "comment_id": "e9", "content": INSULT})
    await call(client, "POST", f"/v1/review/items/{held['id']}/claim")
    status, decided = await call(client, "POST", f"/v1/review/items/{held['id']}/decision",
                                 json={"action": "reject", "categories": ["insult", "profanity"], "note": "grob"})
    assert status == 200
    await submit(client, {**comment, "comment_id": "e9", "content": OTHER_INSULT})
    await call(client, "POST", f"/v1/review/items/{held['id']}/claim")
    await call(client, "POST", f"/v1/review/items/{held['id']}/decision", json={"action": "approve"})
    await submit(client, {**comment, "comment_id": "e9", "content": FRIENDLY})
    status, item = await call(client, "GET", f"/v1/review/items/{held['id']}")
    assert status == 200
    newer, older = item["earlier_versions"]
    # (the time as kept in the version, a JSON number of 14 digits: to the millisecond, give or take one)
    assert {**older["decided"], "at": None} == {**decided["decided"], "note": "grob", "at": None}
    assert older["decided"]["categories"] == ["insult", "profanity"]
    assert newer["decided"]["action"] == "approve" and newer["decided"]["categories"] == []
