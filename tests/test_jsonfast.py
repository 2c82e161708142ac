"""Answers and stored records are encoded by orjson, and by the json module where orjson refuses."""

from __future__ import annotations

import json

from moderation_service.jsonfast import dumps
from moderation_service.review import keys
from tests.conftest import auth


def test_dumps_is_compact_json_with_characters_as_they_are() -> None:
    value = {"text": "Grüße 👋", "n": 1, "x": 0.25, "none": None, "list": [True, False]}
    assert json.loads(dumps(value)) == value
    assert "Grüße 👋" in dumps(value) and ", " not in dumps(value)


def test_a_lone_surrogate_falls_back_to_the_json_module() -> None:
    value = {"text": "lone \ud800 surrogate"}
    assert json.loads(dumps(value)) == value


async def test_a_comment_with_a_lone_surrogate_is_decided_and_read_back(client, redis) -> None:  # type: ignore[no-untyped-def]
    # Half a surrogate pair is not a character: it becomes U+FFFD (a whole pair stays the emoji it is).
    body = ('{"site_id": "kommblog", "comment_id": "s1", "content": "Hallo \\ud800 Welt \\ud83d\\ude00",'
            ' "author_name": "\\udfff"}')
    headers = {**auth("blog"), "Content-Type": "application/json"}
    response = await client.post("/v1/comments", data=body, headers=headers)
    assert response.status == 200
    decided = json.loads(await response.text())
    site, token = decided["id"].split(":")
    stored = json.loads((await redis.hgetall(keys.comment(site, token)))["data"])
    assert stored["comment"]["content"] == "Hallo \ufffd Welt 😀" and stored["comment"]["author_name"] == "\ufffd"
    again = await client.get(f"/v1/comments/{decided['id']}", headers=auth("blog"))
    assert again.status == 200 and (await again.json())["decision"] == decided["decision"]
