"""Final decisions sent to WordPress itself, through its REST API: a moderator's decision here sets the
comment's status there, so a blog that uses the Akismet plugin needs no code of its own to hear it.

A site with ``[sites.<id>.wordpress]`` (its address, a user who may moderate comments, and that user's
application password) gets its outbox deliveries (see :mod:`.outbox`) as ``POST /wp/v2/comments/<id>``
``{"status": …}``, under ``?rest_route=`` so that it works with any permalink setting:

=========================  =================================================================================
the event                  WordPress status
=========================  =================================================================================
approved                   ``approved``
rejected                   ``trash`` (not spam: WordPress empties its trash after 30 days)
spam                       ``spam``
reopened (waits again)     ``hold`` (pending); left in ``spam``, where the Akismet plugin keeps the comments
                           it was told to hold
=========================  =================================================================================

The Akismet plugin (5.0) reports a status change through the REST API that leaves or enters ``spam`` as
its admin's correction (``submit-ham`` / ``submit-spam``). So a reopened comment is never moved out of the
spam folder or into it (that report would decide it again, as the blog), and the report that follows a
decision made here (an approval out of the spam folder) repeats that decision: it is answered and adds no
label (see :func:`moderation_service.api.akismet.submit_correction`).

The plugin checks a comment before WordPress stores it, so it sends no comment id. The comment is found by
what the record holds: on its post, by its author's e-mail, with the same text and name as read (markup
aside: WordPress stores the filtered text), looking in the spam folder, then among pending and approved
comments, then in the trash; of several, the one written closest to the record's time. A comment whose blog
id is a number is that WordPress comment. The status is set only if it differs (WordPress refuses to
"change" a status to itself).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import aiohttp

from ..comments import Record, as_read
from ..sites import WordPressConfig

STATUS_FOR_ACTION = {"approve": "approved", "reject": "trash", "spam": "spam"}
#: Where a comment may be, in the order looked at: held comments first (the Akismet plugin files them as spam).
SEARCHED_STATUSES = ("spam", "all", "trash")  # 'all': pending and approved
PER_PAGE = 100
MAX_PAGES = 5


class WordPressError(Exception):
    """A delivery to WordPress failed; the message says why, for the operators' delivery list."""


def wanted_status(event: dict[str, Any], current: str) -> str:
    """The WordPress status an event asks for, given the comment's ``current`` one there."""
    if event["event"] == "comment.reopened":
        return current if current == "spam" else "hold"
    return STATUS_FOR_ACTION[event["action"]]


def wordpress_id(record: Record) -> int | None:
    """WordPress's own id of the comment, when the blog sent it as the comment id."""
    comment_id = record.comment.comment_id or ""
    return int(comment_id) if comment_id.isdigit() and int(comment_id) > 0 else None


