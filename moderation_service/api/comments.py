"""``/v1/comments``: the blog submits a comment and reads its status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from marshmallow import ValidationError, fields, validate

from ..appkeys import DECISIONS, HEALTH, LABELS, QUEUE, SETTINGS
from ..auth import Permission, Principal
from ..comments import Comment, Record, split_public_id
from ..exceptions import Conflict, InvalidFields, MalformedRequest, NotFound, StorageUnavailable
from ..jsonfast import NotJsonObject, json_response, loads_object
from ..model.attributes import TOXICITY_FAMILY
from ..model.text import has_text
from ..redis_connection import REDIS_DOWN
from ..review.queue import Action, Item
from .blog_reports import BlogReport, delete_kept_labels, reported_decision
from .middlewares import require
from .schemas import COMMENT_SCHEMA, StrictSchema, decision_body, iso

routes = web.RouteTableDef()

STORAGE_DOWN = "Redis is unreachable, so stored comments cannot be read now; retry shortly."


#: Bodies a form sends: when one is not JSON at all, saying so tells the sender what to fix (the JSON parser's
#: "unexpected character" does not). Only then: ``curl -d`` labels the JSON it sends as a form, and JSON with a
#: mistake in it is told where the mistake is.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_form(request: web.Request, body: bytes) -> bool:
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return request.content_type in FORM_TYPES and start not in (b"", b"{", b"[", b'"')


async def read_json_object(request: web.Request) -> dict[str, Any]:
    body = await request.read()  # raises 413 past the configured client_max_size
    try:
        return loads_object(body)
    except NotJsonObject as exc:
        if _is_form(request, body):
            raise MalformedRequest(f"The body is {request.content_type}, not JSON. Send one JSON object, with "
                                   "Content-Type: application/json.") from None
        raise MalformedRequest(f"The body is {exc}. Send one JSON object.") from None


def load_comment(request: web.Request, data: dict[str, Any], *, text_required: bool = True) -> Comment:
    """The comment of a request body, validated; ``text_required=False`` for an edit that left no text (Coral),
    which is kept but not judged."""
    try:
        fields = COMMENT_SCHEMA.load(data)
    except ValidationError as exc:
        raise InvalidFields("Some fields are invalid; fix them and send the comment again.",
                            fields=exc.normalized_messages()) from None
    limit = request.app[SETTINGS].max_content_chars
    if text_required and not has_text(fields["content"]):  # white space and zero-width characters are no text
        raise InvalidFields("The comment has no text.", fields={"content": ["Must contain text."]})
    if len(fields["content"]) > limit:
        raise InvalidFields("The comment is too long.",
                            fields={"content": [f"Longer than {limit} characters (MODERATION_MAX_CONTENT_CHARS)."]})
    for name in ("submitted_at", "form_rendered_at"):
        if fields.get(name) is not None:
            fields[name] = fields[name].isoformat()
    if fields["author_ip"] is not None:
        fields["author_ip"] = str(fields["author_ip"])
    return Comment(**fields)


@routes.post("/v1/comments")
async def submit_comment(request: web.Request) -> web.Response:
    principal = require(request, Permission.SUBMIT)
    comment = load_comment(request, await read_json_object(request))
    principal.require(Permission.SUBMIT, comment.site_id)
    outcome = await request.app[DECISIONS].submit(comment)
    return json_response(decision_body(outcome.record, repeated=outcome.repeated, spooled=outcome.spooled))


def comment_id_of(request: web.Request, permission: Permission) -> tuple[Principal, str, str]:
    """The caller, the ``{id}`` of the path and its site, once the caller may act on that site.

    A caller without a key learns nothing, not even "no such id"; Redis must be reachable."""
    principal = require(request, permission)
    public_id = request.match_info["id"]
    parts = split_public_id(public_id)
    if parts is None:
        raise NotFound(f"'{public_id}' is not a comment id; use the 'id' the service answered when it was submitted.")
    principal.require(permission, parts[0])
    if not request.app[HEALTH].ok:
        raise StorageUnavailable(STORAGE_DOWN)
    return principal, public_id, parts[0]


@asynccontextmanager
async def stored_comment(request: web.Request, public_id: str) -> AsyncIterator[None]:
    """Around reading (and changing) a stored comment: Redis away is a 503, an unknown id a 404 saying why."""
    try:
        yield
    except REDIS_DOWN as exc:
        request.app[HEALTH].down(exc)
        raise StorageUnavailable(STORAGE_DOWN) from None
    except NotFound:
        raise unknown_comment(public_id) from None


def unknown_comment(public_id: str) -> NotFound:
    return NotFound(f"No comment '{public_id}': it was never submitted, was deleted, or its record expired.")


def status_body(item: Item, **extra: Any) -> dict[str, Any]:
    """Where a stored comment stands, as ``GET /v1/comments/{id}`` answers."""
    return decision_body(item.record, decided_by=item.decided_by, decided_at=iso(item.decided_at), **extra)


@routes.get("/v1/comments/{id}")
async def get_comment(request: web.Request) -> web.Response:
    _, public_id, _ = comment_id_of(request, Permission.READ)
    async with stored_comment(request, public_id):
        item = await request.app[QUEUE].item(public_id)
    return json_response(status_body(item))


class BlogDecisionRequest(StrictSchema):
    action = fields.Enum(Action, by_value=True, required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(TOXICITY_FAMILY)), load_default=list)


BLOG_DECISION_REQUEST = BlogDecisionRequest()


@routes.post("/v1/comments/{id}/decision")
async def report_blog_decision(request: web.Request) -> web.Response:
    """The blog decided a comment itself (its admin approved, rejected or binned it as spam). A held comment
    is decided so, whoever holds it; one the model decided keeps its status and the correction becomes a
    labelled example (once per action); one a moderator decided is a 409 (a moderator can reopen it). One with
    no record here yet (it may wait in a spool) is a 202: the decision is kept for when it arrives."""
    principal, public_id, _ = comment_id_of(request, Permission.SUBMIT)
    try:
        body = BLOG_DECISION_REQUEST.load(await read_json_object(request))
    except ValidationError as exc:
        raise InvalidFields("Some fields are invalid; fix them and resend.", fields=exc.normalized_messages()) from None
    report = BlogReport("decision", body["action"], principal.name, "blog", tuple(body["categories"]))
    decided = await reported_decision(request, public_id, report)
    if decided.outcome == "kept":
        return kept_answer(request, public_id, report)
    if decided.item is None:
        raise unknown_comment(public_id)
    if decided.outcome == "decided_otherwise" and decided.refusal is not None:
        refusal = Conflict(f"{decided.refusal.message} To decide it again, a moderator reopens it first "
                           f"(POST /v1/review/items/{public_id}/reopen).")
        refusal.code = decided.refusal.code
        raise refusal
    applied = "labelled" if decided.outcome == "labelled" else "decided"
    return json_response(status_body(decided.item, applied=applied))


def kept_answer(request: web.Request, public_id: str, report: BlogReport) -> web.Response:
    """``202``: the comment has no record in Redis (still in a spool, never submitted, or expired), so the
    decision is kept until the retention ends and applied if the record arrives."""
    expires = report.at + request.app[SETTINGS].decision_ttl_days * 86400
    return json_response({
        "id": public_id, "status": None, "applied": "kept", "action": report.action.value,
        "categories": list(report.categories), "expires_at": iso(expires),
        "message": f"There is no record of '{public_id}' here now: it may still wait in a spool (Redis was away "
                   "when it was submitted), or it was never submitted, or its record expired. The decision is "
                   "kept and applied if the record arrives before it expires; there is no need to send it again.",
    }, status=202)


@routes.post("/v1/comments/{id}/erase-personal-data")
async def erase_personal_data(request: web.Request) -> web.Response:
    """Someone asked the blog to erase their data: the record keeps the comment (text, status, decision, scores,
    place in the queue) and loses its author (see :mod:`moderation_service.review.erasure`). Idempotent: a
    repeat answers the same, with no field left to erase."""
    principal, public_id, _ = comment_id_of(request, Permission.SUBMIT)
    try:
        item, erased = await request.app[QUEUE].erase_personal_data(public_id, principal.name)
    except REDIS_DOWN as exc:
        request.app[HEALTH].down(exc)
        raise StorageUnavailable(STORAGE_DOWN) from None
    except NotFound:
        raise NotFound(f"No comment '{public_id}' in Redis: it was never submitted, was deleted, or its record "
                       "expired, so this service keeps no personal data of it; or its record still waits in a spool "
                       "(Redis was away when it was submitted): the erasure is noted, and done as it arrives, with "
                       "no need to send it again. Use the 'id' that POST /v1/comments answered "
                       "(not the blog's comment_id). Labelled examples hold no author; to remove the comment's "
                       "text from them too, an operator uses POST /v1/ops/labels/erase.") from None
    return json_response({"id": public_id, "status": item.record.status.value, "erased_fields": erased,
                          "erased_at": iso(item.record.personal_data_erased_at)})


async def record_or_none(request: web.Request, public_id: str) -> Record | None:
    try:
        return (await request.app[QUEUE].item(public_id)).record
    except NotFound:  # the deletion says why
        return None


async def delete_labels_of(request: web.Request, site_id: str, record: Record) -> int:
    """Delete the site's labelled examples of the comment: by its id, and by the text of any of its versions."""
    texts = {record.comment.content} | {v["comment"]["content"] for v in record.earlier if v.get("comment")}
    return await request.app[LABELS].delete_about(site_id, record.comment.comment_id, texts)


