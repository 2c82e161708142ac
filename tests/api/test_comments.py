"""POST /v1/comments and GET /v1/comments/{id}: the decision path end to end, against real Redis."""

from __future__ import annotations

import json

import aiohttp
import pytest

from moderation_service.model.attributes import ATTRIBUTES
from moderation_service.review import keys
from tests.conftest import auth

SPAM = "Check out my channel!!! Subscribe to me http://www.youtube.com/user/cheapfollowers and win FREE iPhone"
INSULT = "Du bist ein dummer Idiot und ein widerlicher Lügner, halt endlich dein Maul"


async def submit(client, body, role="blog"):  # type: ignore[no-untyped-def]
    response = await client.post("/v1/comments", json=body, headers=auth(role))
    return response.status, await response.json()


async def test_friendly_german_comment_is_published(client, comment, redis):  # type: ignore[no-untyped-def]
    status, body = await submit(client, comment)
    assert status == 200
    assert body["decision"] == "publish", body
    assert body["status"] == "published"
    assert set(body["scores"]) == set(ATTRIBUTES)
    assert all(0.0 <= v <= 1.0 for v in body["scores"].values())
    assert body["model_version"] == "test-model"
    assert body["review_item_id"] is None
    # Only the author's website fired a (small) signal; no score reached a threshold.
    assert [(r["kind"], r["name"], r["evidence"]) for r in body["reasons"]] == [
        ("signal", "links", {"links": 0, "author_url": True})]
    assert body["id"].startswith("kommblog:")
    assert await redis.zcard(keys.pending("kommblog")) == 0


async def test_spam_is_marked_spam_with_its_reason(client, comment):  # type: ignore[no-untyped-def]
    status, body = await submit(client, {**comment, "comment_id": "spam-1", "content": SPAM})
    assert status == 200
    assert body["decision"] in ("spam", "hold")
    assert body["scores"]["spam"] > 0.5
    assert body["reasons"][0]["name"] == "spam"
    assert body["reasons"][0]["value"] >= body["reasons"][0]["threshold"]


async def test_held_comment_is_queued_with_everything_a_moderator_needs(client, comment, redis):  # type: ignore[no-untyped-def]
    status, body = await submit(client, {**comment, "comment_id": "4712", "content": INSULT})
    assert status == 200
    assert body["decision"] == "hold", body
    assert body["status"] == "pending"
    assert body["review_item_id"] == body["id"]
    assert {r["name"] for r in body["reasons"]} & {"toxicity", "insult"}
    for reason in (r for r in body["reasons"] if r["kind"] == "score"):  # the words that drove each score
        assert reason["phrases"] and reason["spans"] == [[p["start"], p["end"]] for p in reason["phrases"]]
        assert all(INSULT[p["start"]:p["end"]] == p["text"] and p["weight"] > 0 for p in reason["phrases"])
    queued = await redis.zrange(keys.pending("kommblog"), 0, -1)
    assert queued == [body["id"]]
    stored = await redis.hgetall(keys.comment("kommblog", body["id"].split(":")[1]))
    assert stored["status"] == "pending"
    data = json.loads(stored["data"])
    assert data["comment"]["author_email"] == "jana@example.org"
    assert data["comment"]["content"] == INSULT
    assert data["comment"]["permalink"] == comment["permalink"] and data["comment"]["author_ip"] == "203.0.113.7"
    assert stored["model_version"] == "test-model"
    assert set(data["thresholds"]) == set(data["scores"]) == set(ATTRIBUTES)
    assert data["reasons"] == body["reasons"]  # the explanation too, for the moderator UI
    assert await redis.ttl(keys.comment("kommblog", body["id"].split(":")[1])) == -1  # kept until decided


async def test_same_comment_twice_gets_the_same_answer_and_is_queued_once(client, comment, redis):  # type: ignore[no-untyped-def]
    """A blog's retry may differ in what the reader does not see (time, address, browser): still a retry.
    (An edit of the text is decided anew: tests/api/test_edits.py.)"""
    held = {**comment, "comment_id": "dup-1", "content": INSULT}
    _, first = await submit(client, held)
    _, second = await submit(client, {**held, "submitted_at": "2026-11-26T10:16:00+01:00", "author_ip": "192.0.2.1",
                                      "user_agent": "curl/8"})
    assert first["repeated"] is False and second["repeated"] is True
    for field in ("id", "decision", "scores", "reasons", "model_version", "received_at", "revision"):
        assert second[field] == first[field]
    assert second["revision"] == 1
    assert await redis.zcard(keys.pending("kommblog")) == 1


