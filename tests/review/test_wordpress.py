"""A WordPress blog hears its moderators' decisions through its own REST API: the comment the Akismet plugin
had checked is found there and given the status the moderator chose.

WordPress is played by a small server that answers ``?rest_route=/wp/v2/comments…`` as WordPress 6.1 with
the Akismet plugin 5.0 does (checked against a real installation, 2026-11-28): statuses ``approved``,
``hold``, ``spam``, ``trash`` (``all``: pending and approved); application passwords with or without their
spaces, a wrong one answered as if none was sent; ``500 rest_comment_failed_edit`` for a status set to
itself; and the plugin reporting a change into or out of ``spam`` to the service as ``submit-spam`` /
``submit-ham``, before WordPress answers. The service side is the real one.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from moderation_service.app import create_app
from moderation_service.exceptions import ConfigurationError
from moderation_service.sites import load_sites
from tests.api.test_comments import INSULT
from tests.conftest import SITES_TOML, auth
from tests.protocols.conftest import labels_of
from tests.protocols.test_akismet import check
from tests.protocols.test_akismet_wordpress import STORED, TYPED, form
from tests.review.test_webhooks import eventually_async

USER = "moderation"
#: The comments of these tests were written today (a reopened one waits in the spam folder while young).
TODAY = time.strftime("%Y-%m-%d", time.gmtime())
YESTERDAY = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
PASSWORD = "abcd EFGH 1234 ijkl MNOP 5678"
POST = 17


class FakeWordPress:
    """The comments part of WordPress's REST API, with its comments in memory."""

    server: Any = None  # the test server it answers on

    def __init__(self, password: str = PASSWORD) -> None:
        self.password = password.replace(" ", "")
        self.comments: dict[int, dict[str, Any]] = {}
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        #: The plugins' reports to the service (the Akismet plugin's ``submit-spam`` / ``submit-ham``, the
        #: must-use plugin's ``submit-status``) and their answers (``submit-status``: its outcome).
        self.reports: list[tuple[str, int, str]] = []
        self.service: Any = None  # the service's test client, where the plugin reports to
        self._as_submitted: dict[int, dict[str, str]] = {}
        self._next_id = 3001

    def store(self, content: str, status: str = "spam", author_name: str = "Jana Weber",
              author_email: str = "jana@example.org", post: int = POST, date_gmt: str = f"{TODAY}T09:15:00",
              comment_id: int | None = None, as_submitted: dict[str, str] | None = None, parent: int = 0) -> int:
        """A comment as WordPress keeps it (``spam``: where it files one the plugin was told to hold), and what
        the plugin sent when it checked it (``akismet_as_submitted``), which it reports again on a change."""
        if comment_id is None:
            comment_id, self._next_id = self._next_id, self._next_id + 1
        if as_submitted is not None:
            self._as_submitted[comment_id] = as_submitted
        self.comments[comment_id] = {
            "id": comment_id, "post": post, "parent": parent, "author_name": author_name, "author_email": author_email,
            "date_gmt": date_gmt, "content": {"raw": content, "rendered": f"<p>{content}</p>\n"},
            "status": status, "type": "comment"}
        return comment_id

    def status_of(self, comment_id: int) -> str:
        return str(self.comments[comment_id]["status"])

    def posts(self) -> list[tuple[int, str]]:
        return [(int(route.rsplit("/", 1)[1]), body["status"]) for method, route, body in self.calls
                if method == "POST"]

    async def handle(self, request: web.Request) -> web.Response:
        route = request.query.get("rest_route", "")
        body = await request.json() if request.method == "POST" else {}
        self.calls.append((request.method, route, body))
        if not self._authorised(request.headers.get("Authorization", "")):  # as anonymous: edit context refused
            return error(401, "rest_forbidden_context", "Sorry, you are not allowed to edit comments.")
        if route == "/wp/v2/comments" and request.method == "GET":
            return web.json_response(self._listed(request.query))
        found = re.fullmatch(r"/wp/v2/comments/(\d+)", route)
        if not found:
            return error(404, "rest_no_route", "No route was found matching the URL and request method.")
        comment = self.comments.get(int(found[1]))
        if comment is None:
            return error(404, "rest_comment_invalid_id", "Invalid comment ID.")
        if request.method == "POST":
            wanted = {"approve": "approved", "1": "approved", "0": "hold"}.get(body["status"], body["status"])
            if wanted == comment["status"]:
                return error(500, "rest_comment_failed_edit", "Updating comment status failed.")
            comment["status"], before = wanted, comment["status"]
            await self._plugin_reports(comment["id"], before, wanted)
        return web.json_response(comment)

    async def _plugin_reports(self, comment_id: int, before: str, after: str) -> None:
        """Akismet 5.0's ``transition_comment_status`` for a REST request: into spam from approved or pending is
        reported as spam, out of spam into approved or pending as not spam."""
        report = ("submit-spam" if after == "spam" and before in {"approved", "hold"} else
                  "submit-ham" if before == "spam" and after in {"approved", "hold"} else None)
        # and this service's must-use plugin, what the Akismet plugin does not report: approved, trash
        status = after if after in {"approved", "trash"} and report is None else None
        if (report or status) and self.service is not None and comment_id in self._as_submitted:
            # the plugin names the user whose request changed the status: the service's own
            call = report or "submit-status"
            response = await self.service.post(f"/1.1/{call}", data={
                **self._as_submitted[comment_id], "reporter": USER, **({"status": status} if status else {})})
            self.reports.append((call, response.status, response.headers.get("X-Moderation-Outcome")
                                 or await response.text()))

    def _authorised(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user == USER and password.replace(" ", "") == self.password

    def _listed(self, query: Any) -> list[dict[str, Any]]:
        statuses = {"all": {"hold", "approved"}, "approve": {"approved"}}.get(query.get("status", "approve"),
                                                                             {query.get("status")})
        chosen = [c for c in self.comments.values()
                  if c["status"] in statuses
                  and ("post" not in query or c["post"] == int(query["post"]))
                  and ("parent" not in query or c["parent"] == int(query["parent"]))
                  and ("author_email" not in query or c["author_email"].lower() == query["author_email"].lower())]
        chosen.sort(key=lambda c: c["date_gmt"], reverse=True)
        per_page, page = int(query.get("per_page", 10)), int(query.get("page", 1))
        return chosen[(page - 1) * per_page:page * per_page]


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message, "data": {"status": status}}, status=status)


