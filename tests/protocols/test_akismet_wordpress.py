"""Akismet as the WordPress plugin uses it: rechecks of the comments it keeps, the admin's Spam / Not Spam
clicks, its honeypot field and its role lists (the fields as the plugin sends them, see README)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from moderation_service.app import create_app
from moderation_service.appkeys import STORE
from moderation_service.review import keys
from moderation_service.settings import Settings
from tests.api.test_comments import INSULT, SPAM
from tests.conftest import KEYS, auth
from tests.protocols.conftest import labels_of
from tests.protocols.test_akismet import BLOG, FRIENDLY, check
from tests.protocols.test_akismet import form as akismet_form

#: A held comment as typed, and as WordPress stores it (and sends it again when it rechecks its queue).
TYPED = f'{INSULT} & <a href="https://kommblog.example/quelle">Quelle</a>'
STORED = f'{INSULT} &amp; <a href="https://kommblog.example/quelle" rel="nofollow ugc">Quelle</a>'


def form(content: str = FRIENDLY, **extra: str) -> dict[str, str]:
    """A new comment as the plugin checks it: WordPress's comment data, its post's id among them."""
    return akismet_form(content, **{"comment_post_ID": "17", **extra})


def recheck(content: str, **extra: str) -> dict[str, str]:
    """The database row the plugin sends when the admin presses "Check for Spam" (``recheck_queue``)."""
    return form(content, comment_ID="3001", comment_approved="0", referrer="", recheck_reason="recheck_queue",
                **extra)


async def call(client: Any, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = await client.request(method, path, headers=auth("moderator"), **kwargs)
    return response.status, await response.json()


async def waiting(client: Any) -> list[str]:
    _, body = await call(client, "GET", "/v1/review/items?site_id=kommblog")
    return [item["id"] for item in body["items"]]


async def test_a_recheck_of_the_stored_comment_is_the_same_comment(client: Any) -> None:
    body, first = await check(client, **form(TYPED))
    assert body == "true" and first["X-Moderation-Status"] == "pending"
    body, again = await check(client, **recheck(STORED))
    assert body == "true" and again["X-akismet-guid"] == first["X-akismet-guid"]
    assert await waiting(client) == [first["X-akismet-guid"]]  # not queued twice


async def test_a_recheck_answers_where_the_comment_stands_now(client: Any) -> None:
    """Approved by a moderator since: a recheck must not send it back to WordPress's spam folder."""
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    assert (await call(client, "POST", f"/v1/review/items/{item_id}/claim"))[0] == 200
    status, _ = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"})
    assert status == 200
    body, headers = await check(client, **recheck(STORED))
    assert body == "false"
    assert headers["X-Moderation-Decision"] == "hold" and headers["X-Moderation-Status"] == "approved"


async def test_a_link_added_to_a_published_text_is_another_comment(client: Any) -> None:
    """Markup counts as read, but where it links to counts: sent clean first, then with links, the second is
    judged anew, not answered as a retry."""
    body, first = await check(client, **form(FRIENDLY))
    assert body == "false"
    linked = f'<a href="http://buy-pills.example/now">{FRIENDLY}</a><img src="http://buy-pills.example/p.gif">'
    _, second = await check(client, **form(linked))
    assert second["X-akismet-guid"] != first["X-akismet-guid"]
    record = await client.server.app[STORE].get(second["X-akismet-guid"])
    assert record.comment.content == linked  # judged and kept as sent


async def test_a_recheck_with_the_website_as_wordpress_stored_it_keeps_the_decision(client: Any) -> None:
    _, first = await check(client, **form(TYPED, comment_author_url="pia.example"))
    item_id = first["X-akismet-guid"]
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    assert (await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"}))[0] == 200
    body, headers = await check(client, **recheck(STORED, comment_author_url="http://pia.example"))
    assert body == "false" and headers["X-Moderation-Status"] == "approved"


async def test_the_same_text_under_another_parent_is_another_comment(client: Any) -> None:
    _, first = await check(client, **form(INSULT, comment_parent="11"))
    _, second = await check(client, **form(INSULT, comment_parent="12"))
    assert first["X-akismet-guid"] != second["X-akismet-guid"]


async def test_not_spam_from_the_admin_decides_the_held_comment(client: Any, redis: Any) -> None:
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    assert (await call(client, "POST", f"/v1/review/items/{item_id}/claim"))[0] == 200  # a moderator reads it
    # WordPress sends the row with the comment as first checked (akismet_as_submitted) merged over it
    response = await client.post("/1.1/submit-ham", data=recheck(TYPED, reporter="admin"))
    assert await response.text() == "Thanks for making the web a better place."
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog" and item["claim"] is None
    assert await waiting(client) == []
    [example] = await labels_of(client)  # one label, from the blog's decision
    assert example["source"] == "akismet" and example["labels"]["spam"] == 0
    status, refusal = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "reject"})
    assert status == 409 and refusal["error"]["code"] == "already_decided"
    body, _ = await check(client, **recheck(STORED))
    assert body == "false"
    _, audit = await call(client, "GET", "/v1/review/audit?site_id=kommblog")
    assert [(e["action"], e["actor"]) for e in audit["entries"]][:1] == [("decide", "kommblog")]


async def test_spam_from_the_admin_decides_the_held_comment_and_teaches_reputation(client: Any, redis: Any) -> None:
    _, first = await check(client, **form(TYPED))
    for _ in range(3):  # the plugin's retries keep no second label
        response = await client.post("/1.1/submit-spam", data=form(TYPED, reporter="admin"))
        assert response.status == 200
    _, item = await call(client, "GET", f"/v1/review/items/{first['X-akismet-guid']}")
    assert item["status"] == "spam"
    assert await redis.keys(f"{keys.reputation_prefix('kommblog')}*")
    [example] = await labels_of(client)
    assert example["labels"]["spam"] == 1


async def test_a_correction_of_a_comment_that_does_not_wait_is_kept_as_a_label(client: Any) -> None:
    body, first = await check(client, **form(FRIENDLY))
    assert body == "false"
    for _ in range(2):  # a retry keeps no second label
        response = await client.post("/1.1/submit-spam", data=form(FRIENDLY))
        assert response.status == 200
    [example] = await labels_of(client)
    assert example["labels"] == {"spam": 1} and example["source"] == "akismet"
    response = await client.get(f"/v1/comments/{first['X-akismet-guid']}", headers=auth("blog"))
    assert (await response.json())["status"] == "published"  # the model's decision is not a queue item


async def test_the_wordpress_honeypot_field_filled_in_is_spam(client: Any, redis: Any) -> None:
    body, headers = await check(client, **form(POST_ak_hp_textarea="http://spam.example"))
    assert body == "true" and headers["X-akismet-pro-tip"] == "discard"
    assert await redis.keys("moderation:{kommblog}:comment:*") == []
    body, _ = await check(client, **form(POST_ak_hp_textarea=""))
    assert body == "false"


async def test_roles_come_as_a_list(client: Any) -> None:
    body, headers = await check(client, **form(INSULT, user_role="administrator,super_admin"))
    assert body == "false" and "X-Moderation-Id" not in headers
    body, _ = await check(client, **form(INSULT, user_role="subscriber,contributor"))
    assert body == "true"


async def test_a_long_text_in_another_script_fits_though_the_plugin_sends_it_twice(client: Any) -> None:
    """3,680 CJK characters: 33 kB per copy once percent-encoded, past the JSON API's 64 kB body limit as two."""
    text = "这篇关于危机沟通的文章很有帮助，谢谢作者分享这些例子。" * 136
    body, headers = await check(client, **form(text, POST_comment=text))
    assert body in ("true", "false") and headers["X-Moderation-Id"]
    response = await client.post("/1.1/comment-check", data=form(text, POST_padding="x" * 500_000))
    assert await response.text() == "invalid"
    assert "larger than 465536 bytes" in response.headers["X-akismet-debug-help"]


