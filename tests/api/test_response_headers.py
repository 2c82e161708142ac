"""Headers every answer carries: no version banner to look vulnerabilities up by, and no content sniffing."""

from __future__ import annotations

import pytest

from tests.conftest import auth


@pytest.mark.parametrize(("method", "path", "headers"), [
    ("GET", "/healthz", {}),
    ("GET", "/readyz", {}),
    ("GET", "/v1/comments/kommblog:abcdefgh23456789", {}),  # a refusal (401)
    ("GET", "/metrics", auth("monitor")),
    ("GET", "/no/such/endpoint", {}),
    ("POST", "/1.1/verify-key", {}),  # Akismet's plain-text answers
    ("GET", "/moderate/sign-in", {}),
])
async def test_no_answer_names_the_server_software(client, method: str, path: str,  # type: ignore[no-untyped-def]
                                                   headers: dict[str, str]) -> None:
    response = await client.request(method, path, headers=headers)
    server = response.headers.get("Server", "")
    assert "aiohttp" not in server and "Python" not in server and "/" not in server, server
    assert response.headers["X-Content-Type-Options"] == "nosniff"
