"""Coral Talk's external moderation phase: signed requests exactly as Coral sends them, and its answers."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from moderation_service.api.coral import EDIT_LIKENESS, likeness
from moderation_service.appkeys import STORE
from moderation_service.policy import Decision
from tests.api.test_comments import INSULT, SPAM
from tests.conftest import auth
from tests.protocols.conftest import CORAL_SECRET

FRIENDLY = "Danke für den Beitrag! Die Beispiele zur Krisenkommunikation fand ich sehr hilfreich."
STORY_URL = "https://kommblog.example/2026/krisenkommunikation/"


def coral_request(body: str, action: str = "NEW", parent: str | None = None,
                  author: dict[str, str] | None = None) -> bytes:
    """Coral's ExternalModerationRequest, serialised as Coral does (JSON.stringify(request, null, 2))."""
    request = {
        "action": action,
        "comment": {"body": body, "parentID": parent},
        "author": author or {"id": "baf4e943-3594-4fcc-b2ba-3e8de7a76352", "role": "COMMENTER"},
        "story": {"id": "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6", "url": STORY_URL},
        "site": {"id": "a4bede88-2d2c-4424-bc18-4322a9e285a6"},
        "tenantID": "19ba5794-7eeb-4d46-a81b-c00c61672501",
        "tenantDomain": "kommentare.kommblog.example",
    }
    return json.dumps(request, indent=2, ensure_ascii=False).encode("utf-8")