@pytest.fixture
async def wordpress(aiohttp_server: Any) -> Any:
    blog = FakeWordPress()
    app = web.Application()
    app.router.add_route("*", "/", blog.handle)
    blog.server = await aiohttp_server(app)
    return blog


def wordpress_sites(settings: Any, url: str, password: str = PASSWORD, **overrides: Any) -> Any:
    settings.sites_file.write_text(SITES_TOML + f"""
[sites.kommblog.wordpress]
url = "{url}"
user = "{USER}"
application_password = "{password}"
""", encoding="utf-8")
    return settings.with_overrides(**{"webhook_backoff_seconds": 0.05, **overrides})


@pytest.fixture
async def client(aiohttp_client: Any, settings: Any, wordpress: FakeWordPress) -> Any:
    wordpress.service = await aiohttp_client(create_app(wordpress_sites(settings, str(wordpress.server.make_url("/")))))
    return wordpress.service


async def call(client: Any, method: str, path: str, role: str = "moderator", **kwargs: Any) -> tuple[int, Any]:
    response = await client.request(method, path, headers=auth(role), **kwargs)
    return response.status, await response.json()


async def held_in_wordpress(client: Any, wordpress: FakeWordPress, **extra: str) -> tuple[str, int]:
    """A comment the plugin checked (held: ``true``) and WordPress then filed as spam, as it stores it."""
    checked = form(TYPED, comment_date_gmt=f"{TODAY} 09:15:00", **extra)
    body, headers = await check(client, **checked)
    assert body == "true" and headers["X-Moderation-Status"] == "pending"
    return headers["X-akismet-guid"], wordpress.store(STORED, post=int(checked["comment_post_ID"]),
                                                      parent=int(checked.get("comment_parent", "0")),
                                                      as_submitted=checked)


