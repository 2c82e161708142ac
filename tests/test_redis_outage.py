"""Redis goes away: the service keeps answering, spools what it must keep, and delivers it when Redis is back."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from redis.asyncio import Redis

from moderation_service.app import create_app
from moderation_service.appkeys import LABELS, REDIS, SPOOL
from moderation_service.review import keys
from moderation_service.review.labels import labelled_example
from moderation_service.settings import Settings
from tests.api.test_comments import INSULT
from tests.conftest import auth
from tests.redis_server import RedisServer


async def wait_until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.1)


async def readyz(client):  # type: ignore[no-untyped-def]
    return await (await client.get("/readyz", headers=auth("monitor"))).json()


async def test_outage_spools_held_comment_and_delivers_it_when_redis_returns(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, private_redis: RedisServer, comment
):
    client = await aiohttp_client(create_app(settings.with_overrides(redis_url=private_redis.url)))
    before = await client.post("/v1/comments", json=comment, headers=auth("blog"))
    assert (await before.json())["spooled"] is False
    assert (await readyz(client))["status"] == "ok"

    private_redis.stop()
    held = {**comment, "comment_id": "during-outage", "content": INSULT}
    response = await client.post("/v1/comments", json=held, headers=auth("blog"))
    assert response.status == 200
    body = await response.json()
    assert body["decision"] == "hold" and body["spooled"] is True and body["review_item_id"] == body["id"]
    published = await client.post("/v1/comments", json={**comment, "comment_id": "p2"}, headers=auth("blog"))
    assert (await published.json())["decision"] == "publish"

    ready = await readyz(client)
    assert ready["status"] == "degraded"
    assert ready["checks"]["redis"]["ok"] is False and ready["checks"]["redis"]["error"]
    assert ready["checks"]["spool"] == {"pending": 2, "rejected": 0}
    lookup = await client.get(f"/v1/comments/{body['id']}", headers=auth("blog"))
    assert lookup.status == 503
    assert (await lookup.json())["error"]["code"] == "storage_unavailable"

    private_redis.start()

    async def recovered() -> bool:
        state = await readyz(client)
        return state["status"] == "ok" and state["checks"]["spool"]["pending"] == 0

    await wait_until(recovered)
    direct = Redis.from_url(private_redis.url, decode_responses=True)
    assert await direct.zrange(keys.pending("kommblog"), 0, -1) == [body["id"]]
    await direct.aclose()
    fetched = await client.get(f"/v1/comments/{body['id']}", headers=auth("blog"))
    assert (await fetched.json())["status"] == "pending"


async def test_readyz_asks_redis_instead_of_remembering_the_last_request(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, private_redis: RedisServer
):
    client = await aiohttp_client(create_app(settings.with_overrides(redis_url=private_redis.url)))
    assert (await readyz(client))["status"] == "ok"
    private_redis.stop()  # and nothing else happens: no comment, no scrape
    ready = await readyz(client)
    assert ready["status"] == "degraded" and ready["checks"]["redis"]["ok"] is False
    private_redis.start()
    await wait_until(lambda: _status_is(client, "ok"))


async def test_redis_that_keeps_nothing_is_reported_when_it_comes_up_after_the_service(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, tmp_path
):
    # Not running when the service starts; once up, it keeps nothing on disk (no AOF, no snapshots).
    server = RedisServer(directory=tmp_path / "later", appendonly=False)
    client = await aiohttp_client(create_app(settings.with_overrides(redis_url=server.url)))
    assert (await readyz(client))["checks"]["redis"]["warnings"] == []
    server.start()
    try:
        await wait_until(lambda: _status_is(client, "ok"))
        warnings = (await readyz(client))["checks"]["redis"]["warnings"]
        assert any("keeps nothing on disk" in warning for warning in warnings)
    finally:
        server.stop()


async def _status_is(client, status: str) -> bool:  # type: ignore[no-untyped-def]
    return bool((await readyz(client))["status"] == status)


async def test_service_starts_and_answers_while_redis_is_down(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, tmp_path, comment
):
    from tests.redis_server import free_port

    client = await aiohttp_client(create_app(settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}")))
    ready = await readyz(client)
    assert ready["status"] == "degraded"
    response = await client.post("/v1/comments", json=comment, headers=auth("blog"))
    assert response.status == 200 and (await response.json())["spooled"] is True


async def test_records_spooled_by_an_earlier_run_are_delivered_at_start(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, redis: Redis, comment
):
    from moderation_service.comments import Comment
    from moderation_service.decisions import Evaluator
    from moderation_service.live_model import ModelHolder
    from moderation_service.review.spool import Spool
    from moderation_service.sites import load_sites

    evaluator = Evaluator(ModelHolder.load(settings.model_dir), load_sites(settings.sites_file))
    record = evaluator.evaluate(Comment(**{**comment, "comment_id": "old-run", "content": INSULT}))
    old_process_spool = Spool(settings.spool_dir, "spool-of-a-process-that-exited")
    await old_process_spool.put(record)
    await old_process_spool.close()

    client = await aiohttp_client(create_app(settings))

    async def delivered() -> bool:
        return await redis.zrange(keys.pending("kommblog"), 0, -1) == [record.id]

    await wait_until(delivered)
    assert (await readyz(client))["checks"]["spool"]["pending"] == 0


@pytest.mark.parametrize(("refuse", "lift", "error"), [
    (("CONFIG", "SET", "maxmemory", "1"), ("CONFIG", "SET", "maxmemory", "0"), "OutOfMemoryError"),
    (("REPLICAOF", "127.0.0.1", "PORT"), ("REPLICAOF", "NO", "ONE"), "ReadOnlyError"),
], ids=["memory-full", "read-only-replica"])
async def test_redis_that_refuses_writes_counts_as_down_and_nothing_is_lost(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, private_redis: RedisServer, comment, refuse, lift, error
):
    """Redis answers PING but refuses to keep anything (maxmemory reached, or a failover left the service on
    a replica): the held comment is spooled, /readyz names the refusal, and once Redis takes writes again
    the comment reaches the review queue."""
    from tests.redis_server import free_port

    client = await aiohttp_client(create_app(settings.with_overrides(redis_url=private_redis.url)))
    direct = Redis.from_url(private_redis.url, decode_responses=True)
    assert (await (await client.post("/v1/comments", json=comment, headers=auth("blog"))).json())["spooled"] is False

    await direct.execute_command(*(str(free_port()) if word == "PORT" else word for word in refuse))
    held = {**comment, "comment_id": "refused", "content": INSULT}
    response = await client.post("/v1/comments", json=held, headers=auth("blog"))
    assert response.status == 200
    body = await response.json()
    assert body["decision"] == "hold" and body["spooled"] is True
    ready = await readyz(client)
    assert ready["status"] == "degraded" and ready["checks"]["redis"]["error"].startswith(error)
    assert ready["checks"]["spool"]["pending"] == 1

    await direct.execute_command(*lift)

    async def recovered() -> bool:
        state = await readyz(client)
        return state["status"] == "ok" and state["checks"]["spool"]["pending"] == 0

    await wait_until(recovered)
    assert await direct.zrange(keys.pending("kommblog"), 0, -1) == [body["id"]]
    await direct.aclose()


async def test_review_api_answers_503_while_redis_is_down(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, private_redis: RedisServer
):
    client = await aiohttp_client(create_app(settings.with_overrides(redis_url=private_redis.url)))
    assert (await client.get("/v1/review/items", headers=auth("moderator"))).status == 200
    private_redis.stop()
    response = await client.get("/v1/review/items", headers=auth("moderator"))
    assert response.status == 503
    error = (await response.json())["error"]
    assert error["code"] == "storage_unavailable" and "retry" in error["message"]


async def test_readyz_warns_of_a_redis_configured_to_lose_records(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, private_redis: RedisServer
):
    """Held comments live in Redis: a Redis that evicts keys when full, or keeps nothing on disk, loses them.
    The service says so at start (log and /readyz), and stays ready: it is the operator's call."""
    configured = settings.with_overrides(redis_url=private_redis.url)
    client = await aiohttp_client(create_app(configured))  # the test server: append-only file on, no eviction
    assert (await readyz(client))["checks"]["redis"]["warnings"] == []

    direct = Redis.from_url(private_redis.url, decode_responses=True)
    await direct.config_set("maxmemory-policy", "allkeys-lru")
    await direct.config_set("appendonly", "no")
    await direct.config_set("save", "")
    await direct.aclose()
    client = await aiohttp_client(create_app(configured))
    ready = await readyz(client)
    assert ready["status"] == "ok"
    eviction, persistence = ready["checks"]["redis"]["warnings"]
    assert "maxmemory-policy allkeys-lru" in eviction and "noeviction" in eviction
    assert "keeps nothing on disk" in persistence and "appendonly yes" in persistence


