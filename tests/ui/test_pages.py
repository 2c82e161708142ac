"""The UI's pages, sessions and files over plain HTTP (no browser): headers, cookies, redirects, refusals."""

from __future__ import annotations

import asyncio
import json
import re
import time
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from types import SimpleNamespace

import pytest
from redis.asyncio import Redis

from moderation_service.app import create_app
from moderation_service.comments import Status
from moderation_service.model.attributes import ATTRIBUTES
from moderation_service.policy import Decision
from moderation_service.review import keys
from moderation_service.review.queue import Action
from moderation_service.settings import Settings
from moderation_service.ui import sessions
from moderation_service.ui.i18n import LANGUAGES, load_strings
from moderation_service.ui.resources import CONTENT_SECURITY_POLICY, PACKAGE, UI_OPTIONS, UiOptions
from tests.conftest import KEYS, ROOT, auth

SESSION = "moderation_session"


async def sign_in(client, role: str = "moderator", **headers: str):  # type: ignore[no-untyped-def]
    return await client.post("/moderate/sign-in", data={"key": KEYS[role]}, allow_redirects=False, headers=headers)


async def signed_in(client, role: str = "moderator") -> str:  # type: ignore[no-untyped-def]
    """Sign in; returns the page's CSRF token (the client keeps the cookie)."""
    response = await sign_in(client, role)
    assert response.status == 303
    page = await (await client.get("/moderate")).text()
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert match is not None
    return match.group(1)


def scripts_of(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html)