async def test_the_settings_page_finds_an_active_subscription(client: Any) -> None:
    """The plugin saves a key on its settings page only when get-subscription says the account is active."""
    response = await client.post("/1.1/get-subscription", data={"key": KEYS["blog"], "blog": BLOG})
    assert await response.json() == {"account_id": "kommblog", "account_name": "Kommunikationsblog",
                                     "account_type": "self-hosted", "status": "active",
                                     "next_billing_date": None, "limit_reached": False}
    response = await client.post("/1.1/get-subscription", data={"key": "not-a-key-of-this-service", "blog": BLOG})
    assert await response.text() == "invalid"
    response = await client.post("/1.1/deactivate", data={"key": KEYS["blog"], "blog": BLOG})
    assert await response.text() == "deactivated"


async def test_a_recheck_after_the_posts_slug_changed_is_the_same_comment(client: Any) -> None:
    """The post counts by WordPress's id of it (``comment_post_ID``), which stays when its permalink changes."""
    _, first = await check(client, **form(TYPED, permalink="https://kommblog.example/2026/krise"))
    _, again = await check(client, **recheck(STORED, permalink="https://kommblog.example/2026/krisenkommunikation"))
    assert again["X-akismet-guid"] == first["X-akismet-guid"]
    _, other_post = await check(client, **form(TYPED, comment_post_ID="18"))
    assert other_post["X-akismet-guid"] != first["X-akismet-guid"]


PLUGIN = {"User-Agent": "WordPress/6.1.9 | Akismet/5.0.2"}
#: A new comment as WordPress hands it to the plugin (PHP's slashes added) and as it stores it.
SLASHED = INSULT + (" Geht\\'s noch? Lies \\\"Krise\\\": "
                    "<a href=\\\"https://example.org/q\\\">Quelle</a> unter C:\\\\temp")
UNSLASHED = INSULT + " Geht's noch? Lies \"Krise\": <a href=\"https://example.org/q\">Quelle</a> unter C:\\temp"


async def plugin_check(client: Any, **fields: str) -> Any:
    response = await client.post("/1.1/comment-check", data=fields, headers=PLUGIN)
    assert response.status == 200
    return response.headers


async def test_a_new_comment_from_wordpress_is_read_without_its_slashes(client: Any) -> None:
    """WordPress adds slashes to what its comment form sends before the plugin checks it; its rechecks and its
    Spam / Not Spam reports send the comment as stored. All three are the same comment."""
    first = await plugin_check(client, **form(SLASHED, comment_author="Sean O\\'Brien",
                                              REQUEST_URI="/wp-comments-post.php", POST_comment=SLASHED))
    record = await client.server.app[STORE].get(first["X-akismet-guid"])
    assert record.comment.content == UNSLASHED and record.comment.author_name == "Sean O'Brien"
    again = await plugin_check(client, **recheck(UNSLASHED, comment_author="Sean O'Brien"))
    assert again["X-akismet-guid"] == first["X-akismet-guid"]
    reported = await client.post("/1.1/submit-spam", data=form(UNSLASHED, comment_author="Sean O'Brien"),
                                 headers=PLUGIN)
    assert await reported.text() == "Thanks for making the web a better place."
    assert first["X-Moderation-Status"] == "pending"
    _, item = await call(client, "GET", f"/v1/review/items/{first['X-akismet-guid']}")
    assert item["status"] == "spam"  # the admin's Spam found the held comment and decided it


async def test_comments_not_slashed_by_wordpress_are_read_as_sent(client: Any) -> None:
    """Only WordPress's scripts that slash a new comment count (its comment form, XML-RPC, an admin's reply):
    a comment made through its REST API, under any prefix, is checked before it is slashed; other Akismet
    clients never slash; and a text that ``addslashes`` could not have made (an unescaped quote) is as sent."""
    never_slashed = 'C:\\temp\\neu und ein "Zitat" ' + INSULT
    sent = [
        (await plugin_check(client, **form(SLASHED, REQUEST_URI="/wp-json/wp/v2/comments")), SLASHED),
        (await plugin_check(client, **form(never_slashed, REQUEST_URI="/api/wp/v2/comments")), never_slashed),
        (await plugin_check(client, **form(never_slashed, comment_post_ID="19",
                                           REQUEST_URI="/blog/wp-comments-post.php")), never_slashed),
        ((await client.post("/1.1/comment-check", data=form(SLASHED, comment_post_ID="18"))).headers, SLASHED),
    ]
    for headers, content in sent:
        record = await client.server.app[STORE].get(headers["X-akismet-guid"])
        assert record.comment.content == content
    reply = await plugin_check(client, **form(SLASHED, comment_post_ID="20", REQUEST_URI="/wp-admin/admin-ajax.php",
                                              POST_action="replyto-comment"))
    assert (await client.server.app[STORE].get(reply["X-akismet-guid"])).comment.content == UNSLASHED


async def test_a_recheck_of_a_link_with_parameters_is_the_same_comment(client: Any) -> None:
    """WordPress stores a bare & as &amp;: "&section=2" must not read as "§ion=2" on one side only."""
    typed = f"{INSULT} https://example.org/?a=1&section=2&region=eu"
    _, first = await check(client, **form(typed))
    _, again = await check(client, **recheck(typed.replace("&", "&amp;")))
    assert again["X-akismet-guid"] == first["X-akismet-guid"]


async def test_the_settings_page_checks_the_key_entered_not_the_one_stored(client: Any) -> None:
    """Entering a new key, the plugin asks about it as ``key`` and sends the key it has stored as ``api_key``."""
    new, old = KEYS["blog"], "0123456789ab"  # the stored one: a key this service does not know (any more)
    for call_name in ("verify-key", "get-subscription"):
        response = await client.post(f"/1.1/{call_name}", data={"key": new, "blog": BLOG, "api_key": old},
                                     headers=PLUGIN)
        assert response.status == 200 and "invalid" not in await response.text()
    refused = await client.post("/1.1/verify-key", data={"key": old, "blog": BLOG, "api_key": new}, headers=PLUGIN)
    assert await refused.text() == "invalid"


@pytest.mark.parametrize(("typed", "stored"), [
    (f'{INSULT} <img src="https://example.org/x.png"> Beweis', f"{INSULT}  Beweis"),  # WordPress drops <img>
    (f"{INSULT} &lt3; &copyright; &copy; 2026", f"{INSULT} &amp;lt3; &amp;copyright; &copy; 2026"),
    (f"{INSULT} &check; &rightarrow; &#1; &#x263A;", f"{INSULT} &amp;check; &amp;rightarrow; &amp;#1; &#x263A;"),
    # as WordPress 6.1 stored them (its pre_comment_content filters, run on the real installation)
    (f"{INSULT} &#128; &#129; &#150; &#0; &#00; &#x0; &#00065;", f"{INSULT} &#8364;  &#8211;  &amp;#00;  &#065;"),
    (f'{INSULT} <a href="https://example.org/?p=1&param=2&section=3">Quelle</a>',  # decoded once, as stored
     f'{INSULT} <a href="https://example.org/?p=1&amp;param=2&amp;section=3" rel="nofollow ugc">Quelle</a>'),
    # link protocols as WordPress 6.1 stored them (wp_kses_bad_protocol): allowed ones in lower case, others
    # removed, also when written with references, control characters or twice; and &amp;#65; as &#065;
    (f'{INSULT} <a href="HTTPS://Example.org/Seite">Quelle</a> <a href="MAILTO:jana@example.org">mir</a>',
     f'{INSULT} <a href="https://Example.org/Seite" rel="nofollow ugc">Quelle</a> '
     f'<a href="mailto:jana@example.org" rel="nofollow ugc">mir</a>'),
    (f'{INSULT} <a href="javascript:alert(1)">a</a> <a href="java&#115;cript:alert(2)">b</a> '
     f'<a href="jav&#x09;ascript:javascript:alert(3)">c</a> <a href="data:text/html;base64,PHA+">d</a>',
     f'{INSULT} <a href="alert(1)" rel="nofollow ugc">a</a> <a href="alert(2)" rel="nofollow ugc">b</a> '
     f'<a href="alert(3)" rel="nofollow ugc">c</a> <a href="text/html;base64,PHA+" rel="nofollow ugc">d</a>'),
    (f'{INSULT} <a href="javascript&colon;x">y</a> Typed &amp;#65; here.',
     f'{INSULT} <a href="javascript&amp;colon;x" rel="nofollow ugc">y</a> Typed &#065; here.'),
])
async def test_a_recheck_of_text_wordpress_rewrote_is_the_same_comment(client: Any, typed: str, stored: str) -> None:
    _, first = await check(client, **form(typed))
    _, again = await check(client, **recheck(stored))
    assert again["X-akismet-guid"] == first["X-akismet-guid"]


