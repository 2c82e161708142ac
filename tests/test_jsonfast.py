"""Answers and stored records are encoded by orjson, and by the json module where orjson refuses; clients'
JSON objects are read strictly by orjson, and by the json module only for lone surrogates."""

from __future__ import annotations

import json

import pytest

from moderation_service.jsonfast import NotJsonObject, dumps, loads_object
from moderation_service.review import keys
from tests.conftest import auth


def test_dumps_is_compact_json_with_characters_as_they_are() -> None:
    value = {"text": "Grüße 👋", "n": 1, "x": 0.25, "none": None, "list": [True, False]}
    assert json.loads(dumps(value)) == value
    assert "Grüße 👋" in dumps(value) and ", " not in dumps(value)


def test_a_lone_surrogate_falls_back_to_the_json_module() -> None:
    value = {"text": "lone \ud800 surrogate"}
    assert json.loads(dumps(value)) == value


@pytest.mark.parametrize("text", ['{"a": [1, "ü"]}', b'{"a": [1, "\xc3\xbc"]}', '\ufeff{"a": [1, "ü"]}',
                                  b'\xef\xbb\xbf{"a": [1, "\xc3\xbc"]}'])
def test_loads_object_reads_text_and_bytes_with_or_without_a_bom(text: str | bytes) -> None:
    assert loads_object(text) == {"a": [1, "ü"]}


def test_loads_object_keeps_a_pair_and_replaces_a_lone_half() -> None:
    assert loads_object('{"a": "\\ud83d\\ude00 \\ud800", "\\udfff": 1}') == {"a": "😀 \ufffd", "\ufffd": 1}


@pytest.mark.parametrize(("text", "message"), [
    ("", "not valid JSON (Input is a zero-length, empty document at line 1 column 1)"),
    ('{"a": 1', "not valid JSON (unexpected end of data at line 1 column 8)"),
    ('{"a": NaN}', "not valid JSON (NaN is not a JSON number; send a number or null, at line 1 column 7)"),
    ('{"a": [1, Infinity]}', "not valid JSON (Infinity is not a JSON number"),
    ('{"a": "x" NaN}', "not valid JSON (unexpected character"),  # the fault is the missing comma
    ('{"a": -Infinity}', "not valid JSON (-Infinity is not a JSON number"),
    ('{"a": 1e400}', "not valid JSON (number is infinity when parsed as double"),
    ("[" * 1100 + "]" * 1100, "JSON nested too deeply (more than 1,024 levels)"),
    ("[1]", "JSON but an array, not an object"),
    ("null", "JSON but null, not an object"),
    ('"x"', "JSON but a string, not an object"),
    (b"{\"a\": \"\xe4\"}", "not valid JSON (not UTF-8: byte 8 cannot be read)"),
    # With a lone surrogate the json module reads the text, as strictly:
    ('{"a": "\\ud800", "b": NaN}', "not valid JSON (NaN is not a JSON number; send a number or null)"),
    ('{"a": "\\ud800", "b": ' + "1" * 5000 + "}", "not valid JSON (a number with more than 4,300 digits)"),
    ('{"a": "\\ud800", "b": ' + "[" * 50_000 + "]" * 50_000 + "}", "JSON nested too deeply"),
    ('{"a": "\\ud800", "b": }', "not valid JSON (Expecting value at line 1 column 22)"),
    ('["\\ud800"]', "JSON but an array, not an object"),
])
def test_loads_object_says_what_is_wrong(text: str | bytes, message: str) -> None:
    with pytest.raises(NotJsonObject) as refused:
        loads_object(text)
    assert str(refused.value).startswith(message)


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
