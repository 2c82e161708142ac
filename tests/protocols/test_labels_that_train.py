"""Which collected labels train when a moderator and the blog disagree about the same comment: labels collected
through the API (the review queue, Akismet's submit-spam / submit-ham, Perspective's suggestscore), read back
as ``moderation-train retrain`` reads them. Every label stays stored and exported; per label key, the later
human word about a text stands, and the earlier word of another origin neither trains nor judges."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.api.test_comments import INSULT
from tests.conftest import auth
from tests.protocols.test_akismet import check
from tests.protocols.test_akismet_wordpress import TYPED, call, form
from tests.protocols.test_perspective import SUGGEST, post
from training import site_labels

#: Held comments (insulting), one per disagreement.
APPROVED_THEN_SPAM = TYPED
SPAM_THEN_HAM = f"{INSULT}, und zwar sofort"
SUGGESTED_THEN_REJECTED = f"{INSULT}, ganz ehrlich"


async def decide_held(client: Any, item_id: str, action: str) -> None:
    assert (await call(client, "POST", f"/v1/review/items/{item_id}/claim"))[0] == 200
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": action})
    assert status == 200, body


async def collect_disagreements(client: Any) -> None:
    """Three comments on which two origins disagree, in both orders of who spoke first."""
    # a moderator approved, the blog's admin later said Spam (Akismet)
    _, held = await check(client, **form(APPROVED_THEN_SPAM))
    await decide_held(client, held["X-akismet-guid"], "approve")
    assert (await client.post("/1.1/submit-spam", data=form(APPROVED_THEN_SPAM, reporter="admin"))).status == 200
    # a moderator marked spam, the blog's admin later said Not Spam
    _, held = await check(client, **form(SPAM_THEN_HAM))
    await decide_held(client, held["X-akismet-guid"], "spam")
    assert (await client.post("/1.1/submit-ham", data=form(SPAM_THEN_HAM, reporter="admin"))).status == 200
    # Coral's moderator said not toxic (Perspective's suggestscore), a moderator here later rejected it as toxic
    suggestion = {"comment": {"text": SUGGESTED_THEN_REJECTED}, "languages": ["de"],
                  "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}}}
    assert (await post(client, SUGGEST, suggestion))[0] == 200
    response = await client.post("/v1/comments", headers=auth("blog"), json={
        "site_id": "kommblog", "comment_id": "c-later", "content": SUGGESTED_THEN_REJECTED})
    assert (await response.json())["decision"] == "hold"
    await decide_held(client, (await response.json())["id"], "reject")


async def test_the_later_word_of_another_origin_supersedes_per_label_key(client: Any, redis_url: str) -> None:
    await collect_disagreements(client)
    everything = [(e["source"], e["content"], e["labels"])
                  for e in map(json.loads, (await (await client.get("/v1/ops/labels", headers=auth("admin")))
                                            .text()).splitlines())]
    assert everything == [
        ("moderator", APPROVED_THEN_SPAM, {"spam": 0, "toxicity": 0}), ("akismet", APPROVED_THEN_SPAM, {"spam": 1}),
        ("moderator", SPAM_THEN_HAM, {"spam": 1}), ("akismet", SPAM_THEN_HAM, {"spam": 0}),
        ("perspective", SUGGESTED_THEN_REJECTED, {"toxicity": 0}),
        ("moderator", SUGGESTED_THEN_REJECTED, {"spam": 0, "toxicity": 1})]

    collected = await asyncio.to_thread(site_labels.from_redis, redis_url)
    train, held = site_labels.split_recent(collected, 0.0)
    assert held == []
    # the moderator's "not toxic" stands beside the blog's later "spam"; the moderator's "spam" gives way to the
    # blog's later "not spam"; Coral's "not toxic" gives way to the moderator's later "toxic"
    assert [(r["source"], r["content"], r["labels"]) for r in train] == [
        ("moderator", APPROVED_THEN_SPAM, {"toxicity": 0}), ("akismet", APPROVED_THEN_SPAM, {"spam": 1}),
        ("akismet", SPAM_THEN_HAM, {"spam": 0}),
        ("moderator", SUGGESTED_THEN_REJECTED, {"spam": 0, "toxicity": 1})]
    # nor does a superseded label judge: held back, the same labels stand
    train, held = site_labels.split_recent(collected, 0.5)
    assert [(r["source"], r["labels"]) for r in train + held] == [
        ("moderator", {"toxicity": 0}), ("akismet", {"spam": 1}), ("akismet", {"spam": 0}),
        ("moderator", {"spam": 0, "toxicity": 1})]

    summary = site_labels.summary(collected, train, held, 3.0, 0.5)
    assert summary["superseded_by_other_origin"] == {"labels": 3, "contradicting": 3, "examples": 2}
    # nothing was lost: the export still gives every stored label
    exported = await (await client.get("/v1/ops/labels", headers=auth("admin"))).text()
    assert len(exported.splitlines()) == len(everything) == len(collected.records) == 6