@pytest.mark.parametrize(("typed", "stored"), [
    ("Jana%20Weber", "JanaWeber"),  # WordPress takes percent-encoded octets out of names
    ("%E2%9C%93 Jana Weber", "Jana Weber"),
    ('<a href="http://jana.example">Jana</a> Weber', "Jana Weber"),  # a name keeps no tag (sent by REST, say)
])
async def test_a_recheck_with_the_name_as_wordpress_stored_it_is_the_same_comment(client: Any, typed: str,
                                                                                  stored: str) -> None:
    _, first = await check(client, **form(TYPED, comment_author=typed))
    _, again = await check(client, **recheck(STORED, comment_author=stored))
    assert again["X-akismet-guid"] == first["X-akismet-guid"]
    _, other = await check(client, **recheck(STORED, comment_author="Jana Webber"))
    assert other["X-akismet-guid"] != first["X-akismet-guid"]


SHORT_KEY = "0a1b2c3d4e5f"


@pytest.fixture
async def short_key_client(aiohttp_client: Any, settings: Settings) -> Any:
    keys = json.loads(settings.api_keys_json or "")
    keys["keys"].append({"name": "wp-short", "role": "blog", "sites": ["kommblog"], "key": SHORT_KEY})
    return await aiohttp_client(create_app(settings.with_overrides(api_keys_json=json.dumps(keys))))


async def test_a_short_key_works_for_akismet_calls_only(short_key_client: Any, comment: dict[str, Any]) -> None:
    """12 hex digits (48 bits) is all the Akismet plugin takes: such a key opens nothing else."""
    client = short_key_client
    body, _ = await check(client, **form(FRIENDLY, api_key=SHORT_KEY))
    assert body == "false"
    refused = await client.post("/v1/comments", json=comment, headers={"Authorization": f"Bearer {SHORT_KEY}"})
    assert refused.status == 401
    assert "works only for Akismet calls" in (await refused.json())["error"]["message"]
    perspective = await client.post(f"/v1alpha1/comments:analyze?key={SHORT_KEY}",
                                    json={"comment": {"text": FRIENDLY}, "requestedAttributes": {"TOXICITY": {}}})
    assert perspective.status == 400 and "API key not valid" in await perspective.text()  # Perspective's way


async def test_the_admins_last_word_on_a_comment_is_its_one_label(client: Any) -> None:
    """*Spam*, then *Not Spam* (and again), on a comment the model published: one example, the last word."""
    body, _ = await check(client, **form(FRIENDLY))
    assert body == "false"
    for call_name, spam in (("submit-spam", 1), ("submit-ham", 0), ("submit-ham", 0), ("submit-spam", 1)):
        await client.post(f"/1.1/{call_name}", data=form(FRIENDLY, reporter="admin"))
        assert [example["labels"] for example in await labels_of(client)] == [{"spam": spam}]


async def test_a_report_agreeing_with_the_moderator_at_last_takes_back_the_one_before(client: Any) -> None:
    """A moderator approved; WordPress's admin said *Spam*, then *Not Spam*: the moderator's example stays alone."""
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "approve"})
    await client.post("/1.1/submit-spam", data=form(TYPED, reporter="admin"))
    assert [(e["source"], e["labels"]) for e in await labels_of(client)] == [
        ("moderator", {"toxicity": 0, "spam": 0}), ("akismet", {"spam": 1})]
    await client.post("/1.1/submit-ham", data=form(TYPED, reporter="admin"))
    assert [(e["source"], e["labels"]) for e in await labels_of(client)] == [("moderator", {"toxicity": 0, "spam": 0})]
    # the comment's history does not end on a correction that no longer stands
    _, history = await call(client, "GET", f"/v1/review/items/{item_id}/history")
    assert [(e["action"], e["actor"]) for e in history["entries"]][-2:] == [
        ("correct", "kommblog"), ("withdraw_correction", "kommblog")]
    assert history["entries"][-1]["after"] == {"withdrawn": 1}
    assert history["entries"][-1]["before"] == {"status": "approved"}


@pytest.mark.parametrize("linked", [
    '<a title="href=https://kommblog.example/" href="https://buy-pills.example/casino">Quelle</a>',
    "<a/href=https://buy-pills.example/casino>Quelle</a>",
    '<a href="https://buy-pills.example/>Quelle" class="x">Quelle</a>',  # a > inside the quoted address
])
async def test_a_changed_link_target_is_another_comment(client: Any, linked: str) -> None:
    """Where a link goes is read as a browser reads it, not from text that looks like an href."""
    _, first = await check(client, **form(f'{FRIENDLY} <a href="https://kommblog.example/">Quelle</a>'))
    _, second = await check(client, **form(f"{FRIENDLY} {linked}"))
    assert second["X-akismet-guid"] != first["X-akismet-guid"]


async def test_the_admins_last_word_on_a_comment_it_decided_is_kept_once(client: Any) -> None:
    """*Not Spam* decides a held comment; a *Spam* after it is kept beside; a *Not Spam* again takes that back."""
    _, first = await check(client, **form(TYPED))
    for call_name in ("submit-ham", "submit-spam", "submit-ham"):
        await client.post(f"/1.1/{call_name}", data=form(TYPED, reporter="admin"))
    assert [(e["source"], e["labels"]) for e in await labels_of(client)] == [("akismet", {"spam": 0})]
    _, item = await call(client, "GET", f"/v1/review/items/{first['X-akismet-guid']}")
    assert item["status"] == "approved"


async def test_the_admin_agreeing_with_the_model_is_a_label(client: Any) -> None:
    """*Spam* on a comment the model marked spam confirms it: one example, spam."""
    body, _ = await check(client, **form(SPAM))
    assert body == "true"
    for _ in range(2):
        await client.post("/1.1/submit-spam", data=form(SPAM, reporter="admin"))
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 1}]


# ------------------------------------------------ what the admin does in WordPress, reported by the must-use plugin


async def report_status(client: Any, content: str, status: str, reporter: str = "admin") -> tuple[str, str]:
    """The must-use plugin's ``submit-status``: the comment as the Akismet plugin reports one, and its new status."""
    response = await client.post("/1.1/submit-status", data=recheck(content, reporter=reporter, status=status))
    assert response.status == 200
    return await response.text(), response.headers.get("X-Moderation-Outcome", "")


