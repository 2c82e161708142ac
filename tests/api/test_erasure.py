"""POST /v1/comments/{id}/erase-personal-data: someone asked the blog to erase their data. The comment's record
keeps its text, status, decision, scores and place in the queue, and loses who wrote it: name, e-mail, website,
IP address, browser, referrer, in every version, and the keyed hashes that tied it to them."""

from __future__ import annotations

from typing import Any

from moderation_service.review import keys
from tests.api.test_comments import INSULT, submit
from tests.api.test_reopen import decide
from tests.api.test_review import call, hold
from tests.conftest import auth

#: What the person gave (or their browser sent), each value found nowhere else in a test's Redis.
#: Where decisions count for a person: reputation counters and author histories (keyed hashes).
REPUTATION, HISTORY = keys.reputation_prefix("kommblog") + "*", keys.author("kommblog", "*")
PERSONAL = {"author_name": "Jana Weber", "author_email": "jana@example.org", "author_url": "https://jana.example.org",
            "author_ip": "203.0.113.7", "user_agent": "JanasBrowser/1.0", "referrer": "https://suche.example/?q=jana"}


async def erase(client: Any, item_id: str, role: str = "blog") -> tuple[int, Any]:
    return await call(client, "POST", f"/v1/comments/{item_id}/erase-personal-data", role=role)


async def everything_in(redis: Any) -> str:
    """Every key, field, member and value of the test's Redis database, as one text."""
    found = []
    for key in await redis.keys("*"):
        kind = await redis.type(key)
        if kind == "hash":
            value: Any = await redis.hgetall(key)
        elif kind == "stream":
            value = await redis.xrange(key)
        elif kind == "zset":
            value = await redis.zrange(key, 0, -1)
        elif kind == "set":
            value = sorted(await redis.smembers(key))
        elif kind == "list":
            value = await redis.lrange(key, 0, -1)
        else:
            value = await redis.get(key)
        found.append(f"{key} {value}")
    return "\n".join(found)


def kept_personal_data(text: str) -> list[str]:
    return [name for name, value in PERSONAL.items() if value in text]


