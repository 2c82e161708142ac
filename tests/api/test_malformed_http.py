"""Requests that are not valid HTTP: refused by aiohttp's parser, and logged without the request's bytes."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp.http_exceptions import BadHttpMessage, BadStatusLine, LineTooLong

from moderation_service.app import create_app
from moderation_service.logs import malformed_request_reason
from tests.conftest import KEYS

KEY = KEYS["blog"]

MALFORMED = {
    "a header line over 8,190 bytes": (
        f"POST /v1/comments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nX-Big: {'a' * 9000}\r\n"
        "Content-Length: 2\r\n\r\n{}"
    ),
    "a control character in the key's header": (
        f"POST /v1/comments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\x01\r\nContent-Length: 2\r\n\r\n{{}}"
    ),
    "a Perspective key in the request line, a NUL in a header": (
        f"POST /v1alpha1/comments:analyze?key={KEY} HTTP/1.1\r\nHost: x\r\nX-Y: a\x00b\r\n\r\n"
    ),
}


async def _send(port: int, raw: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw.encode("latin-1"))
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()
    return answer


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_request_that_is_not_valid_http_is_refused_and_logged_in_one_line_without_its_bytes(
    aiohttp_server, settings, caplog, raw  # type: ignore[no-untyped-def]
) -> None:
    server = await aiohttp_server(create_app(settings))
    caplog.set_level(logging.DEBUG)

    answer = await _send(server.port, raw)

    assert answer.startswith(b"HTTP/1.0 400 Bad Request")
    records = [r for r in caplog.records if r.name in ("moderation_service.http", "aiohttp.server")]
    assert len(records) == 1
    (record,) = records
    assert record.name == "moderation_service.http" and record.levelno == logging.INFO
    assert record.exc_info is None and record.exc_text is None  # no traceback
    assert "not valid HTTP, refused" in record.getMessage()
    assert all(KEY not in r.getMessage() and KEY not in (r.exc_text or "") for r in caplog.records)
    assert KEY not in caplog.text


async def test_a_valid_request_after_a_refused_one_is_answered(
    aiohttp_server, settings  # type: ignore[no-untyped-def]
) -> None:
    server = await aiohttp_server(create_app(settings))
    await _send(server.port, MALFORMED["a header line over 8,190 bytes"])

    answer = await _send(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")

    assert answer.startswith(b"HTTP/1.1 200")


def test_a_failure_inside_aiohttp_keeps_its_traceback(caplog) -> None:  # type: ignore[no-untyped-def]
    from moderation_service.logs import ServerLog

    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError("a bug")
    except RuntimeError as exc:
        ServerLog().exception("Error handling request from %s", "127.0.0.1", exc_info=exc)

    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info[1].args == ("a bug",)
    assert record.getMessage() == "Error handling request from 127.0.0.1"


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (LineTooLong(b"aaaa" * 30, 8190), "Got more than 8190 bytes when reading"),
        (BadHttpMessage("Invalid header value char:\n\n  b'Authorization: Bearer secret\\x01'\n   ^"),
         "Invalid header value char"),
        (BadHttpMessage("Content-Length can't be present with Transfer-Encoding:\n\n  b'Content-Length: 3'"),
         "Content-Length can't be present with Transfer-Encoding"),
        (BadStatusLine("GET /?key=secret HTT/1.1"), "Bad status line"),
        (BadHttpMessage(""), "BadHttpMessage"),
    ],
)
def test_the_reason_for_refusing_a_request_quotes_none_of_its_bytes(exc, reason) -> None:  # type: ignore[no-untyped-def]
    assert malformed_request_reason(exc) == reason
    assert "secret" not in malformed_request_reason(exc)