async def test_the_admins_approval_in_wordpress_decides_a_waiting_comment(client: Any) -> None:
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    assert (await call(client, "POST", f"/v1/review/items/{item_id}/claim"))[0] == 200  # a moderator reads it
    for _ in range(2):  # a second report (approved again after an unapproval) is the same decision
        assert await report_status(client, STORED, "approved") == ("Thanks for making the web a better place.",
                                                                   "decided")
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog" and item["claim"] is None
    assert await waiting(client) == []
    assert [(e["source"], e["labels"]) for e in await labels_of(client)] == [("akismet", {"spam": 0, "toxicity": 0})]


async def test_the_trash_decides_a_waiting_comment_and_teaches_nothing(client: Any) -> None:
    """A trash says the comment is not wanted, not why: rejected here, no label; a moderator who reopens it and
    decides again gives the one label."""
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    assert await report_status(client, STORED, "trash") == ("Thanks for making the web a better place.", "decided")
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "rejected" and item["decided"]["by"] == "kommblog"
    assert await labels_of(client) == []
    status, _ = await call(client, "POST", f"/v1/review/items/{item_id}/reopen")
    assert status == 200
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    status, _ = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": "reject"})
    assert status == 200
    assert [(e["source"], e["labels"]) for e in await labels_of(client)] == [("moderator", {"spam": 0,
                                                                                            "toxicity": 1})]


async def test_the_admins_approval_of_a_comment_the_model_published_is_one_label(client: Any) -> None:
    """A blog that approves every comment itself (WordPress's manual approval): each approval confirms the
    model, once; a *Spam* after it replaces it."""
    body, first = await check(client, **form(FRIENDLY))
    assert body == "false"
    assert (await report_status(client, FRIENDLY, "approved"))[1] == "labelled"
    assert (await report_status(client, FRIENDLY, "approved"))[1] == "model_decided"  # kept before: no second
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 0, "toxicity": 0}]
    await client.post("/1.1/submit-spam", data=recheck(FRIENDLY, reporter="admin"))
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 1}]
    response = await client.get(f"/v1/comments/{first['X-akismet-guid']}", headers=auth("blog"))
    assert (await response.json())["status"] == "published"


async def test_the_trash_of_a_comment_the_model_published_changes_nothing_here(client: Any) -> None:
    body, first = await check(client, **form(FRIENDLY))
    assert body == "false"
    assert (await report_status(client, FRIENDLY, "trash"))[1] == "model_decided"
    assert await labels_of(client) == []
    response = await client.get(f"/v1/comments/{first['X-akismet-guid']}", headers=auth("blog"))
    assert (await response.json())["status"] == "published"


@pytest.mark.parametrize(("action", "reported", "status"), [
    ("approve", "trash", "approved"), ("reject", "unapproved", "rejected"), ("reject", "approved", "rejected")])
async def test_a_status_reported_after_a_moderators_decision_leaves_it(client: Any, action: str, reported: str,
                                                                       status: str) -> None:
    """The blog's report neither replaces nor takes back a moderator's decision."""
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    await call(client, "POST", f"/v1/review/items/{item_id}/claim")
    await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": action})
    assert (await report_status(client, STORED, reported))[1] == "decided_otherwise"
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == status and item["decided"]["by"] == "mod"
    assert [e["source"] for e in await labels_of(client)] == ["moderator"]


async def test_a_test_report_keeps_nothing_and_an_unknown_status_says_what_to_send(client: Any) -> None:
    _, first = await check(client, **form(TYPED))
    response = await client.post("/1.1/submit-status", data=recheck(STORED, status="approved", is_test="1"))
    assert response.headers["X-Moderation-Outcome"] == "ignored"
    assert await waiting(client) == [first["X-akismet-guid"]]
    for fields in ({"status": "spam"}, {}):
        response = await client.post("/1.1/submit-status", data=recheck(STORED, **fields))
        assert await response.text() == "invalid"
        assert "status" in response.headers["X-akismet-debug-help"]
    assert await waiting(client) == [first["X-akismet-guid"]]


async def test_a_deletion_from_the_spam_folder_removes_the_comment_here_too(client: Any) -> None:
    """WordPress's spam folder offers *Delete Permanently*, not the trash: the comment is gone there, so it
    leaves this service as with ``DELETE /v1/comments/{id}``: no moderator reviews what cannot be published."""
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    assert (await report_status(client, TYPED, "delete"))[1] == "deleted"
    assert await waiting(client) == []
    status, _ = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert status == 404
    assert (await report_status(client, TYPED, "delete"))[1] == "unknown"  # a retry
    assert await labels_of(client) == []


async def test_the_admins_last_word_in_wordpress_counts(client: Any) -> None:
    """*Not Spam* (approved by the blog), then *Trash*: rejected; then *Restore* (back to pending) takes the
    blog's decision back: the comment waits here again, held by nobody."""
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    await client.post("/1.1/submit-ham", data=recheck(TYPED, reporter="admin"))
    assert (await report_status(client, TYPED, "trash"))[1] == "decided"
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "rejected" and item["decided"]["by"] == "kommblog"
    assert await labels_of(client) == []  # the trash teaches nothing, and the approval's label went with it
    assert (await report_status(client, TYPED, "unapproved"))[1] == "reopened"
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "pending" and item["claim"] is None
    assert await waiting(client) == [item_id]
    body, _ = await check(client, **recheck(STORED))
    assert body == "true"  # held: WordPress's Check for Spam files it where held comments wait
    assert (await report_status(client, TYPED, "unapproved"))[1] == "waiting"


async def test_an_approval_undone_or_trashed_is_no_longer_a_label(client: Any) -> None:
    body, _ = await check(client, **form(FRIENDLY))
    assert body == "false"
    for undo in ("unapproved", "trash"):
        assert (await report_status(client, FRIENDLY, "approved"))[1] == "labelled"
        assert [e["labels"] for e in await labels_of(client)] == [{"spam": 0, "toxicity": 0}]
        assert (await report_status(client, FRIENDLY, undo))[1] == "model_decided"
        assert await labels_of(client) == []


async def test_an_approval_after_not_spam_adds_no_second_label(client: Any) -> None:
    body, _ = await check(client, **form(FRIENDLY))
    assert body == "false"
    await client.post("/1.1/submit-ham", data=recheck(FRIENDLY, reporter="admin"))
    assert (await report_status(client, FRIENDLY, "approved"))[1] == "model_decided"  # kept before: no label
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 0}]


async def test_a_report_of_a_comment_older_than_15_days_comes_without_user_ip(client: Any) -> None:
    """The plugin drops what it first sent 15 days after a comment was written: its reports then send the
    stored row, whose address is ``comment_author_IP``. The correction must not be refused for it."""
    body, _ = await check(client, **form(FRIENDLY))
    assert body == "false"
    row = {name: value for name, value in recheck(FRIENDLY, reporter="admin").items() if name != "user_ip"}
    response = await client.post("/1.1/submit-spam", data={**row, "comment_author_IP": "203.0.113.7"})
    assert await response.text() == "Thanks for making the web a better place."
    [example] = await labels_of(client)
    assert example["labels"] == {"spam": 1}
    response = await client.post("/1.1/submit-ham", data=row)  # no address at all: still the admin's word
    assert await response.text() == "Thanks for making the web a better place."
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 0}]
    body, headers = await check(client, **{name: value for name, value in form(FRIENDLY).items() if name != "user_ip"})
    assert body == "invalid" and headers["X-akismet-debug-help"].startswith('Empty "user_ip" value')


# ------------------------------------------------ the record linked to WordPress's comment by the must-use plugin

#: What WordPress may store for a typed ``<3 … >``: it takes ``<3 ->`` for a tag and drops it.
HEART = f"{INSULT} Danke <3 -> weiter so"
HEART_STORED = f"{INSULT} Danke  weiter so"