async def test_same_comment_id_on_another_site_is_another_comment(client, comment):  # type: ignore[no-untyped-def]
    _, first = await submit(client, comment)
    _, second = await submit(client, {**comment, "site_id": "otherblog"}, role="other_blog")
    assert first["id"] != second["id"]
    assert second["repeated"] is False


async def test_without_comment_id_a_resubmission_is_recognised_by_content(client, comment):  # type: ignore[no-untyped-def]
    anonymous = {k: v for k, v in comment.items() if k != "comment_id"}
    _, first = await submit(client, anonymous)
    _, second = await submit(client, anonymous)
    assert second["id"] == first["id"] and second["repeated"] is True


async def test_published_decision_expires_after_retention(client, comment, redis, settings):  # type: ignore[no-untyped-def]
    _, body = await submit(client, comment)
    ttl = await redis.ttl(keys.comment("kommblog", body["id"].split(":")[1]))
    assert settings.decision_ttl_days * 86400 - 5 <= ttl <= settings.decision_ttl_days * 86400


async def test_get_returns_current_status(client, comment):  # type: ignore[no-untyped-def]
    _, body = await submit(client, {**comment, "content": INSULT})
    response = await client.get(f"/v1/comments/{body['id']}", headers=auth("blog"))
    assert response.status == 200
    fetched = await response.json()
    assert fetched["status"] == "pending"
    assert fetched["decision"] == body["decision"]
    assert fetched["scores"] == body["scores"]


async def test_get_unknown_and_malformed_ids(client):  # type: ignore[no-untyped-def]
    response = await client.get("/v1/comments/kommblog:aaaaaaaaaaaaaaaa", headers=auth("blog"))
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"
    response = await client.get("/v1/comments/nonsense", headers=auth("blog"))
    assert response.status == 404
    assert "use the 'id' the service answered" in (await response.json())["error"]["message"]


async def test_moderator_reads_any_site_and_admin_too(client, comment):  # type: ignore[no-untyped-def]
    _, body = await submit(client, comment)
    for role in ("moderator", "admin"):
        response = await client.get(f"/v1/comments/{body['id']}", headers=auth(role))
        assert response.status == 200


# ---------------------------------------------------------------- bad input


async def test_malformed_json_is_400_and_says_where(client):  # type: ignore[no-untyped-def]
    response = await client.post("/v1/comments", data=b'{"site_id": "kommblog",', headers=auth("blog"))
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "malformed_request"
    assert "not valid JSON" in error["message"] and "line 1" in error["message"]


def multipart_form() -> aiohttp.FormData:
    form = aiohttp.FormData({"site_id": "kommblog", "content": "Hallo"})
    form.add_field("file", b"x", filename="x.txt")  # a file makes it multipart
    return form


@pytest.mark.parametrize(("make_body", "kind"), [
    (lambda: {"site_id": "kommblog", "content": "Hallo"}, "application/x-www-form-urlencoded"),
    (multipart_form, "multipart/form-data"),
])
async def test_a_form_sent_where_json_is_expected_is_told_to_send_json(client, make_body, kind):  # type: ignore[no-untyped-def]
    # A form read as JSON failed at "unexpected character" without saying why; Akismet's calls say which
    # Content-Type to use, and so does this now.
    response = await client.post("/v1/comments", data=make_body(), headers=auth("blog"))
    assert response.status == 400
    assert (await response.json())["error"] == {"code": "malformed_request", "message": (
        f"The body is {kind}, not JSON. Send one JSON object, with Content-Type: application/json.")}


async def test_json_labelled_as_a_form_is_read_as_json(client, comment):  # type: ignore[no-untyped-def]
    # What curl -d sends: the body decides, not the label; and a mistake in it is told as a JSON mistake.
    form = {**auth("blog"), "Content-Type": "application/x-www-form-urlencoded"}
    response = await client.post("/v1/comments", data=json.dumps(comment), headers=form)
    assert response.status == 200
    response = await client.post("/v1/comments", data=' {"site_id": "kommblog",}', headers=form)
    assert (await response.json())["error"]["message"].startswith("The body is not valid JSON (")
    response = await client.post("/v1/comments", data="[1]", headers=form)
    assert (await response.json())["error"]["message"] == (
        "The body is JSON but an array, not an object. Send one JSON object.")


async def test_json_nested_too_deep_is_400(client):  # type: ignore[no-untyped-def]
    # Fits in the body limit, but the JSON parser would recurse past Python's limit: a 500 before.
    response = await client.post("/v1/comments", data=b"[" * 20000 + b"]" * 20000, headers=auth("blog"))
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "malformed_request"
    assert "nested too deeply" in error["message"]