async def decide(client: Any, item_id: str, action: str) -> None:
    assert (await call(client, "POST", f"/v1/review/items/{item_id}/claim"))[0] == 200
    status, body = await call(client, "POST", f"/v1/review/items/{item_id}/decision", json={"action": action})
    assert status == 200, body


async def deliveries(client: Any) -> list[dict[str, Any]]:
    _, body = await call(client, "GET", "/v1/ops/deliveries?site_id=kommblog", role="admin")
    return body["sites"]["kommblog"]


async def test_an_approval_here_publishes_the_comment_in_wordpress(client: Any, wordpress: FakeWordPress) -> None:
    other_text = wordpress.store("Ein anderer Kommentar von Jana.", status="approved")
    elsewhere = wordpress.store(STORED, post=18)  # the same words under another post
    item_id, comment_id = await held_in_wordpress(client, wordpress)
    await decide(client, item_id, "approve")
    await all_delivered(client, 1)
    assert wordpress.posts() == [(comment_id, "approved")]
    assert wordpress.status_of(other_text) == "approved" and wordpress.status_of(elsewhere) == "spam"
    [delivery] = await deliveries(client)
    assert delivery["status"] == "delivered" and delivery["last_error"] == ""
    searches = [query for method, route, query in wordpress.calls if method == "GET"]
    assert searches, "the comment was looked up"


async def test_a_rejection_trashes_it_and_spam_stays_in_the_spam_folder(client: Any,
                                                                        wordpress: FakeWordPress) -> None:
    rejected, rejected_id = await held_in_wordpress(client, wordpress)
    spam, spam_id = await held_in_wordpress(client, wordpress, comment_post_ID="18")
    await decide(client, rejected, "reject")
    await decide(client, spam, "spam")
    await all_delivered(client, 2)
    assert wordpress.status_of(rejected_id) == "trash" and wordpress.status_of(spam_id) == "spam"
    assert wordpress.posts() == [(rejected_id, "trash")]  # spam already is spam: WordPress refuses a no-op
    # the must-use plugin reports the trash, made by this service's user: heard back, not the blog's decision
    assert wordpress.reports == [("submit-status", 200, "ignored")]
    assert [label["labelled_by"] for label in await labels_of(client)] == ["mod", "mod"]


