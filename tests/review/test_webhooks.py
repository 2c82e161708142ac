"""Final decisions reach the blog: signed webhook deliveries from a durable outbox, retried with backoff."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time

import pytest
from aiohttp import web

from moderation_service.app import create_app
from moderation_service.review import keys
from tests.api.test_comments import INSULT
from tests.conftest import SITES_TOML, auth

SECRET = "webhook-secret-0123456789"


class Receiver:
    """A blog endpoint that checks signatures and fails the first ``failures`` deliveries."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[dict] = []  # type: ignore[type-arg]
        self.delivered: list[dict] = []  # type: ignore[type-arg]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers["X-Moderation-Timestamp"]
        expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        signature_ok = hmac.compare_digest(expected, request.headers["X-Moderation-Signature"])
        self.calls.append({"signature_ok": signature_ok, "at": time.time()})
        if not signature_ok or abs(time.time() - int(timestamp)) > 300:
            return web.Response(status=401)
        if len(self.calls) <= self.failures:
            return web.Response(status=503)
        self.delivered.append(json.loads(body))
        return web.Response(status=204)


async def start_receiver(aiohttp_server, receiver: Receiver):  # type: ignore[no-untyped-def]
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    return await aiohttp_server(app)


def webhook_settings(settings, url: str, **overrides):  # type: ignore[no-untyped-def]
    sites = settings.sites_file
    sites.write_text(SITES_TOML.replace(
        'name = "Kommunikationsblog"',
        f'name = "Kommunikationsblog"\nwebhook_url = "{url}"\nwebhook_secret = "{SECRET}"'))
    return settings.with_overrides(**{"webhook_backoff_seconds": 0.05, **overrides})


async def decide_one(client, comment, n: int = 1) -> str:  # type: ignore[no-untyped-def]
    response = await client.post("/v1/comments", json={**comment, "comment_id": f"w{n}", "content": INSULT},
                                 headers=auth("blog"))
    item_id = (await response.json())["id"]
    await client.post(f"/v1/review/items/{item_id}/claim", headers=auth("moderator"))
    decided = await client.post(f"/v1/review/items/{item_id}/decision", json={"action": "reject"},
                                headers=auth("moderator"))
    assert decided.status == 200
    return item_id


async def eventually(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.05)