async def test_a_held_comment_waits_on_without_its_author(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    comment = {**comment, **PERSONAL}
    item_id = await hold(client, comment, 1)
    assert kept_personal_data(await everything_in(redis)) == list(PERSONAL)
    _, before = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert before["author_key"] and await redis.keys("*:pending:author:*")

    status, body = await erase(client, item_id)
    assert status == 200, body
    assert body["id"] == item_id and body["status"] == "pending" and body["erased_at"].endswith("Z")
    assert body["erased_fields"] == sorted(PERSONAL)
    assert kept_personal_data(await everything_in(redis)) == []
    assert await redis.keys("*:pending:author:*") == []  # no longer filed under the person's keyed hash

    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["comment"]["content"] == before["comment"]["content"] and item["scores"] == before["scores"]
    assert item["reasons"] == before["reasons"] and item["revision"] == 1
    assert not set(item["comment"]) & set(PERSONAL) and item["author_key"] is None
    assert item["personal_data_erased_at"] == body["erased_at"]
    _, queue = await call(client, "GET", "/v1/review/items?site_id=kommblog")
    assert [waiting["id"] for waiting in queue["items"]] == [item_id]  # in its place, still to be moderated
    decided = await decide(client, item_id, "reject")
    assert decided["status"] == "rejected" and decided["author_history"] == {"approved": 0, "rejected": 0, "spam": 0}
    _, seen = await call(client, "GET", f"/v1/comments/{item_id}", role="blog")
    assert seen["status"] == "rejected" and seen["decided_by"] == "mod"  # the blog still hears the decision
    assert await redis.keys(HISTORY) == []  # an anonymous comment's decision adds to nobody's history
    assert kept_personal_data(await everything_in(redis)) == []


async def test_an_erasure_is_done_once_and_audited_once(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, {**comment, **PERSONAL}, 1)
    _, first = await erase(client, item_id)
    status, again = await erase(client, item_id)
    assert status == 200 and again == {**first, "erased_fields": []}
    _, audit = await call(client, "GET", "/v1/review/audit?site_id=kommblog")
    erasures = [entry for entry in audit["entries"] if entry["action"] == "erase_personal_data"]
    assert len(erasures) == 1 and erasures[0]["actor"] == "kommblog"
    assert erasures[0]["after"] == {"status": "pending", "erased_fields": sorted(PERSONAL)}  # names, no values


async def test_what_a_decision_counted_for_the_person_is_taken_back(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    """A spam verdict raised the reputation of the comment's IP and e-mail address and the author's history
    (keyed hashes): the erasure takes them back; the verdict, its label and its audit entry stay."""
    item_id = await hold(client, {**comment, **PERSONAL}, 1)
    await decide(client, item_id, "spam")
    reputation = await redis.keys(REPUTATION)
    assert len(reputation) >= 2 and await redis.keys(HISTORY)
    status, body = await erase(client, item_id)
    assert status == 200 and body["status"] == "spam"
    assert await redis.keys(REPUTATION) == [] and await redis.keys(HISTORY) == []
    assert await redis.xlen(keys.labels("kommblog")) == 1
    _, seen = await call(client, "GET", f"/v1/comments/{item_id}", role="blog")
    assert seen["status"] == "spam" and seen["decided_by"] == "mod"
    status, reopened = await call(client, "POST", f"/v1/review/items/{item_id}/reopen")
    assert status == 200 and reopened["status"] == "pending"  # taken back once, not twice
    assert await redis.keys(REPUTATION) == [] and await redis.xlen(keys.labels("kommblog")) == 0


async def test_an_other_authors_counts_stay(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    erased = await hold(client, {**comment, **PERSONAL}, 1)
    other = await hold(client, {**comment, "author_name": "Kai", "author_email": "kai@example.org"}, 2)
    for item_id in (erased, other):
        await decide(client, item_id, "approve")
    await erase(client, erased)
    [history] = await redis.keys(HISTORY)
    assert await redis.hgetall(history) == {"approved": "1"}
    _, item = await call(client, "GET", f"/v1/review/items/{other}")
    assert item["author_history"]["approved"] == 1 and item["comment"]["author_name"] == "Kai"


async def test_the_earlier_versions_of_an_edited_comment_lose_their_author_too(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, {**comment, **PERSONAL}, 1)
    _, edited = await submit(client, {**comment, **PERSONAL, "comment_id": "h1", "content": f"{INSULT}, wirklich"})
    assert edited["revision"] == 2
    status, body = await erase(client, item_id)
    assert status == 200 and body["erased_fields"] == sorted(PERSONAL)
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    [earlier] = item["earlier_versions"]
    assert earlier["comment"]["content"] == f"{INSULT} (1)" and not set(earlier["comment"]) & set(PERSONAL)
    assert kept_personal_data(await everything_in(redis)) == []


async def test_the_comment_sent_again_as_it_was_brings_nothing_back(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    """A blog's retry of the comment as first sent is the same version: answered from the record, kept as it is."""
    item_id = await hold(client, {**comment, **PERSONAL}, 1)
    await erase(client, item_id)
    status, again = await submit(client, {**comment, **PERSONAL, "comment_id": "h1", "content": f"{INSULT} (1)"})
    assert status == 200 and again["id"] == item_id and again["repeated"] is True
    assert kept_personal_data(await everything_in(redis)) == []


async def test_an_edit_after_the_erasure_is_kept_as_the_blog_sends_it(client, comment, redis) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, {**comment, **PERSONAL}, 1)
    await erase(client, item_id)
    _, edited = await submit(client, {**comment, "author_name": "Anonym", "author_email": "", "comment_id": "h1",
                                      "content": f"{INSULT}, wirklich"})
    assert edited["revision"] == 2
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["comment"]["author_name"] == "Anonym" and item["personal_data_erased_at"] is None
    assert not set(item["earlier_versions"][0]["comment"]) & set(PERSONAL)


async def test_who_may_erase_and_what_is_refused(client, comment) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, {**comment, **PERSONAL}, 1)
    for role in ("other_blog", "moderator", "monitor"):
        status, body = await erase(client, item_id, role=role)
        assert status == 403, role
    response = await client.post(f"/v1/comments/{item_id}/erase-personal-data")
    assert response.status == 401
    status, body = await erase(client, "kommblog:zzzzzzzzzzzzzzzz")
    assert status == 404 and body["error"]["code"] == "not_found"
    message = body["error"]["message"]
    assert "'id' that POST /v1/comments answered" in message and "POST /v1/ops/labels/erase" in message
    status, body = await erase(client, "4711")
    assert status == 404 and "'id' the service answered" in body["error"]["message"]
    status, body = await erase(client, item_id, role="admin")
    assert status == 200 and body["erased_fields"] == sorted(PERSONAL)


async def test_a_deleted_comment_has_nothing_left_to_erase(client, comment) -> None:  # type: ignore[no-untyped-def]
    item_id = await hold(client, {**comment, **PERSONAL}, 1)
    response = await client.delete(f"/v1/comments/{item_id}", headers=auth("blog"))
    assert response.status == 200
    status, body = await erase(client, item_id)
    assert status == 404 and "was deleted" in body["error"]["message"]


def test_personal_fields_are_every_field_of_the_person() -> None:
    from moderation_service.comments import COMMENT_FIELDS
    from moderation_service.labels import LABELLED_COMMENT_FIELDS
    from moderation_service.review.erasure import PERSONAL_FIELDS

    assert set(PERSONAL) <= set(PERSONAL_FIELDS) <= set(COMMENT_FIELDS)
    assert not set(PERSONAL_FIELDS) & set(LABELLED_COMMENT_FIELDS)  # labels never held them


async def test_a_record_waiting_in_a_spool_is_erased_as_it_arrives(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, comment, redis) -> None:
    """Redis was away for the worker that judged the comment: its record waits in that worker's spool when the
    erasure reaches a worker that has Redis. Nothing to erase yet (a 404, and the plugin drops it as ``unknown``),
    but the request is not lost: the record delivered later is stored without the person."""
    from tests.api.test_blog_decision import drain, spooling_pair

    served, away = await spooling_pair(aiohttp_client, settings)
    response = await away.post("/v1/comments", json={**comment, **PERSONAL, "content": INSULT}, headers=auth("blog"))
    held = await response.json()
    assert held["spooled"] is True and held["decision"] == "hold"
    status, body = await erase(served, held["id"])
    assert status == 404 and "spool" in body["error"]["message"]
    assert await drain(served) == 1
    _, item = await call(served, "GET", f"/v1/review/items/{held['id']}")
    assert item["status"] == "pending" and item["comment"]["content"] == INSULT
    assert not set(item["comment"]) & set(PERSONAL) and item["personal_data_erased_at"]
    assert kept_personal_data(await everything_in(redis)) == []
    assert await redis.keys("*:pending:author:*") == []


async def test_an_edit_sent_before_the_erasure_and_delivered_after_it_is_erased(  # type: ignore[no-untyped-def]
        aiohttp_client, settings, comment, redis) -> None:
    """An edit waits in a spool while the stored version is erased; delivered afterwards it must not bring the
    person back (it was sent before they asked). An edit sent after the erasure is kept as sent (see above)."""
    from tests.api.test_blog_decision import drain, spooling_pair

    served, away = await spooling_pair(aiohttp_client, settings)
    item_id = await hold(served, {**comment, **PERSONAL}, 1)
    edit = {**comment, **PERSONAL, "comment_id": "h1", "content": f"{INSULT}, wirklich"}
    response = await away.post("/v1/comments", json=edit, headers=auth("blog"))
    assert (await response.json())["spooled"] is True
    status, _ = await erase(served, item_id)
    assert status == 200
    assert await drain(served) == 1
    _, item = await call(served, "GET", f"/v1/review/items/{item_id}")
    assert item["revision"] == 2 and item["comment"]["content"] == f"{INSULT}, wirklich"
    assert not set(item["comment"]) & set(PERSONAL) and item["personal_data_erased_at"]
    assert kept_personal_data(await everything_in(redis)) == []


async def test_the_blogs_corrections_before_and_after_an_erasure_are_of_one_comment(  # type: ignore[no-untyped-def]
        client, comment, redis) -> None:
    """The model published the comment; the blog corrected it to spam, its author's data was erased, and the blog
    approved it after all: its last word is the one example, as without the erasure. Until 2026-11-28 the
    erasure changed the name the corrections are kept under (a hash of name, e-mail and website with the text):
    the approval did not replace the spam correction, and both trained; a retry after it was a second label."""
    from tests.api.test_blog_decision import FRIENDLY, tell
    from tests.protocols.conftest import labels_of

    response = await client.post("/v1/comments", json={**comment, **PERSONAL, "comment_id": "p1", "content": FRIENDLY},
                                 headers=auth("blog"))
    published = await response.json()
    assert published["decision"] == "publish"
    status, body = await tell(client, published["id"], "spam")
    assert status == 200 and body["applied"] == "labelled"
    assert (await erase(client, published["id"]))[0] == 200
    status, body = await tell(client, published["id"], "spam")  # the blog's retry: kept before, no second label
    assert status == 200 and [e["labels"] for e in await labels_of(client)] == [{"spam": 1}]
    status, body = await tell(client, published["id"], "approve")
    assert status == 200 and body["applied"] == "labelled"
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 0, "toxicity": 0}]