async def delivery_once(client: Any, condition: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Waits until the site's first delivery meets ``condition``; returns it."""
    seen: list[dict[str, Any]] = []

    async def read() -> bool:
        seen[:] = await deliveries(client)
        return bool(seen) and condition(seen[0])

    await eventually_async(read, True)
    return seen[0]


async def all_delivered(client: Any, count: int) -> list[dict[str, Any]]:
    """Waits until the site's ``count`` deliveries are all delivered; returns them."""
    found: list[dict[str, Any]] = []

    async def read() -> bool:
        found[:] = await deliveries(client)
        return len(found) == count and all(d["status"] == "delivered" for d in found)

    try:
        await eventually_async(read, True)
    except AssertionError:
        raise AssertionError(f"not all {count} delivered: {found}") from None
    return found


async def test_a_reopened_approval_goes_back_to_the_spam_folder(client: Any, wordpress: FakeWordPress) -> None:
    """Where held comments wait in WordPress, so that its admin's *Not Spam* there is heard here; the plugin's
    report of the move, in the service's own user, decides nothing."""
    item_id, comment_id = await held_in_wordpress(client, wordpress)
    await decide(client, item_id, "approve")
    await all_delivered(client, 1)
    status, _ = await call(client, "POST", f"/v1/review/items/{item_id}/reopen")
    assert status == 200
    await all_delivered(client, 2)
    assert wordpress.posts() == [(comment_id, "approved"), (comment_id, "spam")]
    assert [report for report, _, _ in wordpress.reports] == ["submit-ham", "submit-spam"]
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "pending"


async def test_a_reopened_spam_decision_stays_in_the_spam_folder(client: Any, wordpress: FakeWordPress) -> None:
    """Moved out of spam, the plugin would report it as not spam, and the service would take that as the blog's
    approval: a comment reopened to be looked at again must not be decided so behind the moderator's back."""
    item_id, comment_id = await held_in_wordpress(client, wordpress)
    await decide(client, item_id, "spam")
    await all_delivered(client, 1)  # (a decision not yet delivered is cancelled by its reopening: no event)
    await call(client, "POST", f"/v1/review/items/{item_id}/reopen")
    await all_delivered(client, 2)
    assert wordpress.posts() == [] and wordpress.reports == [] and wordpress.status_of(comment_id) == "spam"
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "pending"


async def test_a_comment_sent_with_wordpress_id_is_set_by_that_id(client: Any, wordpress: FakeWordPress,
                                                                    comment: dict[str, Any]) -> None:
    comment_id = wordpress.store(INSULT, status="hold", comment_id=4711)
    response = await client.post("/v1/comments", json={**comment, "comment_id": "4711", "content": INSULT},
                                 headers=auth("blog"))
    item_id = (await response.json())["id"]
    await decide(client, item_id, "approve")
    await all_delivered(client, 1)
    await call(client, "POST", f"/v1/review/items/{item_id}/reopen")
    await all_delivered(client, 2)
    assert wordpress.posts() == [(comment_id, "approved"), (comment_id, "spam")]
    assert [method for method, _, _ in wordpress.calls] == ["GET", "POST", "GET", "POST"]  # no search


async def test_a_comment_not_yet_stored_in_wordpress_is_found_later(client: Any, wordpress: FakeWordPress) -> None:
    body, headers = await check(client, **form(TYPED))
    await decide(client, headers["X-akismet-guid"], "approve")
    await delivery_once(client, lambda delivery: bool(delivery.get("last_error")))
    [delivery] = await deliveries(client)
    assert delivery["status"] == "pending" and "WordPress has no comment on post 17 by this comment's author" in \
        delivery["last_error"]
    comment_id = wordpress.store(STORED)  # WordPress stores it after the plugin's answer
    await all_delivered(client, 1)
    assert wordpress.status_of(comment_id) == "approved"


async def test_of_two_such_comments_the_one_written_then_is_set(client: Any, wordpress: FakeWordPress) -> None:
    earlier = wordpress.store(STORED, date_gmt=f"{YESTERDAY}T09:15:00")  # the same words the day before
    item_id, comment_id = await held_in_wordpress(client, wordpress)
    later = wordpress.store(STORED, date_gmt=f"{TODAY}T18:00:00")
    await decide(client, item_id, "approve")
    await all_delivered(client, 1)
    assert wordpress.posts() == [(comment_id, "approved")]
    assert wordpress.status_of(earlier) == wordpress.status_of(later) == "spam"


async def test_a_refused_password_is_retried_then_reported(aiohttp_client: Any, settings: Any,
                                                           wordpress: FakeWordPress) -> None:
    configured = wordpress_sites(settings, str(wordpress.server.make_url("/")), password="wrong wrong wrong",
                                 webhook_max_attempts=2)
    client = await aiohttp_client(create_app(configured))
    item_id, comment_id = await held_in_wordpress(client, wordpress)
    await decide(client, item_id, "approve")

    await delivery_once(client, lambda delivery: delivery["status"] == "failed")
    [delivery] = await deliveries(client)
    assert delivery["attempts"] == "2" and "HTTP 401 rest_forbidden_context" in delivery["last_error"]
    assert "check the user and its application password" in delivery["last_error"]
    assert wordpress.status_of(comment_id) == "spam"


async def test_the_plugins_report_of_an_approval_made_here_adds_no_label(client: Any,
                                                                         wordpress: FakeWordPress) -> None:
    """Set to approved out of the spam folder, the plugin reports the comment as not spam: the service hears
    its own decision again."""
    item_id, comment_id = await held_in_wordpress(client, wordpress)
    await decide(client, item_id, "approve")
    await all_delivered(client, 1)
    assert wordpress.reports == [("submit-ham", 200, "Thanks for making the web a better place.")]
    [label] = await labels_of(client)  # the moderator's; the report adds none
    assert label["labelled_by"] == "mod" and label["labels"] == {"toxicity": 0, "spam": 0}
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "approved" and item["decided"]["by"] == "mod"


async def test_the_admins_own_click_in_wordpress_is_not_sent_back(client: Any, wordpress: FakeWordPress) -> None:
    item_id, _ = await held_in_wordpress(client, wordpress)
    response = await client.post("/1.1/submit-spam", data=form(TYPED, comment_date_gmt=f"{TODAY} 09:15:00"))
    assert await response.text() == "Thanks for making the web a better place."
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "spam"
    assert await deliveries(client) == [] and wordpress.calls == []


def test_a_site_hears_decisions_by_webhook_or_in_wordpress_not_both(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text('[sites.kommblog]\nwebhook_url = "https://kommblog.example/hook"\n'
                     'webhook_secret = "0123456789abcdef"\n[sites.kommblog.wordpress]\n'
                     'url = "https://kommblog.example"\nuser = "moderation"\napplication_password = "x"\n')
    with pytest.raises(ConfigurationError, match="either to webhook_url or to WordPress"):
        load_sites(sites)


def test_the_application_password_stays_out_of_reprs(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text('[sites.kommblog.wordpress]\nurl = "https://kommblog.example"\nuser = "moderation"\n'
                     'application_password = "abcd efgh ijkl"\n')
    loaded = load_sites(sites)
    assert loaded.get("kommblog").hears_decisions
    assert "abcd" not in repr(loaded) and "moderation" in repr(loaded)


async def test_the_same_reply_under_two_parents_is_two_comments_in_wordpress(client: Any,
                                                                             wordpress: FakeWordPress) -> None:
    """The parent is part of which comment it is: deciding one must not set the other (nor, through the
    plugin's report, decide the other's queue item)."""
    first, first_id = await held_in_wordpress(client, wordpress, comment_parent="2")
    second, second_id = await held_in_wordpress(client, wordpress, comment_parent="11")
    assert first != second
    await decide(client, first, "approve")
    await all_delivered(client, 1)
    assert wordpress.status_of(first_id) == "approved" and wordpress.status_of(second_id) == "spam"
    await call(client, "POST", f"/v1/review/items/{first}/reopen")
    await all_delivered(client, 2)
    await decide(client, first, "approve")
    await all_delivered(client, 3)
    assert wordpress.posts() == [(first_id, "approved"), (first_id, "spam"), (first_id, "approved")]
    _, other = await call(client, "GET", f"/v1/review/items/{second}")
    assert other["status"] == "pending" and other["decided"] is None


async def test_a_report_of_the_services_own_change_decides_nothing(client: Any, wordpress: FakeWordPress) -> None:
    """The plugin reports a change made by this service's WordPress user: even if it arrives after a moderator
    reopened the comment here, it is not the blog's decision."""
    item_id, _ = await held_in_wordpress(client, wordpress)
    checked = form(TYPED, comment_date_gmt=f"{TODAY} 09:15:00")
    response = await client.post("/1.1/submit-ham", data={**checked, "reporter": "Moderation"})
    assert await response.text() == "Thanks for making the web a better place."
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "pending" and await labels_of(client) == []
    response = await client.post("/1.1/submit-ham", data={**checked, "reporter": "admin"})  # a person's click
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"  # the blog key's name
    [label] = await labels_of(client)
    assert label["labels"] == {"spam": 0}  # "not spam" says nothing of toxicity


async def test_a_text_wordpress_rewrote_is_found(client: Any, wordpress: FakeWordPress) -> None:
    """WordPress drops tags a commenter may not use (an image, with its address) and writes a bare & as &amp;."""
    typed = f'{INSULT} <img src="https://example.org/x.png"> Beweis: https://example.org/?a=1&section=2'
    checked = form(typed, comment_date_gmt=f"{TODAY} 09:15:00")
    _, headers = await check(client, **checked)
    comment_id = wordpress.store(f"{INSULT}  Beweis: https://example.org/?a=1&amp;section=2", as_submitted=checked)
    await decide(client, headers["X-akismet-guid"], "approve")
    await all_delivered(client, 1)
    assert wordpress.status_of(comment_id) == "approved"


async def test_comments_not_told_apart_are_left_alone(client: Any, wordpress: FakeWordPress) -> None:
    item_id, comment_id = await held_in_wordpress(client, wordpress)
    twin = wordpress.store(f"{STORED} ", date_gmt=f"{TODAY}T09:15:01")  # reads the same, a second later
    await decide(client, item_id, "approve")

    await delivery_once(client, lambda delivery: bool(delivery.get("last_error")))
    [delivery] = await deliveries(client)
    assert f"several comments like this one on post {POST} (ids " in delivery["last_error"]
    assert wordpress.posts() == [] and wordpress.status_of(comment_id) == wordpress.status_of(twin) == "spam"


async def test_a_comment_without_a_wordpress_post_is_not_searched_for(client: Any, wordpress: FakeWordPress,
                                                                     comment: dict[str, Any]) -> None:
    response = await client.post("/v1/comments", json={**comment, "comment_id": "c-9", "post_id": "krise",
                                                       "content": INSULT}, headers=auth("blog"))
    await decide(client, (await response.json())["id"], "approve")

    await delivery_once(client, lambda delivery: bool(delivery.get("last_error")))
    assert "names no WordPress post" in (await deliveries(client))[0]["last_error"]
    assert wordpress.calls == []


async def test_a_wordpress_id_on_another_post_is_not_set(client: Any, wordpress: FakeWordPress,
                                                         comment: dict[str, Any]) -> None:
    wordpress.store(INSULT, status="hold", comment_id=4711, post=18)
    response = await client.post("/v1/comments", json={**comment, "comment_id": "4711", "post_id": str(POST),
                                                       "content": INSULT}, headers=auth("blog"))
    await decide(client, (await response.json())["id"], "approve")

    await delivery_once(client, lambda delivery: bool(delivery.get("last_error")))
    assert "is on post 18, not on post 17" in (await deliveries(client))[0]["last_error"]
    assert wordpress.posts() == []


async def test_an_unforeseen_failure_is_an_attempt_that_failed(aiohttp_client: Any, settings: Any,
                                                               wordpress: FakeWordPress, monkeypatch: Any) -> None:
    """Whatever goes wrong in a delivery is recorded and retried, never left in flight without a word."""
    async def broken(*_: Any) -> None:
        raise ValueError("an answer nobody foresaw")
    monkeypatch.setattr("moderation_service.review.wordpress.WordPressTarget.deliver", broken)
    configured = wordpress_sites(settings, str(wordpress.server.make_url("/")), webhook_max_attempts=2)
    client = await aiohttp_client(create_app(configured))
    item_id, _ = await held_in_wordpress(client, wordpress)
    await decide(client, item_id, "approve")

    await delivery_once(client, lambda delivery: delivery["status"] == "failed")
    [delivery] = await deliveries(client)
    assert delivery["attempts"] == "2" and delivery["last_error"] == "ValueError: an answer nobody foresaw"


@pytest.mark.parametrize(("table", "fragment"), [
    ('url = "https://kommblog.example"\nuser = "moderation@kommblog.example"\napplication_password = "secret"',
     "without '@'"),
    ('url = "https://admin:secret@kommblog.example"\nuser = "moderation"\napplication_password = "x"',
     "without a user or password"),
    ('url = "https://kommblog.example"\nuser = "moderation"', "application_password"),
    ('url = "kommblog.example"\nuser = "m"\napplication_password = "secret"', "url"),
])
def test_a_wordpress_table_that_cannot_work_is_refused(tmp_path: Path, table: str, fragment: str) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text(f"[sites.kommblog.wordpress]\n{table}\n")
    with pytest.raises(ConfigurationError, match=fragment) as refused:
        load_sites(sites)
    assert "secret" not in str(refused.value)


async def test_a_reopened_comment_written_long_ago_waits_pending_not_in_the_spam_folder(
        client: Any, wordpress: FakeWordPress) -> None:
    """The Akismet plugin deletes spam written more than 15 days ago: such a comment waits as pending."""
    checked = form(TYPED, comment_date_gmt="2026-10-01 09:15:00")
    _, headers = await check(client, **checked)
    item_id = headers["X-akismet-guid"]
    comment_id = wordpress.store(STORED, date_gmt="2026-10-01T09:15:00", as_submitted=checked)
    await decide(client, item_id, "approve")
    await all_delivered(client, 1)
    await call(client, "POST", f"/v1/review/items/{item_id}/reopen")
    await all_delivered(client, 2)
    assert wordpress.posts() == [(comment_id, "approved"), (comment_id, "hold")]
    # the admin approves it there: the must-use plugin reports it, and it is decided here, with no delivery back
    response = await client.post("/1.1/submit-status", data={**checked, "reporter": "admin", "status": "approved"})
    assert response.headers["X-Moderation-Outcome"] == "decided"
    _, item = await call(client, "GET", f"/v1/review/items/{item_id}")
    assert item["status"] == "approved" and item["decided"]["by"] == "kommblog"
    assert len(await deliveries(client)) == 2


async def test_a_comment_linked_by_the_must_use_plugin_is_set_without_a_search(client: Any,
                                                                              wordpress: FakeWordPress) -> None:
    """WordPress took ``<3 ->`` for a tag and dropped it: the text reads differently, so no search finds the
    comment; the id the must-use plugin reported once WordPress stored it leads straight to it."""
    typed = f"{INSULT} Danke <3 -> weiter so"
    checked = form(typed, comment_date_gmt=f"{TODAY} 09:15:00")
    _, headers = await check(client, **checked)
    item_id = headers["X-akismet-guid"]
    comment_id = wordpress.store(f"{INSULT} Danke  weiter so", as_submitted=checked)
    response = await client.post("/1.1/comment-stored", data={**checked, "id": item_id, "comment_ID": str(comment_id)})
    assert response.headers["X-Moderation-Outcome"] == "linked"
    await decide(client, item_id, "approve")
    [delivery] = await all_delivered(client, 1)
    assert delivery["status"] == "delivered"
    assert wordpress.posts() == [(comment_id, "approved")]
    assert [route for method, route, _ in wordpress.calls if method == "GET"] == [f"/wp/v2/comments/{comment_id}"]


async def test_without_the_link_such_a_comment_is_not_found_and_the_delivery_says_so(
        aiohttp_client: Any, settings: Any, wordpress: FakeWordPress) -> None:
    wordpress.service = client = await aiohttp_client(create_app(wordpress_sites(
        settings, str(wordpress.server.make_url("/")), webhook_max_attempts=1)))
    checked = form(f"{INSULT} Danke <3 -> weiter so", comment_date_gmt=f"{TODAY} 09:15:00")
    _, headers = await check(client, **checked)
    wordpress.store(f"{INSULT} Danke  weiter so", as_submitted=checked)
    await decide(client, headers["X-akismet-guid"], "approve")
    failed = await delivery_once(client, lambda d: d["status"] == "failed")
    assert failed["last_error"].startswith("WordPress has no comment on post 17 by this comment's author")
    assert "Jana" not in failed["last_error"]
    assert wordpress.posts() == []


async def test_a_comment_someone_moved_in_wordpress_unheard_is_left_as_they_set_it(
        aiohttp_client: Any, settings: Any, wordpress: FakeWordPress) -> None:
    """The admin approved a held comment while the service could not hear it: a moderator's later rejection
    must not trash a published comment; the delivery fails and says why."""
    wordpress.service = client = await aiohttp_client(create_app(wordpress_sites(
        settings, str(wordpress.server.make_url("/")), webhook_max_attempts=1)))
    item_id, comment_id = await held_in_wordpress(client, wordpress)
    wordpress.comments[comment_id]["status"] = "approved"  # the must-use plugin's report never arrived
    await decide(client, item_id, "reject")
    failed = await delivery_once(client, lambda d: d["status"] == "failed")
    assert failed["last_error"].startswith(f"WordPress's comment {comment_id} is 'approved', not waiting")
    assert wordpress.status_of(comment_id) == "approved" and wordpress.posts() == []
