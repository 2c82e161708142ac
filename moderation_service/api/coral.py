"""Coral Talk's external moderation phase: Coral POSTs each new or edited comment, we answer its moderation.

Configure ``<base>/coral/<site_id>`` as the phase's callback URL in Coral (one phase per site: the phase's
signing secret is the site's ``coral_secret``). Every request must carry ``X-Coral-Signature: sha256=<hex>``,
the HMAC-SHA256 of the raw body under that secret (several comma-separated signatures while Coral rolls its
secret; one match suffices); an unknown site, a site without a secret and a bad signature are refused alike
(:data:`NOT_AUTHENTICATED`), the reason logged. The comment goes through the one decision path; the answer
maps our decision to Coral's as Coral's own phases do: publish -> no status (the comment keeps Coral's
``NONE``, so that readers' reports still reach Coral's Reported queue), hold and spam -> ``SYSTEM_WITHHELD``
(Coral's pre-moderation queue; ours holds a held one too), blatant spam -> ``REJECTED``, with ``FLAG`` actions
naming why. Coral publishes a comment whose phase fails (an error, a timeout): so a text too long to judge is
withheld, not refused.

Coral names no comment, not even in an ``EDIT``. A new comment gets an id derived from its thread and text,
and each user's latest comments in a thread (story and parent) are remembered for a day, so that an
``EDIT`` is decided as an edit of the one it changes (a new revision of one record, not a new comment
counted against its author).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections import Counter
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..appkeys import DECISIONS, HEALTH, REDIS, SETTINGS, SITES, STORE
from ..auth import SITE_ID_PATTERN
from ..comments import Comment, Record, public_id
from ..exceptions import InvalidFields, NotFound, Unauthenticated
from ..jsonfast import json_response
from ..model.text import has_text
from ..policy import Decision
from ..redis_connection import REDIS_DOWN
from ..review import keys
from .comments import read_json_object
from .protocols import (
    DECISION_HEADER,
    build_comment,
    decide,
    decision_headers,
    is_blatant_spam,
    is_spam_related,
    is_toxic,
)

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

SIGNATURE_HEADER = "X-Coral-Signature"
_SITE_ID = re.compile(SITE_ID_PATTERN)
#: Our field names -> Coral's, for errors.
CORAL_NAMES = {"content": "comment.body", "parent_id": "comment.parentID", "post_id": "story.id",
               "permalink": "story.url", "author_name": "author.id"}
WITHHELD, REJECTED = "SYSTEM_WITHHELD", "REJECTED"
#: Coral's own limit on a request is 500 kB; ours (sized for /v1) would refuse long comments, which Coral
#: then publishes unmoderated.
BODY_LIMIT = 1024 * 1024
#: How long a user's latest comments in a thread are remembered for their EDIT (Coral's edit window is 30
#: seconds by default, and configurable), and how many.
EDIT_MEMORY_SECONDS = 86400
THREAD_MEMORY = 5
#: Of several, an EDIT changes the comment most like it, if at least this like it (:func:`likeness`).
EDIT_LIKENESS = 0.3
#: Characters of each text compared, and the length of the pieces compared (shorter for a short text: half the
#: shorter text's length, at least 2, so that a reply of a word or two shares pieces with its edit).
LIKENESS_CHARS = 2000
SHINGLE = 5
SHORTEST_SHINGLE = 2


def likeness(a: str, b: str) -> float:
    """How much of two texts is the same: the share of their 5-character pieces they have in common (Dice's
    coefficient of the two multisets), 0 to 1, in time linear in the texts.

    Not difflib's ratio: its worst case is quadratic, and the texts are a commenter's to choose (five comments
    and an EDIT of 2,000 distinct characters, reordered, took up to a second each, 4.8 s for the EDIT, and
    blocked the service meanwhile; 1 ms with this). It tells an edit from another comment as well or better
    (``bench/coral_edit_likeness.py``, 300 pairs each: unrelated GermEval 2018 tweets were 0.3 alike none of
    the time, by difflib's ratio 9 %; edits of them 99 % of the time by both; fifteen joined, 0 % and 100 %
    by both). Pieces of a pair whose shorter text has fewer than ten characters are shorter (see
    :data:`SHINGLE`): "Ja" and its edit "Ja!" have no 5-character piece in common."""
    a, b = a[:LIKENESS_CHARS], b[:LIKENESS_CHARS]
    size = max(SHORTEST_SHINGLE, min(SHINGLE, min(len(a), len(b)) // 2))
    pieces_a = Counter(a[i:i + size] for i in range(max(1, len(a) - size + 1)))
    pieces_b = Counter(b[i:i + size] for i in range(max(1, len(b) - size + 1)))
    return 2 * (pieces_a & pieces_b).total() / (pieces_a.total() + pieces_b.total())


class _Schema(Schema):
    class Meta:
        unknown = EXCLUDE  # Coral's request grows over versions (tenant, tenantID, …); take what we use


class CoralCommentSchema(_Schema):
    body = fields.String(required=True)
    parent_id = fields.String(data_key="parentID", load_default=None, allow_none=True)


class CoralAuthorSchema(_Schema):
    id = fields.String(required=True)
    role = fields.String(load_default=None)


class CoralStorySchema(_Schema):
    id = fields.String(load_default=None)
    url = fields.String(load_default=None)


class ModerationRequestSchema(_Schema):
    action = fields.String(load_default="NEW", validate=validate.OneOf(["NEW", "EDIT"]))
    comment = fields.Nested(CoralCommentSchema, required=True)
    author = fields.Nested(CoralAuthorSchema, load_default=None)
    story = fields.Nested(CoralStorySchema, load_default=None)


MODERATION_REQUEST_SCHEMA = ModerationRequestSchema()


#: The one refusal of every request that does not prove it comes from the site's Coral phase: an unknown site, a
#: site without a coral_secret, no signature or a wrong one. Told apart, they would tell anyone which sites
#: exist and which take Coral; the log tells the operator which it was.
NOT_AUTHENTICATED = (
    "Not a signed Coral request for this site: the phase's callback URL must be <base>/coral/<site_id> of a "
    f"site whose coral_secret is the phase's signing secret, and every request must carry {SIGNATURE_HEADER}: "
    "sha256=<HMAC-SHA256 of the body>. The service's log says which of these failed.")
#: Signs for a site without a secret, so that its refusal takes the steps (and time) of a wrong signature's.
_NO_SECRET = secrets.token_hex(32)


def body_signature(secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body`` under ``secret``: what Coral sends after ``sha256=``."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(request: web.Request, site_id: str, body: bytes) -> None:
    """That ``body`` is signed with the site's ``coral_secret``; else :data:`NOT_AUTHENTICATED`, the reason
    logged. The same work whether or not the site exists and has a secret: the whole body is signed."""
    secret = request.app[SITES].get(site_id).coral_secret
    header = request.headers.get(SIGNATURE_HEADER, "").strip()
    expected = body_signature(secret or _NO_SECRET, body)
    signatures = [value.strip() for prefix, _, value in (part.partition("=") for part in header.split(","))
                  if prefix.strip() == "sha256"]
    # compare_digest with every candidate (no early exit), so timing tells nothing about which was close
    matches = [hmac.compare_digest(signature.encode("ascii", "replace"), expected.encode("ascii"))
               for signature in signatures]
    if secret is None:
        if site_id in request.app[SITES].sites:
            reason = "the site has no coral_secret: set it in the sites file to the phase's signing secret"
        else:
            reason = "no such site in the sites file: the phase's URL names another site, or the site is missing"
    elif not header:
        reason = f"no {SIGNATURE_HEADER} header: configure the phase's signing secret in Coral"
    elif not any(matches):
        reason = (f"the {SIGNATURE_HEADER} does not match the body: the phase's signing secret in Coral differs "
                  "from this site's coral_secret")
    else:
        return
    logger.warning("Coral request for site '%s' refused: %s", site_id, reason)
    raise Unauthenticated(NOT_AUTHENTICATED)


def coral_status(record: Record) -> str | None:
    """Where Coral should put the comment; None leaves it as Coral has it (published, open to reports)."""
    if record.decision is Decision.PUBLISH:
        return None
    return REJECTED if is_blatant_spam(record) else WITHHELD


def moderation_response(record: Record | None) -> dict[str, Any]:
    """Coral's External Moderation Response (``record`` None: withheld unjudged); ``moderationAction.status``
    repeats ``status`` for newer Coral."""
    if record is None:
        return {"status": WITHHELD, "moderationAction": {"status": WITHHELD}, "actions": [], "tags": []}
    actions = [{"actionType": "FLAG", "reason": reason} for flagged, reason in (
        (is_toxic(record), "COMMENT_DETECTED_TOXIC"), (is_spam_related(record), "COMMENT_DETECTED_SPAM")) if flagged]
    status = coral_status(record)
    if status is None:
        return {"actions": actions, "tags": []}
    return {"status": status, "moderationAction": {"status": status}, "actions": actions, "tags": []}


@routes.post("/coral/{site_id}")
async def external_moderation(request: web.Request) -> web.Response:
    site_id = request.match_info["site_id"]
    if not _SITE_ID.match(site_id):
        raise NotFound(f"'{site_id}' is not a site id; the phase's URL is <base>/coral/<site_id>.")
    request = request.clone(client_max_size=BODY_LIMIT)
    body = await request.read()
    verify_signature(request, site_id, body)
    try:
        data = MODERATION_REQUEST_SCHEMA.load(await read_json_object(request))
    except ValidationError as exc:
        raise InvalidFields("This is not a Coral external moderation request.",
                            fields=exc.messages) from None
    text = has_text(data["comment"]["body"])
    if not text and data["action"] != "EDIT":
        # A GIF, an image or a rating alone (Coral then asks for no text): nothing to judge, Coral's status stays.
        return json_response({"actions": [], "tags": []}, headers={DECISION_HEADER: Decision.PUBLISH.value})
    if len(data["comment"]["body"]) > request.app[SETTINGS].max_content_chars:
        # Too long to judge here: Coral's moderators see it (an error would publish it unmoderated).
        return json_response(moderation_response(None), headers={DECISION_HEADER: Decision.HOLD.value})
    story, author = data["story"] or {}, data["author"] or {}
    thread = ThreadMemory(request, site_id, author.get("id"), story.get("id"), data["comment"]["parent_id"])
    comment_id = await thread.edited(data["comment"]["body"]) if data["action"] == "EDIT" else None
    if not text and comment_id is None:  # an edit to no text of a comment not known (or not told apart)
        return json_response({"actions": [], "tags": []}, headers={DECISION_HEADER: Decision.PUBLISH.value})
    try:
        comment = coral_comment(request, site_id, data["comment"], story, author, comment_id, text_required=text)
    except InvalidFields as exc:  # named as Coral names them
        fields = exc.details.get("fields", {})
        raise InvalidFields(exc.message, fields={CORAL_NAMES.get(name, name): messages
                                                 for name, messages in fields.items()}) from None
    if text:
        record = await decide(request, comment)
    else:
        # Edited down to a GIF or an image alone: nothing to judge, and Coral's status stays; but the version
        # it replaces, which Coral no longer shows, leaves the queue (a new revision, kept unjudged).
        record = (await request.app[DECISIONS].submit_unjudged(comment, "no text")).record
    await thread.remember(comment.comment_id)
    return json_response(moderation_response(record), headers=decision_headers(record))


class ThreadMemory:
    """One Coral user's latest comment ids in one thread (story and parent), under a keyed hash."""

    def __init__(self, request: web.Request, site_id: str, author_id: str | None, story_id: str | None,
                 parent_id: str | None) -> None:
        self._request = request
        self._site_id = site_id
        thread = "\0".join((author_id or "", story_id or "", parent_id or ""))
        self._key = keys.coral_thread(site_id, request.app[DECISIONS].hasher.hash("coral-thread", site_id, thread))

    async def edited(self, text: str) -> str | None:
        """The id of the comment an EDIT to ``text`` changes: the user's only recent comment in the thread, or
        of several the one whose current text is most like it (None: taken as a new comment)."""
        app = self._request.app
        try:
            ids = await app[REDIS].lrange(self._key, 0, THREAD_MEMORY - 1)
            if len(ids) <= 1:
                return ids[0] if ids else None
            records = [await app[STORE].get(public_id(self._site_id, Comment(self._site_id, "", i).identity()))
                       for i in ids]
        except REDIS_DOWN as exc:
            app[HEALTH].down(exc)
            return None
        alike = [(likeness(record.comment.content, text), i)
                 for record, i in zip(records, ids, strict=True) if record is not None]
        best = max(alike, default=(0.0, None))
        return best[1] if best[0] >= EDIT_LIKENESS else None

    async def remember(self, comment_id: str | None) -> None:
        app = self._request.app
        if comment_id is None or not app[HEALTH].ok:
            return
        try:
            async with app[REDIS].pipeline(transaction=True) as pipe:
                pipe.lrem(self._key, 0, comment_id).lpush(self._key, comment_id)
                pipe.ltrim(self._key, 0, THREAD_MEMORY - 1).expire(self._key, EDIT_MEMORY_SECONDS)
                await pipe.execute()
        except REDIS_DOWN as exc:
            app[HEALTH].down(exc)


def coral_comment(request: web.Request, site_id: str, body: Mapping[str, Any], story: Mapping[str, Any],
                  author: Mapping[str, Any], comment_id: str | None = None, text_required: bool = True) -> Comment:
    """``comment_id``: the comment an EDIT changes; a new comment's is derived from its thread and text (a
    retry of it is the same comment). ``text_required=False``: an edit that left no text (a GIF alone)."""
    if comment_id is None:
        parts = "\0".join((author.get("id") or "", story.get("id") or "", body["parent_id"] or "", body["body"]))
        comment_id = "coral-" + hashlib.blake2b(parts.encode("utf-8"), digest_size=10).hexdigest()
    return build_comment(request, {
        "site_id": site_id,
        "comment_id": comment_id,
        "content": body["body"],
        "parent_id": body["parent_id"],
        "post_id": story.get("id"),
        "permalink": story.get("url"),
        # Coral sends no author name, only its user id: kept as the author, so that the same words from two
        # users stay two comments, and a moderator can look the user up in Coral.
        "author_name": author.get("id"),
        "type": "comment",
    }, text_required=text_required)