async def test_label_export_is_503_or_visibly_cut_never_short_and_complete(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, private_redis: RedisServer
):
    """Redis away when the export starts: a 503. Away in the middle (between two sites' streams here): the
    answer has begun, so the connection is broken off and the client sees an incomplete body; before, the
    answer hung until the client gave up."""
    app = create_app(settings.with_overrides(redis_url=private_redis.url))
    client = await aiohttp_client(app)
    store = app[LABELS]
    for site in ("kommblog", "otherblog"):
        await store.add(labelled_example("Danke!", {"spam": 0}, source="moderator", comment={"site_id": site}))
    complete = await client.get("/v1/ops/labels", headers=auth("admin"))
    assert len((await complete.text()).splitlines()) == 2

    examples = store.examples

    async def outage_after_the_first(site_id=None, since="-"):  # type: ignore[no-untyped-def]
        async for entry in examples(site_id, since):
            yield entry
            private_redis.stop()  # a real outage, at a moment the test chooses

    store.examples = outage_after_the_first
    response = await client.get("/v1/ops/labels", headers=auth("admin"))
    assert response.status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        await asyncio.wait_for(response.read(), 10)  # a hang (the bug) fails in 10 s

    response = await client.get("/v1/ops/labels", headers=auth("admin"))  # Redis still away: nothing has begun
    assert response.status == 503
    assert (await response.json())["error"]["code"] == "storage_unavailable"