def signature(body: bytes, secret: str = CORAL_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def moderate(client: Any, body: bytes, sig: str | None = "sign", site: str = "kommblog") -> tuple[int, Any, Any]:
    headers = {"Content-Type": "application/json", "User-Agent": "Coral Moderation/9.0.0"}
    if sig is not None:
        headers["X-Coral-Signature"] = signature(body) if sig == "sign" else sig
    response = await client.post(f"/coral/{site}", data=body, headers=headers)
    return response.status, await response.json(), response.headers


async def test_a_fine_comment_keeps_corals_own_status(client: Any) -> None:
    """No status, as Coral's own phases answer: the comment stays NONE, so readers' reports still reach
    Coral's Reported queue (an APPROVED comment never goes there)."""
    status, body, headers = await moderate(client, coral_request(FRIENDLY))
    assert status == 200
    assert body == {"actions": [], "tags": []}
    assert headers["X-Moderation-Decision"] == "publish"


async def test_toxic_comment_is_withheld_flagged_and_queued_here_too(client: Any) -> None:
    status, body, headers = await moderate(client, coral_request(INSULT, parent="d79b787f-f406-49a0-a179-72e3652e54be"))
    assert status == 200
    assert body == {"status": "SYSTEM_WITHHELD", "moderationAction": {"status": "SYSTEM_WITHHELD"},
                    "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}], "tags": []}
    response = await client.get("/v1/review/items?site_id=kommblog", headers=auth("moderator"))
    assert [item["id"] for item in (await response.json())["items"]] == [headers["X-Moderation-Id"]]
    record = await client.server.app[STORE].get(headers["X-Moderation-Id"])
    assert record.comment.permalink == STORY_URL and record.comment.post_id == "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6"
    assert record.comment.parent_id == "d79b787f-f406-49a0-a179-72e3652e54be"
    assert record.comment.author_name == "baf4e943-3594-4fcc-b2ba-3e8de7a76352"


async def test_blatant_spam_is_rejected_and_flagged_as_spam(client: Any) -> None:
    status, body, _ = await moderate(client, coral_request(SPAM))
    assert status == 200 and body["status"] == "REJECTED" == body["moderationAction"]["status"]
    assert {"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"} in body["actions"]


async def test_spam_short_of_blatant_is_withheld_for_corals_moderators(client: Any) -> None:
    from moderation_service.api.coral import moderation_response
    from tests.review.test_queue import held

    record = held(1)
    record = replace(record, decision=Decision.SPAM, scores={**record.scores, "spam": 0.9},
                     thresholds={"spam": {"hold": 0.3, "spam": 0.85}},
                     reasons=[{"kind": "score", "name": "spam", "value": 0.9, "threshold": 0.85, "effect": "spam"}])
    assert moderation_response(record) == {
        "status": "SYSTEM_WITHHELD", "moderationAction": {"status": "SYSTEM_WITHHELD"},
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"}], "tags": []}


async def test_an_edit_is_a_new_revision_of_the_same_comment(client: Any) -> None:
    """Coral names no comment in an EDIT: the user's latest comment in the thread is the one edited."""
    _, first, first_headers = await moderate(client, coral_request(FRIENDLY))
    _, edited, edited_headers = await moderate(client, coral_request(INSULT, action="EDIT"))
    assert "status" not in first and edited["status"] == "SYSTEM_WITHHELD"
    item_id = first_headers["X-Moderation-Id"]
    assert edited_headers["X-Moderation-Id"] == item_id
    response = await client.get(f"/v1/review/items/{item_id}", headers=auth("moderator"))
    item = await response.json()
    assert item["revision"] == 2 and item["status"] == "pending"
    assert [v["comment"]["content"] for v in item["earlier_versions"]] == [FRIENDLY]
    _, mended, _ = await moderate(client, coral_request(FRIENDLY + " (Tippfehler)", action="EDIT"))
    assert "status" not in mended  # edited back into a civil comment: it leaves the queue
    response = await client.get("/v1/review/items?site_id=kommblog", headers=auth("moderator"))
    assert (await response.json())["items"] == []


@pytest.mark.parametrize("text", ["", "\u200b"])
async def test_an_edit_that_leaves_no_text_withdraws_the_held_version(client: Any, text: str) -> None:
    """Edited down to a GIF alone (no text): nothing to judge, Coral's status stays as Coral sets it; the held
    version's text, which Coral no longer shows, must not wait for a moderator here. The edit is kept as the
    comment's next revision, unjudged, and leaves the queue, as an edit into a civil comment does."""
    _, held, first = await moderate(client, coral_request(INSULT))
    assert held["status"] == "SYSTEM_WITHHELD"
    item_id = first["X-Moderation-Id"]
    assert (await client.post(f"/v1/review/items/{item_id}/claim", headers=auth("moderator"))).status == 200
    status, body, headers = await moderate(client, coral_request(text, action="EDIT"))
    assert status == 200 and body == {"actions": [], "tags": []}
    assert headers["X-Moderation-Decision"] == "publish" and headers["X-Moderation-Id"] == item_id
    assert headers["X-Moderation-Status"] == "published"
    response = await client.get("/v1/review/items?site_id=kommblog", headers=auth("moderator"))
    assert (await response.json())["items"] == []
    response = await client.get(f"/v1/review/items/{item_id}", headers=auth("moderator"))
    item = await response.json()
    assert item["revision"] == 2 and item["status"] == "published" and item["scores"] == {}
    assert item["comment"]["content"] == text and item["claim"] is None
    assert [v["comment"]["content"] for v in item["earlier_versions"]] == [INSULT]
    response = await client.post(f"/v1/review/items/{item_id}/decision", json={"action": "approve"},
                                 headers=auth("moderator"))
    assert response.status == 409  # the moderator who held it is told it changed
    _, again, _ = await moderate(client, coral_request(INSULT, action="EDIT"))  # the text put back: judged anew
    assert again["status"] == "SYSTEM_WITHHELD"


async def test_an_edit_to_no_text_among_several_comments_in_the_thread_changes_none(client: Any) -> None:
    """With no text there is nothing to tell which of a user's comments in the thread was edited: none is
    taken for it, and the held one waits (as before) rather than the wrong one leaving the queue."""
    await moderate(client, coral_request(FRIENDLY))
    _, _, rude = await moderate(client, coral_request(INSULT))
    status, body, headers = await moderate(client, coral_request("", action="EDIT"))
    assert status == 200 and body == {"actions": [], "tags": []} and "X-Moderation-Id" not in headers
    response = await client.get("/v1/review/items?site_id=kommblog", headers=auth("moderator"))
    assert [item["id"] for item in (await response.json())["items"]] == [rude["X-Moderation-Id"]]


async def test_fixing_typos_is_not_a_spam_wave(client: Any) -> None:
    """Six edits of one comment are one comment: not near-duplicates of each other, not a flood."""
    text = "Ich finde die Entscheidung des Stadtrats zu den neuen Radwegen insgesamt vernünftig"
    answers = [(await moderate(client, coral_request(text)))[1]]
    for n in range(6):
        text += f" (Korrektur {n + 1})"
        answers.append((await moderate(client, coral_request(text, action="EDIT")))[1])
    assert all("status" not in answer and answer["actions"] == [] for answer in answers), answers


async def test_of_a_users_comments_in_a_thread_an_edit_changes_the_one_most_like_it(client: Any) -> None:
    _, _, civil = await moderate(client, coral_request(FRIENDLY))
    _, held, rude = await moderate(client, coral_request(INSULT))
    assert held["status"] == "SYSTEM_WITHHELD"
    _, _, edited = await moderate(client, coral_request(FRIENDLY.replace("hilfreich", "sehr hilfreich"),
                                                         action="EDIT"))
    assert edited["X-Moderation-Id"] == civil["X-Moderation-Id"]
    response = await client.get("/v1/review/items?site_id=kommblog", headers=auth("moderator"))
    assert [item["id"] for item in (await response.json())["items"]] == [rude["X-Moderation-Id"]]  # still waits


def lines_run(function: Callable[..., Any], *args: Any) -> tuple[Any, int]:
    """Call ``function``, and count the lines of Python it runs meanwhile (its own and those of every function
    it calls): a measure of its work that does not depend on the machine's speed or load."""
    count = 0

    def local(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return local

    previous = sys.gettrace()
    sys.settrace(lambda frame, event, arg: local)
    try:
        result = function(*args)
    finally:
        sys.settrace(previous)
    return result, count


def reordered(n: int, shift: int, first: int = 0x4E00) -> str:
    """``n`` distinct characters, rotated by ``shift``: difflib's worst case against :func:`interleaved`."""
    return "".join(chr(first + (i + shift) % n) for i in range(n))


def interleaved(n: int, first: int = 0x4E00) -> str:
    return "".join(chr(first + (i % 2) * (n // 2) + i // 2) for i in range(n))


async def test_a_commenter_cannot_stall_the_service_with_an_edit(client: Any, monkeypatch: Any) -> None:
    """A commenter writes what is compared: five comments in a thread and an EDIT of 2,000 distinct characters,
    each a reordering of the others, took difflib's quadratic worst case five times, and blocked every request
    of every site for seconds (4.8 s measured). The EDIT is compared with each of the five, and each comparison
    does work linear in the texts: a few lines of Python per character (difflib's ratio ran some 1,760 per
    character at half this length, and more the longer the text). Counted, not timed: the time is
    ``bench/coral_edit_likeness.py``'s to measure."""
    from moderation_service.api import coral

    n = 2000
    for shift in range(5):
        await moderate(client, coral_request(reordered(n, shift)))
    comparisons: list[tuple[int, int]] = []

    def counted(a: str, b: str) -> float:
        alike, lines = lines_run(likeness, a, b)
        comparisons.append((len(a) + len(b), lines))
        return float(alike)

    monkeypatch.setattr(coral, "likeness", counted)
    status, _, _ = await moderate(client, coral_request(interleaved(n), action="EDIT"))
    assert status == 200
    assert [chars for chars, _ in comparisons] == [2 * n] * 5
    assert all(lines <= 10 * chars for chars, lines in comparisons), comparisons


def test_the_likeness_of_a_commenters_worst_case_grows_linearly_with_the_text() -> None:
    """Twice the text, twice the work (counted in lines of Python run, see :func:`lines_run`); difflib's ratio,
    used until 2026-11-28, did four times the work for it."""
    work = [lines_run(likeness, reordered(n, 1), interleaved(n))[1] for n in (500, 1000, 2000)]
    assert work[1] <= 2.2 * work[0] and work[2] <= 2.2 * work[1], work


async def test_an_edit_in_another_thread_or_by_another_user_is_not_taken_for_an_edit(client: Any) -> None:
    _, _, first = await moderate(client, coral_request(FRIENDLY))
    _, _, other_thread = await moderate(client, coral_request(INSULT, action="EDIT", parent="p-2"))
    _, _, other_user = await moderate(client, coral_request(INSULT, action="EDIT", author={"id": "u-2", "role": ""}))
    assert len({first["X-Moderation-Id"], other_thread["X-Moderation-Id"], other_user["X-Moderation-Id"]}) == 3


async def test_a_text_too_long_to_judge_is_withheld_not_refused(client: Any, redis: Any) -> None:
    """Coral publishes a comment whose phase answers an error: 20,001 characters must not slip through."""
    status, body, headers = await moderate(client, coral_request("Idiot! " * 2858))
    assert status == 200 and body["status"] == "SYSTEM_WITHHELD" and headers["X-Moderation-Decision"] == "hold"
    status, body, headers = await moderate(client, coral_request("🙂" * 19_000))  # 76 kB: past /v1's body limit
    assert status == 200 and body["actions"] == [] and headers["X-Moderation-Id"]  # judged


async def test_one_of_several_signatures_suffices_while_coral_rolls_its_secret(client: Any) -> None:
    body = coral_request(FRIENDLY)
    rolled = f"{signature(body, 'the-previous-phase-secret-000')},{signature(body)}"
    status, answer, headers = await moderate(client, body, sig=rolled)
    assert status == 200 and headers["X-Moderation-Decision"] == "publish"


#: The one answer to every request that does not prove it comes from the site's Coral phase.
NOT_AUTHENTICATED = {"error": {"code": "unauthenticated", "message": (
    "Not a signed Coral request for this site: the phase's callback URL must be <base>/coral/<site_id> of a "
    "site whose coral_secret is the phase's signing secret, and every request must carry X-Coral-Signature: "
    "sha256=<HMAC-SHA256 of the body>. The service's log says which of these failed.")}}


@pytest.mark.parametrize(("site", "sig", "logged"), [
    ("kommblog", None, "no X-Coral-Signature header"),
    ("kommblog", "", "no X-Coral-Signature header"),
    ("kommblog", "sha256=" + "0" * 64, "the X-Coral-Signature does not match the body"),
    ("kommblog", "sha1=" + "0" * 40, "the X-Coral-Signature does not match the body"),
    ("kommblog", "sha256=\u00e4", "the X-Coral-Signature does not match the body"),
    ("kommblog", "tampered", "the X-Coral-Signature does not match the body"),
    ("otherblog", "sign", "the site has no coral_secret"),
    ("otherblog", None, "the site has no coral_secret"),
    ("nosuchblog", "sign", "no such site in the sites file"),
    ("nosuchblog", None, "no such site in the sites file"),
])
async def test_a_request_not_from_the_sites_coral_phase_is_refused_alike(
        client: Any, redis: Any, caplog: Any, site: str, sig: str | None, logged: str) -> None:
    """An unknown site, a site without Coral and a bad signature look the same to the caller (no way to
    find out which sites exist, or which take Coral); the operator's log says which it was."""
    body = coral_request(INSULT)
    if sig == "tampered":  # signed, then changed
        sig, body = signature(body), body.replace(b"Idiot", b"Genie")
    status, answer, headers = await moderate(client, body, sig=sig, site=site)
    assert (status, answer) == (401, NOT_AUTHENTICATED)
    refusals = [message for message in caplog.messages if message.startswith("Coral request for site")]
    assert len(refusals) == 1 and refusals[0].startswith(f"Coral request for site '{site}' refused: {logged}")
    assert await redis.keys("moderation:*:comment:*") == []


async def test_a_refusal_reads_and_signs_the_whole_body_whether_or_not_the_site_exists(
        client: Any, monkeypatch: Any) -> None:
    """Refusing an unknown site (or one without Coral) before reading the body, or without its HMAC, would be
    cheaper, and would tell the caller which sites exist: the answer would come before a large body was sent,
    or sooner by the HMAC's time (3.7 ms for a body of 1 MiB, measured 2026-11-28). So every refusal reads the
    body and computes the HMAC of all of it, as a wrong signature's does; counted, here, not timed."""
    from moderation_service.api import coral

    body = coral_request("Ein langer Kommentar. " * 20_000)  # 440 kB: under Coral's limit, and ours
    signed: list[bool] = []
    sign = coral.body_signature

    def counted(secret: str, message: bytes) -> str:
        signed.append(message == body)
        return sign(secret, message)

    monkeypatch.setattr(coral, "body_signature", counted)
    for site, sig in (("kommblog", "sha256=" + "0" * 64), ("kommblog", None), ("otherblog", "sha256=" + "0" * 64),
                      ("nosuchblog", "sha256=" + "0" * 64), ("nosuchblog", None)):
        status, answer, _ = await moderate(client, body, sig=sig, site=site)
        assert (status, answer) == (401, NOT_AUTHENTICATED)
    assert signed == [True] * 5


async def test_an_invalid_site_id_is_not_found(client: Any) -> None:
    """Said of the URL alone, whatever the sites file holds."""
    status, body, _ = await moderate(client, coral_request(FRIENDLY), site="-nope")
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_signed_but_not_a_moderation_request(client: Any) -> None:
    status, body, _ = await moderate(client, b'{"action": "NEW"')
    assert status == 400 and body["error"]["code"] == "malformed_request"
    status, body, _ = await moderate(client, json.dumps({"action": "DELETE", "comment": {}}).encode())
    assert status == 422 and set(body["error"]["fields"]) == {"action", "comment"}
    status, body, _ = await moderate(client, coral_request(FRIENDLY, author={"id": "u" * 501}))
    assert status == 422 and set(body["error"]["fields"]) == {"author.id"}  # Coral's name


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "\u200d\n\ufeff"])
async def test_a_comment_without_text_keeps_corals_status_unjudged(client: Any, redis: Any, text: str) -> None:
    """Coral asks for no text when a GIF, an image or a rating comes with the comment (its commentLength
    phase), and sends its external phases the empty body all the same. Nothing to judge: no error (one would
    count on the route an operator alerts on), Coral's own status stays, nothing is kept."""
    status, body, headers = await moderate(client, coral_request(text))
    assert status == 200 and body == {"actions": [], "tags": []}
    assert headers["X-Moderation-Decision"] == "publish" and "X-Moderation-Id" not in headers
    assert await redis.keys("moderation:{kommblog}:comment:*") == []


async def test_a_site_reviewed_in_coral_keeps_no_queue_here(aiohttp_client: Any, settings: Any, redis: Any) -> None:
    """review = "elsewhere": Coral's moderators decide what is withheld; nothing waits here forever."""
    from moderation_service.app import create_app

    sites = settings.sites_file.read_text(encoding="utf-8")
    settings.sites_file.write_text(sites.replace('coral_secret = ', 'review = "elsewhere"\ncoral_secret = ', 1),
                                   encoding="utf-8")
    client = await aiohttp_client(create_app(settings))
    status, body, headers = await moderate(client, coral_request(INSULT))
    assert status == 200 and body["status"] == "SYSTEM_WITHHELD" and headers["X-Moderation-Decision"] == "hold"
    response = await client.get("/v1/review/items?site_id=kommblog", headers=auth("moderator"))
    assert (await response.json())["items"] == []
    response = await client.get(f"/v1/comments/{headers['X-Moderation-Id']}", headers=auth("blog"))
    kept = await response.json()
    assert kept["status"] == "pending" and kept["review_item_id"] is None
    token = headers["X-Moderation-Id"].split(":")[1]
    assert 0 < await redis.ttl(f"moderation:{{kommblog}}:comment:{token}") <= 30 * 86400  # it expires
    _, edited, same = await moderate(client, coral_request(INSULT + " Wirklich.", action="EDIT"))
    assert same["X-Moderation-Id"] == headers["X-Moderation-Id"]  # edits are still followed
    item_id = headers["X-Moderation-Id"]
    response = await client.post(f"/v1/review/items/{item_id}/claim", headers=auth("moderator"))
    assert response.status == 409 and (await response.json())["error"]["code"] == "reviewed_elsewhere"
    response = await client.post(f"/v1/comments/{item_id}/decision", json={"action": "reject"}, headers=auth("blog"))
    assert response.status == 200  # the blog may still say what Coral's moderators decided
    response = await client.post(f"/v1/comments/{item_id}/decision", json={"action": "approve"}, headers=auth("blog"))
    assert response.status == 200 and (await response.json())["status"] == "approved"  # and change its mind
    response = await client.get("/v1/review/items?site_id=kommblog", headers=auth("moderator"))
    assert (await response.json())["items"] == []  # still no queue here
    assert 0 < await redis.ttl(f"moderation:{{kommblog}}:comment:{token}") <= 30 * 86400
    response = await client.post(f"/v1/review/items/{item_id}/reopen", headers=auth("moderator"))
    assert response.status == 409 and (await response.json())["error"]["code"] == "reviewed_elsewhere"


def test_likeness_tells_an_edit_from_another_comment() -> None:
    assert likeness(FRIENDLY, FRIENDLY) == 1.0
    assert likeness(FRIENDLY, FRIENDLY.replace("hilfreich", "sehr hilfreich")) >= EDIT_LIKENESS
    assert likeness(FRIENDLY, FRIENDLY.replace("Beispiele", "Biespiele") + " (Tippfehler)") >= EDIT_LIKENESS
    assert likeness(FRIENDLY, INSULT) < EDIT_LIKENESS
    assert likeness("", FRIENDLY) == 0.0 and likeness("Ja", "Ja") == 1.0


async def test_an_edit_of_a_short_comment_changes_it(client: Any) -> None:
    """A reply of a word or two is edited like any other ("Ja" -> "Ja!"); with 5-character pieces alone it had
    none in common with its edit (0 alike; difflib's ratio, used before, 0.8), and the edit became a second
    comment beside it."""
    _, _, short = await moderate(client, coral_request("Ja"))
    await moderate(client, coral_request("Nein, danke, das sehe ich anders."))
    _, _, edited = await moderate(client, coral_request("Ja!", action="EDIT"))
    assert edited["X-Moderation-Id"] == short["X-Moderation-Id"]


@pytest.mark.parametrize(("text", "edit"), [("Ja", "Ja!"), ("Gut", "Gut."), ("Super", "Supper"),
                                            ("Danke", "Danke!"), ("Stimmt", "Stimmt!!")])
def test_a_short_comment_is_like_its_edit(text: str, edit: str) -> None:
    assert likeness(text, edit) >= EDIT_LIKENESS


@pytest.mark.parametrize(("text", "other"), [("Ja", "Nein, danke"), ("Genau", "Gerne"), ("Ja", "Na"),
                                             ("lol", "haha"), ("Ja", FRIENDLY)])
def test_a_short_comment_is_not_like_another(text: str, other: str) -> None:
    assert likeness(text, other) < EDIT_LIKENESS and likeness(other, text) < EDIT_LIKENESS