async def test_pages_forbid_inline_script_and_framing(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/moderate/sign-in")
    assert response.status == 200 and response.content_type == "text/html"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["Cache-Control"] == "no-store"
    assert scripts_of(await response.text()) == []
    await signed_in(client)
    page = await client.get("/moderate")
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for tag in scripts_of(await page.text()):  # only files, and one JSON data block that never runs
        assert re.search(r'src="/moderate/static/[a-z]+\.js\?v=[0-9a-f]{12}"', tag) or 'type="application/json"' in tag


async def test_static_files_are_versioned_and_cached(client) -> None:  # type: ignore[no-untyped-def]
    page = await (await client.get("/moderate/sign-in")).text()
    css = re.search(r'href="(/moderate/static/moderate\.css\?v=[0-9a-f]+)"', page)
    assert css is not None
    response = await client.get(css.group(1))
    assert response.status == 200 and response.content_type == "text/css"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    script = await client.get("/moderate/static/queue.js")
    assert script.content_type == "text/javascript" and script.headers["Cache-Control"] == "no-cache"
    again = await client.get("/moderate/static/queue.js", headers={"If-None-Match": script.headers["ETag"]})
    assert again.status == 304
    assert (await client.get("/moderate/static/../pages.py")).status == 404
    assert (await client.get("/moderate/static/missing.js")).status == 404


async def test_session_cookie_and_what_redis_keeps(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    response = await sign_in(client)
    assert response.status == 303 and response.headers["Location"] == "/moderate"
    cookie = response.cookies[SESSION]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and not cookie["secure"] and cookie["path"] == "/"
    [stored] = [k async for k in redis.scan_iter(keys.session("*"))]
    assert cookie.value not in stored
    session = await redis.hgetall(stored)
    assert set(session) == {"key", "csrf", "created_at"} and KEYS["moderator"] not in json.dumps(session)
    assert 8 * 3600 - 5 < await redis.ttl(stored) <= 8 * 3600
    behind_proxy = await sign_in(client, **{"X-Forwarded-Proto": "https"})
    assert behind_proxy.cookies[SESSION]["secure"]


async def test_cookies_can_be_secure_whatever_the_proxy_says(aiohttp_client,  # type: ignore[no-untyped-def]
                                                              settings: Settings) -> None:
    """Behind a TLS proxy that sends no X-Forwarded-Proto the service sees plain http: with
    MODERATION_COOKIE_SECURE=always the cookies are Secure anyway, so a browser never sends them over http."""
    client = await aiohttp_client(create_app(settings.with_overrides(cookie_secure="always")))
    response = await sign_in(client)
    assert response.status == 303 and response.cookies[SESSION]["secure"]
    chosen = await client.post("/moderate/language", data={"lang": "en", "next": "/moderate"}, allow_redirects=False)
    assert chosen.cookies["moderation_lang"]["secure"]
    signed_out = await client.post("/moderate/sign-out", allow_redirects=False)
    assert signed_out.cookies[SESSION]["secure"]


async def test_signing_in_again_replaces_the_session(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    await sign_in(client)
    await sign_in(client, "admin")
    assert len([k async for k in redis.scan_iter(keys.session("*"))]) == 1


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/moderate?site_id=kommblog&order=risk", "/moderate?site_id=kommblog&order=risk"),
        ("//evil.example/moderate", "/moderate"),
        ("https://evil.example/moderate", "/moderate"),
        ("/moderate\\@evil.example", "/moderate"),
        ("/v1/review/items", "/moderate"),
    ],
)
async def test_sign_in_returns_only_to_moderation_pages(client, target: str, location: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.post("/moderate/sign-in", data={"key": KEYS["moderator"], "next": target},
                                 allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == location


async def test_the_queue_page_sends_strangers_to_sign_in_and_back(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/moderate?site_id=kommblog&order=risk", allow_redirects=False)
    assert response.status == 303
    sign_in_page = await client.get(response.headers["Location"])
    assert 'name="next" value="/moderate?site_id=kommblog&amp;order=risk"' in await sign_in_page.text()


async def test_a_monitor_key_is_told_it_is_for_monitoring(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    response = await sign_in(client, "monitor")
    assert response.status == 403 and SESSION not in response.cookies
    assert ("Der Schlüssel „prometheus“ ist für die Überwachung (/metrics) und darf nicht moderieren."
            in await response.text())


async def test_forms_from_other_sites_are_refused(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    response = await sign_in(client, Origin="https://evil.example")
    assert response.status == 403 and SESSION not in response.cookies
    assert "nicht von dieser Seite" in await response.text()
    assert (await sign_in(client, Origin="null")).status == 403
    assert (await sign_in(client, Origin="http://[x")).status == 403  # no URL at all (urlsplit refuses it)
    same = await sign_in(client, Origin=f"http://{client.server.host}:{client.server.port}")
    assert same.status == 303
    language = await client.post("/moderate/language", data={"lang": "en"}, headers={"Origin": "https://evil.example"},
                                 allow_redirects=False)
    assert language.status == 403 and "moderation_lang" not in language.cookies


@pytest.mark.parametrize("path", ["/moderate/sign-in", "/moderate/sign-out", "/moderate/language"])
async def test_a_form_that_is_not_utf8_gets_a_page_that_says_so(client, path: str) -> None:  # type: ignore[no-untyped-def]
    # aiohttp cannot read such a form (UnicodeDecodeError): a 500 before.
    response = await client.post(path, data=b"key=Schl\xfcssel", allow_redirects=False,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 400 and response.content_type == "text/html"
    assert "nicht als UTF-8" in await response.text() and SESSION not in response.cookies


async def test_sign_out_needs_the_page_token(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    token = await signed_in(client)
    refused = await client.post("/moderate/sign-out", data={"csrf_token": "guess"}, allow_redirects=False)
    assert refused.status == 403
    assert (await client.get("/v1/review/items")).status == 200  # still signed in
    done = await client.post("/moderate/sign-out", data={"csrf_token": token}, allow_redirects=False)
    assert done.status == 303 and done.headers["Location"] == "/moderate/sign-in?signed_out"
    assert [k async for k in redis.scan_iter(keys.session("*"))] == []
    assert (await client.get("/v1/review/items")).status == 401


async def test_api_keys_work_as_before_next_to_a_session(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in(client)
    assert (await client.get("/v1/review/items")).status == 200
    as_blog = await client.get("/v1/review/items", headers=auth("blog"))  # a key, when sent, is who calls
    assert as_blog.status == 403
    wrong_key = await client.get("/v1/review/items", headers={"Authorization": "Bearer no-such-key-0000000000"})
    assert wrong_key.status == 401 and (await wrong_key.json())["error"]["code"] == "unauthenticated"
    # A key needs no CSRF token: programs send no cookies another site could ride on.
    claimed = await client.post("/v1/review/claims", json={"count": 1}, headers=auth("moderator"))
    assert claimed.status == 200
    # The session is for the review API only.
    assert (await client.get("/v1/ops/labels")).status == 401


async def test_a_removed_key_ends_its_sessions(aiohttp_client, client, settings: Settings, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    await signed_in(client)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[SESSION].value
    without_mod = json.dumps({"keys": [{"name": "ops", "role": "admin", "key": KEYS["admin"]}]})
    restarted = await aiohttp_client(create_app(settings.with_overrides(api_keys_json=without_mod)))
    response = await restarted.get("/v1/review/items", headers={"Cookie": f"{SESSION}={cookie}"})
    assert response.status == 401
    assert [k async for k in redis.scan_iter(keys.session("*"))] == []


async def test_sessions_end_after_their_maximum_age(aiohttp_client, settings: Settings,  # type: ignore[no-untyped-def]
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(settings)
    app[UI_OPTIONS] = UiOptions(session_max_seconds=60)
    client = await aiohttp_client(app)
    await signed_in(client)
    assert (await client.get("/v1/review/items")).status == 200
    # A minute later by the sessions' clock (a real sleep of a one-second maximum age failed on a loaded machine,
    # whose sign-in alone took longer).
    later = time.time() + 61
    monkeypatch.setattr(sessions, "time", SimpleNamespace(time=lambda: later))
    assert (await client.get("/v1/review/items")).status == 401
    page = await client.get("/moderate", allow_redirects=False)
    assert page.status == 303
    expired = await client.get(page.headers["Location"])
    assert "Deine Sitzung ist abgelaufen." in await expired.text()


async def test_language_is_a_remembered_choice(client) -> None:  # type: ignore[no-untyped-def]
    assert '<html lang="de">' in await (await client.get("/moderate/sign-in")).text()
    ignored = await client.post("/moderate/language", data={"lang": "fr", "next": "/moderate/sign-in"},
                                allow_redirects=False)
    assert ignored.status == 303 and "moderation_lang" not in ignored.cookies
    chosen = await client.post("/moderate/language", data={"lang": "en", "next": "/moderate/sign-in"},
                               allow_redirects=False)
    assert chosen.status == 303 and chosen.headers["Location"] == "/moderate/sign-in"
    assert chosen.cookies["moderation_lang"]["path"] == "/moderate"
    page = await (await client.get("/moderate/sign-in")).text()
    assert '<html lang="en">' in page and "Sign in with your moderator key." in page


async def test_pages_say_when_redis_is_away(aiohttp_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(create_app(settings.with_overrides(redis_url="redis://127.0.0.1:1/0")))
    response = await client.get("/moderate", headers={"Cookie": f"{SESSION}=whatever"})
    assert response.status == 503 and response.content_type == "text/html"
    assert "Die Datenbank (Redis) ist gerade nicht erreichbar." in await response.text()
    signing_in = await sign_in(client)
    assert signing_in.status == 503


# ------------------------------------------------------------------ strings and packaging

UI = PACKAGE


def test_both_languages_have_every_string_with_the_same_placeholders() -> None:
    strings = load_strings()
    assert tuple(strings) == LANGUAGES == ("de", "en")
    for key, german in strings["de"].items():
        assert set(re.findall(r"\{\w+\}", german)) == set(re.findall(r"\{\w+\}", strings["en"][key])), key


def test_every_string_the_templates_and_scripts_use_exists() -> None:
    known = set(load_strings()["de"])
    used = set()
    for template in (UI / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\.(?!get\()(\w+)", template.read_text(encoding="utf-8")))
    for script in (UI / "static").glob("*.js"):
        text = script.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bT\.(\w+)", text)) | set(re.findall(r"\bthis\.T\.(\w+)", text))
        used |= set(re.findall(r"\bt\('(\w+)'", text))
        used |= {f"{k}_{form}" for k in re.findall(r"\btn\('(\w+)'", text) for form in ("one", "other")}
        if script.name == "errors.js":  # its tables map codes and fields to the keys of their strings
            used |= set(re.findall(r"\b\w+: '(\w+)'", text))
    # keys the code builds from values
    used |= {f"attr_{name}" for name in ATTRIBUTES}
    used |= {f"effect_{d.value}" for d in Decision if d is not Decision.PUBLISH}
    used |= {f"done_{a.value}_{form}" for a in Action for form in ("one", "other")}
    used |= {f"status_{s.value}" for s in Status if s not in (Status.PENDING, Status.PUBLISHED)}
    assert used - known == set() and len(used) > 60


def test_the_package_ships_every_ui_file() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = ROOT / "moderation_service"
    files = [p.relative_to(package).as_posix() for folder in ("templates", "static", "strings")
             for p in (UI / folder).iterdir()]
    assert files and all(any(fnmatch(f, pattern) for pattern in patterns["moderation_service"]) for f in files)
    assert Path(package / "ui" / "templates" / "queue.html").is_file()


async def test_the_header_counts_what_the_reason_filter_shows(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    """Rendered by the server as the page's script counts it: no jump from the site's total once it runs."""
    from moderation_service.review.store import CommentStore
    from tests.review.test_queue import held

    store = CommentStore(redis, retention_seconds=3600)
    for n, reason in enumerate(("insult", "toxicity", "toxicity")):
        await store.record(held(n, reason=reason))
    await signed_in(client)
    for query, expected in (("", "3 Kommentare warten"), ("?reason=toxicity", "2 Kommentare warten"),
                            ("?reason=insult", "1 Kommentar wartet")):
        page = await (await client.get(f"/moderate{query}")).text()
        assert re.search(r'<p id="depth" class="depth">([^<]*)</p>', page).group(1) == expected, query  # type: ignore[union-attr]


async def test_the_author_filter_names_the_person_as_text(client, redis: Redis) -> None:  # type: ignore[no-untyped-def]
    """The filter is a keyed hash; the page names the person from a comment of theirs that waits, escaped."""
    import dataclasses

    from moderation_service.review.store import CommentStore
    from tests.review.test_queue import held

    record = held(1)
    record = dataclasses.replace(record, comment=dataclasses.replace(record.comment, author_name="<b>Kai</b>"))
    await CommentStore(redis, retention_seconds=3600).record(record)
    [item] = (await (await client.get("/v1/review/items", headers=auth("moderator"))).json())["items"]
    await signed_in(client)
    page = await (await client.get(f"/moderate?site_id=kommblog&author={item['author_key']}")).text()
    note = re.search(r'<p class="author-filter-note">([^<]*)<a', page).group(1)  # type: ignore[union-attr]
    assert note.strip() == ("Es werden nur die wartenden Kommentare von &lt;b&gt;Kai&lt;/b&gt; "
                            "&lt;author1@example.org&gt; gezeigt.")
    claimed = await client.post(f"/v1/review/items/{item['id']}/claim", headers=auth("moderator"))
    decided = await client.post(f"/v1/review/items/{item['id']}/decision", json={"action": "approve"},
                                headers=auth("moderator"))
    assert claimed.status == 200 and decided.status == 200
    page = await (await client.get(f"/moderate?site_id=kommblog&author={item['author_key']}")).text()
    note = re.search(r'<p class="author-filter-note">([^<]*)<a', page).group(1)  # type: ignore[union-attr]
    assert note.strip() == "Es werden nur die Kommentare einer Person gezeigt."  # none waits: no name to give


# ------------------------------------------------------------------ sign-in throttle


def throttled_client(aiohttp_client, settings: Settings, **overrides: object):  # type: ignore[no-untyped-def]
    return aiohttp_client(create_app(settings.with_overrides(sign_in_attempts=3, sign_in_window_seconds=600,
                                                             **overrides)))


async def wrong_key(client, **headers: str):  # type: ignore[no-untyped-def]
    return await client.post("/moderate/sign-in", data={"key": "not-a-key-of-this-service"}, allow_redirects=False,
                             headers=headers)


async def test_failed_sign_ins_from_one_address_are_throttled(aiohttp_client, settings: Settings,  # type: ignore[no-untyped-def]
                                                              redis: Redis) -> None:
    client = await throttled_client(aiohttp_client, settings)
    for _ in range(3):
        assert (await wrong_key(client)).status == 401
    # Locked: even the right key is refused, or the lock would still answer which guess was right.
    for response in (await wrong_key(client), await sign_in(client)):
        assert response.status == 429 and response.content_type == "text/html"
        retry_after = int(response.headers["Retry-After"])
        assert 540 <= retry_after <= 600
        assert "Zu viele fehlgeschlagene Anmeldungen" in await response.text()
        assert "in 10 Minuten" in await response.text()
        assert SESSION not in response.cookies
    # Redis keeps a count under a keyed hash of the address, never the address, and forgets it with the window.
    counters = [k async for k in redis.scan_iter(keys.sign_in_failures("*"))]
    assert len(counters) == 1 and "127.0.0.1" not in counters[0]
    assert 0 < await redis.ttl(counters[0]) <= 600
    await redis.delete(counters[0])  # the window has passed
    assert (await sign_in(client)).status == 303


async def test_a_successful_sign_in_clears_the_count(aiohttp_client, settings: Settings,  # type: ignore[no-untyped-def]
                                                     redis: Redis) -> None:
    client = await throttled_client(aiohttp_client, settings)
    for _ in range(2):
        assert (await wrong_key(client)).status == 401
    assert (await sign_in(client)).status == 303
    assert [k async for k in redis.scan_iter(keys.sign_in_failures("*"))] == []
    for _ in range(2):
        assert (await wrong_key(client)).status == 401
    # a blog key is a real key of the wrong kind, no guess: it counts no failure
    assert (await sign_in(client, "blog")).status == 403
    assert (await wrong_key(client)).status == 401


async def test_forwarded_addresses_count_only_from_trusted_proxies(aiohttp_client,  # type: ignore[no-untyped-def]
                                                                   settings: Settings) -> None:
    direct = await throttled_client(aiohttp_client, settings)
    # Without trusted proxies, X-Forwarded-For is the client's say: a new one per guess evades nothing.
    for n in range(3):
        assert (await wrong_key(direct, **{"X-Forwarded-For": f"198.51.100.{n}"})).status == 401
    assert (await wrong_key(direct, **{"X-Forwarded-For": "198.51.100.9"})).status == 429

    proxied = await throttled_client(aiohttp_client, settings, trusted_proxies=("127.0.0.0/8",))
    # Behind a trusted proxy the address it names counts (the last one it added), so one client's guesses
    # do not lock out everyone else behind the proxy.
    for _ in range(3):
        assert (await wrong_key(proxied, **{"X-Forwarded-For": "203.0.113.5, 198.51.100.20"})).status == 401
    assert (await wrong_key(proxied, **{"X-Forwarded-For": "198.51.100.20"})).status == 429
    assert (await sign_in(proxied, **{"X-Forwarded-For": "198.51.100.21"})).status == 303


async def test_an_ipv6_client_is_counted_by_its_64_block(aiohttp_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    # An IPv6 client is given a /64 (2^64 addresses): counted per address, a new address per guess would
    # never be throttled. Behind a trusted proxy, as a real client's address arrives.
    client = await throttled_client(aiohttp_client, settings, trusted_proxies=("127.0.0.0/8",))
    for address in ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:fffe"):
        assert (await wrong_key(client, **{"X-Forwarded-For": address})).status == 401
    assert (await wrong_key(client, **{"X-Forwarded-For": "2001:db8:1:2:abcd::9"})).status == 429
    assert (await sign_in(client, **{"X-Forwarded-For": "2001:db8:1:2::77"})).status == 429
    # the neighbouring /64 is another client
    assert (await sign_in(client, **{"X-Forwarded-For": "2001:db8:1:3::1"})).status == 303


async def test_an_ipv4_address_counts_alone_and_as_ipv4_mapped_ipv6(aiohttp_client,  # type: ignore[no-untyped-def]
                                                                   settings: Settings) -> None:
    client = await throttled_client(aiohttp_client, settings, trusted_proxies=("127.0.0.0/8",))
    for address in ("198.51.100.7", "::ffff:198.51.100.7", "::ffff:c633:6407"):  # the same address, three ways
        assert (await wrong_key(client, **{"X-Forwarded-For": address})).status == 401
    assert (await wrong_key(client, **{"X-Forwarded-For": "198.51.100.7"})).status == 429
    # IPv4 is still counted per address: a neighbour (or another ::ffff: address) is another client
    assert (await sign_in(client, **{"X-Forwarded-For": "198.51.100.8"})).status == 303
    assert (await sign_in(client, **{"X-Forwarded-For": "::ffff:198.51.100.9"})).status == 303


async def test_guesses_sent_at_once_are_throttled_too(aiohttp_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    # Counted before the key is checked: otherwise every guess of a burst passes the check before any is counted.
    client = await throttled_client(aiohttp_client, settings)
    answers = await asyncio.gather(*[wrong_key(client) for _ in range(30)])
    statuses = sorted(response.status for response in answers)
    assert statuses.count(401) == 3 and statuses.count(429) == 27