async def test_redis_down_and_spool_full_is_503_saying_nothing_was_kept(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, comment
):
    """The spool is the last place a comment can be kept: when it cannot take one either (a full disk, here
    SQLite's own page limit), the blog hears that nothing was kept (it was a 500 before), and its retry is
    kept once there is room again."""
    from tests.redis_server import free_port

    app = create_app(settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}"))
    client = await aiohttp_client(app)
    spool = app[SPOOL]
    first = await client.post("/v1/comments", json=comment, headers=auth("blog"))
    assert (await first.json())["spooled"] is True
    pages = spool._own().execute("PRAGMA page_count").fetchone()[0]
    spool._own().execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: "database or disk is full"

    held = {**comment, "comment_id": "no-room", "content": INSULT * 40}
    response = await client.post("/v1/comments", json=held, headers=auth("blog"))
    assert response.status == 503
    error = (await response.json())["error"]
    assert error["code"] == "storage_unavailable" and "nothing was kept" in error["message"]
    assert await spool.pending() == 1

    spool._own().execute("PRAGMA max_page_count = 1073741823")
    retried = await client.post("/v1/comments", json=held, headers=auth("blog"))
    assert retried.status == 200 and (await retried.json())["spooled"] is True
    assert await spool.pending() == 2


async def test_a_database_the_server_lacks_stops_the_start_with_what_to_fix(settings: Settings) -> None:
    from aiohttp import web

    from moderation_service.app import redis_ctx
    from moderation_service.appkeys import SETTINGS
    from moderation_service.exceptions import ConfigurationError

    app = web.Application()  # the Redis resource alone: a failed start of the whole app leaves others open
    app[SETTINGS] = settings.with_overrides(redis_url=settings.redis_url.rsplit("/", 1)[0] + "/99")  # of 16
    with pytest.raises(ConfigurationError) as refused:
        await redis_ctx(app).__anext__()
    assert str(refused.value).startswith("REDIS_URL: the Redis server refuses it: DB index is out of range")
    assert "below the server's 'databases' setting" in str(refused.value)


async def test_a_wordpress_recheck_naming_its_record_is_answered_while_redis_is_down(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, private_redis: RedisServer
):
    """The must-use plugin names the comment's record: with Redis away it is answered as any comment then is
    (scored, spooled), not refused."""
    from tests.protocols.test_akismet_wordpress import STORED, TYPED, form, recheck

    client = await aiohttp_client(create_app(settings.with_overrides(redis_url=private_redis.url)))
    first = await client.post("/1.1/comment-check", data=form(TYPED))
    item_id = first.headers["X-akismet-guid"]
    private_redis.stop()
    # as WordPress stored it, read differently: without the name, another comment (the must-use plugin's case)
    again = await client.post("/1.1/comment-check", data=recheck(f"{STORED} <3 -> ja", moderation_service_id=item_id))
    assert again.status == 200 and await again.text() == "true"
    assert again.headers["X-Moderation-Decision"] == "hold" and again.headers["X-akismet-guid"] == item_id
    assert "X-Moderation-Id" not in again.headers  # answered, not kept: it is kept already
    private_redis.start()

    async def back() -> bool:
        return (await readyz(client))["status"] == "ok" and not (await readyz(client))["checks"]["spool"]["pending"]

    await wait_until(back)
    items = await (await client.get("/v1/review/items?site_id=kommblog", headers=auth("moderator"))).json()
    assert [item["id"] for item in items["items"]] == [item_id]  # waiting once, not twice


async def test_connections_that_a_redis_restart_broke_are_not_taken_for_an_outage(  # type: ignore[no-untyped-def]
    aiohttp_client, settings: Settings, private_redis: RedisServer, comment
):
    # Requests in flight together leave several connections in the pool; Redis restarts (quickly, between
    # requests). A pooled connection is broken then, and found so only when used: that is no outage, and the
    # comments that come next are stored in Redis, with every signal, not spooled.
    app = create_app(settings.with_overrides(redis_url=private_redis.url))
    client = await aiohttp_client(app)
    await asyncio.gather(*[app[REDIS].execute_command("DEBUG", "SLEEP", "0.05") for _ in range(8)])
    private_redis.stop()
    private_redis.start()
    for n in range(4):
        response = await client.post("/v1/comments", json={**comment, "comment_id": f"after-restart-{n}"},
                                     headers=auth("blog"))
        assert response.status == 200 and (await response.json())["spooled"] is False
    assert (await readyz(client))["checks"]["spool"]["pending"] == 0