@routes.delete("/v1/comments/{id}")
async def delete_comment(request: web.Request) -> web.Response:
    """The blog deleted the comment: its record leaves Redis and the review queue. With ``?labels=delete``
    (someone asked for their data to be erased), its labelled examples go too."""
    principal, public_id, site_id = comment_id_of(request, Permission.SUBMIT)
    labels = request.query.get("labels", "keep")
    if labels not in ("keep", "delete"):
        raise InvalidFields("Unknown 'labels' value.", fields={"labels": ["Use 'keep' (the default) or 'delete'."]})
    try:
        labels_deleted = 0
        before = await record_or_none(request, public_id) if labels == "delete" else None
        if before is not None:
            # The labels go first: should anything fail after them, the record is still there and the blog's
            # retry erases again (the other way round, the retry was a 404 and the examples stayed).
            labels_deleted = await delete_labels_of(request, site_id, before)
        elif labels == "delete":  # no record (it may wait in a spool): the labels its reports kept at once
            labels_deleted = await delete_kept_labels(request, public_id, principal.name)
        record = await request.app[QUEUE].delete(public_id, principal.name)
        if before is not None and (record.revision, record.status) != (before.revision, before.status):
            # decided or edited in between: its new label or text
            labels_deleted += await delete_labels_of(request, site_id, record)
    except REDIS_DOWN as exc:
        request.app[HEALTH].down(exc)
        raise StorageUnavailable(STORAGE_DOWN) from None
    return json_response({"id": public_id, "deleted": True, "status": record.status.value,
                          "labels_deleted": labels_deleted})