async def eventually_async(read, expected, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while await read() != expected:
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


async def test_signed_delivery_retried_until_it_succeeds(aiohttp_client, aiohttp_server, settings, comment):  # type: ignore[no-untyped-def]
    receiver = Receiver(failures=2)
    server = await start_receiver(aiohttp_server, receiver)
    client = await aiohttp_client(create_app(webhook_settings(settings, str(server.make_url("/hook")))))
    item_id = await decide_one(client, comment)
    await eventually(lambda: receiver.delivered)
    assert len(receiver.calls) == 3 and all(c["signature_ok"] for c in receiver.calls)
    payload = receiver.delivered[0]
    assert payload["id"] == item_id and payload["status"] == "rejected" and payload["action"] == "reject"
    assert payload["decided_by"] == "mod" and payload["comment_id"] == "w1" and payload["revision"] == 1
    response = await client.get("/v1/ops/deliveries?site_id=kommblog", headers=auth("admin"))
    [delivery] = (await response.json())["sites"]["kommblog"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == "3" and delivery["last_error"] == ""


async def test_a_comment_without_the_blogs_id_has_comment_id_null(aiohttp_client, aiohttp_server, settings,  # type: ignore[no-untyped-def]
                                                                  comment):
    receiver = Receiver()
    server = await start_receiver(aiohttp_server, receiver)
    client = await aiohttp_client(create_app(webhook_settings(settings, str(server.make_url("/hook")))))
    without_id = {key: value for key, value in comment.items() if key != "comment_id"}
    response = await client.post("/v1/comments", json={**without_id, "content": INSULT}, headers=auth("blog"))
    item_id = (await response.json())["id"]
    await client.post(f"/v1/review/items/{item_id}/claim", headers=auth("moderator"))
    await client.post(f"/v1/review/items/{item_id}/decision", json={"action": "approve"}, headers=auth("moderator"))
    await eventually(lambda: receiver.delivered)
    payload = receiver.delivered[0]
    assert payload["id"] == item_id and "comment_id" in payload and payload["comment_id"] is None


async def test_delivery_survives_a_service_restart(aiohttp_client, aiohttp_server, settings, comment):  # type: ignore[no-untyped-def]
    receiver = Receiver(failures=10**6)  # the blog is down while the first service runs
    server = await start_receiver(aiohttp_server, receiver)
    configured = webhook_settings(settings, str(server.make_url("/hook")))
    first = await aiohttp_client(create_app(configured))
    item_id = await decide_one(first, comment)
    await eventually(lambda: len(receiver.calls) >= 1)
    await first.close()  # the service stops with the delivery still owed

    receiver.failures = 0
    receiver.calls.clear()
    await aiohttp_client(create_app(configured))  # a new service process on the same Redis
    await eventually(lambda: receiver.delivered)
    assert receiver.delivered[0]["id"] == item_id


async def first_delivery(client):  # type: ignore[no-untyped-def]
    """The site's first webhook delivery as the operators' API lists it."""
    response = await client.get("/v1/ops/deliveries?site_id=kommblog", headers=auth("admin"))
    return (await response.json())["sites"]["kommblog"][0]


async def status_of(client):  # type: ignore[no-untyped-def]
    return (await first_delivery(client))["status"]


async def test_gives_up_after_max_attempts_and_operator_can_retry(aiohttp_client, aiohttp_server, settings, comment):  # type: ignore[no-untyped-def]
    receiver = Receiver(failures=10**6)
    server = await start_receiver(aiohttp_server, receiver)
    client = await aiohttp_client(create_app(webhook_settings(settings, str(server.make_url("/hook")),
                                                             webhook_max_attempts=2)))
    await decide_one(client, comment)

    await eventually_async(lambda: status_of(client), "failed")
    current = await first_delivery(client)
    assert current["attempts"] == "2" and current["last_error"] == "HTTP 503"
    receiver.failures = 0
    response = await client.post(f"/v1/ops/deliveries/kommblog/{current['id']}/retry", headers=auth("admin"))
    assert response.status == 200
    await eventually(lambda: receiver.delivered)
    # the blog has the payload before the service reads its answer and marks the delivery done
    await eventually_async(lambda: status_of(client), "delivered")
    response = await client.post(f"/v1/ops/deliveries/kommblog/{current['id']}/retry", headers=auth("admin"))
    assert response.status == 409
    assert (await response.json())["error"]["message"] == (
        f"The delivery '{current['id']}' of site 'kommblog' is delivered; only a failed delivery is retried.")


@pytest.mark.parametrize("attempts", [1, 2, 5, 20])
def test_backoff_doubles_and_is_capped(attempts: int) -> None:
    from moderation_service.review.outbox import WebhookPolicy

    policy = WebhookPolicy(backoff_seconds=2.0, backoff_cap_seconds=3600)
    expected = min(3600, 2.0 * 2 ** (attempts - 1))
    assert expected <= policy.delay(attempts) <= min(3600, expected * 1.25)  # an hour apart at most


async def test_a_reopened_decision_is_withdrawn_or_followed_by_a_reopened_event(  # type: ignore[no-untyped-def]
        aiohttp_client, aiohttp_server, settings, comment, redis):
    receiver = Receiver()
    server = await start_receiver(aiohttp_server, receiver)
    client = await aiohttp_client(create_app(webhook_settings(settings, str(server.make_url("/hook")))))
    item_id = await decide_one(client, comment)
    await eventually(lambda: receiver.delivered)
    reopened = await client.post(f"/v1/review/items/{item_id}/reopen", headers=auth("moderator"))
    assert reopened.status == 200
    await eventually(lambda: len(receiver.delivered) == 2)
    decided, reopen = receiver.delivered
    assert decided["event"] == "comment.decided" and decided["status"] == "rejected"
    assert reopen["event"] == "comment.reopened" and reopen["id"] == item_id and reopen["status"] == "pending"
    assert reopen["previous_status"] == "rejected" and reopen["reopened_by"] == "mod" and reopen["revision"] == 1
    assert reopen["comment_id"] == "w1"


async def decided_while_the_blog_is_down(aiohttp_client, aiohttp_server, settings, comment, redis):  # type: ignore[no-untyped-def]
    """A service whose blog answers 503, and a decision whose delivery was tried once (the next try is 30 s
    away, so nothing is in flight)."""
    receiver = Receiver(failures=10**6)
    server = await start_receiver(aiohttp_server, receiver)
    client = await aiohttp_client(create_app(webhook_settings(settings, str(server.make_url("/hook")),
                                                             webhook_backoff_seconds=30)))
    item_id = await decide_one(client, comment)
    await eventually(lambda: receiver.calls)
    [key] = await redis.keys(keys.delivery("kommblog", "*"))
    await eventually_async(lambda: redis.hget(key, "attempts"), "1")
    return client, item_id


async def test_a_decision_the_blog_could_not_take_is_cancelled_when_reopened(  # type: ignore[no-untyped-def]
        aiohttp_client, aiohttp_server, settings, comment, redis):
    client, item_id = await decided_while_the_blog_is_down(aiohttp_client, aiohttp_server, settings, comment, redis)
    await client.post(f"/v1/review/items/{item_id}/reopen", headers=auth("moderator"))
    response = await client.get("/v1/ops/deliveries?site_id=kommblog", headers=auth("admin"))
    deliveries = (await response.json())["sites"]["kommblog"]
    by_event = {d["payload"]["event"]: d for d in deliveries}
    assert by_event["comment.decided"]["status"] == "cancelled"
    assert by_event["comment.reopened"]["status"] == "pending"


async def test_a_deleted_comment_gets_no_decision_delivered_afterwards(  # type: ignore[no-untyped-def]
        aiohttp_client, aiohttp_server, settings, comment, redis):
    """A decision delivered after the blog deleted the comment could bring it back (WordPress restores an
    approved comment from the bin)."""
    client, item_id = await decided_while_the_blog_is_down(aiohttp_client, aiohttp_server, settings, comment, redis)
    response = await client.delete(f"/v1/comments/{item_id}", headers=auth("blog"))
    assert response.status == 200
    response = await client.get("/v1/ops/deliveries?site_id=kommblog", headers=auth("admin"))
    [delivery] = (await response.json())["sites"]["kommblog"]
    assert delivery["status"] == "cancelled" and delivery["last_error"] == "the comment was deleted"


async def test_deliveries_older_than_the_list_keeps_leave_redis(  # type: ignore[no-untyped-def]
        aiohttp_client, aiohttp_server, settings, comment, redis):
    """A delivery pruned from the operators' list by age goes from Redis too: its payload names the blog's
    comment (and a WordPress error its author), long after the comment's record has expired."""
    from moderation_service.review.outbox import KEEP_DELIVERIES_SECONDS

    receiver = Receiver()
    server = await start_receiver(aiohttp_server, receiver)
    client = await aiohttp_client(create_app(webhook_settings(settings, str(server.make_url("/hook")))))
    await decide_one(client, comment, 1)
    await eventually(lambda: len(receiver.delivered) == 1)
    [old] = await redis.zrange(keys.deliveries("kommblog"), 0, -1)
    await redis.zadd(keys.deliveries("kommblog"), {old: time.time() - KEEP_DELIVERIES_SECONDS - 60})
    await decide_one(client, comment, 2)
    await eventually(lambda: len(receiver.delivered) == 2)
    await eventually_async(lambda: redis.exists(keys.delivery("kommblog", old)), 0)
    assert old not in await redis.zrange(keys.deliveries("kommblog"), 0, -1)
    await eventually_async(lambda: status_of(client), "delivered")
    response = await client.get("/v1/ops/deliveries?site_id=kommblog", headers=auth("admin"))
    [recent] = (await response.json())["sites"]["kommblog"]
    assert recent["id"] != old


async def test_a_redirect_is_no_delivery(aiohttp_client, aiohttp_server, settings, comment):  # type: ignore[no-untyped-def]
    """A hook that moved (http to https, say) answers 301/302: following it turns the POST into a GET, so the
    blog never hears the decision; the attempt fails, naming where the hook points, and is retried."""
    landed: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/moved-here")

    async def landing(request: web.Request) -> web.Response:
        landed.append(request.method)
        return web.Response(text="a page, not the hook")

    app = web.Application()
    app.router.add_post("/hook", moved)
    app.router.add_route("*", "/moved-here", landing)
    server = await aiohttp_server(app)
    client = await aiohttp_client(create_app(webhook_settings(settings, str(server.make_url("/hook")),
                                                             webhook_max_attempts=1)))
    await decide_one(client, comment)

    async def delivery():  # type: ignore[no-untyped-def]
        return await first_delivery(client)

    deadline = time.monotonic() + 10
    while (current := await delivery())["status"] == "pending":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert current["status"] == "failed" and not landed
    assert current["last_error"].startswith("HTTP 302") and "/moved-here" in current["last_error"]