async def test_json_that_is_not_an_object_is_400(client):  # type: ignore[no-untyped-def]
    response = await client.post("/v1/comments", json=["a"], headers=auth("blog"))
    assert response.status == 400
    message = (await response.json())["error"]["message"]
    assert message == "The body is JSON but an array, not an object. Send one JSON object."


@pytest.mark.parametrize(("body", "says"), [
    (b'{"content": NaN}', "NaN is not a JSON number"),  # Python's json reads NaN; JSON has no such number
    (b'{"content": 1e999}', "number is infinity"),
    (b'{"comment_id": ' + b"1" * 5000 + b"}", "number is infinity"),  # Python's json refuses it with a 500
    (b'{"content": "\\ud800", "x": NaN}', "NaN is not a JSON number"),  # the lenient path is as strict
    (b'{"content": "\\ud800", "x": ' + b"1" * 5000 + b"}", "more than 4,300 digits"),
    (b'{"content": "\xe4"}', "not UTF-8: byte 14"),
])
async def test_json_that_python_reads_or_chokes_on_but_is_not_json_is_400(client, body, says):  # type: ignore[no-untyped-def]
    response = await client.post("/v1/comments", data=body, headers=auth("blog"))
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "malformed_request" and says in error["message"], error


async def test_a_leading_byte_order_mark_is_allowed(client, comment):  # type: ignore[no-untyped-def]
    body = b"\xef\xbb\xbf" + json.dumps(comment).encode("utf-8")
    response = await client.post("/v1/comments", data=body, headers=auth("blog"))
    assert response.status == 200 and (await response.json())["decision"] == "publish"


async def test_invalid_fields_are_422_naming_each_field(client, comment):  # type: ignore[no-untyped-def]
    bad = {**comment, "site_id": "kommblog", "author_ip": "999.1.1.1", "lang": "deutsch!", "conent": "typo",
           "submitted_at": "yesterday"}
    del bad["content"]
    response = await client.post("/v1/comments", json=bad, headers=auth("blog"))
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "invalid_fields"
    assert set(error["fields"]) == {"content", "author_ip", "lang", "conent", "submitted_at"}
    assert error["fields"]["content"] == ["Missing data for required field."]
    assert error["fields"]["conent"] == ["Unknown field."]


@pytest.mark.parametrize(("field", "value"), [
    ("submitted_at", "gestern"), ("submitted_at", "2026-13-45T00:00:00"), ("submitted_at", 1764234000),
    ("form_rendered_at", ""), ("author_ip", "999.1.1.1"), ("author_ip", ""), ("author_ip", "1.2.3.4, 5.6.7.8"),
])
async def test_a_bad_time_or_address_is_told_what_to_send(client, comment, field, value):  # type: ignore[no-untyped-def]
    # "Not a valid datetime." named no format (a Unix time is refused, and nothing said why), and "Not a valid
    # IP address." did not say that a list of them is not one.
    status, body = await submit(client, {**comment, field: value})
    assert status == 422
    says = {"submitted_at": ISO_TIME, "form_rendered_at": ISO_TIME, "author_ip": IP_ADDRESS}[field]
    assert body["error"]["fields"] == {field: [says]}


ISO_TIME = "Use an ISO 8601 time such as '2026-11-28T14:05:00Z' or '2026-11-28T15:05:00+01:00' (UTC if no zone)."
IP_ADDRESS = "Use one IPv4 or IPv6 address, such as '203.0.113.7' or '2001:db8::7'."


async def test_a_link_whose_host_urlsplit_refuses_is_decided(client, comment):  # type: ignore[no-untyped-def]
    # "\u2101" and the full-width solidus turn into "/" under NFKC: urlsplit refuses such a host (ValueError).
    for number, link in enumerate(("http://x\u2101y.example", "www.angebot.example\uff0fjetzt")):
        status, body = await submit(client, {**comment, "comment_id": f"nfkc-{number}",
                                             "content": f"Schaut mal auf {link} vorbei"})
        assert status == 200, body
        assert body["decision"] in ("publish", "hold", "spam")


async def test_a_site_id_or_language_tag_with_a_trailing_newline_is_422(client, comment):  # type: ignore[no-untyped-def]
    # "$" in a pattern also matches before a final newline: "kommblog\n" would be another site in Redis.
    status, body = await submit(client, {**comment, "site_id": "kommblog\n"}, role="admin")
    assert status == 422 and set(body["error"]["fields"]) == {"site_id"}, body
    status, body = await submit(client, {**comment, "lang": "de\n"})
    assert status == 422 and set(body["error"]["fields"]) == {"lang"}, body


