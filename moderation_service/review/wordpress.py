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
reopened (waits again)     ``spam``, where the Akismet plugin keeps the comments it was told to hold (so that
                           its admin's *Not Spam* there is heard here); ``hold`` (pending) for a comment
                           written more than ``SPAM_FOLDER_SAFE_DAYS`` ago, which the plugin's clean-up
                           would delete from the spam folder
=========================  =================================================================================

The Akismet plugin (5.0) reports a status change through the REST API that leaves or enters ``spam`` as a
correction (``submit-ham`` / ``submit-spam``) in the name of the user who made it. Reports in this site's
WordPress user are this service's own changes heard back and decide nothing (see
:func:`moderation_service.api.akismet.reported_by_this_service`), whatever happened here meanwhile.

The plugin checks a comment before WordPress stores it, so it sends no comment id. The comment is found by
what the record holds: on its post (``comment_post_ID``; a record without a WordPress post id is not
searched for), under its parent, by its author's e-mail, with the same text and name as read
(:mod:`moderation_service.reading`, which reads them as WordPress keeps them too), in the spam
folder, among pending and approved comments, and in the trash; of those, the one written closest to the
record's time, unless another is within ``AMBIGUOUS_SECONDS`` of as close. A comment whose blog id is a
number is that WordPress comment, if it is on the record's post; so is one whose WordPress id the must-use
plugin reported once WordPress stored it (``/1.1/comment-stored``, ``Record.blog_comment_id``). The status
is set only if it differs (WordPress refuses to "change" a status to itself).
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from ..comments import Record
from ..reading import as_read, name_as_read
from ..sites import WordPressConfig

STATUS_FOR_ACTION = {"approve": "approved", "reject": "trash", "spam": "spam"}
#: Where a comment may be (the Akismet plugin files held comments as spam); matches in all of them are compared.
SEARCHED_STATUSES = ("spam", "all", "trash")  # 'all': pending and approved
PER_PAGE = 100
MAX_PAGES = 5
#: Two matching comments written closer together than this (around the record's time) are not told apart.
AMBIGUOUS_SECONDS = 2.0
#: The Akismet plugin deletes spam written more than 15 days ago (``akismet_delete_comment_interval``): a
#: reopened comment older than this waits in WordPress's pending comments instead.
SPAM_FOLDER_SAFE_DAYS = 13
_WORDPRESS_ID = re.compile(r"[1-9][0-9]{0,18}")
#: An address WordPress's REST API accepts as ``author_email`` (it refuses others with a 400).
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+")


class WordPressError(Exception):
    """A delivery to WordPress failed; the message says why, for the operators' delivery list."""


#: Where a comment waits in WordPress while it waits here: the spam folder (the Akismet plugin's place for
#: held comments) or pending (reopened long after it was written). A decision sets only a comment found there.
WAITING_STATUSES = frozenset({"spam", "hold"})


def wanted_status(event: dict[str, Any], written_gmt: str | None, now: float) -> str:
    """The WordPress status an event asks for. A reopened comment waits in the spam folder, unless it was
    written so long ago that the Akismet plugin's daily clean-up would delete it from there."""
    if event["event"] == "comment.reopened":
        written = _timestamp(written_gmt)
        young = written is not None and now - written < SPAM_FOLDER_SAFE_DAYS * 86400
        return "spam" if young else "hold"
    return STATUS_FOR_ACTION[event["action"]]