async def link(client: Any, record_id: str, comment_id: str = "3001") -> tuple[str, str]:
    response = await client.post("/1.1/comment-stored", data={"api_key": KEYS["blog"], "blog": BLOG, "id": record_id,
                                                               "comment_ID": comment_id})
    assert response.status == 200
    return await response.text(), response.headers.get("X-Moderation-Outcome", "")


async def test_a_recheck_naming_its_record_finds_it_whatever_wordpress_did_to_the_text(client: Any,
                                                                                     redis: Any) -> None:
    _, first = await check(client, **form(HEART))
    item_id = first["X-akismet-guid"]
    _, unnamed = await check(client, **recheck(HEART_STORED))  # read differently: without the link, a new comment
    assert unnamed["X-akismet-guid"] != item_id
    assert await link(client, item_id) == ("Thanks for making the web a better place.", "linked")
    body, again = await check(client, **recheck(HEART_STORED, moderation_service_id=item_id))
    assert body == "true" and again["X-akismet-guid"] == item_id
    response = await client.post("/1.1/submit-ham", data=recheck(HEART_STORED, reporter="admin",
                                                                 moderation_service_id=item_id))
    assert response.status == 200
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 0}]
    assert await redis.hget(keys.comment("kommblog", item_id.split(":")[1]), "blog_comment_id") == "3001"


async def test_a_record_named_for_another_site_or_gone_is_not_used(client: Any) -> None:
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    for named in ("otherblog:" + item_id.split(":")[1], "kommblog:aaaaaaaaaaaaaaaa", "not an id"):
        _, again = await check(client, **recheck(STORED, moderation_service_id=named))
        assert again["X-akismet-guid"] == item_id  # found by its identity, as without a name
    await client.post("/1.1/submit-status", data=recheck(STORED, reporter="admin", status="trash",
                                                         moderation_service_id="otherblog:" + item_id.split(":")[1]))
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "rejected"


@pytest.mark.parametrize(("fields", "help_text"), [
    ({"id": "otherblog:aaaaaaaaaaaaaaaa"}, '"id" must be the X-akismet-guid'),
    ({"id": ""}, 'Empty "id" value'),
    ({"comment_ID": "3001; DROP"}, '"comment_ID" must be WordPress\'s comment id'),
    ({"comment_ID": ""}, 'Empty "comment_ID" value'),
])
async def test_a_link_that_cannot_be_right_says_what_to_send(client: Any, fields: dict[str, str],
                                                             help_text: str) -> None:
    _, first = await check(client, **form(TYPED))
    data = {"api_key": KEYS["blog"], "blog": BLOG, "id": first["X-akismet-guid"], "comment_ID": "3001", **fields}
    response = await client.post("/1.1/comment-stored", data=data)
    assert await response.text() == "invalid"
    assert response.headers["X-akismet-debug-help"].startswith(help_text)


async def test_a_link_to_a_record_not_kept_changes_nothing(client: Any, redis: Any) -> None:
    assert await link(client, "kommblog:aaaaaaaaaaaaaaaa") == ("Thanks for making the web a better place.", "unknown")
    assert await redis.keys("*comment:aaaaaaaaaaaaaaaa") == []


async def test_the_first_comment_linked_to_a_record_stays_its_comment(client: Any, redis: Any) -> None:
    """Two comments that read alike are one record: the second link is refused, the first stays."""
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    assert (await link(client, item_id, "3001"))[1] == "linked"
    assert (await link(client, item_id, "3001"))[1] == "linked"  # a retry
    assert (await link(client, item_id, "3002"))[1] == "linked_elsewhere"
    assert await redis.hget(keys.comment("kommblog", item_id.split(":")[1]), "blog_comment_id") == "3001"


async def test_a_comment_wordpress_trashed_as_it_stored_it_is_the_blogs_rejection(client: Any) -> None:
    """WordPress's disallowed words send a comment to the trash though the plugin was told to hold it."""
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    response = await client.post("/1.1/comment-stored", data={"api_key": KEYS["blog"], "blog": BLOG, "id": item_id,
                                                               "comment_ID": "3001", "status": "trash"})
    assert response.headers["X-Moderation-Outcome"] == "linked"
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "rejected" and item["decided"]["by"] == "kommblog"
    assert await labels_of(client) == [] and await waiting(client) == []


async def test_the_blogs_reports_at_once_leave_its_last_word(client: Any) -> None:
    """Trash, Restore and Approve sent at once: none is taken for a moderator's decision, and the comment ends
    decided by the blog or waiting, with at most the approval's label."""
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    outcomes = await asyncio.gather(*(report_status(client, STORED, status)
                                      for status in ("trash", "unapproved", "approved", "trash", "approved")))
    assert "decided_otherwise" not in {outcome for _, outcome in outcomes}
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    labels = [e["labels"] for e in await labels_of(client)]
    if item["status"] == "approved":
        assert labels == [{"spam": 0, "toxicity": 0}] and item["decided"]["by"] == "kommblog"
    else:
        assert item["status"] in ("rejected", "pending") and labels == []


async def test_a_deletion_kept_while_the_service_was_down_needs_only_the_records_id(client: Any) -> None:
    """The must-use plugin keeps no text of a deleted comment: the record's id is enough."""
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    data = {"api_key": KEYS["blog"], "blog": BLOG, "status": "delete", "comment_ID": "3001",
            "moderation_service_id": item_id}
    response = await client.post("/1.1/submit-status", data=data)
    assert response.headers["X-Moderation-Outcome"] == "deleted"
    assert (await call(client, "GET", f"/v1/review/items/{item_id}"))[0] == 404
    response = await client.post("/1.1/submit-status", data={**data, "moderation_service_id": "not-a-record"})
    assert await response.text() == "invalid"  # without a record named, the comment's text is needed
    assert response.headers["X-akismet-debug-help"].startswith('Empty "comment_content" value')


async def test_a_comment_deleted_in_wordpress_while_its_record_waits_in_a_spool_stays_deleted(
        aiohttp_client: Any, settings: Settings, redis: Any) -> None:
    """Redis was away for the worker that checked the comment (its record waits in the spool); WordPress's
    *Delete Permanently*, reported to a worker with Redis before the record is delivered, finds nothing
    (``unknown``), and the record delivered afterwards must not bring the comment back."""
    from moderation_service.appkeys import SPOOL
    from tests.redis_server import free_port

    away = await aiohttp_client(create_app(settings.with_overrides(redis_url=f"redis://127.0.0.1:{free_port()}")))
    body, first = await check(away, **form(TYPED))
    item_id = first["X-akismet-guid"]
    assert body == "true" and first["X-Moderation-Status"] == "pending"
    served = await aiohttp_client(create_app(settings))
    data = {"api_key": KEYS["blog"], "blog": BLOG, "status": "delete", "comment_ID": "3001",
            "moderation_service_id": item_id}
    response = await served.post("/1.1/submit-status", data=data)
    assert response.headers["X-Moderation-Outcome"] in ("unknown", "deleted")
    await served.server.app[SPOOL].drain(served.server.app[STORE])
    assert await waiting(served) == []
    assert await served.server.app[STORE].get(item_id) is None


# ------------------------------------------------ the admin's word on a comment whose record waits in a spool


async def checked_while_redis_was_away(aiohttp_client: Any, settings: Settings) -> tuple[Any, str]:
    """A held comment checked by a worker that cannot reach Redis (its record waits in the spool), and a worker
    that has Redis, done with its first pass over the spool (it delivers when told to). Returns that worker
    and the record's id."""
    from tests.api.test_blog_decision import spooling_pair

    served, away = await spooling_pair(aiohttp_client, settings)
    body, first = await check(away, **form(TYPED))
    assert body == "true" and first["X-Moderation-Status"] == "pending"
    return served, first["X-akismet-guid"]