async def test_whole_number_ids_are_the_same_ids_as_strings(client, comment):  # type: ignore[no-untyped-def]
    status, first = await submit(client, {**comment, "comment_id": 4711, "post_id": 12, "parent_id": 4700})
    assert status == 200 and first["comment_id"] == "4711"
    status, again = await submit(client, {**comment, "comment_id": "4711", "post_id": "12", "parent_id": "4700"})
    assert status == 200 and again["id"] == first["id"] and again["repeated"] is True
    for wrong in (True, 47.5, [1]):
        status, body = await submit(client, {**comment, "comment_id": wrong})
        assert status == 422 and body["error"]["fields"] == {"comment_id": ["Use a string or a whole number."]}, wrong

async def test_a_whole_number_id_beyond_64_bits_is_told_to_come_as_a_string(client, comment):  # type: ignore[no-untyped-def]
    # JSON reads such a number as a double, which cannot hold it exactly; it was told "Use a string or a whole
    # number", which it was. Up to 64 bits (WordPress's bigint ids) it is the same id as its string.
    body = json.dumps({**comment, "comment_id": 2**64}).encode("utf-8")
    response = await client.post("/v1/comments", data=body, headers=auth("blog"))
    assert response.status == 422
    assert (await response.json())["error"]["fields"] == {"comment_id": [
        "A whole number this large cannot be read exactly: send the id as a string."]}
    status, body = await submit(client, {**comment, "comment_id": 2**64 - 1})
    assert status == 200 and body["comment_id"] == str(2**64 - 1)


async def test_empty_and_too_long_content_are_422(client, comment, settings):  # type: ignore[no-untyped-def]
    status, body = await submit(client, {**comment, "content": "   "})
    assert status == 422 and body["error"]["fields"] == {"content": ["Must contain text."]}
    status, body = await submit(client, {**comment, "content": "x" * (settings.max_content_chars + 1)})
    assert status == 422 and "Longer than" in body["error"]["fields"]["content"][0]


@pytest.mark.parametrize("content", ["\u200b\u200b", " \u200b\n\ufeff\u00ad ", "\u200d\u2060\u200e\u202e"],
                         ids=["zero-width-spaces", "with-white-space", "joiners-and-direction-marks"])
async def test_content_of_only_invisible_characters_is_empty(client, comment, redis, content):  # type: ignore[no-untyped-def]
    """Zero-width spaces, joiners, direction marks or a soft hyphen are no text: the comment is refused as an
    empty one is, not scored as if it said something (the model reads it as empty) and kept."""
    status, body = await submit(client, {**comment, "content": content})
    assert status == 422 and body["error"]["fields"] == {"content": ["Must contain text."]}
    assert await redis.keys("moderation:{kommblog}:comment:*") == []
    status, body = await submit(client, {**comment, "content": "Gut\u200b!"})  # a word with one inside is text
    assert status == 200


async def test_body_over_the_limit_is_413(client, comment, settings):  # type: ignore[no-untyped-def]
    body = {**comment, "content": "a" * (settings.max_body_bytes + 10)}
    response = await client.post("/v1/comments", json=body, headers=auth("blog"))
    assert response.status == 413
    error = (await response.json())["error"]
    assert error["code"] == "request_entity_too_large"
    assert f"The limit is {settings.max_body_bytes} bytes" in error["message"]


@pytest.mark.parametrize("character", ["ü", "\u0436", "\U0001f600"], ids=["umlaut", "cyrillic", "emoji"])
async def test_a_comment_at_the_length_limit_fits_the_body_limit_however_it_is_escaped(
        client, comment, settings, character):  # type: ignore[no-untyped-def]
    """PHP's json_encode (and so many a blog plugin) writes every non-ASCII character as \\uXXXX, an emoji as
    two: 12 bytes for one character. A comment within MODERATION_MAX_CONTENT_CHARS is scored, not refused as a
    body too large (until 2026-11-28 the 64 KiB default refused 11,000 Cyrillic characters or 5,500 emoji)."""
    text = character * settings.max_content_chars
    body = json.dumps({**comment, "content": text}, ensure_ascii=True)
    headers = {**auth("blog"), "Content-Type": "application/json"}
    response = await client.post("/v1/comments", data=body, headers=headers)
    assert response.status == 200, await response.text()
    assert (await response.json())["decision"] in ("publish", "hold", "spam")


def test_the_default_body_limit_follows_the_length_limit() -> None:
    from moderation_service.settings import Settings

    assert Settings.from_env({}).max_body_bytes == 12 * 20_000 + 65536
    assert Settings.from_env({"MODERATION_MAX_CONTENT_CHARS": "50000"}).max_body_bytes == 12 * 50_000 + 65536
    given = {"MODERATION_MAX_CONTENT_CHARS": "50000", "MODERATION_MAX_BODY_BYTES": "100000"}
    assert Settings.from_env(given).max_body_bytes == 100_000