class WordPressTarget:
    """Sets comments' status on one WordPress blog, as its user ``config.user``."""

    def __init__(self, session: aiohttp.ClientSession, config: WordPressConfig, timeout: float) -> None:
        self._session = session
        self._config = config
        credentials = f"{config.user}:{config.application_password}".encode()
        self._headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")}
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def deliver(self, event: dict[str, Any], record: Record | None) -> None:
        """Give the event's comment the status the event asks for.

        :raises WordPressError: unreachable, refused, or no such comment (yet): the outbox tries again later.
        """
        if record is None:
            raise WordPressError("The comment's record is gone (deleted or expired); nothing to set in WordPress.")
        known_id = wordpress_id(record)
        if known_id:
            found = await self._call("GET", f"/wp/v2/comments/{known_id}", params={"context": "edit"}, shape=dict)
        else:
            found = await self.find(record)
        status = wanted_status(event, found.get("status", ""))
        if found.get("status") == status:  # so already (a retry after a lost answer): WordPress refuses a no-op
            return
        comment_id = found["id"]
        answer = await self._call("POST", f"/wp/v2/comments/{comment_id}", json={"status": status}, shape=dict)
        if answer.get("status") != status:
            raise WordPressError(f"WordPress kept comment {comment_id} at status {answer.get('status')!r} instead "
                                 f"of {status!r} (a plugin may refuse the change).")

    async def find(self, record: Record) -> dict[str, Any]:
        """The record's comment as WordPress has it (see the module's documentation).

        :raises WordPressError: not found, or WordPress refused the search.
        """
        comment = record.comment
        text, name = as_read(comment.content), as_read(comment.author_name or "")
        email = (comment.author_email or "").strip().lower()
        query: dict[str, str] = {"context": "edit", "per_page": str(PER_PAGE), "orderby": "date_gmt"}
        if comment.post_id and comment.post_id.isdigit():
            query["post"] = comment.post_id
        if email:
            query["author_email"] = email
        for status in SEARCHED_STATUSES:
            for page in range(1, MAX_PAGES + 1):
                found = await self._call("GET", "/wp/v2/comments", params={**query, "status": status,
                                                                            "page": str(page)}, shape=list)
                matches = [c for c in found if _same_comment(c, text, name, email)]
                if matches:
                    return min(matches, key=lambda c: _distance(c, record))
                if len(found) < PER_PAGE:
                    break
        where = f" on post {comment.post_id}" if "post" in query else ""
        raise WordPressError(f"WordPress has no comment by {comment.author_name or 'anonymous'!r}{where} with this "
                             "text (looked in spam, pending, approved and trash); it may not be stored yet, or "
                             "was deleted there.")

    async def _call(self, method: str, route: str, shape: type, **kwargs: Any) -> Any:
        params = {"rest_route": route, **kwargs.pop("params", {})}
        url = self._config.url.rstrip("/") + "/"
        try:
            async with self._session.request(method, url, params=params, headers=self._headers, timeout=self._timeout,
                                             allow_redirects=False, **kwargs) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise WordPressError(f"{method} {route}: {type(exc).__name__}: {exc}") from None
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if status >= 300:
            raise WordPressError(_refusal(method, route, status, body))
        comments = body if shape is list and isinstance(body, list) else [body]
        if not isinstance(body, shape) or not all(isinstance(c, dict) and isinstance(c.get("id"), int)
                                                  for c in comments):
            raise WordPressError(f"WordPress answered {method} {route} with no comment data (is {url} the address "
                                 "of a WordPress site, without /wp-json?)")
        return body


def _refusal(method: str, route: str, status: int, body: Any) -> str:
    detail = ""
    if isinstance(body, dict) and body.get("code"):
        detail = f" {body['code']}: {body.get('message', '')}"
    hint = {401: " (check the user and its application password)",
            403: " (the user may not moderate comments: give it the Editor role)"}.get(status, "")
    return f"WordPress answered {method} {route} with HTTP {status}{detail}{hint}"


def _same_comment(candidate: dict[str, Any], text: str, name: str, email: str) -> bool:
    content = candidate.get("content") or {}
    raw = content.get("raw", content.get("rendered", "")) if isinstance(content, dict) else ""
    return (as_read(str(raw)) == text and as_read(str(candidate.get("author_name") or "")) == name
            and (not email or str(candidate.get("author_email") or "").strip().lower() == email))


def _distance(candidate: dict[str, Any], record: Record) -> float:
    """Seconds between when WordPress says the comment was written and when the record says so."""
    try:
        written = _timestamp(candidate["date_gmt"])
    except (KeyError, AttributeError):
        written = None
    if written is None:
        return float("inf")
    return abs(written - (_timestamp(record.comment.submitted_at) or record.received_at))


def _timestamp(iso: str | None) -> float | None:
    """Unix seconds of an ISO 8601 time (UTC unless it says otherwise)."""
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00")) if iso else None
    except ValueError:
        return None
    return when.replace(tzinfo=when.tzinfo or UTC).timestamp() if when else None
