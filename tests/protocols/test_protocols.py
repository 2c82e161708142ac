"""The helpers the adapters share: which site a key means, and how a record reads in protocol terms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from moderation_service.api.akismet import _comparable, blog_lang, gmt
from moderation_service.api.protocols import is_blatant_spam, is_spam_related, is_toxic, site_for
from moderation_service.app import create_app
from moderation_service.appkeys import SPOOL
from moderation_service.auth import Principal, Role
from moderation_service.comments import INITIAL_STATUS, Comment, Record
from moderation_service.policy import Decision
from moderation_service.settings import Settings
from tests.api.test_comments import INSULT
from tests.conftest import KEYS
from tests.redis_server import RedisServer


def record(decision: Decision, spam: float, reasons: tuple[str, ...] = (), spam_threshold: float = 0.9) -> Record:
    return Record(
        id="kommblog:aaaaaaaaaaaaaaaa", comment=Comment("kommblog", "text"), decision=decision,
        status=INITIAL_STATUS[decision], scores={"spam": spam, "toxicity": 0.1},
        reasons=[{"name": name} for name in reasons], model_version="m",
        thresholds={"spam": {"hold": 0.5, "spam": spam_threshold}}, received_at=0.0)


@pytest.mark.parametrize(("decision", "spam", "threshold", "blatant"), [
    (Decision.SPAM, 0.95, 0.9, True),
    (Decision.SPAM, 0.949, 0.9, False),
    (Decision.SPAM, 0.9, 0.8, True),
    (Decision.HOLD, 0.99, 0.995, False),  # spam-like but below the site's spam threshold: a moderator decides
    (Decision.PUBLISH, 1.0, 0.9, False),
])
def test_blatant_spam_is_the_upper_half_above_the_spam_threshold(decision: Decision, spam: float, threshold: float,
                                                                 blatant: bool) -> None:
    assert is_blatant_spam(record(decision, spam, spam_threshold=threshold)) is blatant


def test_which_families_fired() -> None:
    held = record(Decision.HOLD, 0.6, ("spam", "insult"))
    assert is_spam_related(held) and is_toxic(held)
    assert not is_toxic(record(Decision.SPAM, 0.99, ("spam",)))
    assert not is_spam_related(record(Decision.HOLD, 0.1, ("threat",)))


@pytest.mark.parametrize(("principal", "named", "site"), [
    (Principal("one", Role.BLOG, frozenset({"kommblog"})), None, "kommblog"),
    (Principal("one", Role.BLOG, frozenset({"kommblog"})), "otherblog", "kommblog"),
    (Principal("two", Role.BLOG, frozenset({"kommblog", "otherblog"})), "otherblog", "otherblog"),
    (Principal("two", Role.BLOG, frozenset({"kommblog", "otherblog"})), "thirdblog", None),
    (Principal("two", Role.BLOG, frozenset({"kommblog", "otherblog"})), None, None),
    (Principal("all", Role.BLOG, frozenset({"*"})), "thirdblog", "thirdblog"),
    (Principal("ops", Role.ADMIN), "kommblog", "kommblog"),
    (Principal("ops", Role.ADMIN), None, None),
])
def test_site_for(principal: Principal, named: str | None, site: str | None) -> None:
    assert site_for(principal, named) == site


def test_akismet_field_readers() -> None:
    assert blog_lang("de_DE") == "de-DE" and blog_lang("en, fr_ca") == "en" and blog_lang("") is None
    assert gmt("2026-11-26T09:15:00+01:00") == "2026-11-26T09:15:00+01:00"
    assert gmt("2026-11-26 08:15:00") == "2026-11-26T08:15:00+00:00" and gmt(None) is None
    assert _comparable("https://www.Kommblog.example/blog/") == _comparable("http://kommblog.example/blog")
    assert _comparable("kommblog.example") == _comparable("https://kommblog.example/")
    assert _comparable("https://kommblog.example/a") != _comparable("https://kommblog.example/b")


async def test_while_redis_is_down_decisions_are_spooled_and_corrections_refused(
        aiohttp_client: Any, settings: Settings, tmp_path: Path) -> None:
    from tests.protocols.test_akismet import form
    from tests.protocols.test_coral import coral_request, signature

    server = RedisServer(directory=tmp_path / "redis-data").start()
    try:
        client = await aiohttp_client(create_app(settings.with_overrides(redis_url=server.url)))
        server.stop()
        response = await client.post("/1.1/comment-check", data=form(INSULT))
        assert await response.text() == "true" and response.headers["X-Moderation-Decision"] == "hold"
        body = coral_request(INSULT)
        response = await client.post("/coral/kommblog", data=body, headers={"X-Coral-Signature": signature(body)})
        assert (await response.json())["status"] == "SYSTEM_WITHHELD"
        assert await client.server.app[SPOOL].pending() == 2  # both kept locally until Redis returns
        response = await client.post("/1.1/submit-spam", data=form(INSULT))
        assert response.status == 503 and (await response.json())["error"]["code"] == "storage_unavailable"
        response = await client.post("/v1alpha1/comments:suggestscore", params={"key": KEYS["blog"]}, json={
            "comment": {"text": INSULT}, "attributeScores": {"TOXICITY": {"summaryScore": {"value": 1}}}})
        assert response.status == 503
        assert (await response.json())["error"] == {
            "code": 503, "status": "UNAVAILABLE",
            "message": "Redis is unreachable, so the correction cannot be kept now; retry shortly."}
    finally:
        server.stop()
