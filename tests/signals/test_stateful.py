"""Signals with memory, end to end through the API against real Redis: flood, reputation, trusted authors,
near-duplicate waves; their state expires and holds no raw identifiers."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from moderation_service.app import create_app
from moderation_service.review import keys
from tests.api.test_comments import INSULT
from tests.conftest import SITES_TOML, auth

SIGNALS_TOML = """
[sites.kommblog.signals]
flood = { max_per_ip = 2, max_per_author = 10, window_seconds = 2 }
duplicates = { min_copies = 3, window_seconds = 5 }
reputation = { trusted_after = 2, ttl_days = 1 }
words = { suspect = ["pills"] }
"""
IP, EMAIL, DOMAIN = "198.51.100.23", "wave@spam.example", "pills-shop.example"
TEXT = "Schöner Artikel über Krisenkommunikation und die Rolle der Pressestellen in Unternehmen."


@pytest.fixture
async def client(aiohttp_client, settings):  # type: ignore[no-untyped-def]
    settings.sites_file.write_text(SITES_TOML + SIGNALS_TOML)
    return await aiohttp_client(create_app(settings))


async def submit(client, n: int, content: str = TEXT, **fields):  # type: ignore[no-untyped-def]
    body = {"site_id": "kommblog", "comment_id": f"c{n}", "content": content, **fields}
    response = await client.post("/v1/comments", json=body, headers=auth("blog"))
    assert response.status == 200
    return await response.json()


def signals(body) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {r["name"]: r for r in body["reasons"] if r["kind"] == "signal"}


async def test_flood_per_ip_holds_and_expires(client) -> None:  # type: ignore[no-untyped-def]
    # Three different comments (near-copies of one would also be a wave of duplicates, a review point more).
    first = await submit(client, 1, author_ip=IP)
    await submit(client, 2, "Zweitens sollte man die Pressestelle früh einbinden, nicht erst danach.", author_ip=IP)
    third = await submit(client, 3, "Noch ein Gedanke: Wer schweigt, überlässt anderen die Deutung.", author_ip=IP)
    assert "flood" not in signals(first)
    assert signals(third)["flood"]["evidence"]["from_ip"] == 3
    assert third["decision"] == "hold"
    assert {"kind": "review", "name": "signals", "value": 1.0, "threshold": 1.0, "effect": "hold"} in third["reasons"]
    await asyncio.sleep(2.2)  # the window ends
    later = await submit(client, 4, f"Später: {TEXT}", author_ip=IP)
    assert "flood" not in signals(later)


async def test_a_resubmitted_comment_is_not_counted_again(client) -> None:  # type: ignore[no-untyped-def]
    # A blog that retries a request (same comment id) four times: no flood for the reader's next comment.
    first = await submit(client, 1, author_ip=IP)
    for _ in range(4):
        again = await submit(client, 1, author_ip=IP)
        assert again["repeated"] is True and again["id"] == first["id"]
    second = await submit(client, 2, f"Noch ein Gedanke: {TEXT}", author_ip=IP)
    assert "flood" not in signals(second)
    third = await submit(client, 3, f"Und noch einer: {TEXT}", author_ip=IP)
    assert signals(third)["flood"]["evidence"]["from_ip"] == 3


async def test_retries_sent_together_are_counted_once(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    # A blog's retry storm: the same request 20 times at once, none of them finding a stored record yet.
    answers = await asyncio.gather(*(submit(client, 1, author_ip=IP) for _ in range(20)))
    assert len({answer["id"] for answer in answers}) == 1
    assert not any("flood" in signals(answer) or "duplicates" in signals(answer) for answer in answers)
    [flood_key] = [key async for key in redis.scan_iter("moderation:{kommblog}:flood:ip:*")]
    assert await redis.get(flood_key) == "1"
    second = await submit(client, 2, f"Noch ein Gedanke: {TEXT}", author_ip=IP)
    assert "flood" not in signals(second)

async def test_spam_verdict_teaches_reputation(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    # A suspect word holds it whatever the model thinks, so a moderator can give the spam verdict.
    held = await submit(client, 1, f"Cheap pills at http://{DOMAIN}/buy now, best prices!!", author_ip=IP,
                        author_email=EMAIL)
    assert held["decision"] == "hold"
    claim = await client.post(f"/v1/review/items/{held['id']}/claim", headers=auth("moderator"))
    assert claim.status == 200
    verdict = await client.post(f"/v1/review/items/{held['id']}/decision", json={"action": "spam"},
                                headers=auth("moderator"))
    assert verdict.status == 200
    later = await submit(client, 2, f"Interessant, mehr dazu auf https://{DOMAIN}/info", author_ip=IP)
    hit = signals(later)["reputation"]
    assert hit["evidence"]["known_spam"] == {"ip": 1, "domain": 1}
    assert hit["spam"] == 6.0
    unrelated = await submit(client, 3, TEXT, author_ip="203.0.113.99")
    assert "reputation" not in signals(unrelated)
    ttl = [await redis.ttl(key) async for key in redis.scan_iter("*:rep:*")]
    assert len(ttl) == 3 and all(0 < t <= 86400 for t in ttl)
    # the author's history (personal data, if keyed) expires as reputation does after their last decision
    history = [await redis.ttl(key) async for key in redis.scan_iter(keys.author("kommblog", "*"))]
    assert len(history) == 1 and 0 < history[0] <= 86400


async def test_authors_become_trusted_after_approvals(client) -> None:  # type: ignore[no-untyped-def]
    author = {"author_email": "Stammleserin@Example.org", "author_name": "Stammleserin"}
    for n in range(2):
        held = await submit(client, n, f"{INSULT} ({n})", **author)
        assert held["decision"] == "hold"
        await client.post(f"/v1/review/items/{held['id']}/claim", headers=auth("moderator"))
        await client.post(f"/v1/review/items/{held['id']}/decision", json={"action": "approve"},
                          headers=auth("moderator"))
    trusted = await submit(client, 9, "Check out my channel!!! Subscribe http://www.youtube.com/user/x",
                           author_email="stammleserin@example.org")
    hit = signals(trusted)["trusted_author"]
    assert hit["spam"] < 0 and hit["evidence"]["approved"] == 2
    assert trusted["decision"] == "publish"


async def test_a_wave_of_near_duplicates_is_detected(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    wave = "Great article!! Visit my page for {} cheap watches and free gifts at best-watches.example"
    bodies = [await submit(client, n, wave.format(word), author_ip=f"192.0.2.{n}")
              for n, word in enumerate(["really", "very", "super", "mega"])]
    assert [("duplicates" in signals(b)) for b in bodies] == [False, False, True, True]
    assert signals(bodies[3])["duplicates"]["evidence"]["similar_recent"] == 3
    other = await submit(client, 10, TEXT)
    assert "duplicates" not in signals(other)
    ttls = [await redis.ttl(key) async for key in redis.scan_iter("*:dup:*")]
    assert ttls and all(0 < t <= 5 for t in ttls)


async def test_no_raw_identifier_is_stored_in_signal_state(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    held = await submit(client, 1, f"Buy at http://{DOMAIN} now!!", author_ip=IP, author_email=EMAIL,
                        author_name="Wave Spammer")
    await client.post(f"/v1/review/items/{held['id']}/claim", headers=auth("moderator"))
    await client.post(f"/v1/review/items/{held['id']}/decision", json={"action": "spam"}, headers=auth("moderator"))
    await submit(client, 2, TEXT, author_ip=IP, author_email=EMAIL)
    checked = 0
    async for key in redis.scan_iter("*"):
        if any(part in key for part in (":rep:", ":flood:", ":dup:", ":author:")):
            checked += 1
            kind = await redis.type(key)
            values = [await redis.get(key)] if kind == "string" else list((await redis.hgetall(key)).items())
            text = f"{key} {values}".lower()
            for raw in (IP, EMAIL, DOMAIN, "198.51.100", "spam.example", "wave spammer"):
                assert raw not in text, key
    assert checked >= 5


async def test_a_spam_verdict_taken_back_teaches_no_reputation(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    held = await submit(client, 1, f"Cheap pills at http://{DOMAIN}/buy now, best prices!!", author_ip=IP,
                        author_email=EMAIL)
    await client.post(f"/v1/review/items/{held['id']}/claim", headers=auth("moderator"))
    await client.post(f"/v1/review/items/{held['id']}/decision", json={"action": "spam"}, headers=auth("moderator"))
    assert [await redis.get(key) async for key in redis.scan_iter("*:rep:*")] == ["1"] * 3
    reopened = await client.post(f"/v1/review/items/{held['id']}/reopen", headers=auth("moderator"))
    assert reopened.status == 200
    assert [await redis.get(key) async for key in redis.scan_iter("*:rep:*")] == ["0"] * 3
    later = await submit(client, 2, f"Interessant, mehr dazu auf https://{DOMAIN}/info", author_ip=IP)
    assert "reputation" not in signals(later)


async def test_an_edit_is_not_judged_by_its_own_earlier_spam_verdict(client) -> None:  # type: ignore[no-untyped-def]
    held = await submit(client, 1, f"Cheap pills at http://{DOMAIN}/buy now, best prices!!", author_ip=IP,
                        author_email=EMAIL)
    await client.post(f"/v1/review/items/{held['id']}/claim", headers=auth("moderator"))
    await client.post(f"/v1/review/items/{held['id']}/decision", json={"action": "spam"}, headers=auth("moderator"))
    edited = await submit(client, 1, TEXT, author_ip=IP, author_email=EMAIL)
    assert edited["revision"] == 2 and "reputation" not in signals(edited)
    assert edited["decision"] == "publish"
    # Other comments from the same address still carry the verdict.
    other = await submit(client, 2, f"{TEXT} Noch etwas.", author_ip=IP, author_email=EMAIL)
    assert signals(other)["reputation"]["evidence"]["known_spam"] == {"ip": 1, "email": 1}


async def test_readers_who_say_the_same_thing_are_held_not_marked_spam(client) -> None:  # type: ignore[no-untyped-def]
    # Three readers thank the author in the same words within the window: without a link it is no campaign.
    thanks = "Vielen Dank für den Artikel, sehr interessant und gut erklärt!"
    bodies = [await submit(client, n, thanks, author_ip=f"192.0.2.{n}") for n in range(3)]
    hit = signals(bodies[2])["duplicates"]
    assert hit["spam"] == 0 and hit["hold"] == 1.0 and hit["evidence"]["linked"] is False
    assert bodies[2]["decision"] == "hold"
    # The same words with the author's website are a campaign's: spam evidence.
    linked = await submit(client, 3, thanks, author_ip="192.0.2.3", author_url="https://seo-agentur.example")
    hit = signals(linked)["duplicates"]
    assert hit["spam"] == 3.0 and hit["hold"] == 0 and hit["evidence"]["linked"] is True
