"""Akismet REST 1.1: the real ``akismet`` client from PyPI against the service, then the protocol's details."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import akismet
import httpx
import pytest
from yarl import URL

from moderation_service.appkeys import STORE
from moderation_service.comments import Comment, public_id
from tests.api.test_comments import INSULT, SPAM
from tests.conftest import KEYS, auth
from tests.protocols.conftest import TWO_SITES_KEY, labels_of

BLOG = "https://kommblog.example/"
FRIENDLY = "Danke für den Beitrag! Die Beispiele zur Krisenkommunikation fand ich sehr hilfreich."
PERMALINK = "https://kommblog.example/2026/krisenkommunikation"


class ToTestServer(httpx.AsyncBaseTransport):
    """Delivers what the client addresses to rest.akismet.com to the local test server instead."""

    def __init__(self, server: URL) -> None:
        self._server = server
        self._transport = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self._server.scheme, host=self._server.host, port=self._server.port)
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()


@pytest.fixture
async def akismet_client(client: Any) -> AsyncIterator[akismet.AsyncClient]:
    http = httpx.AsyncClient(transport=ToTestServer(client.make_url("/")), timeout=10,
                             headers={"User-Agent": akismet.USER_AGENT})
    config = akismet.Config(key=KEYS["blog"], url=BLOG)
    async with akismet.AsyncClient(config=config, http_client=http) as checker:  # verifies the key on entry
        yield checker


def comment_fields(content: str, **extra: Any) -> dict[str, Any]:
    return {"comment_content": content, "comment_type": "comment", "comment_author": "Jana Weber",
            "comment_author_email": "jana@example.org", "permalink": PERMALINK, "user_agent": "Mozilla/5.0", **extra}


def expected_id(content: str) -> str:
    comment = Comment("kommblog", content, permalink=PERMALINK, author_name="Jana Weber",
                      author_email="jana@example.org")
    return public_id("kommblog", comment.identity())


async def check(client: Any, **form: str) -> tuple[str, Any]:
    response = await client.post("/1.1/comment-check", data=form)
    assert response.status == 200
    return await response.text(), response.headers


def form(content: str = FRIENDLY, **extra: str) -> dict[str, str]:
    return {"api_key": KEYS["blog"], "blog": BLOG, "user_ip": "203.0.113.7", **comment_fields(content), **extra}


# ---------------------------------------------------------------- the real client


async def test_real_client_verifies_keys(akismet_client: akismet.AsyncClient) -> None:
    assert await akismet_client.verify_key() is True
    assert await akismet_client.verify_key("not-a-key-of-this-service", BLOG) is False
    assert await akismet_client.verify_key(KEYS["moderator"], BLOG) is False  # may not submit
    assert await akismet_client.verify_key(TWO_SITES_KEY, "http://otherblog.example/blog") is True
    assert await akismet_client.verify_key(TWO_SITES_KEY, "https://elsewhere.example/") is False


async def test_real_client_ham_is_published_and_kept(akismet_client: akismet.AsyncClient, client: Any) -> None:
    result = await akismet_client.comment_check(user_ip="203.0.113.7", **comment_fields(FRIENDLY))
    assert result is akismet.CheckResponse.HAM
    response = await client.get(f"/v1/comments/{expected_id(FRIENDLY)}", headers=auth("blog"))
    assert (await response.json())["decision"] == "publish"


async def test_real_client_held_comment_is_spam_to_akismet_and_queued(akismet_client: akismet.AsyncClient,
                                                                     client: Any) -> None:
    result = await akismet_client.comment_check(user_ip="203.0.113.7", **comment_fields(INSULT))
    assert result is akismet.CheckResponse.SPAM  # true without "discard": WordPress keeps it out of view
    response = await client.get("/v1/review/items?site_id=kommblog", headers=auth("moderator"))
    assert [item["id"] for item in (await response.json())["items"]] == [expected_id(INSULT)]


async def test_real_client_blatant_spam_is_discard(akismet_client: akismet.AsyncClient, client: Any) -> None:
    result = await akismet_client.comment_check(user_ip="203.0.113.7", **comment_fields(SPAM))
    assert result is akismet.CheckResponse.DISCARD
    response = await client.get(f"/v1/comments/{expected_id(SPAM)}", headers=auth("blog"))
    body = await response.json()
    assert body["decision"] == "spam" and body["scores"]["spam"] >= 0.95


async def test_real_client_submits_spam_and_ham_as_labels(akismet_client: akismet.AsyncClient, client: Any) -> None:
    spam = comment_fields("Tolle Seite, besuch auch meine")
    assert await akismet_client.submit_spam(user_ip="203.0.113.7", **spam) is True
    assert await akismet_client.submit_ham(user_ip="203.0.113.7", **comment_fields(FRIENDLY)) is True
    examples = await labels_of(client)
    assert [(e["content"], e["labels"]) for e in examples] == [
        ("Tolle Seite, besuch auch meine", {"spam": 1}), (FRIENDLY, {"spam": 0})]
    for example in examples:
        assert example["source"] == "akismet" and example["labelled_by"] == "kommblog"
        assert example["site_id"] == "kommblog" and example["permalink"] == PERMALINK
        # who wrote it stays in the comment's record, which expires; labels are kept far longer
        assert not {"author_name", "author_email", "author_url", "author_ip", "user_agent"} & set(example)


async def test_real_client_usage_limit(akismet_client: akismet.AsyncClient) -> None:
    assert await akismet_client.usage_limit() == {"limit": "none", "usage": 0, "percentage": "0", "throttled": False}


# ---------------------------------------------------------------- answers and headers


async def test_guid_is_the_record_id_and_our_decision_is_a_header(client: Any) -> None:
    body, headers = await check(client, **form(INSULT))
    assert body == "true"
    assert headers["X-akismet-guid"] == expected_id(INSULT) == headers["X-Moderation-Id"]
    assert headers["X-Moderation-Decision"] == "hold"
    assert "X-akismet-pro-tip" not in headers
    assert headers["Content-Type"] == "text/plain; charset=utf-8"


async def test_resubmission_gets_the_same_answer(client: Any) -> None:
    first = await check(client, **form(INSULT))
    second = await check(client, **form(INSULT, recheck_reason="edit"))
    assert first[0] == second[0] and first[1]["X-akismet-guid"] == second[1]["X-akismet-guid"]


async def test_every_documented_field_reaches_the_record(client: Any) -> None:
    fields = form(comment_author_url="https://jana.example.org", referrer="https://kommblog.example/",
                  comment_parent="4711", blog_lang="de_DE, en_us", blog_charset="UTF-8",
                  comment_date_gmt="2026-11-26 09:15:00", comment_post_modified_gmt="2026-11-20T08:00:00Z",
                  user_role="subscriber", comment_context="politik", POST_akismet_comment_nonce="passed")
    _, headers = await check(client, **fields)
    record = await client.server.app[STORE].get(headers["X-akismet-guid"])
    assert record.comment == Comment(
        "kommblog", FRIENDLY, permalink=PERMALINK, author_name="Jana Weber", author_email="jana@example.org",
        author_url="https://jana.example.org", author_ip="203.0.113.7", user_agent="Mozilla/5.0",
        referrer="https://kommblog.example/", parent_id="4711", lang="de-DE",
        submitted_at="2026-11-26T09:15:00+00:00", type="comment")


async def test_wordpress_top_level_parent_and_junk_date_are_dropped(client: Any) -> None:
    _, headers = await check(client, **form(comment_parent="0", comment_date_gmt="gestern", blog_lang="??"))
    record = await client.server.app[STORE].get(headers["X-akismet-guid"])
    assert record.comment.parent_id is None and record.comment.submitted_at is None and record.comment.lang is None


async def test_a_bots_overlong_headers_are_cut_not_refused(client: Any) -> None:
    # The WordPress plugin passes the visitor's User-Agent and Referer on as they came, unbounded.
    agent, referrer = "Mozilla/5.0 " + "x" * 3000, "https://spam.example/?" + "q" * 5000
    body, headers = await check(client, **form(user_agent=agent, referrer=referrer))
    assert body == "false"
    record = await client.server.app[STORE].get(headers["X-akismet-guid"])
    assert record.comment.user_agent == agent[:2000] and record.comment.referrer == referrer[:2000]

async def test_blog_charset_decodes_the_form(client: Any) -> None:
    text = "Schöne Grüße aus Köln, danke für den Artikel"
    body = f"api_key={KEYS['blog']}&blog={BLOG}&user_ip=203.0.113.7&blog_charset=ISO-8859-1&comment_content="
    response = await client.post("/1.1/comment-check", data=body.encode("ascii") + _percent(text.encode("latin-1")),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    record = await client.server.app[STORE].get(response.headers["X-akismet-guid"])
    assert record.comment.content == text


@pytest.mark.parametrize("charset", ["x\0", "base64", "idna", "no-such-charset"])
async def test_a_charset_that_cannot_decode_the_form_reads_it_as_utf8(client: Any, charset: str) -> None:
    # "x\0" and "base64" were 500s: Python refuses to look up the one and to decode text with the other.
    body, headers = await check(client, **form(FRIENDLY, blog_charset=charset))
    assert body == "false"
    assert (await client.server.app[STORE].get(headers["X-akismet-guid"])).comment.content == FRIENDLY


async def test_a_blog_that_is_no_url_names_no_site(client: Any) -> None:
    # "[[" reads as a malformed IPv6 host, which urlsplit refuses with a ValueError: a 500 before.
    body, headers = await check(client, **form(api_key=TWO_SITES_KEY, blog="[["))
    assert body == "invalid" and headers["X-akismet-debug-help"].startswith("The blog [[ is not")
    body, _ = await check(client, **form(blog="[["))  # a key for one site: its site, whatever the blog says
    assert body == "false"


def _percent(raw: bytes) -> bytes:
    return b"".join(bytes([b]) if b < 128 and chr(b).isalnum() else f"%{b:02X}".encode() for b in raw)


async def test_key_in_the_host_name(client: Any) -> None:
    fields = {k: v for k, v in form().items() if k != "api_key"}
    response = await client.post("/1.1/comment-check", data=fields, headers={"Host": f"{KEYS['blog']}.rest.example"})
    assert await response.text() == "false"


async def test_key_for_two_sites_picks_the_site_by_blog_url(client: Any) -> None:
    _, headers = await check(client, **form(api_key=TWO_SITES_KEY, blog="https://otherblog.example/blog"))
    assert headers["X-akismet-guid"].startswith("otherblog:")
    _, headers = await check(client, **form(api_key=TWO_SITES_KEY, blog="http://KOMMBLOG.example"))
    assert headers["X-akismet-guid"].startswith("kommblog:")


async def test_key_for_one_site_is_that_sites_key_whatever_blog_it_names(client: Any) -> None:
    body, headers = await check(client, **form(api_key=KEYS["other_blog"], blog="https://elsewhere.example"))
    assert body in ("true", "false") and headers["X-akismet-guid"].startswith("otherblog:")


# ---------------------------------------------------------------- protocol rules that keep nothing


async def test_filled_honeypot_is_discarded_unscored_and_unkept(client: Any, redis: Any) -> None:
    body, headers = await check(client, **form(honeypot_field_name="hidden_url", hidden_url="http://spam.example"))
    assert body == "true" and headers["X-akismet-pro-tip"] == "discard"
    assert headers["X-akismet-guid"] == expected_id(FRIENDLY) and headers["X-Moderation-Decision"] == "spam"
    assert "X-Moderation-Id" not in headers  # nothing kept: an id would lead nowhere
    assert await redis.keys("moderation:{kommblog}:comment:*") == []
    body, _ = await check(client, **form(honeypot_field_name="hidden_url", hidden_url=""))
    assert body == "false"


async def test_administrator_is_never_spam(client: Any, redis: Any) -> None:
    body, headers = await check(client, **form(SPAM, user_role="administrator"))
    assert body == "false" and "X-akismet-pro-tip" not in headers
    assert headers["X-Moderation-Decision"] == "publish" and "X-Moderation-Id" not in headers
    assert await redis.keys("moderation:{kommblog}:comment:*") == []


async def test_is_test_answers_but_keeps_nothing(client: Any, redis: Any) -> None:
    body, headers = await check(client, **form(INSULT, is_test="1"))
    assert body == "true" and headers["X-Moderation-Decision"] == "hold" and "X-Moderation-Id" not in headers
    response = await client.post("/1.1/submit-spam", data=form(INSULT, is_test="true"))
    assert await response.text() == "Thanks for making the web a better place."
    assert await redis.keys("moderation:{kommblog}:comment:*") == [] and await labels_of(client) == []
    assert await redis.zcard("moderation:{kommblog}:pending") == 0


# ---------------------------------------------------------------- invalid


@pytest.mark.parametrize(("change", "help_text"), [
    ({"blog": ""}, 'Empty "blog" value'),
    ({"user_ip": ""}, 'Empty "user_ip" value'),
    ({"comment_content": "  "}, 'Empty "comment_content" value'),
    ({"comment_content": "\u200b\u200b"}, 'Empty "comment_content" value'),
    ({"api_key": "not-a-key-of-this-service"}, "Invalid key"),
    ({"api_key": KEYS["moderator"]}, "Invalid key"),
    ({"api_key": TWO_SITES_KEY, "blog": "https://elsewhere.example"}, "The blog https://elsewhere.example is not"),
    ({"user_ip": "999.1.1.1"}, "user_ip: Use one IPv4 or IPv6 address, such as '203.0.113.7'"),
    ({"comment_author": "x" * 501}, "comment_author: Longer than maximum length 500."),
])
async def test_invalid_requests_answer_invalid_with_debug_help(client: Any, change: dict[str, str],
                                                               help_text: str) -> None:
    body, headers = await check(client, **{**form(), **change})
    assert body == "invalid"
    assert headers["X-akismet-debug-help"].startswith(help_text)
    assert "not-a-key-of-this-service" not in headers["X-akismet-debug-help"]


async def test_debug_help_quoting_the_client_is_a_safe_header(client: Any) -> None:
    body, headers = await check(client, **form(api_key=TWO_SITES_KEY, blog="https://bücher.example/\r\nX-Evil: 1"))
    assert body == "invalid" and "X-Evil" not in headers
    assert headers["X-akismet-debug-help"].startswith("The blog https://b?cher.example/??X-Evil: 1 is not a site")


async def test_submissions_need_a_valid_key(client: Any) -> None:
    for endpoint in ("submit-spam", "submit-ham"):
        response = await client.post(f"/1.1/{endpoint}", data=form(api_key="wrong-key-wrong-key-wrong"))
        assert await response.text() == "invalid" and "Invalid key" in response.headers["X-akismet-debug-help"]


@pytest.mark.parametrize("endpoint", ["/1.1/verify-key", "/1.1/comment-check", "/1.1/submit-ham"])
async def test_a_body_that_is_not_a_form_is_refused_as_such_not_as_a_bad_key(client: Any, endpoint: str) -> None:
    response = await client.post(endpoint, json=form())
    assert await response.text() == "invalid"
    help_text = response.headers["X-akismet-debug-help"]
    assert help_text.startswith("The body is application/json: send the fields form-encoded")
    assert "Invalid key" not in help_text
    multipart = aiohttp.FormData(form())
    multipart.add_field("file", b"x", filename="x.txt")  # a file part makes it multipart/form-data
    response = await client.post(endpoint, data=multipart)
    assert response.headers["X-akismet-debug-help"].startswith("The body is multipart/form-data")
    # A form without a Content-Type header is read as the form it is.
    response = await client.post("/1.1/verify-key", data=urlencode(form()).encode())
    assert await response.text() == "valid"


async def test_usage_limit_takes_the_key_from_the_host_name(client: Any) -> None:
    response = await client.get("/1.2/usage-limit", headers={"Host": f"{KEYS['blog']}.rest.example"})
    assert (await response.json())["limit"] == "none"
    response = await client.get("/1.2/usage-limit", headers={"Host": "not-a-key.rest.example"})
    assert await response.text() == "invalid"


async def test_usage_limit_by_get_and_post(client: Any) -> None:
    response = await client.get("/1.2/usage-limit", params={"api_key": KEYS["blog"]})
    assert await response.json() == {"limit": "none", "usage": 0, "percentage": "0", "throttled": False}
    response = await client.post("/1.2/usage-limit", data={"api_key": KEYS["blog"]})
    assert (await response.json())["limit"] == "none"
    response = await client.get("/1.2/usage-limit", params={"api_key": "nope"})
    assert await response.text() == "invalid"


async def test_statistics_are_an_empty_answer_which_the_plugin_reads_as_none(client: Any) -> None:
    # The plugin's settings page: ``if ( ! empty( $response[1] ) ) $stat_totals[$interval] = json_decode(...)``.
    for interval in ("6-months", "all"):
        response = await client.post("/1.1/get-stats", data={"key": KEYS["blog"], "blog": BLOG, "from": interval})
        assert response.status == 200 and await response.text() == ""
    response = await client.post("/1.1/get-stats", data={"key": "nope", "blog": BLOG, "from": "all"})
    assert await response.text() == "invalid"

async def test_the_plugins_connection_test_is_answered_without_a_key(client: Any) -> None:
    response = await client.get("/1.1/test")
    assert response.status == 200 and await response.text() == "connected"