async def test_a_correction_kept_after_an_erasure_by_an_earlier_release_is_still_the_comments(  # type: ignore[no-untyped-def]
        client, comment, redis) -> None:
    """Releases before 2026-11-28 kept a correction made after the erasure under the erased comment's version:
    the blog's later word replaces it all the same (one example), and a retry of it moves it, not doubles it."""
    from moderation_service.appkeys import LABELS, STORE
    from moderation_service.review.labels import labelled_example
    from tests.api.test_blog_decision import FRIENDLY, tell
    from tests.protocols.conftest import labels_of

    response = await client.post("/v1/comments", json={**comment, **PERSONAL, "comment_id": "p1", "content": FRIENDLY},
                                 headers=auth("blog"))
    item_id = (await response.json())["id"]
    assert (await erase(client, item_id))[0] == 200
    erased = await client.server.app[STORE].get(item_id)
    assert erased is not None and erased.version != erased.comment.version()
    example = labelled_example(FRIENDLY, {"spam": 1}, source="blog", labelled_by="kommblog",
                               comment=erased.comment.as_dict())
    assert await client.server.app[LABELS].add_correction(example, item_id, f"spam:{erased.comment.version()}", 3600)
    status, body = await tell(client, item_id, "spam")  # the same word again: moved under today's name
    assert status == 200 and [e["labels"] for e in await labels_of(client)] == [{"spam": 1}]
    status, body = await tell(client, item_id, "approve")
    assert status == 200 and [e["labels"] for e in await labels_of(client)] == [{"spam": 0, "toxicity": 0}]