@pytest.mark.parametrize(("status", "result", "labels"), [
    ("approved", "approved", [{"spam": 0, "toxicity": 0}]),
    ("trash", "rejected", []),
])
async def test_the_admins_status_for_a_comment_whose_record_waits_in_a_spool_is_applied_when_it_arrives(
        aiohttp_client: Any, settings: Settings, status: str, result: str, labels: list[Any]) -> None:
    """*Approve* or *Trash* reported before the record reached Redis: kept (``kept``; the plugin, answered
    Thanks, does not send it again, and need not), and applied to the record once it is delivered, as if it
    had been reported afterwards."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    response = await served.post("/1.1/submit-status", data=recheck(STORED, reporter="admin", status=status))
    assert await response.text() == "Thanks for making the web a better place."
    assert response.headers["X-Moderation-Outcome"] == "kept"
    assert await drain(served) == 1
    assert await waiting(served) == []
    _, item = await call(served, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == result and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == labels


async def test_a_restore_withdraws_the_admins_kept_status(aiohttp_client: Any, settings: Settings) -> None:
    """*Trash* and then *Restore* before the record arrived: the blog's last word is that the comment waits."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    assert (await report_status(served, STORED, "trash"))[1] == "kept"
    assert (await report_status(served, STORED, "unapproved"))[1] == "withdrawn"
    assert await drain(served) == 1
    assert await waiting(served) == [item_id]


