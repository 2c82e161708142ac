"""``/v1/review/…``: the moderator API over the review queue (moderator role; the blog's key cannot reach it)."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from aiohttp import web
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..appkeys import METRICS, QUEUE, SITES
from ..auth import ALL_SITES, Permission, Principal
from ..comments import split_public_id
from ..exceptions import Forbidden, InvalidFields, NotFound
from ..model.attributes import ATTRIBUTES, TOXICITY_FAMILY
from ..review.queue import Action, Cursor, Failure, Item, Order, ReviewQueue
from ..signals.config import SIGNAL_NAMES
from .comments import read_json_object
from .middlewares import require
from .schemas import StrictSchema, iso

routes = web.RouteTableDef()

MAX_CLAIM = 50
MAX_LEASE = 3600
#: How deep a page of the pending list may start: each page reads ``offset + limit`` items from Redis, and a
#: queue deeper than this is worked by claiming, not by paging.
MAX_OFFSET = 100_000
#: An audit entry's id (``1764236400000-0``), a time in milliseconds (``1764236400000``), or ``+`` (newest).
_STREAM_ID = re.compile(r"(?:\+|[0-9]{1,19}(?:-[0-9]{1,19})?)\Z")


def author_key_field() -> fields.String:
    """An item's ``author_key``: the keyed hash the service files an author's comments under (never the address)."""
    return fields.String(load_default=None, validate=validate.Regexp(
        r"(?:[0-9a-f]{32})?\Z", error="Use an item's 'author_key' (32 hexadecimal digits; keys are per site)."))


class ListCursor(fields.Field):
    """A page's ``next_cursor``, ``<order>:<score>:<item id>``: where the next page starts, whatever left the
    queue before it meanwhile. Loaded as (order, :class:`Cursor`)."""

    default_error_messages = {"invalid": "Not a cursor of this listing: pass a page's 'next_cursor' as it was given."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[Order, Cursor]:
        try:
            order, score, item_id = str(value).split(":", 2)
            position = float(score)
            if not math.isfinite(position) or split_public_id(item_id) is None:
                raise ValueError(value)
            return Order(order), Cursor(position, item_id)
        except ValueError:
            raise self.make_error("invalid") from None


def cursor_after(order: Order, position: tuple[str, float]) -> str:
    """The ``next_cursor`` of a page whose last item is ``position`` (its id and score in ``order``)."""
    item_id, score = position
    return f"{order.value}:{score!r}:{item_id}"


class ListQuery(StrictSchema):
    site_id = fields.String(load_default=None)
    order = fields.Enum(Order, by_value=True, load_default=Order.OLDEST)
    post = fields.String(load_default=None)
    reason = fields.String(load_default=None)
    author = author_key_field()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    offset = fields.Integer(load_default=None, validate=validate.Range(0, MAX_OFFSET))
    cursor = ListCursor(load_default=None)

    @validates_schema(skip_on_field_errors=True)
    def _cursor_fits(self, data: dict[str, Any], **_: Any) -> None:
        if data["cursor"] is None:
            return
        if data["offset"] is not None:
            raise ValidationError("Give either 'cursor' or 'offset', not both: a cursor says where the page "
                                  "starts.", "cursor")
        if data["cursor"][0] is not data["order"]:
            raise ValidationError(f"This cursor continues a listing with order={data['cursor'][0].value}; ask "
                                  f"with that order, or start again without a cursor.", "cursor")


class AuditQuery(StrictSchema):
    site_id = fields.String(required=True)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    before = fields.String(load_default="+", validate=validate.Regexp(
        _STREAM_ID, error="Not an audit entry id (like 1764236400000-0), a time in milliseconds, or +."))


class ClaimRequest(StrictSchema):
    site_id = fields.String(load_default=None)
    count = fields.Integer(load_default=1, validate=validate.Range(1, MAX_CLAIM))
    order = fields.Enum(Order, by_value=True, load_default=Order.OLDEST)
    post = fields.String(load_default=None)
    reason = fields.String(load_default=None)
    author = author_key_field()
    lease_seconds = fields.Integer(load_default=None, validate=validate.Range(10, MAX_LEASE))


class LeaseRequest(StrictSchema):
    lease_seconds = fields.Integer(load_default=None, validate=validate.Range(10, MAX_LEASE))


class ReopenRequest(LeaseRequest):
    #: Reopen only the decision taken then (its ``decided.at``): not one taken since by someone else.
    decided_at = fields.AwareDateTime(load_default=None, default_timezone=UTC)


class _Decision(StrictSchema):
    action = fields.Enum(Action, by_value=True, required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(TOXICITY_FAMILY)), load_default=list)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class DecisionRequest(_Decision):
    #: The revision the moderator read: a decision about any other (an edit the page has not shown yet) is refused.
    revision = fields.Integer(load_default=None, validate=validate.Range(min=1))


class BulkDecisionRequest(_Decision):
    items = fields.List(fields.String(), required=True, validate=validate.Length(1, 200))
    #: Item id -> the revision the moderator read, as ``revision`` of a single decision (items not named: not said).
    revisions = fields.Dict(keys=fields.String(), values=fields.Integer(validate=validate.Range(min=1)),
                            load_default=dict)


LIST_QUERY, AUDIT_QUERY, CLAIM_REQUEST, LEASE_REQUEST = ListQuery(), AuditQuery(), ClaimRequest(), LeaseRequest()
DECISION_REQUEST, BULK_DECISION_REQUEST, REOPEN_REQUEST = DecisionRequest(), BulkDecisionRequest(), ReopenRequest()


def load(schema: Schema, data: Any) -> dict[str, Any]:
    try:
        return schema.load(data)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise InvalidFields("Some fields are invalid; fix them and resend.", fields=exc.normalized_messages()) from None


def query_of(request: web.Request) -> dict[str, str]:
    """The query's parameters, each given once: a filter takes one value, and the first of two read alone
    would list one post's comments as if the other's had none waiting."""
    repeated = sorted({name for name in request.query if len(request.query.getall(name)) > 1})
    if repeated:
        raise InvalidFields("Some query parameters are given more than once; give each once.", fields={
            name: [f"Give '{name}' once (it takes one value; leave it out for no filter)."] for name in repeated})
    return dict(request.query)


async def load_body(request: web.Request, schema: Schema) -> dict[str, Any]:
    has_body = request.can_read_body
    return load(schema, await read_json_object(request) if has_body else {})


def item_body(item: Item) -> dict[str, Any]:
    """An item as moderators see it (with the author's e-mail: moderators only; without the scores of
    attributes the model was trained without labels for, which are always 0)."""
    record = item.record
    unscored = record.extra.get("unscored", ())
    return {
        "id": record.id,
        "site_id": record.comment.site_id,
        "status": record.status.value,
        "decision": record.decision.value,
        "received_at": iso(record.received_at),
        "comment": record.comment.as_dict(),
        "scores": {name: value for name, value in record.scores.items() if name not in unscored},
        "reasons": record.reasons,
        "model_version": record.model_version,
        # A lease that ran out holds nothing, though Redis forgets it only at the next claim.
        "claim": ({"by": item.claimed_by, "expires_at": iso(item.claim_expires)}
                  if item.claimed_by and (item.claim_expires or 0) > time.time() else None),
        "decided": (
            {"by": item.decided_by, "at": iso(item.decided_at), "action": item.decision_action,
             "categories": item.decision_categories, "note": item.decision_note}
            if item.decided_by else None
        ),
        "author_history": {k: item.author_history.get(k, 0) for k in ("approved", "rejected", "spam")},
        # The filter that lists this author's held comments (``?author=``): a keyed hash, not the address.
        "author_key": record.identities.get("author") or None,
        "revision": record.revision,
        "earlier_versions": [earlier_version(version, unscored) for version in record.earlier],
        # The author asked the blog to erase their data: no name, address or keyed hash is left (since then).
        "personal_data_erased_at": iso(record.personal_data_erased_at),
    }


def earlier_version(version: dict[str, Any], unscored: Sequence[str] = ()) -> dict[str, Any]:
    """A version an edit replaced, in the shape of an item: its text, scores, and what became of it."""
    return {
        "revision": version.get("revision"),
        "comment": version.get("comment", {}),
        "scores": {name: value for name, value in version.get("scores", {}).items() if name not in unscored},
        "decision": version.get("decision"),
        "status": version.get("status"),
        "model_version": version.get("model_version"),
        "received_at": iso(version.get("received_at")),
        # (categories as the decision stored them, a JSON list; none in versions an edit replaced before 2026-11-28)
        "decided": ({"by": version["decided_by"], "at": iso(version.get("decided_at")), "action": version.get("action"),
                     "categories": json.loads(version.get("categories") or "[]"), "note": version.get("note") or None}
                    if version.get("decided_by") else None),
    }


def moderator(request: web.Request) -> Principal:
    return require(request, Permission.REVIEW)


async def sites_of(request: web.Request, principal: Principal, site_id: str | None) -> list[str]:
    """The sites a request covers: the one asked for (if allowed), else (none, or empty as in ``?site_id=``)
    all the principal may review: those with comments and those the sites file names."""
    known = await known_sites(request)
    if site_id:
        require_known_site(principal, site_id, known)
        return [site_id]
    if ALL_SITES in principal.sites or principal.can(Permission.OPERATE):
        return known
    return [s for s in known if s in principal.sites]


async def known_sites(request: web.Request) -> list[str]:
    """Sites that have comments, and those the sites file names (a new site's queue is empty, not unknown)."""
    return sorted(set(await request.app[QUEUE].known_sites()) | set(request.app[SITES].sites))


def require_known_site(principal: Principal, site_id: str, known: list[str]) -> None:
    """A typo in ``site_id`` must not look like a cleared queue: a site nobody knows is a 404."""
    principal.require(Permission.REVIEW, site_id)
    if site_id not in known:
        mine = [s for s in known if principal.can(Permission.REVIEW, s)]
        raise NotFound(f"No site '{site_id}': no comment was ever submitted for it, and the sites file does not "
                       f"name it. Sites you may review: {', '.join(mine) or 'none yet'}.")


#: What holds a comment for review, as its reasons name it: a score, the signals' review points, or a signal
#: (see moderation_service.policy and moderation_service.signals). A site's own index of the names of its held
#: comments' reasons adds any other.
REASON_NAMES = (*ATTRIBUTES, "signals", *(name for name in SIGNAL_NAMES if name != "words"), "words.banned",
                "words.suspect", "trusted_author")


async def check_reason(request: web.Request, sites: Sequence[str], reason: str | None) -> None:
    """A typo in ``reason`` must not look like a cleared queue: a name no comment could be held for is a 422."""
    if not reason or reason in REASON_NAMES:
        return
    if any([await request.app[QUEUE].has_reason(site_id, reason) for site_id in sites]):
        return
    raise InvalidFields("No comment is held for such a reason.", fields={"reason": [
        f"No comment is held for '{reason}'. Reasons are named as in an item's reasons: {', '.join(REASON_NAMES)} "
        f"(GET /v1/review/stats lists those waiting)."]})


async def own_item(request: web.Request, principal: Principal) -> str:
    item_id = request.match_info["id"]
    site_id = item_id.rpartition(":")[0]
    if not site_id:
        raise NotFound(f"'{item_id}' is not an item id (they look like 'site:abcdefgh23456789').")
    principal.require(Permission.REVIEW, site_id)
    return item_id


@routes.get("/v1/review/items")
async def list_items(request: web.Request) -> web.Response:
    """A page of pending items, across the sites asked for as if their queues were one (ordered by arrival
    time or risk, then id). ``next_cursor`` (null after the last page) asks for the next page: unlike an
    offset, it does not shift when items before it are decided meanwhile."""
    principal = moderator(request)
    query = load(LIST_QUERY, query_of(request))
    queue: ReviewQueue = request.app[QUEUE]
    order, limit, offset = query["order"], query["limit"], query["offset"] or 0
    after = query["cursor"][1] if query["cursor"] else None
    sites = await sites_of(request, principal, query["site_id"])
    await check_reason(request, sites, query["reason"])
    found: list[tuple[str, float]] = []
    for site_id in sites:
        found += await queue.select(site_id, order, query["post"], query["reason"],
                                    limit if after else offset + limit, 0, author=query["author"] or None,
                                    after=after)
    found.sort(key=lambda position: (position[1], position[0]), reverse=order is Order.RISK)
    page = found[:limit] if after else found[offset: offset + limit]
    items = await queue.items([item_id for item_id, _ in page])
    return web.json_response({"items": [item_body(i) for i in items],
                              "next_cursor": cursor_after(order, page[-1]) if len(page) == limit else None})


@routes.post("/v1/review/claims")
async def claim_next(request: web.Request) -> web.Response:
    principal = moderator(request)
    body = await load_body(request, CLAIM_REQUEST)
    sites = await sites_of(request, principal, body["site_id"])
    await check_reason(request, sites, body["reason"])
    items = await request.app[QUEUE].claim_next(
        principal.name, sites, body["count"], body["order"], body["post"], body["reason"], body["lease_seconds"],
        author=body["author"] or None)
    return web.json_response({"items": [item_body(i) for i in items]})


@routes.get("/v1/review/items/{id}")
async def get_item(request: web.Request) -> web.Response:
    item_id = await own_item(request, moderator(request))
    return web.json_response(item_body(await request.app[QUEUE].item(item_id)))


@routes.post("/v1/review/items/{id}/claim")
async def claim_item(request: web.Request) -> web.Response:
    principal = moderator(request)
    item_id = await own_item(request, principal)
    body = await load_body(request, LEASE_REQUEST)
    item = await request.app[QUEUE].claim(item_id, principal.name, body["lease_seconds"])
    return web.json_response(item_body(item))


@routes.post("/v1/review/items/{id}/release")
async def release_item(request: web.Request) -> web.Response:
    principal = moderator(request)
    item_id = await own_item(request, principal)
    return web.json_response(item_body(await request.app[QUEUE].release(item_id, principal.name)))


@routes.post("/v1/review/items/{id}/decision")
async def decide_item(request: web.Request) -> web.Response:
    principal = moderator(request)
    item_id = await own_item(request, principal)
    body = await load_body(request, DECISION_REQUEST)
    item = await request.app[QUEUE].decide(item_id, principal.name, body["action"], body["categories"], body["note"],
                                           revision=body["revision"])
    request.app[METRICS].reviewed(body["action"].value)
    return web.json_response(item_body(item))


@routes.post("/v1/review/items/{id}/reopen")
async def reopen_item(request: web.Request) -> web.Response:
    """Take a moderator's decision back (an undo): the item waits again, claimed by the caller."""
    principal = moderator(request)
    item_id = await own_item(request, principal)
    body = await load_body(request, REOPEN_REQUEST)
    decided_at = body["decided_at"].timestamp() if body["decided_at"] else None
    item = await request.app[QUEUE].reopen(item_id, principal.name, body["lease_seconds"], decided_at)
    request.app[METRICS].reviewed("reopen")
    return web.json_response(item_body(item))


def _result(result: Item | Failure) -> dict[str, Any]:
    if isinstance(result, Failure):
        return {"id": result.id, "ok": False,
                "error": {"code": result.error.code, "message": result.error.message}}
    return {"id": result.record.id, "ok": True, "status": result.record.status.value,
            "decided_at": iso(result.decided_at)}


@routes.post("/v1/review/decisions")
async def decide_many(request: web.Request) -> web.Response:
    """Bulk decision; the answer lists each item's outcome (207-style, always 200)."""
    principal = moderator(request)
    body = await load_body(request, BULK_DECISION_REQUEST)
    for item_id in body["items"]:
        site_id = item_id.rpartition(":")[0]
        if site_id and not principal.can(Permission.REVIEW, site_id):  # an id without a site: its own not_found
            raise Forbidden(f"The key '{principal.name}' is not valid for site '{site_id}' ({item_id}).")
    results = await request.app[QUEUE].decide_many(
        body["items"], principal.name, body["action"], body["categories"], body["note"], body["revisions"])
    decided = sum(1 for r in results if not isinstance(r, Failure))
    request.app[METRICS].reviewed(body["action"].value, decided)
    return web.json_response({"results": [_result(r) for r in results], "decided": decided})


@routes.get("/v1/review/stats")
async def stats(request: web.Request) -> web.Response:
    principal = moderator(request)
    sites = await sites_of(request, principal, query_of(request).get("site_id"))
    queue: ReviewQueue = request.app[QUEUE]
    report = await queue.stats(sites)
    for site_id in sites:
        report[site_id]["decisions_per_day"] = await queue.decisions_per_day(site_id)
    return web.json_response({"sites": report})


@routes.get("/v1/review/audit")
async def audit(request: web.Request) -> web.Response:
    principal = moderator(request)
    query = load(AUDIT_QUERY, query_of(request))
    require_known_site(principal, query["site_id"], await known_sites(request))
    entries = await request.app[QUEUE].audit(query["site_id"], query["limit"], query["before"])
    return web.json_response({"entries": [audit_entry(entry) for entry in entries]})


@routes.get("/v1/review/items/{id}/history")
async def history(request: web.Request) -> web.Response:
    """One item's trail, oldest first: each claim, decision, undo, edit and release, with who and when."""
    item_id = await own_item(request, moderator(request))
    entries = await request.app[QUEUE].history(item_id)
    return web.json_response({"id": item_id, "entries": [audit_entry(entry) for entry in entries]})


def audit_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """An audit entry as the API shows it: ``before`` and ``after`` as objects, ``at`` in ISO 8601."""
    for side in ("before", "after"):
        entry[side] = json.loads(entry[side]) if entry[side] else {}
    entry["at"] = iso(float(entry["at"]))
    return entry



