"""Coral Talk's external moderation phase: Coral POSTs each new or edited comment, we answer its moderation.

Configure ``<base>/coral/<site_id>`` as the phase's callback URL in Coral (one phase per site: the phase's
signing secret is the site's ``coral_secret``). Every request must carry ``X-Coral-Signature: sha256=<hex>``,
the HMAC-SHA256 of the raw body under that secret (several comma-separated signatures while Coral rolls its
secret; one match suffices). The comment goes through the one decision path; the answer maps our decision
to Coral's: publish -> ``APPROVED``, hold -> ``SYSTEM_WITHHELD`` (Coral's pre-moderation queue; ours holds it
too), spam -> ``REJECTED``, with ``FLAG`` actions naming why.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..appkeys import SITES
from ..auth import SITE_ID_PATTERN
from ..comments import Comment, Record
from ..exceptions import Forbidden, InvalidFields, NotFound, Unauthenticated
from ..jsonfast import json_response
from ..policy import Decision
from .comments import read_json_object
from .protocols import build_comment, decide, decision_headers, is_spam_related, is_toxic

routes = web.RouteTableDef()

SIGNATURE_HEADER = "X-Coral-Signature"
_SITE_ID = re.compile(SITE_ID_PATTERN)
#: Our field names -> Coral's, for errors.
CORAL_NAMES = {"content": "comment.body", "parent_id": "comment.parentID", "post_id": "story.id",
               "permalink": "story.url", "author_name": "author.id"}
CORAL_STATUS = {Decision.PUBLISH: "APPROVED", Decision.HOLD: "SYSTEM_WITHHELD", Decision.SPAM: "REJECTED"}


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


def verify_signature(request: web.Request, secret: str, body: bytes) -> None:
    header = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not header:
        raise Unauthenticated(f"No {SIGNATURE_HEADER} header: configure the phase's signing secret in Coral "
                              "and as this site's coral_secret.")
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    signatures = [value.strip() for prefix, _, value in (part.partition("=") for part in header.split(","))
                  if prefix.strip() == "sha256"]
    # compare_digest with every candidate (no early exit), so timing tells nothing about which was close
    matches = [hmac.compare_digest(signature.encode("ascii", "replace"), expected.encode("ascii"))
               for signature in signatures]
    if not any(matches):
        raise Forbidden(f"The {SIGNATURE_HEADER} does not match the body: the phase's signing secret in Coral "
                        "differs from this site's coral_secret.")


def coral_secret(request: web.Request, site_id: str) -> str:
    secret = request.app[SITES].get(site_id).coral_secret
    if secret is None:
        raise Forbidden(f"Site '{site_id}' accepts no Coral requests: set its coral_secret in the sites file "
                        "to the signing secret of Coral's external moderation phase.")
    return secret


def moderation_response(record: Record) -> dict[str, Any]:
    """Coral's External Moderation Response; ``moderationAction.status`` repeats ``status`` for newer Coral."""
    actions = [{"actionType": "FLAG", "reason": reason} for flagged, reason in (
        (is_toxic(record), "COMMENT_DETECTED_TOXIC"), (is_spam_related(record), "COMMENT_DETECTED_SPAM")) if flagged]
    status = CORAL_STATUS[record.decision]
    return {"status": status, "moderationAction": {"status": status}, "actions": actions, "tags": []}


@routes.post("/coral/{site_id}")
async def external_moderation(request: web.Request) -> web.Response:
    site_id = request.match_info["site_id"]
    if not _SITE_ID.match(site_id):
        raise NotFound(f"'{site_id}' is not a site id; the phase's URL is <base>/coral/<site_id>.")
    secret = coral_secret(request, site_id)
    verify_signature(request, secret, await request.read())
    try:
        data = MODERATION_REQUEST_SCHEMA.load(await read_json_object(request))
    except ValidationError as exc:
        raise InvalidFields("This is not a Coral external moderation request.",
                            fields=exc.messages) from None
    story, author = data["story"] or {}, data["author"] or {}
    try:
        comment = coral_comment(request, site_id, data["comment"], story, author)
    except InvalidFields as exc:  # named as Coral names them
        fields = exc.details.get("fields", {})
        raise InvalidFields(exc.message, fields={CORAL_NAMES.get(name, name): messages
                                                 for name, messages in fields.items()}) from None
    record = await decide(request, comment)
    return json_response(moderation_response(record), headers=decision_headers(record))


def coral_comment(request: web.Request, site_id: str, body: Mapping[str, Any], story: Mapping[str, Any],
                  author: Mapping[str, Any]) -> Comment:
    return build_comment(request, {
        "site_id": site_id,
        "content": body["body"],
        "parent_id": body["parent_id"],
        "post_id": story.get("id"),
        "permalink": story.get("url"),
        # Coral sends no author name, only its user id: kept as the author, so that the same words from two
        # users stay two comments, and a moderator can look the user up in Coral.
        "author_name": author.get("id"),
        "type": "comment",
    })