@pytest.mark.parametrize("stalls_at", ["supersede_decision", "keep_decision"])
@pytest.mark.parametrize("older", ["approved", "submit-spam"])
async def test_an_older_word_reaching_redis_after_the_admins_take_back_is_not_applied(
        aiohttp_client: Any, settings: Settings, monkeypatch: Any, stalls_at: str, older: str) -> None:
    """*Approve* (or *Spam*: its label kept at once) and then *Unapprove* before the record arrived, the first
    word's request stalling (before it reached the decision kept for the comment, or before it kept its own)
    until the take-back has landed. The take-back is the blog's last word: the comment waits when its record
    arrives, with no label of the older word (until 2026-11-29 the take-back kept nothing for a comment with no
    decision kept, and the older word, reaching Redis after it, was kept and applied)."""
    from moderation_service.appkeys import QUEUE
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    queue = served.server.app[QUEUE]
    reach = getattr(queue, stalls_at)
    older_stalls, take_back_landed = asyncio.Event(), asyncio.Event()

    async def the_older_word_stalls(record_id: str, fields: Any = None) -> Any:
        if fields is not None:  # the older word's (the take-back's is None)
            older_stalls.set()
            await take_back_landed.wait()
        return await reach(record_id, fields)

    monkeypatch.setattr(queue, stalls_at, the_older_word_stalls)
    if older == "approved":
        sent = report_status(served, STORED, "approved")
    else:
        sent = served.post(f"/1.1/{older}", data=recheck(STORED, reporter="admin"))
    older_word = asyncio.ensure_future(sent)
    await asyncio.wait_for(older_stalls.wait(), 30)
    assert (await report_status(served, STORED, "unapproved"))[1] in ("unknown", "withdrawn")
    take_back_landed.set()
    answered = await asyncio.wait_for(older_word, 30)
    assert (answered[1] if older == "approved" else answered.headers["X-Moderation-Outcome"]) == "kept"
    assert await drain(served) == 1
    assert await waiting(served) == [item_id]
    _, item = await call(served, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "pending" and await labels_of(served) == []


async def test_the_admins_word_after_a_restore_is_applied_when_the_record_arrives(
        aiohttp_client: Any, settings: Settings) -> None:
    """*Trash*, *Restore*, then *Approve*, all before the record arrived: what the restore leaves kept (so that an
    older word reaching Redis late is not applied) gives way to the blog's later word."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    assert (await report_status(served, STORED, "trash"))[1] == "kept"
    assert (await report_status(served, STORED, "unapproved"))[1] == "withdrawn"
    assert (await report_status(served, STORED, "approved"))[1] == "kept"
    assert await drain(served) == 1
    assert await waiting(served) == []
    _, item = await call(served, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]


async def test_a_comment_wordpress_trashed_as_it_stored_it_while_its_record_waits_in_a_spool_is_rejected(
        aiohttp_client: Any, settings: Settings) -> None:
    """WordPress's disallowed words trashed the comment as it stored it; ``comment-stored`` reaches a worker with
    Redis before the record does. There is nothing to link yet (``unknown``), but the trash is the blog's
    rejection all the same: kept, and applied as the record arrives (until 2026-11-28 it was lost, and the
    comment waited in the queue, where a moderator's approval would have published it in WordPress)."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    response = await served.post("/1.1/comment-stored", data={"api_key": KEYS["blog"], "blog": BLOG, "id": item_id,
                                                               "comment_ID": "3001", "status": "trash"})
    assert response.headers["X-Moderation-Outcome"] == "unknown"
    assert await drain(served) == 1
    assert await waiting(served) == []
    _, item = await call(served, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "rejected" and item["decided"]["by"] == "kommblog"
    assert await labels_of(served) == []


async def test_a_restore_reaching_the_record_before_its_kept_status_is_applied_keeps_it_waiting(
        aiohttp_client: Any, settings: Settings) -> None:
    """*Trash* kept; the record is stored but Redis goes away before the trash is applied; *Restore* then finds
    the record waiting. Delivered again, the record waits on: the older trash goes unapplied."""
    from tests.api.test_blog_decision import drain, drain_but_not_settle

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    assert (await report_status(served, STORED, "trash"))[1] == "kept"
    await drain_but_not_settle(served)
    assert (await report_status(served, STORED, "unapproved"))[1] == "waiting"
    assert await drain(served) == 1
    assert await waiting(served) == [item_id]


@pytest.mark.parametrize(("call_name", "result", "spam"), [("submit-spam", "spam", 1), ("submit-ham", "approved", 0)])
async def test_spam_or_not_spam_for_a_comment_whose_record_waits_in_a_spool_decides_it_when_it_arrives(
        aiohttp_client: Any, settings: Settings, call_name: str, result: str, spam: int) -> None:
    """*Spam* / *Not Spam* reported before the record reached Redis: kept as a label at once (as for any comment
    the service does not know: it may never arrive), and the record delivered later is decided so, with that one
    label (the decision's), not two."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    response = await served.post(f"/1.1/{call_name}", data=recheck(STORED, reporter="admin"))
    assert await response.text() == "Thanks for making the web a better place."
    assert response.headers["X-Moderation-Outcome"] == "kept"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": spam}]
    assert await drain(served) == 1
    assert await waiting(served) == []
    _, item = await call(served, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == result and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": spam}]


@pytest.mark.parametrize(("first", "spam"), [("submit-spam", 1), ("submit-ham", 0)])
async def test_the_admins_last_kept_word_leaves_one_label_as_it_would_with_the_record_here(
        aiohttp_client: Any, settings: Settings, first: str, spam: int) -> None:
    """*Spam* (or *Not Spam*: its label kept at once), then *Approve*, both before the record reached Redis: the
    approval, kept in place of the first report, decides the record as it arrives, and the first report's
    label goes, as it would have with the record here (the blog's last word is the one example). Until
    2026-11-28 it stayed beside the decision's: two examples, after *Spam* contradicting each other."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    response = await served.post(f"/1.1/{first}", data=recheck(STORED, reporter="admin"))
    assert response.headers["X-Moderation-Outcome"] == "kept"
    assert (await report_status(served, STORED, "approved"))[1] == "kept"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": spam}]  # the record may never come
    assert await drain(served) == 1
    _, item = await call(served, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]


@pytest.mark.parametrize(("first", "later", "result"), [
    ("submit-spam", "approved", "approved"), ("submit-ham", "trash", "rejected")])
async def test_the_admins_word_whose_request_failed_after_its_label_was_kept_leaves_no_label_behind(
        aiohttp_client: Any, settings: Settings, private_redis: Any, first: str, later: str, result: str) -> None:
    """*Spam* (or *Not Spam*) for a comment whose record waits in a spool keeps its label at once; Redis went
    away right after that label was kept, before the decision was (``503``, which the blog may never send
    again). The admin's later word (*Approve*, *Trash*) then decides the record: the first word's label must
    go with it, as it goes when the first word's decision was kept (until 2026-11-28 nothing named that label,
    and it stayed beside the decision: a spam example for an approved comment, or a not-spam one for a trashed
    comment). (A real outage: the test's own Redis stops right after the label was kept.)"""
    from moderation_service.appkeys import HEALTH, LABELS
    from tests.api.test_blog_decision import drain
    from tests.test_redis_outage import wait_until

    served, item_id = await checked_while_redis_was_away(aiohttp_client,
                                                         settings.with_overrides(redis_url=private_redis.url))
    with private_redis.stopped_after(served.server.app[LABELS], "add_correction"):
        response = await served.post(f"/1.1/{first}", data=recheck(STORED, reporter="admin"))
    assert response.status == 503
    private_redis.start()
    served.server.app[HEALTH].up()
    await report_status(served, STORED, later)  # the record may have been delivered meanwhile, or not

    async def delivered() -> bool:
        await drain(served)
        return (await call(served, "GET", f"/v1/review/items/{item_id}"))[0] == 200

    await wait_until(delivered)
    _, item = await call(served, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == result and item["decided"]["by"] == "kommblog"
    assert [e["labels"] for e in await labels_of(served)] == ([{"spam": 0, "toxicity": 0}] if later == "approved"
                                                              else [])


async def test_a_restore_after_the_admins_kept_word_takes_its_label_back(aiohttp_client: Any,
                                                                         settings: Settings) -> None:
    """*Not Spam* (its label kept at once) and *Approve*, then the approval undone, before the record arrived:
    the blog's last word is that the comment waits, and no example of the words it took back stays, as with
    the record here (its decision reopened, the decision's label taken back)."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    response = await served.post("/1.1/submit-ham", data=recheck(STORED, reporter="admin"))
    assert response.headers["X-Moderation-Outcome"] == "kept"
    assert (await report_status(served, STORED, "approved"))[1] == "kept"
    assert (await report_status(served, STORED, "unapproved"))[1] == "withdrawn"
    assert await labels_of(served) == []
    assert await drain(served) == 1
    assert await waiting(served) == [item_id] and await labels_of(served) == []


async def test_a_recheck_after_the_admins_kept_word_is_that_comment(aiohttp_client: Any, settings: Settings) -> None:
    """*Not Spam* kept for a record still spooled, and then *Check for Spam* sends the same comment to a worker
    with Redis before the spool is delivered: received after the report, but the same version the admin judged,
    so it is decided so (answered ``false``), and the spooled record delivered later changes nothing."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    response = await served.post("/1.1/submit-ham", data=recheck(STORED, reporter="admin"))
    assert response.headers["X-Moderation-Outcome"] == "kept"
    body, headers = await check(served, **recheck(STORED))
    assert body == "false" and headers["X-akismet-guid"] == item_id and headers["X-Moderation-Status"] == "approved"
    await drain(served)
    assert await waiting(served) == []
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0}]


async def erase_call(client: Any, data: dict[str, str]) -> tuple[str, str]:
    """The must-use plugin's personal data eraser asking the service to erase one comment's record."""
    response = await client.post("/1.1/erase-personal-data", data=data)
    assert response.status == 200
    return await response.text(), response.headers.get("X-Moderation-Outcome", "")


async def test_wordpress_erasing_a_persons_data_erases_it_from_the_linked_record(client: Any) -> None:
    """WordPress's *Erase Personal Data*: the plugin names the linked record by the comment's id alone; the
    comment waits on without its author, and a second run finds nothing left."""
    _, first = await check(client, **form(TYPED, comment_author="Jana Weber", comment_author_email="jana@example.org",
                                          user_agent="JanasBrowser/1.0"))
    item_id = first["X-akismet-guid"]
    await link(client, item_id)
    data = {"api_key": KEYS["blog"], "blog": BLOG, "comment_ID": "3001", "moderation_service_id": item_id}
    assert await erase_call(client, data) == ("Thanks for making the web a better place.", "erased")
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "pending" and item["personal_data_erased_at"]
    assert not {"author_name", "author_email", "author_ip", "user_agent"} & set(item["comment"])
    assert await erase_call(client, data) == ("Thanks for making the web a better place.", "erased")  # idempotent
    assert await waiting(client) == [item_id]


async def test_a_comment_never_linked_is_erased_by_its_fields_and_one_never_kept_is_unknown(client: Any) -> None:
    _, first = await check(client, **form(TYPED))
    item_id = first["X-akismet-guid"]
    fields = recheck(STORED, reporter="admin")
    assert (await erase_call(client, fields))[1] == "erased"
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["personal_data_erased_at"] and "author_email" not in item["comment"]
    assert (await erase_call(client, recheck("Nie gesehen.")))[1] == "unknown"
    gone = {"api_key": KEYS["blog"], "blog": BLOG, "comment_ID": "3002",
            "moderation_service_id": "kommblog:zzzzzzzzzzzzzzzz"}
    assert (await erase_call(client, gone))[1] == "unknown"


async def test_an_erasure_that_cannot_be_right_says_what_to_send(client: Any) -> None:
    response = await client.post("/1.1/erase-personal-data", data={"api_key": "not-a-key", "blog": BLOG,
                                                                   "comment_content": "x"})
    assert await response.text() == "invalid" and "Invalid key" in response.headers["X-akismet-debug-help"]
    response = await client.post("/1.1/erase-personal-data", data={"api_key": KEYS["blog"], "blog": BLOG,
                                                                   "moderation_service_id": "not-a-record"})
    assert await response.text() == "invalid"  # without a record named, the comment's fields are needed
    assert response.headers["X-akismet-debug-help"].startswith('Empty "comment_content" value')


async def test_a_kept_spam_report_applied_later_leaves_no_withdrawal_in_the_comments_history(
        aiohttp_client: Any, settings: Settings) -> None:
    """*Spam* reported before the record reached Redis: its label, kept at once, gives way to the decision's
    when the record arrives. That is no correction the blog took back: the comment's history ends on the
    blog's decision, not on a ``withdraw_correction`` of a correction it never showed."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    response = await served.post("/1.1/submit-spam", data=recheck(STORED, reporter="admin"))
    assert response.headers["X-Moderation-Outcome"] == "kept"
    assert await drain(served) == 1
    _, history = await call(served, "GET", f"/v1/review/items/{item_id}/history")
    assert [(e["action"], e["actor"]) for e in history["entries"]] == [("decide", "kommblog")]
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 1}]


@pytest.mark.parametrize("first", ["submit-ham", "approved"])
async def test_a_kept_word_the_blogs_last_kept_word_agrees_with_leaves_no_withdrawal_in_the_history(
        aiohttp_client: Any, settings: Settings, first: str) -> None:
    """*Not Spam* (its label kept at once) or *Approve*, then *Approve* again, both before the record reached
    Redis. The first label gives way to the approval's as the record arrives; the blog took nothing back, and
    with the record here its history holds the one decision. Until 2026-11-28 it ended on a
    ``withdraw_correction`` of the first word, which the last one repeated."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    if first == "submit-ham":
        response = await served.post("/1.1/submit-ham", data=recheck(STORED, reporter="admin"))
        assert response.headers["X-Moderation-Outcome"] == "kept"
    else:
        assert (await report_status(served, STORED, "approved"))[1] == "kept"
    assert (await report_status(served, STORED, "approved"))[1] == "kept"
    assert await drain(served) == 1
    _, history = await call(served, "GET", f"/v1/review/items/{item_id}/history")
    assert [(e["action"], e["actor"]) for e in history["entries"]] == [("decide", "kommblog")]
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]