async def test_a_body_limit_below_what_the_length_limit_needs_is_warned_of(
        aiohttp_client, settings, caplog):  # type: ignore[no-untyped-def]
    import dataclasses

    from moderation_service.app import create_app

    await aiohttp_client(create_app(dataclasses.replace(settings, max_body_bytes=65536)))
    assert [r.getMessage() for r in caplog.records if "MODERATION_MAX_BODY_BYTES" in r.getMessage()] == [
        "MODERATION_MAX_BODY_BYTES (65536) is less than a comment of MODERATION_MAX_CONTENT_CHARS (20000) characters "
        "may take as JSON (305536 bytes, with every character escaped): such a comment gets 413 instead of a decision"]


async def test_unknown_endpoint_and_method_are_json(client):  # type: ignore[no-untyped-def]
    response = await client.get("/v2/nothing")
    assert response.status == 404 and (await response.json())["error"]["code"] == "not_found"
    response = await client.put("/v1/comments", headers=auth("blog"))
    assert response.status == 405 and (await response.json())["error"]["code"] == "method_not_allowed"


async def test_a_wrong_method_says_which_methods_the_endpoint_takes(client):  # type: ignore[no-untyped-def]
    # RFC 9110: a 405 names the allowed methods in Allow. Before, the JSON error replaced aiohttp's answer and
    # lost the header, and its message did not say which method to use.
    response = await client.get("/v1/comments", headers=auth("blog"))
    assert response.status == 405 and response.headers["Allow"] == "POST"
    assert (await response.json())["error"] == {
        "code": "method_not_allowed", "message": "This endpoint does not accept GET; use POST."}
    response = await client.put("/v1/comments/kommblog:abc", headers=auth("blog"))
    assert set(response.headers["Allow"].split(",")) == {"DELETE", "GET", "HEAD"}
    assert (await response.json())["error"]["message"] == (
        "This endpoint does not accept PUT; use DELETE, GET or HEAD.")


# ---------------------------------------------------------------- auth


async def test_no_key_is_401(client, comment):  # type: ignore[no-untyped-def]
    response = await client.post("/v1/comments", json=comment)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in (await response.json())["error"]["message"]


async def test_reading_without_a_key_is_401_whatever_the_id(client):  # type: ignore[no-untyped-def]
    for id_ in ("not-an-id", "kommblog:aaaaaaaaaaaaaaaa"):
        response = await client.get(f"/v1/comments/{id_}")
        assert response.status == 401
    response = await client.get("/v1/comments/not-an-id", headers=auth("blog"))
    assert response.status == 404 and "is not a comment id" in (await response.json())["error"]["message"]


async def test_wrong_key_is_401(client, comment):  # type: ignore[no-untyped-def]
    response = await client.post("/v1/comments", json=comment, headers={"X-API-Key": "not-a-valid-key-at-all"})
    assert response.status == 401


async def test_blog_key_cannot_submit_or_read_another_site(client, comment):  # type: ignore[no-untyped-def]
    status, body = await submit(client, {**comment, "site_id": "otherblog"})
    assert status == 403 and body["error"]["message"] == "The key 'kommblog' is not valid for site 'otherblog'."
    _, other = await submit(client, {**comment, "site_id": "otherblog"}, role="other_blog")
    response = await client.get(f"/v1/comments/{other['id']}", headers=auth("blog"))
    assert response.status == 403


async def test_moderator_key_cannot_submit(client, comment):  # type: ignore[no-untyped-def]
    status, body = await submit(client, comment, role="moderator")
    assert status == 403
    assert "comments:submit" in body["error"]["message"]


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
async def test_key_in_either_header(client, comment, header):  # type: ignore[no-untyped-def]
    from tests.conftest import KEYS

    value = KEYS["blog"] if header == "X-API-Key" else f"Bearer {KEYS['blog']}"
    response = await client.post("/v1/comments", json=comment, headers={header: value})
    assert response.status == 200


async def test_keys_never_reach_the_logs(client, comment, caplog):  # type: ignore[no-untyped-def]
    from tests.conftest import KEYS

    caplog.set_level("DEBUG")
    await client.post("/v1/comments", json=comment, headers=auth("blog"))
    await client.post("/v1/comments", json=comment, headers={"X-API-Key": "wrong-key-wrong-key-wrong"})
    assert KEYS["blog"] not in caplog.text
    assert "wrong-key-wrong-key-wrong" not in caplog.text
