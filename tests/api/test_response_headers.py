"""Headers every answer carries: no version banner to look vulnerabilities up by, and no content sniffing."""

from __future__ import annotations

import pytest

from tests.api.test_comments import INSULT
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


async def test_answers_holding_a_commenter_s_data_are_not_stored_by_any_cache(  # type: ignore[no-untyped-def]
        client, comment) -> None:
    """The moderator API answers with the author's e-mail and IP address (to the UI's script, with a session
    cookie, too): without ``no-store`` a browser keeps them in its disk cache after signing out, and a shared
    cache may keep them for others."""
    held = await client.post("/v1/comments", json={**comment, "content": f"{INSULT} (cache)"}, headers=auth("blog"))
    record_id = (await held.json())["id"]
    answers = [held]
    for method, path, role in (("GET", "/v1/review/items", "moderator"), ("GET", f"/v1/review/items/{record_id}",
                               "moderator"), ("GET", f"/v1/comments/{record_id}", "blog"),
                               ("GET", "/v1/review/audit?site_id=kommblog", "moderator"),
                               ("GET", "/v1/ops/deliveries", "admin")):
        answers.append(await client.request(method, path, headers=auth(role)))
    for answer in answers:
        assert answer.status == 200, (answer.url, await answer.text())
        assert answer.headers.get("Cache-Control") == "no-store", answer.url
    items = await answers[1].json()
    assert items["items"][0]["comment"]["author_email"] == comment["author_email"]


async def test_the_ui_s_static_files_are_still_cached(client) -> None:  # type: ignore[no-untyped-def]
    page = await client.get("/moderate/sign-in")
    assert page.headers["Cache-Control"] == "no-store"
    static = await client.get("/moderate/static/queue.js")
    assert static.headers["Cache-Control"] == "no-cache"
