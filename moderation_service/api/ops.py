"""``/v1/ops/…``: operator endpoints (admin role): the model, label export and erasure, webhook deliveries."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from marshmallow import ValidationError, fields, validate, validates_schema

from ..appkeys import LABELS, MODELS, OUTBOX, QUEUE, SITES
from ..auth import Permission
from ..exceptions import Conflict, InvalidFields, NotFound
from ..live_model import ReloadFailed
from .comments import read_json_object
from .middlewares import require
from .review import StrictSchema, load, query_of

routes = web.RouteTableDef()

DELIVERY_STATUSES = ("pending", "delivered", "failed", "cancelled")


async def known_site(request: web.Request, site_id: str) -> str:
    """The site an operator names, if it exists: a typo answering "nothing there" would pass for a site
    without labels or deliveries, or for an erasure request carried out (``"deleted": 0``)."""
    known = sorted(set(await request.app[LABELS].sites()) | set(request.app[SITES].sites))
    if site_id not in known:
        raise NotFound(f"No site '{site_id}': no comment or label was ever stored for it, and the sites file does "
                       f"not name it. Known sites: {', '.join(known) or 'none yet'}.")
    return site_id


@routes.get("/v1/ops/labels")
async def export_labels(request: web.Request) -> web.StreamResponse:
    """Every collected labelled example as JSONL (the training schema), site by site, oldest first."""
    require(request, Permission.OPERATE)
    site_id = query_of(request).get("site_id")
    examples = request.app[LABELS].examples(site_id and await known_site(request, site_id))
    # The first read before the answer begins: Redis away is then a 503. Should it go away later, the error
    # middleware breaks the connection off, so a cut export never looks complete.
    first = await anext(examples, None)
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson; charset=utf-8"})
    await response.prepare(request)
    if first is not None:
        await response.write(_ndjson_line(first[1]))
        async for _, example in examples:
            await response.write(_ndjson_line(example))
    await response.write_eof()
    return response


def _ndjson_line(example: dict[str, object]) -> bytes:
    return (json.dumps(example, ensure_ascii=False) + "\n").encode("utf-8")


def model_body(request: web.Request) -> dict[str, object]:
    holder = request.app[MODELS]
    model = holder.current
    return {
        "version": model.version,
        "directory": str(model.directory),
        "created_at": model.manifest.get("created_at"),
        "thresholds": model.thresholds,
        "untrained_attributes": list(model.untrained),
        "follows_live_pointer": holder.models_dir is not None,
        "reloads": holder.state.reloads,
        "last_reload_error": holder.refusal(),
    }


@routes.get("/v1/ops/model")
async def current_model(request: web.Request) -> web.Response:
    require(request, Permission.OPERATE)
    return web.json_response(model_body(request))


@routes.post("/v1/ops/model/reload")
async def reload_model(request: web.Request) -> web.Response:
    """Load the live model now (this process; other processes follow the pointer and the Redis notice)."""
    require(request, Permission.OPERATE)
    try:
        changed = await request.app[MODELS].reload(force=request.query.get("force") == "1")
    except ReloadFailed as exc:
        raise Conflict(f"The model was not reloaded and the current one keeps serving: {exc}",
                       current=request.app[MODELS].current.version) from None
    return web.json_response({**model_body(request), "changed": changed})


class EraseLabelsRequest(StrictSchema):
    site_id = fields.String(required=True, validate=validate.Length(min=1))
    comment_id = fields.String(load_default=None, validate=validate.Length(min=1))
    content = fields.String(load_default=None, validate=validate.Length(min=1))

    @validates_schema
    def _something_to_match(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("comment_id") is None and data.get("content") is None:
            raise ValidationError("Give the comment's 'comment_id', its exact 'content', or both.", "comment_id")


ERASE_LABELS_REQUEST = EraseLabelsRequest()


@routes.post("/v1/ops/labels/erase")
async def erase_labels(request: web.Request) -> web.Response:
    """Delete a site's labelled examples of one comment, found by its id and/or its exact text (a request to
    erase someone's data, after the comment's record has gone)."""
    require(request, Permission.OPERATE)
    body = load(ERASE_LABELS_REQUEST, await read_json_object(request))
    await known_site(request, body["site_id"])
    contents = [body["content"]] if body["content"] else []
    deleted = await request.app[LABELS].delete_about(body["site_id"], body["comment_id"], contents, any_id=True)
    return web.json_response({"site_id": body["site_id"], "deleted": deleted})


@routes.get("/v1/ops/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    require(request, Permission.OPERATE)
    query = query_of(request)
    status = query.get("status")
    if status is not None and status not in DELIVERY_STATUSES:
        raise InvalidFields("Unknown delivery status.",
                            fields={"status": [f"Use one of {', '.join(DELIVERY_STATUSES)}."]})
    site_id = query.get("site_id")
    site_ids = [await known_site(request, site_id)] if site_id else await request.app[QUEUE].known_sites()
    report = {}
    for site_id in site_ids:
        deliveries = await request.app[OUTBOX].list(site_id, status)
        for delivery in deliveries:
            delivery["payload"] = json.loads(delivery["payload"])
        report[site_id] = deliveries
    return web.json_response({"sites": report})


@routes.post("/v1/ops/deliveries/{site_id}/{delivery_id}/retry")
async def retry_delivery(request: web.Request) -> web.Response:
    require(request, Permission.OPERATE)
    site_id, delivery_id = request.match_info["site_id"], request.match_info["delivery_id"]
    await request.app[OUTBOX].retry(site_id, delivery_id)
    return web.json_response({"id": delivery_id, "status": "pending"})