async def test_a_kept_word_the_blogs_later_word_on_the_record_repeats_leaves_no_withdrawal_in_the_history(
        aiohttp_client: Any, settings: Settings) -> None:
    """*Not Spam* kept (its label kept at once); the record is stored but Redis goes away before it is applied;
    *Approve* then reaches the record and decides it. The kept word goes unapplied and its label gives way to
    the decision's; the blog took nothing back, so the history holds the decision alone (until 2026-11-28 it
    ended on a ``withdraw_correction``)."""
    from tests.api.test_blog_decision import drain, drain_but_not_settle

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    response = await served.post("/1.1/submit-ham", data=recheck(STORED, reporter="admin"))
    assert response.headers["X-Moderation-Outcome"] == "kept"
    await drain_but_not_settle(served)
    assert (await report_status(served, STORED, "approved"))[1] == "decided"
    assert await drain(served) == 1
    _, history = await call(served, "GET", f"/v1/review/items/{item_id}/history")
    assert [(e["action"], e["actor"]) for e in history["entries"]] == [("decide", "kommblog")]
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0, "toxicity": 0}]


async def test_an_erasure_of_a_comment_whose_record_waits_in_a_spool_takes_the_labels_kept_for_it(
        aiohttp_client: Any, settings: Settings) -> None:
    """*Spam* reported while the record waits in a spool keeps its label at once (the record may never come);
    the blog then deletes the comment with ``?labels=delete`` (someone asked for their data to be erased). The
    record is not here (``404``), but the service knows that label: the decision kept for the record names it.
    Until 2026-11-28 the deletion dropped the kept decision and the label stayed, and the record, arriving,
    was dropped too, so nothing could name the label any more."""
    from tests.api.test_blog_decision import drain

    served, item_id = await checked_while_redis_was_away(aiohttp_client, settings)
    response = await served.post("/1.1/submit-spam", data=recheck(STORED, reporter="admin"))
    assert response.headers["X-Moderation-Outcome"] == "kept"
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 1}]
    response = await served.delete(f"/v1/comments/{item_id}?labels=delete", headers=auth("blog"))
    assert response.status == 404
    assert await labels_of(served) == []
    assert await drain(served) == 1  # the record, received before the deletion, is dropped
    assert await labels_of(served) == []


# ------------------------------------------------ the admin's word on a comment whose author's data was erased

#: The row WordPress keeps of a comment once its own eraser has anonymized it (``wp_comments_personal_data_eraser``).
ANONYMIZED = {"comment_author": "Anonymous", "comment_author_email": "", "comment_author_url": "", "user_ip": "",
              "comment_author_IP": "0.0.0.0", "user_agent": ""}


async def test_the_admins_word_after_an_erasure_is_about_the_same_comment(client: Any) -> None:
    """*Spam* before the person's data was erased (by the must-use plugin's eraser, then WordPress's own, which
    anonymizes the row), *Not Spam* after it: one example, not spam; an *Approve* then adds none, and its
    *Unapprove* takes that example back. Until 2026-11-28 the erasure changed the names the corrections are kept
    under: *Not Spam* was kept beside *Spam*, and the *Unapprove* took back nothing."""
    body, checked = await check(client, **form(FRIENDLY))
    assert body == "false"
    item_id = checked["X-akismet-guid"]
    assert (await link(client, item_id))[1] == "linked"
    await client.post("/1.1/submit-spam", data=recheck(FRIENDLY, reporter="admin", moderation_service_id=item_id))
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 1}]
    response = await client.post("/1.1/erase-personal-data", data={"api_key": KEYS["blog"], "blog": BLOG,
                                                                    "moderation_service_id": item_id})
    assert response.headers["X-Moderation-Outcome"] == "erased"
    erased_row = recheck(FRIENDLY, reporter="admin", moderation_service_id=item_id, **ANONYMIZED)
    response = await client.post("/1.1/submit-ham", data=erased_row)
    assert response.status == 200
    assert [e["labels"] for e in await labels_of(client)] == [{"spam": 0}]
    response = await client.post("/1.1/submit-status", data={**erased_row, "status": "approved"})
    assert response.headers["X-Moderation-Outcome"] == "model_decided"  # kept before: no second label
    response = await client.post("/1.1/submit-status", data={**erased_row, "status": "unapproved"})
    assert response.headers["X-Moderation-Outcome"] == "model_decided"
    assert await labels_of(client) == []


async def test_the_admins_word_after_an_erasure_finds_the_label_kept_while_the_record_was_in_a_spool(
        aiohttp_client: Any, settings: Settings) -> None:
    """*Spam* came while the comment's record waited in a worker's spool (the label kept at once, and the
    decision for the record), then the erasure (noted), then the record, erased as it arrived; *Not Spam*
    from the anonymized row replaces that label."""
    from tests.api.test_blog_decision import drain, spooling_pair

    served, away = await spooling_pair(aiohttp_client, settings)
    body, checked = await check(away, **form(FRIENDLY))
    assert body == "false"
    response = await served.post("/1.1/submit-spam", data=recheck(FRIENDLY, reporter="admin"))
    assert response.headers["X-Moderation-Outcome"] == "kept"
    response = await served.post("/1.1/erase-personal-data", data=recheck(FRIENDLY))
    assert response.headers["X-Moderation-Outcome"] == "unknown"  # noted, for the record on its way
    assert await drain(served) == 1
    _, item = await call(served, "GET", f"/v1/review/items/{checked['X-akismet-guid']}")
    assert item["status"] == "published" and item["personal_data_erased_at"]
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 1}]
    erased_row = recheck(FRIENDLY, reporter="admin", moderation_service_id=checked["X-akismet-guid"], **ANONYMIZED)
    await served.post("/1.1/submit-ham", data=erased_row)
    assert [e["labels"] for e in await labels_of(served)] == [{"spam": 0}]


async def test_the_admins_restore_landing_while_the_kept_trash_is_applied_counts(
        aiohttp_client: Any, settings: Settings, redis: Any, monkeypatch: Any) -> None:
    """*Trash* while the held comment's record waited in a spool (kept for it), then, as the record arrives and
    that trash is being applied, *Restore* (``unapproved``): the comment waits here again, as it would had both
    come after the record. Until 2026-11-28 the restore could land between the check of the kept trash and its
    apply, found the comment waiting, and the older trash was applied after it: rejected for good."""
    from tests.api.test_blog_decision import drain, spooling_pair, word_while_kept_decision_applies

    served, away = await spooling_pair(aiohttp_client, settings)
    body, checked = await check(away, **form(TYPED))
    assert body == "true" and checked["X-Moderation-Decision"] == "hold"
    item_id = checked["X-akismet-guid"]
    assert (await report_status(served, STORED, "trash"))[1] == "kept"
    kept = keys.kept_decision(keys.comment("kommblog", item_id.split(":")[1]))
    words = word_while_kept_decision_applies(monkeypatch, redis, kept,
                                             lambda: report_status(served, STORED, "unapproved"))
    assert await drain(served) == 1
    _, outcome = await asyncio.wait_for(words[0], 30)
    assert outcome == "reopened"
    _, item = await call(served, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "pending" and item["claim"] is None
    assert await waiting(served) == [item_id]
    assert await redis.exists(kept) == 0