def wordpress_id(value: str | None) -> int | None:
    """A WordPress id (of a comment or a post) the record holds, or None."""
    return int(value) if value and _WORDPRESS_ID.fullmatch(value) else None


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
        known_id = wordpress_id(record.comment.comment_id) or wordpress_id(record.blog_comment_id)
        if known_id:
            found = await self._call("GET", f"/wp/v2/comments/{known_id}", params={"context": "edit"}, shape=dict)
            post = wordpress_id(record.comment.post_id)
            if post and found.get("post") != post:
                raise WordPressError(f"WordPress's comment {known_id} is on post {found.get('post')}, not on post "
                                     f"{post} as sent here: its status was not set.")
        else:
            found = await self.find(record)
        status = wanted_status(event, found.get("date_gmt"), time.time())
        if found.get("status") == status:  # so already (a retry after a lost answer): WordPress refuses a no-op
            return
        comment_id = found["id"]
        if event["event"] == "comment.decided" and found.get("status") not in WAITING_STATUSES:
            raise WordPressError(
                f"WordPress's comment {comment_id} is {found.get('status')!r}, not waiting (spam or pending) where "
                f"this service left it: someone changed it in WordPress and this service did not hear of it, so "
                f"it was not set to {status!r}. Set it in WordPress by hand if this decision should stand.")
        answer = await self._call("POST", f"/wp/v2/comments/{comment_id}", json={"status": status}, shape=dict)
        if answer.get("status") != status:
            raise WordPressError(f"WordPress kept comment {comment_id} at status {answer.get('status')!r} instead "
                                 f"of {status!r} (a plugin may refuse the change).")

    async def find(self, record: Record) -> dict[str, Any]:
        """The record's comment as WordPress has it (see the module's documentation).

        :raises WordPressError: not found, not told apart from another, or WordPress refused the search.
        """
        comment = record.comment
        post = wordpress_id(comment.post_id)
        if post is None:
            raise WordPressError("The comment names no WordPress post (Akismet's comment_post_ID), so it cannot be "
                                 "found safely in WordPress: set its status there.")
        wanted = Wanted(post, as_read(comment.content), name_as_read(comment.author_name or ""),
                        (comment.author_email or "").strip().lower(),
                        0 if not comment.parent_id else wordpress_id(comment.parent_id))
        query = {"context": "edit", "per_page": str(PER_PAGE), "orderby": "date_gmt", "post": str(post)}
        if wanted.parent is not None:
            query["parent"] = str(wanted.parent)
        if _PLAIN_EMAIL.fullmatch(wanted.email):
            query["author_email"] = wanted.email
        matches: list[dict[str, Any]] = []
        for status in SEARCHED_STATUSES:
            for page in range(1, MAX_PAGES + 1):
                found = await self._call("GET", "/wp/v2/comments", params={**query, "status": status,
                                                                            "page": str(page)}, shape=list)
                matches += [candidate for candidate in found if wanted.matches(candidate)]
                if len(found) < PER_PAGE:
                    break
        if not matches:
            # Not named by its author: the error is logged, and a log keeps no one's name (the record has it).
            raise WordPressError(f"WordPress has no comment on post {post} by this comment's author with this text "
                                 "(looked in spam, pending, approved and trash): it may not be stored yet, or was "
                                 "deleted or edited there.")
        ranked = sorted(matches, key=lambda candidate: _distance(candidate, record))
        if len(ranked) > 1 and _distance(ranked[1], record) - _distance(ranked[0], record) < AMBIGUOUS_SECONDS:
            ids = ", ".join(str(candidate["id"]) for candidate in ranked[:2])
            raise WordPressError(f"WordPress has several comments like this one on post {post} (ids {ids}), written "
                                 "at about the same time: set its status there.")
        return ranked[0]

    async def _call(self, method: str, route: str, shape: type, **kwargs: Any) -> Any:
        params = {"rest_route": route, **kwargs.pop("params", {})}
        url = self._config.url.rstrip("/") + "/"
        try:
            async with self._session.request(method, url, params=params, headers=self._headers, timeout=self._timeout,
                                             allow_redirects=False, **kwargs) as response:
                text = await response.text(errors="replace")
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
    if isinstance(body, dict) and body.get("code") == "rest_cannot_read_post":
        hint = " (its post's type is not in WordPress's REST API, show_in_rest: set its status there)"
    return f"WordPress answered {method} {route} with HTTP {status}{detail}{hint}"


@dataclass(frozen=True)
class Wanted:
    """What the record says of its comment, as WordPress keeps it."""

    post: int
    text: str
    name: str
    email: str
    #: WordPress's id of the comment it answers (0: none); None: not a WordPress id, so not compared.
    parent: int | None

    def matches(self, candidate: dict[str, Any]) -> bool:
        content = candidate.get("content")
        raw = content.get("raw", "") if isinstance(content, dict) else ""
        email = str(candidate.get("author_email") or "").strip().lower()
        return (candidate.get("post") == self.post
                and (self.parent is None or candidate.get("parent") == self.parent)
                and as_read(str(raw)) == self.text
                and name_as_read(str(candidate.get("author_name") or "")) == self.name
                and (not email or email == self.email))  # WordPress keeps no address it finds invalid


def _distance(candidate: dict[str, Any], record: Record) -> float:
    """Seconds between when WordPress says the comment was written and when the record says so."""
    written = _timestamp(candidate.get("date_gmt"))
    if written is None:
        return float("inf")
    return abs(written - (_timestamp(record.comment.submitted_at) or record.received_at))


def _timestamp(iso: Any) -> float | None:
    """Unix seconds of an ISO 8601 time (UTC unless it says otherwise); None for anything else."""
    if not isinstance(iso, str) or not iso:
        return None
    try:
        when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=when.tzinfo or UTC).timestamp()
