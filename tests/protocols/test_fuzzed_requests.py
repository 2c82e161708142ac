"""Every endpoint, fed mangled requests: none may fail with a 5xx, and every refusal must say what to fix.

Each case starts from a request the endpoint accepts and changes it the way a buggy client or an attacker
would: a field of the wrong type or shape, a lone surrogate, an integer too long for Python to read, a
field removed or added, the whole body replaced, bytes that are not UTF-8, a query parameter out of range.
The cases come from a seeded generator, so a failure repeats; ``FUZZ_CASES`` sets how many per endpoint and
``FUZZ_SEED`` draws other ones (a longer run: ``FUZZ_CASES=3000 FUZZ_SEED=2 scripts/test
tests/protocols/test_fuzzed_requests.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from moderation_service.app import create_app
from moderation_service.settings import Settings
from tests.api.test_comments import INSULT
from tests.conftest import KEYS, auth
from tests.protocols.conftest import CORAL_SECRET
from tests.redis_server import RedisServer

CASES = int(os.environ.get("FUZZ_CASES", "60"))
SEED = os.environ.get("FUZZ_SEED", "")
FRIENDLY = "Danke für den Beitrag! Die Beispiele zur Krisenkommunikation fand ich sehr hilfreich."

#: Values a field may get instead of its own: wrong types, edge numbers, hostile strings.
ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, -1e308, 1e308, 2**64, "", " ", "x" * 70_000, "\x00", "\ud800", "\udfff",
    "١٢٣", "１２", " 7 ", "1e3", "0x10", "-0", "NaN", "Infinity", "9" * 30, "2026-13-45T99:99:99",
    "1970-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "../../etc/passwd", "<script>alert(1)</script>",
    "*", "kommblog", "otherblog", "%00", "a\r\nSet-Cookie: x=1", "😀" * 50, [], {}, [1, "a"], {"a": {"b": []}},
    ["kommblog"], [None], [[[]]],
]
#: Whole bodies that are not what any endpoint reads.
RAW_BODIES: list[bytes] = [
    b"", b"null", b"[]", b"42", b'"text"', b"{", b'{"a": 1', b"\xff\xfe\xfd", b'{"a": "\xff"}', b"NaN",
    b'{"a": NaN}', b'{"a": Infinity}', b"1" * 5000, b'{"a": ' + b"1" * 5000 + b"}", b"[" * 50_000,
    b'{"a": "\\ud800"}', b'{"a": 1, "a": 2}', b"\x00" * 100, "{\"a\": \"ä\"}".encode("latin-1"),
]
#: Content types a client may claim for any body.
ODD_CONTENT_TYPES = ["multipart/form-data", "multipart/form-data; boundary=x", "text/plain", "",
                     "application/json; charset=latin-1", "application/x-www-form-urlencoded; charset=utf-16"]
ODD_AUTHORIZATION = ["Bearer", "Bearer ", "Bearer k\u00e9y", "Basic YWJjOmRlZg==", "Bearer " + "k" * 8_000, "Token x"]
#: Values for a path's ``{id}``: ids of the wrong shape, site or kind, and hostile strings (URL-quoted).
ODD_IDS = ["", "x", "kommblog:", ":", "kommblog:aaaaaaaaaaaaaaaa", "otherblog:aaaaaaaaaaaaaaaa",
           "nosuch:aaaaaaaaaaaaaaaa", "kommblog:" + "a" * 5000, "..", "../etc/passwd", "%00", "\u00e4:\u00fc",
           "kommblog:AAAAAAAAAAAAAAAA", "*"]
#: Query values for list, audit and ops endpoints.
ODD_QUERY: list[str] = [
    "", "-1", "0", "1", "1000000", "99999999999999999999999", "abc", "1.5", "١", "+", "-", "0-0", "1-1",
    "9999999999999-0", "nope-nope", "*", "kommblog", "otherblog", "oldest", "newest", "risk", "pending",
    "failed", "x" * 5000, "\x00", "%", "[]",
]


def _mangle(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """``value`` with one thing changed somewhere inside it."""
    if isinstance(value, dict) and value and depth < 4 and rng.random() < 0.85:
        key = rng.choice(list(value))
        choice = rng.random()
        copy = dict(value)
        if choice < 0.15:
            del copy[key]
        elif choice < 0.25:
            copy[rng.choice(["extra", "__proto__", "", "x" * 300, key.upper()])] = rng.choice(ODD_VALUES)
        else:
            copy[key] = _mangle(value[key], rng, depth + 1)
        return copy
    if isinstance(value, list) and value and depth < 4 and rng.random() < 0.7:
        copy = list(value)
        index = rng.randrange(len(copy))
        copy[index] = _mangle(copy[index], rng, depth + 1)
        if rng.random() < 0.2:
            copy *= rng.choice([2, 600])
        return copy
    return rng.choice(ODD_VALUES)


def _coral_body(text: str) -> dict[str, Any]:
    return {
        "action": "NEW",
        "comment": {"body": text, "parentID": None},
        "author": {"id": "baf4e943-3594-4fcc-b2ba-3e8de7a76352", "role": "COMMENTER"},
        "story": {"id": "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6", "url": "https://kommblog.example/2026/a/"},
        "site": {"id": "a4bede88"},
        "tenantID": "19ba5794",
        "tenantDomain": "kommentare.kommblog.example",
    }


def _coral_headers(body: bytes) -> dict[str, str]:
    digest = hmac.new(CORAL_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Coral-Signature": f"sha256={digest}"}


@dataclass
class Endpoint:
    method: str
    path: str
    body: Any = None  # a JSON body, or a dict sent as a form when ``form``
    form: bool = False
    query: dict[str, str] = field(default_factory=dict)
    role: str | None = None  # whose key goes in the Authorization header
    headers_for: Callable[[bytes], dict[str, str]] | None = None  # headers that depend on the body (signatures)
    json_errors: bool = True  # refusals are JSON bodies (Akismet answers in its own text protocol)
    expect: int = 200  # the status of the request unchanged
    path_id: str | None = None  # what ``{id}`` in the path stands for (default: the held comment's id)


def _comment(comment_id: str = "f1") -> dict[str, Any]:
    return {
        "site_id": "kommblog", "comment_id": comment_id, "post_id": "p1", "permalink": "https://kommblog.example/p1",
        "content": FRIENDLY, "author_name": "Jana", "author_email": "jana@example.org",
        "author_url": "https://jana.example.org", "author_ip": "203.0.113.7", "user_agent": "Mozilla/5.0",
        "referrer": "https://kommblog.example/", "parent_id": "f0", "lang": "de",
        "submitted_at": "2026-11-26T10:15:00+01:00", "form_rendered_at": "2026-11-26T10:14:00+01:00",
        "honeypot": "",
    }


def _akismet_form() -> dict[str, str]:
    return {
        "api_key": KEYS["blog"], "blog": "https://kommblog.example/", "user_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0", "referrer": "https://kommblog.example/", "permalink": "https://kommblog.example/p1",
        "comment_type": "comment", "comment_author": "Jana", "comment_author_email": "jana@example.org",
        "comment_author_url": "https://jana.example.org", "comment_content": FRIENDLY,
        "comment_date_gmt": "2026-11-26T10:15:00Z", "comment_post_modified_gmt": "2026-11-20T10:15:00Z",
        "blog_lang": "de_DE", "blog_charset": "UTF-8", "comment_parent": "0", "is_test": "1",
        "honeypot_field_name": "hp",
    }


def endpoints(item_id: str = "kommblog:aaaaaaaaaaaaaaaa") -> list[Endpoint]:
    """The endpoints with a request each accepts; ``{id}`` in a path stands for ``item_id`` or an odd id."""
    perspective_key = {"key": KEYS["blog"]}
    analyze = {"comment": {"text": FRIENDLY}, "requestedAttributes": {"TOXICITY": {}, "SPAM": {"scoreThreshold": 0.5}},
               "languages": ["de"], "doNotStore": True, "clientToken": "c1", "spanAnnotations": True}
    suggest = {"comment": {"text": FRIENDLY}, "attributeScores": {"TOXICITY": {"summaryScore": {"value": 1}}},
               "languages": ["de"], "clientToken": "c1", "context": {"entries": [{"text": "a"}]}}
    return [
        Endpoint("POST", "/v1/comments", _comment(), role="blog"),
        Endpoint("GET", "/v1/comments/{id}", role="blog"),
        Endpoint("POST", "/v1/comments/{id}/decision", {"action": "reject", "categories": ["insult"]}, role="blog"),
        Endpoint("POST", "/v1/comments/{id}/erase-personal-data", role="blog"),
        Endpoint("DELETE", "/v1/comments/{id}", query={"labels": "delete"}, role="blog", expect=404,
                 path_id="kommblog:zzzzzzzzzzzzzzzz"),
        Endpoint("POST", "/v1alpha1/comments:analyze", analyze, query=perspective_key),
        Endpoint("POST", "/v1alpha1/comments:suggestscore", suggest, query=perspective_key),
        Endpoint("POST", "/coral/kommblog", _coral_body(FRIENDLY), headers_for=_coral_headers),
        Endpoint("POST", "/1.1/comment-check", _akismet_form(), form=True, json_errors=False),
        Endpoint("POST", "/1.1/submit-spam", _akismet_form(), form=True, json_errors=False),
        Endpoint("POST", "/1.1/submit-ham", _akismet_form(), form=True, json_errors=False),
        Endpoint("POST", "/1.1/submit-status", {**_akismet_form(), "status": "trash"}, form=True, json_errors=False),
        Endpoint("POST", "/1.1/comment-stored", {**_akismet_form(), "id": "kommblog:aaaaaaaaaaaaaaaa",
                                                  "comment_ID": "3001"}, form=True, json_errors=False),
        Endpoint("POST", "/1.1/erase-personal-data", {**_akismet_form(), "comment_ID": "3001",
                                                       "moderation_service_id": "kommblog:aaaaaaaaaaaaaaaa"},
                 form=True, json_errors=False),
        Endpoint("POST", "/1.1/verify-key", {"key": KEYS["blog"], "blog": "https://kommblog.example/"}, form=True,
                 json_errors=False),
        Endpoint("POST", "/1.1/get-subscription", {"key": KEYS["blog"], "blog": "https://kommblog.example/"},
                 form=True, json_errors=False),
        Endpoint("POST", "/1.1/deactivate", {"key": KEYS["blog"], "blog": "https://kommblog.example/"}, form=True,
                 json_errors=False),
        Endpoint("POST", "/1.1/get-stats", {"key": KEYS["blog"], "blog": "https://kommblog.example/", "from": "all"},
                 form=True, json_errors=False),
        Endpoint("GET", "/1.1/test", json_errors=False),
        Endpoint("GET", "/v1/review/items", query={"site_id": "kommblog", "order": "risk", "limit": "10",
                                                   "offset": "0", "post": "p1", "reason": "toxicity"},
                 role="moderator"),
        Endpoint("GET", "/v1/review/items", query={"site_id": "kommblog", "order": "oldest", "limit": "10",
                                                   "cursor": "oldest:1764236400.5:kommblog:aaaaaaaaaaaaaaaa"},
                 role="moderator"),
        Endpoint("GET", "/v1/review/items/{id}", role="moderator"),
        Endpoint("GET", "/v1/review/items/{id}/history", role="moderator"),
        Endpoint("POST", "/v1/review/claims", {"count": 2, "site_id": "kommblog", "order": "oldest"}, role="moderator"),
        Endpoint("POST", "/v1/review/items/{id}/claim", {}, role="moderator"),
        Endpoint("POST", "/v1/review/items/{id}/release", {}, role="moderator", expect=409),
        Endpoint("POST", "/v1/review/items/{id}/decision",
                 {"action": "reject", "categories": ["insult"], "note": "n"}, role="moderator", expect=409),
        Endpoint("POST", "/v1/review/items/{id}/reopen", {"lease_seconds": 60}, role="moderator", expect=409),
        Endpoint("POST", "/v1/review/decisions", {"items": [item_id], "action": "spam", "note": "n"}, role="moderator"),
        Endpoint("GET", "/v1/review/stats", query={"site_id": "kommblog"}, role="moderator"),
        Endpoint("GET", "/v1/review/audit", query={"site_id": "kommblog", "limit": "5", "before": "+"},
                 role="moderator"),
        Endpoint("GET", "/v1/ops/labels", query={"site_id": "kommblog"}, role="admin"),
        Endpoint("POST", "/v1/ops/labels/erase", {"site_id": "kommblog", "comment_id": "nosuch", "content": "x"},
                 role="admin"),
        Endpoint("GET", "/v1/ops/deliveries", query={"site_id": "kommblog", "status": "failed"}, role="admin"),
        Endpoint("POST", "/v1/ops/deliveries/kommblog/{id}/retry", {}, role="admin", expect=404),
        Endpoint("POST", "/v1/ops/model/reload", query={"force": "0"}, role="admin"),
        Endpoint("GET", "/v1/ops/model", role="admin"),
        Endpoint("GET", "/moderate/static/{id}", query={"v": "1"}, json_errors=False, path_id="api.js"),
        Endpoint("GET", "/moderate/sign-in", query={"next": "/moderate/?site_id=kommblog"}, json_errors=False),
        Endpoint("GET", "/moderate/", query={"site_id": "kommblog", "order": "risk"}, json_errors=False, expect=303),
        Endpoint("GET", "/moderate", query={"site_id": "kommblog"}, json_errors=False, expect=303),
        Endpoint("POST", "/moderate/sign-out", {"csrf_token": "x"}, form=True, json_errors=False, expect=303),
        Endpoint("GET", "/healthz", query={"verbose": "1"}),
        Endpoint("GET", "/readyz", query={"verbose": "1"}),
        Endpoint("GET", "/metrics", query={"name[]": "moderation_redis_up"}, role="monitor"),
        Endpoint("GET", "/1.2/usage-limit", query={"api_key": KEYS["blog"]}, json_errors=False),
        Endpoint("POST", "/1.2/usage-limit", {"api_key": KEYS["blog"]}, form=True, json_errors=False),
        Endpoint("POST", "/moderate/sign-in", {"key": KEYS["moderator"], "next": "/moderate/"}, form=True,
                 json_errors=False, expect=303),
        Endpoint("POST", "/moderate/language", {"lang": "de", "csrf_token": "x"}, form=True, json_errors=False,
                 expect=303),
    ]


def _encoded(endpoint: Endpoint, body: Any) -> bytes | None:
    if isinstance(body, bytes) or body is None:
        return body
    if endpoint.form:
        items = body.items() if isinstance(body, dict) else []
        pairs = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in items]
        return urlencode(pairs, encoding="utf-8", errors="surrogatepass").encode("ascii")
    return json.dumps(body).encode("utf-8")


def _headers(endpoint: Endpoint, data: bytes | None) -> dict[str, str]:
    headers = {"Content-Type": "application/x-www-form-urlencoded" if endpoint.form else "application/json"}
    if endpoint.headers_for and data is not None:
        headers.update(endpoint.headers_for(data))
    if endpoint.role:
        headers.update(auth(endpoint.role))
    return headers


def _unchanged(endpoint: Endpoint, item_id: str) -> tuple[str, bytes | None, dict[str, str]]:
    path = endpoint.path.replace("{id}", endpoint.path_id or item_id)
    path += "?" + urlencode(endpoint.query) if endpoint.query else ""
    data = _encoded(endpoint, endpoint.body)
    return path, data, _headers(endpoint, data)


def _request(endpoint: Endpoint, item_id: str, rng: random.Random) -> tuple[str, bytes | None, dict[str, str], str]:
    """One mangled request: its path with query, body bytes, headers and what was changed (for the message)."""
    query, body, what = dict(endpoint.query), endpoint.body, "query"
    path = endpoint.path
    if "{id}" in path:
        odd = rng.random() < 0.3
        path = path.replace("{id}", quote(rng.choice(ODD_IDS), safe="") if odd else endpoint.path_id or item_id)
    choice = rng.random()
    if endpoint.query and (body is None or choice < 0.3):
        key = rng.choice(list(query) + ["extra"])
        query[key] = rng.choice(ODD_QUERY)
    elif body is not None and choice < 0.85:
        body, what = _mangle(body, rng), "field"
    elif body is not None:
        body, what = rng.choice(RAW_BODIES), "raw body"
    path += "?" + urlencode(query) if query else ""
    data = _encoded(endpoint, body)
    headers = _headers(endpoint, data)
    if rng.random() < 0.08:
        headers["Content-Type"], what = rng.choice(ODD_CONTENT_TYPES), what + " and content type"
    if endpoint.role and rng.random() < 0.04:
        headers["Authorization"], what = rng.choice(ODD_AUTHORIZATION), what + " and authorization"
    return path, data, headers, what


async def _held_item(client: Any) -> str:
    response = await client.post("/v1/comments", json={**_comment("held"), "content": INSULT}, headers=auth("blog"))
    body = await response.json()
    assert body["decision"] == "hold", body
    return str(body["id"])


async def _fuzz(client: Any, endpoint: Endpoint, item_id: str, allowed_5xx: frozenset[int] = frozenset()) -> None:
    rng = random.Random(f"{SEED}{endpoint.method} {endpoint.path}")
    for case in range(CASES):
        path, data, headers, what = _request(endpoint, item_id, rng)
        response = await client.request(endpoint.method, path, data=data, headers=headers)
        text = await response.text()
        where = f"case {case}, {what}: {endpoint.method} {path} {headers} {data[:300] if data else data!r}"
        assert response.status < 500 or response.status in allowed_5xx, f"{response.status} for {where}: {text[:500]}"
        if response.status >= 400 and endpoint.json_errors:
            message = json.loads(text)["error"]["message"]
            assert message.strip(), where


@pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")  # the client's, on purpose
@pytest.mark.parametrize("index", range(len(endpoints())))
async def test_mangled_requests_get_an_answer_that_says_what_to_fix(client: Any, index: int) -> None:
    item_id = await _held_item(client)
    endpoint = endpoints(item_id)[index]
    path, data, headers = _unchanged(endpoint, item_id)
    response = await client.request(endpoint.method, path, data=data, headers=headers, allow_redirects=False)
    assert response.status == endpoint.expect, (endpoint, await response.text())  # the start reaches the handler
    await _fuzz(client, endpoint, item_id)


@pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")
async def test_mangled_requests_while_redis_is_down_get_503_at_worst(aiohttp_client: Any, settings: Settings,
                                                                        tmp_path: Path) -> None:
    """Redis away: what needs it is a 503 that says so, everything else answers; nothing is a 500."""
    server = RedisServer(directory=tmp_path / "redis-data").start()
    try:
        client = await aiohttp_client(create_app(settings.with_overrides(redis_url=server.url)))
        item_id = await _held_item(client)
    finally:
        server.stop()
    for endpoint in endpoints(item_id):
        await _fuzz(client, endpoint, item_id, allowed_5xx=frozenset({503}))


async def test_every_route_of_the_service_is_fuzzed(client: Any) -> None:
    """A route added to the service without a line in :func:`endpoints` fails here."""
    fuzzed = [(e.method, e.path.replace("{id}", "x")) for e in endpoints()]
    for route in client.server.app.router.routes():
        if route.method == "HEAD":  # aiohttp's twin of each GET
            continue
        pattern = "[^/]+".join(map(re.escape, re.split(r"\{[^}]+\}", route.resource.canonical)))
        assert any(method == route.method and re.fullmatch(pattern, path) for method, path in fuzzed), \
            f"{route.method} {route.resource.canonical} is not in endpoints()"
